//! The stack side of the commands: load `tack.yaml`, pick instances, render each with its own layers (in
//! parallel), run the isolation guard, then hand every instance to the runner. `offline.rs` holds
//! template, lint and values; `cluster.rs` the cluster flow (the hook for `tack diff`); `lifecycle.rs`
//! install, upgrade, rollback, uninstall and status.

pub mod cluster;
pub mod lifecycle;
pub mod offline;

use super::{load_chart, prepare, render_options, Prepared};
use crate::cli::{LayerArgs, RenderArgs, StackArgs};
use crate::output;
use crate::render::tpl::Lookup;
use crate::stack::guard::{self, Rendered, Scopes, Violation};
use crate::stack::runner::{InstanceRun, RunOptions, State};
use crate::stack::{self, compare, Instance, Selection, Stack};
use crate::values::{LayerRequest, SetArg};
use anyhow::{bail, Context, Result};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The stack file, the selected instances and how to run them.
pub struct Plan {
    pub stack: Stack,
    /// Names of the selected instances, in stack-file order.
    pub selected: Vec<String>,
    pub run: RunOptions,
}

impl Plan {
    /// Whether `name` is selected.
    pub fn is_selected(&self, name: &str) -> bool {
        self.selected.iter().any(|s| s == name)
    }
}

/// Read the stack file and select instances from the stack flags.
pub fn plan(args: &StackArgs) -> Result<Plan> {
    let stack = Stack::load(args.stack.as_deref())?;
    let sel = Selection {
        all: args.all,
        selectors: args.selector.clone(),
        names: args.instances.clone(),
    };
    let selected = stack::select(&stack, &sel)?
        .iter()
        .map(|i| i.name.clone())
        .collect();
    Ok(Plan {
        stack,
        selected,
        run: RunOptions {
            concurrency: args.concurrency,
            fail_fast: args.fail_fast,
        },
    })
}

/// Refuse positional arguments that the stack file supplies.
pub fn no_positionals(given: &[(&str, bool)]) -> Result<()> {
    let named: Vec<&str> = given.iter().filter(|(_, g)| *g).map(|(n, _)| *n).collect();
    if !named.is_empty() {
        let (verb, it) = if named.len() == 1 {
            ("comes", "it")
        } else {
            ("come", "them")
        };
        bail!(
            "{} {verb} from the stack file when --all, -l, --instance or --stack is given; leave {it} out\n\nhint: to work on one release without the stack file, drop the stack flags",
            named.join(" and ")
        );
    }
    Ok(())
}

/// `--env` and `--tier` name one chart's layers; instances name their own.
pub fn check_layer_flags(layers: &LayerArgs) -> Result<()> {
    if layers.env.is_some() || layers.tier.is_some() {
        bail!("--env and --tier do not combine with stack instances: each instance names its env and tier in the stack file\n\nhint: select instances by them instead, e.g. `-l env=prod,tier=public`; -f and --set still apply on top of every instance");
    }
    Ok(())
}

/// The values request of an instance: its chart defaults, env, tier, values files and `set` entries, then
/// the command line's `-f` files and `--set*` flags above them.
pub fn layer_request(
    inst: &Instance,
    chart_values: Option<std::path::PathBuf>,
    cli: &LayerArgs,
    sets: &[SetArg],
) -> Result<LayerRequest> {
    let base_dir = std::env::current_dir().context("failed to read the current directory")?;
    Ok(LayerRequest {
        chart_values,
        values_dir: inst.values_dir.clone(),
        env: inst.env.clone(),
        tier: inst.tier.clone(),
        files: inst.values.iter().chain(&cli.files).cloned().collect(),
        sets: inst
            .set_args()
            .into_iter()
            .chain(sets.iter().cloned())
            .collect(),
        base_dir,
    })
}

/// One instance after rendering.
pub struct RenderedInstance {
    pub instance: Instance,
    pub selected: bool,
    /// The render (possibly with collected errors), or the fatal error that stopped it.
    pub outcome: Result<Prepared, anyhow::Error>,
    pub duration: Duration,
}

impl RenderedInstance {
    /// Why the instance cannot be deployed: a fatal error or the collected render errors.
    pub fn failure(&self) -> Option<String> {
        match &self.outcome {
            Err(e) => Some(crate::stack::runner::error_text(e)),
            Ok(p) if !p.errors.is_empty() => Some(
                p.errors
                    .iter()
                    .map(|e| format!("{} {e}", output::red("error:")))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            ),
            Ok(_) => None,
        }
    }

    /// Values-loading warnings, one per line.
    pub fn warnings(&self) -> String {
        match &self.outcome {
            Ok(p) => p
                .resolved
                .warnings
                .iter()
                .map(|w| format!("{} {w}\n", output::yellow("warning:")))
                .collect(),
            Err(_) => String::new(),
        }
    }
}

/// How the instances are rendered.
pub struct RenderSpec<'a> {
    pub layers: &'a LayerArgs,
    pub sets: &'a [SetArg],
    pub render: &'a RenderArgs,
    /// `lookup` against the cluster, for selected instances (the others render offline).
    pub lookup: Option<Arc<dyn Lookup>>,
    pub is_install: bool,
    pub is_upgrade: bool,
}

/// Render one instance.
pub fn render_instance(inst: &Instance, spec: &RenderSpec, lookup: bool) -> Result<Prepared> {
    crate::release::validate_name(&inst.name)?;
    let chart = load_chart(&inst.chart).with_context(|| {
        format!(
            "instance `{}` ({}): cannot load its chart",
            inst.name,
            inst.at()
        )
    })?;
    let req = layer_request(inst, chart.values_file.clone(), spec.layers, spec.sets)?;
    let mut opts = render_options(&inst.name, &inst.namespace, spec.render);
    opts.is_install = spec.is_install;
    opts.is_upgrade = spec.is_upgrade;
    if lookup {
        opts.lookup = spec.lookup.clone();
    }
    let mut prepared = prepare(chart, &req, &opts)?;
    compare::label_set_layers(&mut prepared.resolved, &inst.name, &inst.file, &inst.set);
    Ok(prepared)
}

/// Render every instance of the stack, at most `concurrency` at once: the selected ones to work on, the
/// others so the guard can check the selected ones against them.
pub fn render_all(plan: &Plan, spec: &RenderSpec) -> Vec<RenderedInstance> {
    let items: Vec<&Instance> = plan.stack.instances.iter().collect();
    parallel_map(&items, plan.run.concurrency, |inst| {
        let selected = plan.is_selected(&inst.name);
        let start = Instant::now();
        let outcome = render_instance(inst, spec, selected);
        RenderedInstance {
            instance: (*inst).clone(),
            selected,
            outcome,
            duration: start.elapsed(),
        }
    })
}

/// `f` over `items` on up to `n` threads, results in the items' order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], n: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..n.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The kinds' scopes that the rendered CRDs tell.
pub fn offline_scopes(rendered: &[RenderedInstance]) -> Scopes {
    Scopes::from_docs(
        rendered
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .flat_map(|p| p.docs.iter()),
    )
}

/// Run the isolation guard over the rendered instances. Unselected instances that failed to render are
/// left out with a warning (the selected ones cannot be checked against them).
pub fn isolation(plan: &Plan, rendered: &[RenderedInstance], scopes: &Scopes) -> Vec<Violation> {
    let mut checked = Vec::new();
    for r in rendered {
        match &r.outcome {
            Ok(p) => checked.push(Rendered {
                instance: &r.instance,
                docs: &p.docs,
                selected: r.selected,
            }),
            Err(_) if !r.selected => output::warn(format!(
                "instance `{}` ({}) does not render, so the isolation of the selected instances is not checked against it",
                r.instance.name,
                r.instance.at()
            )),
            Err(_) => {}
        }
    }
    let namespaces: Vec<(&Instance, bool)> = plan
        .stack
        .instances
        .iter()
        .map(|i| (i, plan.is_selected(&i.name)))
        .collect();
    guard::check(&checked, &namespaces, scopes)
}

/// Print the guard's violations and fail; nothing may be written after this.
pub fn refuse(violations: &[Violation], what: &str) -> Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    for v in violations {
        eprintln!("{} {}\n", output::red("error:"), v.message);
    }
    let n = violations.len();
    let msg = format!(
        "isolation guard: {n} problem{} in the stack; {what}",
        if n == 1 { "" } else { "s" }
    );
    eprintln!("{}", output::red(&msg));
    Err(crate::error::reported(crate::error::FAILURE, msg))
}

/// A summary row for an instance that ran nothing.
pub fn skipped(inst: &Instance, why: &str) -> InstanceRun {
    InstanceRun {
        name: inst.name.clone(),
        namespace: inst.namespace.clone(),
        state: State::Skipped,
        revision: None,
        result: "skipped".into(),
        captured: String::new(),
        text: format!("{why}\n"),
        error: None,
        duration: Duration::ZERO,
    }
}

/// A summary row for an instance whose render failed.
pub fn render_failed(r: &RenderedInstance) -> InstanceRun {
    InstanceRun {
        name: r.instance.name.clone(),
        namespace: r.instance.namespace.clone(),
        state: State::Failed,
        revision: None,
        result: "render failed".into(),
        captured: r.warnings(),
        text: String::new(),
        error: r.failure(),
        duration: r.duration,
    }
}
