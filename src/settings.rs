//! Settings: the one place that turns flags, the environment (`TACK_NAMESPACE`, `KUBECONFIG`), the kubeconfig
//! context (its namespace is the default, as kubectl and Helm do) and `tack.yaml` into what operations take:
//! a list of targets (one for `tack upgrade NAME CHART`, many for `--all`, `-l` or `--instance`), render
//! settings and deploy options. Only this module and `commands` know the clap types.

use crate::cli::{DeployArgs, GlobalArgs, LayerArgs, RenderArgs, StackArgs};
use crate::cluster;
use crate::error::usage;
use crate::ops::deploy::DeployOptions;
use crate::ops::render::RenderSettings;
use crate::ops::target::{Target, Targets};
use crate::stack::runner::RunOptions;
use crate::stack::{self, Instance, Selection, Stack};
use crate::values::{LayerRequest, SetArg};
use anyhow::{Context, Result};

/// Stack instances worked on at once when `--concurrency` is not given; a diff compares every selected
/// instance at once ([`read_only_concurrency`]).
pub const DEFAULT_CONCURRENCY: usize = 4;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

pub mod gitops;

/// The global flags, resolved.
#[derive(Debug, Default)]
pub struct Settings {
    /// `-n` or `TACK_NAMESPACE`.
    namespace: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    pub kube_context: Option<String>,
    /// Report API request counts when done.
    pub stats: bool,
    context_namespace: OnceLock<Option<String>>,
}

impl Settings {
    pub fn new(g: &GlobalArgs) -> Settings {
        Settings {
            namespace: g.namespace.clone().filter(|n| !n.is_empty()),
            kubeconfig: g.kubeconfig.clone(),
            kube_context: g.kube_context.clone(),
            stats: g.stats,
            context_namespace: OnceLock::new(),
        }
    }

    /// The release namespace: `-n` (or `TACK_NAMESPACE`), else the kubeconfig context's namespace, else
    /// `default`.
    pub fn namespace(&self) -> String {
        if let Some(ns) = &self.namespace {
            return ns.clone();
        }
        self.context_namespace
            .get_or_init(|| cluster::context_namespace(&self.cluster()))
            .clone()
            .unwrap_or_else(|| "default".into())
    }

    /// How to reach a cluster of the stack file: its kubeconfig file (else `--kubeconfig`/`KUBECONFIG`) and
    /// its context (else, with its own file, that file's current context, or `--kube-context`); `None` is
    /// [`Settings::cluster`].
    pub fn cluster_for(&self, c: Option<&crate::stack::ClusterRef>) -> cluster::Target {
        let Some(c) = c else {
            return self.cluster();
        };
        cluster::Target {
            kubeconfig: c.kubeconfig.clone().or_else(|| self.kubeconfig.clone()),
            context: match (&c.context, &c.kubeconfig) {
                (Some(ctx), _) => Some(ctx.clone()),
                (None, Some(_)) => None,
                (None, None) => self.kube_context.clone(),
            },
            connect_timeout: None,
        }
    }

    /// How to reach the cluster.
    pub fn cluster(&self) -> cluster::Target {
        cluster::Target {
            kubeconfig: self.kubeconfig.clone(),
            context: self.kube_context.clone(),
            connect_timeout: None,
        }
    }
}

/// Render settings from the render flags; a `--kube-version` that is no version is an error. Values files
/// are bounded by `--max-values` from here on.
pub fn render_settings(a: &RenderArgs) -> Result<RenderSettings> {
    crate::limits::set_max_values_bytes(a.max_values.saturating_mul(1 << 20));
    registry(&a.registry);
    let kube_version = match &a.kube_version {
        Some(v) => Some(kube_version(v)?),
        None => None,
    };
    Ok(RenderSettings {
        kube_version,
        api_versions: a.api_versions.clone(),
        lenient: a.lenient,
        no_lookup: a.no_lookup,
        fuel: a.fuel,
        max_output: a.max_output.saturating_mul(1 << 20),
        max_memory: a.max_render_memory.saturating_mul(1 << 20),
        show_secrets: false,
        chart_version: a.chart_version.clone(),
    })
}

/// Set how registries are reached for this process, from `--ca-file` and `--plain-http`.
pub fn registry(a: &crate::cli::RegistryArgs) {
    crate::oci::set_options(crate::oci::RegistryOptions {
        ca_file: a.ca_file.clone(),
        plain_http: a.plain_http,
    });
}

/// `--kube-version` normalised (`1.30` → `v1.30.0`); anything that is no Kubernetes version is a usage error.
pub fn kube_version(v: &str) -> Result<String> {
    crate::render::parse_kube_version(v)
        .map_err(|e| usage(format!("invalid --kube-version: {e:#}")))
}

/// How values of the previous revision are treated, from `--reuse-values`, `--reset-values` and
/// `--reset-then-reuse-values`.
pub fn reuse(a: &crate::cli::ReuseArgs) -> crate::ops::recall::Reuse {
    use crate::ops::recall::Reuse;
    match (a.reuse_values, a.reset_values, a.reset_then_reuse_values) {
        (true, _, _) => Reuse::Reuse,
        (_, true, _) => Reuse::Reset,
        (_, _, true) => Reuse::ResetThenReuse,
        _ => Reuse::Default,
    }
}

/// Deploy options from the deploy flags, for release `name` in `namespace`.
pub fn deploy_options(namespace: &str, name: &str, a: &DeployArgs, command: &str) -> DeployOptions {
    DeployOptions {
        namespace: namespace.to_string(),
        name: name.to_string(),
        wait: a.wait || a.atomic,
        timeout: a.timeout,
        atomic: a.atomic,
        adopt: a.adopt,
        force_conflicts: a.force_conflicts,
        history_max: a.history_max,
        wait_for_lock: a.wait_for_lock,
        allow_namespace_prune: a.allow_namespace_delete,
        command: command.to_string(),
        no_hooks: a.no_hooks,
        plan: None,
        delete_crds: a.delete_crds,
        wait_skip_load_balancers: a.wait_skip_load_balancers,
        description: a.description.clone(),
        labels: Vec::new(),
        prepare_by: None,
    }
}

/// The values folder of a single release: `--values-dir` (default `values`, beside the command); when that
/// default does not exist and the chart carries its own `values/` folder (as `tack convert --env-layers`
/// writes), the chart's.
fn values_dir_for(given: &Path, chart: Option<&Path>) -> PathBuf {
    if given == Path::new("values") && !given.is_dir() {
        if let Some(own) = chart.map(|c| c.join("values")).filter(|d| d.is_dir()) {
            return own;
        }
    }
    given.to_path_buf()
}

/// The command line, for the lock record (values of `--set` flags left out: they may be secret).
pub fn command_line() -> String {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a.starts_with("--set") {
            match a.split_once('=') {
                Some((flag, _)) => out.push(format!("{flag}=…")),
                None => {
                    out.push(format!("{a} …"));
                    i += 1;
                }
            }
        } else {
            out.push(a.clone());
        }
        i += 1;
    }
    format!("tack {}", out.join(" "))
}

/// Which positional arguments a command has, and whether it needs them without stack flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct Positionals<'a> {
    pub name: Option<&'a str>,
    pub chart: Option<&'a std::path::Path>,
    /// The command takes a release name (install, upgrade, diff, rollback, ...).
    pub needs_name: bool,
    /// The command takes a chart (template, lint, install, upgrade, diff).
    pub needs_chart: bool,
}

/// Whether stack flags ask for stack instances.
pub fn stack_active(a: &StackArgs) -> bool {
    a.all || !a.selector.is_empty() || !a.instances.is_empty() || a.stack.is_some()
}

/// The targets of a command: the selected instances of the stack file when stack flags are given, else the
/// one release the positional arguments name (in `-n`'s namespace, with the layer flags).
pub fn targets(
    s: &Settings,
    stack_args: &StackArgs,
    pos: Positionals,
    layers: &LayerArgs,
    sets: &[SetArg],
) -> Result<Targets> {
    let base_dir = std::env::current_dir().context("failed to read the current directory")?;
    if stack_active(stack_args) {
        no_positionals(&[
            ("NAME", pos.needs_name && pos.name.is_some()),
            ("CHART", pos.needs_chart && pos.chart.is_some()),
        ])?;
        check_layer_flags(layers)?;
        return stack_targets(stack_args, layers, sets, base_dir);
    }
    let name = match (pos.needs_name, pos.name) {
        (true, None) => return Err(missing("NAME")),
        (true, Some(n)) => {
            crate::release::validate_name(n)?;
            n.to_string()
        }
        (false, n) => n.unwrap_or("release-name").to_string(),
    };
    let chart = match (pos.needs_chart, pos.chart) {
        (true, None) => return Err(missing("CHART")),
        (_, c) => c.map(|c| c.to_path_buf()),
    };
    let values_dir = values_dir_for(&layers.values_dir, chart.as_deref());
    Ok(Targets::one(Target {
        name,
        namespace: s.namespace(),
        chart,
        layers: LayerRequest {
            previous: None,
            chart_values: None,
            values_dir,
            env: layers.env.clone(),
            tier: layers.tier.clone(),
            files: layers.files.clone(),
            sets: sets.to_vec(),
            base_dir,
        },
        instance: None,
        selected: true,
        cluster: None,
    }))
}

fn missing(what: &str) -> anyhow::Error {
    usage(format!(
        "missing {what}\n\nhint: give {what} on the command line, or work on the instances of a stack file \
         (tack.yaml) with --all, -l SELECTOR or --instance NAME"
    ))
}

/// Every instance of the stack file as a target (selected or not), in stack-file order.
fn stack_targets(
    a: &StackArgs,
    layers: &LayerArgs,
    sets: &[SetArg],
    base_dir: PathBuf,
) -> Result<Targets> {
    let stack = Stack::load(a.stack.as_deref())?;
    let sel = Selection {
        all: a.all,
        selectors: a.selector.clone(),
        names: a.instances.clone(),
    };
    let selected: Vec<String> = stack::select(&stack, &sel)?
        .iter()
        .map(|i| i.name.clone())
        .collect();
    let all = stack
        .instances
        .iter()
        .map(|inst| instance_target(inst, layers, sets, &base_dir, selected.contains(&inst.name)))
        .collect();
    Ok(Targets {
        all,
        from_stack: true,
        run: RunOptions {
            concurrency: a.concurrency.unwrap_or(DEFAULT_CONCURRENCY),
            fail_fast: a.fail_fast,
        },
    })
}

/// For a command that writes nothing (a diff): without `--concurrency`, every selected instance at once.
/// The cluster's write limiter still bounds the dry runs in flight, and every instance is rendered before
/// any is compared, so holding them all costs nothing more.
pub fn read_only_concurrency(targets: &mut Targets, a: &StackArgs) {
    if a.concurrency.is_none() {
        targets.run.concurrency = targets.selected().count().max(1);
    }
}

/// An instance as a target: its chart, env, tier, values files and `set` entries, then the command line's
/// `-f` files and `--set*` flags above them.
pub fn instance_target(
    inst: &Instance,
    layers: &LayerArgs,
    sets: &[SetArg],
    base_dir: &std::path::Path,
    selected: bool,
) -> Target {
    Target {
        name: inst.name.clone(),
        namespace: inst.namespace.clone(),
        chart: Some(inst.chart.clone()),
        layers: LayerRequest {
            previous: None,
            chart_values: None,
            values_dir: inst.values_dir.clone(),
            env: inst.env.clone(),
            tier: inst.tier.clone(),
            files: inst.values.iter().chain(&layers.files).cloned().collect(),
            sets: inst
                .set_args()
                .into_iter()
                .chain(sets.iter().cloned())
                .collect(),
            base_dir: base_dir.to_path_buf(),
        },
        instance: Some(inst.clone()),
        selected,
        cluster: inst.cluster.clone(),
    }
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
        return Err(usage(format!(
            "{} {verb} from the stack file when --all, -l, --instance or --stack is given; leave {it} out\n\nhint: to work on one release without the stack file, drop the stack flags",
            named.join(" and ")
        )));
    }
    Ok(())
}

/// `--env` and `--tier` name one chart's layers; instances name their own.
pub fn check_layer_flags(layers: &LayerArgs) -> Result<()> {
    if layers.env.is_some() || layers.tier.is_some() {
        return Err(usage("--env and --tier do not combine with stack instances: each instance names its env and tier in the stack file\n\nhint: select instances by them instead, e.g. `-l env=prod,tier=public`; -f and --set still apply on top of every instance"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_are_normalised_or_refused() {
        assert_eq!(kube_version("1.30").unwrap(), "v1.30.0");
        assert_eq!(kube_version("v1.32.4").unwrap(), "v1.32.4");
        for bad in ["latest", "1.x", "v1.30.2.1", ""] {
            let e = kube_version(bad).unwrap_err();
            assert!(
                e.to_string().contains("invalid --kube-version"),
                "{bad}: {e}"
            );
            assert_eq!(crate::error::exit_code(&e), crate::error::USAGE);
        }
    }

    #[test]
    fn a_single_release_is_a_list_of_one() {
        let s = Settings {
            namespace: Some("shop".into()),
            ..Default::default()
        };
        let chart = std::path::Path::new("charts/webapp");
        let pos = Positionals {
            name: Some("web"),
            chart: Some(chart),
            needs_name: true,
            needs_chart: true,
        };
        let layers = LayerArgs {
            env: Some("prod".into()),
            ..Default::default()
        };
        let t = targets(&s, &StackArgs::default(), pos, &layers, &[]).unwrap();
        assert!(!t.from_stack);
        assert_eq!(t.all.len(), 1);
        assert_eq!(t.all[0].name, "web");
        assert_eq!(t.all[0].namespace, "shop");
        assert_eq!(t.all[0].layers.env.as_deref(), Some("prod"));
        let e = targets(
            &s,
            &StackArgs::default(),
            Positionals { name: None, ..pos },
            &layers,
            &[],
        )
        .unwrap_err();
        assert_eq!(crate::error::exit_code(&e), crate::error::USAGE);
        assert!(e.to_string().starts_with("missing NAME"), "{e}");
    }
}
