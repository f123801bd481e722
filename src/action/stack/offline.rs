//! Stack versions of the commands that need no cluster: `template` and `lint` over the selected
//! instances (each rendered with its own layers and checked by the isolation guard), and `values` for one
//! instance, or `--compare` of two.

use super::{
    check_layer_flags, isolation, no_positionals, offline_scopes, plan, refuse, render_all,
    render_failed, RenderSpec, RenderedInstance,
};
use crate::action::lint::{lint_prepared, print_report, Report};
use crate::action::template::{matches_show_only, write_dir};
use crate::action::{load_chart, Ctx};
use crate::chart::Chart;
use crate::cli::{LayerArgs, LintArgs, TemplateArgs, ValuesArgs, ValuesFormat};
use crate::manifest::{self, Document};
use crate::output;
use crate::stack::compare::{compare, label_set_layers};
use crate::stack::runner::{block, finish, summary, InstanceRun, State};
use crate::stack::{self, Selection, Stack};
use crate::values::{self as vals, Resolved, SetArg};
use anyhow::{bail, Result};

fn spec<'a>(
    layers: &'a LayerArgs,
    sets: &'a [SetArg],
    render: &'a crate::cli::RenderArgs,
) -> RenderSpec<'a> {
    RenderSpec {
        layers,
        sets,
        render,
        lookup: None,
        is_install: false,
        is_upgrade: false,
    }
}

fn ok_run(r: &RenderedInstance, result: String, text: String) -> InstanceRun {
    InstanceRun {
        name: r.instance.name.clone(),
        namespace: r.instance.namespace.clone(),
        state: State::Ok,
        revision: None,
        result,
        captured: r.warnings(),
        text,
        error: None,
        duration: r.duration,
    }
}

/// `tack template --all | -l | --instance`: one YAML stream per instance, each after a comment naming it.
pub fn template(_ctx: &Ctx, args: &TemplateArgs, sets: &[SetArg]) -> Result<()> {
    no_positionals(&[("CHART", args.chart.is_some())])?;
    check_layer_flags(&args.layers)?;
    let plan = plan(&args.stack)?;
    let rendered = render_all(&plan, &spec(&args.layers, sets, &args.render));
    let violations = isolation(&plan, &rendered, &offline_scopes(&rendered));
    refuse(&violations, "nothing was printed")?;
    let mut runs = Vec::new();
    let mut stream = String::new();
    for r in rendered.iter().filter(|r| r.selected) {
        let Ok(prepared) = r.outcome.as_ref().map_err(|_| ()).and_then(|p| {
            if p.errors.is_empty() {
                Ok(p)
            } else {
                Err(())
            }
        }) else {
            let run = render_failed(r);
            eprint!("{}", block(&run));
            runs.push(run);
            continue;
        };
        let docs: Vec<Document> = prepared
            .docs
            .iter()
            .filter(|d| !args.skip_crds || !d.source.split('/').any(|s| s == "crds"))
            .filter(|d| {
                args.show_only.is_empty() || args.show_only.iter().any(|w| matches_show_only(d, w))
            })
            .cloned()
            .collect();
        let run = ok_run(r, format!("{} objects", docs.len()), String::new());
        if !run.captured.is_empty() {
            eprint!("{}", block(&run));
        }
        match &args.output_dir {
            Some(dir) => {
                for path in write_dir(&dir.join(&r.instance.name), &docs)? {
                    eprintln!("wrote {}", path.display());
                }
            }
            None => {
                stream.push_str(&format!(
                    "# Instance: {} (namespace {})\n",
                    r.instance.name, r.instance.namespace
                ));
                stream.push_str(&manifest::to_stream(&docs));
            }
        }
        runs.push(run);
    }
    print!("{stream}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    eprint!("{}", summary(&runs));
    finish(&runs)
}

/// `tack lint --all | -l | --instance`: lint every selected instance with its layers, then the isolation
/// guard across instances; a summary table at the end.
pub fn lint(_ctx: &Ctx, args: &LintArgs, sets: &[SetArg]) -> Result<()> {
    no_positionals(&[("CHART", args.chart.is_some())])?;
    check_layer_flags(&args.layers)?;
    let plan = plan(&args.stack)?;
    let rendered = render_all(&plan, &spec(&args.layers, sets, &args.render));
    let violations = isolation(&plan, &rendered, &offline_scopes(&rendered));
    let mut runs = Vec::new();
    let mut total = Report::default();
    for r in rendered.iter().filter(|r| r.selected) {
        let mut report = Report::default();
        match &r.outcome {
            Ok(p) => lint_prepared(p, &mut report),
            Err(e) => report.errors.push(format!("{e:#}")),
        }
        let inst = &r.instance;
        let layers: Vec<String> = [("env", &inst.env), ("tier", &inst.tier)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} `{v}`")))
            .collect();
        eprintln!(
            "{} instance `{}` (namespace `{}`, {}{}{})",
            output::bold("==> linting"),
            inst.name,
            inst.namespace,
            inst.chart.display(),
            if layers.is_empty() { "" } else { ", " },
            layers.join(", ")
        );
        print_report(&report);
        let isolated = !violations.iter().any(|v| v.instances.contains(&inst.name));
        let (state, result) = if !report.errors.is_empty() {
            (State::Failed, plural(report.errors.len(), "error"))
        } else if args.strict && !report.warnings.is_empty() {
            (
                State::Failed,
                format!("{} (strict)", plural(report.warnings.len(), "warning")),
            )
        } else if !isolated {
            (State::Failed, "isolation".to_string())
        } else {
            let (o, w) = (report.objects, report.warnings.len());
            (
                State::Ok,
                format!("ok, {}, {}", plural(o, "object"), plural(w, "warning")),
            )
        };
        runs.push(InstanceRun {
            state,
            result,
            ..ok_run(r, String::new(), String::new())
        });
        total.objects += report.objects;
        total.errors.extend(report.errors);
        total.warnings.extend(report.warnings);
    }
    if !violations.is_empty() {
        eprintln!("{}", output::bold("==> isolation across instances"));
        for v in &violations {
            eprintln!("{} {}\n", output::red("error:"), v.message);
        }
    }
    print!("{}", summary(&runs));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let line = format!(
        "{} instances linted, {} objects: {} errors, {} warnings, {} isolation problems",
        runs.len(),
        total.objects,
        total.errors.len(),
        total.warnings.len(),
        violations.len()
    );
    if runs.iter().all(|r| r.state == State::Ok) {
        eprintln!("{}", output::green(&line));
    } else {
        eprintln!("{}", output::red(&line));
    }
    finish(&runs)
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Load an instance's chart and resolve its values (its layers, then the command line's `-f`/`--set*`).
fn resolve_named(
    stack: &Stack,
    name: &str,
    layers: &LayerArgs,
    sets: &[SetArg],
) -> Result<(Chart, Resolved)> {
    let sel = Selection {
        names: vec![name.to_string()],
        ..Default::default()
    };
    let inst = stack::select(stack, &sel)?[0];
    let chart = load_chart(&inst.chart)?;
    let req = super::layer_request(inst, chart.values_file.clone(), layers, sets)?;
    let mut resolved = vals::resolve(&req)?;
    label_set_layers(&mut resolved, &inst.name, &inst.file, &inst.set);
    for w in &resolved.warnings {
        output::warn(format!("instance `{name}`: {w}"));
    }
    Ok((chart, resolved))
}

/// `tack values --instance A [--compare B]`.
pub fn values(_ctx: &Ctx, args: &ValuesArgs, sets: &[SetArg]) -> Result<()> {
    no_positionals(&[("CHART", args.chart.is_some())])?;
    check_layer_flags(&args.layers)?;
    let Some(name) = &args.instance else {
        bail!("`tack values --stack` needs the instance to print\n\nhint: pass --instance NAME (and --compare OTHER to compare two)");
    };
    let stack = Stack::load(args.stack.as_deref())?;
    let (chart, resolved) = resolve_named(&stack, name, &args.layers, sets)?;
    let Some(other) = &args.compare else {
        return crate::action::values::print_values(&chart, &resolved, args);
    };
    if args.explain.is_some() {
        bail!("--explain and --compare do not combine\n\nhint: --compare already names the layer behind each differing key; use --explain with one --instance");
    }
    let (_, theirs) = resolve_named(&stack, other, &args.layers, sets)?;
    let cmp = compare((name, &resolved), (other, &theirs));
    match args.output {
        ValuesFormat::Yaml => print!("{cmp}"),
        ValuesFormat::Json => println!("{}", serde_json::to_string_pretty(&cmp)?),
    }
    Ok(())
}
