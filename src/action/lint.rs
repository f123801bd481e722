//! `tack lint`: load, validate and render a chart and check every object, reporting all problems at once.
//! `--matrix` does it for every env × tier combination of the values folder.

use super::{layer_request, load_chart, prepare, render_options, Ctx, Prepared};
use crate::cli::{LayerArgs, LintArgs};
use crate::error::{reported, FAILURE};
use crate::manifest::Document;
use crate::output;
use crate::values::{self as vals, SetArg};
use anyhow::Result;
use serde_json::Value;
use std::path::Path;

/// Problems found for one combination of layers.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub objects: usize,
}

pub fn run(ctx: &Ctx, args: &LintArgs, sets: &[SetArg]) -> Result<()> {
    if args.stack.active() {
        if args.matrix {
            anyhow::bail!("--matrix lints one chart; it does not combine with --all, -l or --instance\n\nhint: a stack's instances already name their env and tier");
        }
        return super::stack::offline::lint(ctx, args, sets);
    }
    let chart = super::positional(&args.chart, "CHART")?;
    if args.matrix {
        return run_matrix(ctx, args, chart, sets);
    }
    let report = lint_one(ctx, args, chart, &args.layers, sets);
    let label = describe(&args.layers);
    eprintln!(
        "{} {}{}",
        output::bold("==> linting"),
        chart.display(),
        label
    );
    print_report(&report);
    finish(&report, args.strict, 1)
}

fn describe(layers: &LayerArgs) -> String {
    let mut parts = Vec::new();
    if let Some(e) = &layers.env {
        parts.push(format!("env `{e}`"));
    }
    if let Some(t) = &layers.tier {
        parts.push(format!("tier `{t}`"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!(" ({})", parts.join(", "))
    }
}

pub fn print_report(report: &Report) {
    for e in &report.errors {
        eprintln!("{} {e}", output::red("error:"));
    }
    for w in &report.warnings {
        output::warn(w);
    }
}

fn finish(report: &Report, strict: bool, combos: usize) -> Result<()> {
    let failed = !report.errors.is_empty() || (strict && !report.warnings.is_empty());
    let summary = format!(
        "{combos} combination{} linted, {} object{}: {} error{}, {} warning{}",
        if combos == 1 { "" } else { "s" },
        report.objects,
        if report.objects == 1 { "" } else { "s" },
        report.errors.len(),
        if report.errors.len() == 1 { "" } else { "s" },
        report.warnings.len(),
        if report.warnings.len() == 1 { "" } else { "s" },
    );
    if failed {
        eprintln!("{}", output::red(&summary));
        Err(reported(FAILURE, summary))
    } else {
        eprintln!("{}", output::green(&summary));
        Ok(())
    }
}

/// Lint the chart with one set of layers.
pub fn lint_one(
    ctx: &Ctx,
    args: &LintArgs,
    chart: &Path,
    layers: &LayerArgs,
    sets: &[SetArg],
) -> Report {
    let mut report = Report::default();
    let chart = match load_chart(chart) {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(format!("{e:#}"));
            return report;
        }
    };
    let req = match layer_request(&chart, layers, sets) {
        Ok(r) => r,
        Err(e) => {
            report.errors.push(format!("{e:#}"));
            return report;
        }
    };
    let opts = render_options("release-name", &ctx.namespace(), &args.render);
    let prepared = match prepare(chart, &req, &opts) {
        Ok(p) => p,
        Err(e) => {
            report.errors.push(format!("{e:#}"));
            return report;
        }
    };
    lint_prepared(&prepared, &mut report);
    report
}

/// The checks of a rendered chart: values warnings, render errors, Chart.yaml and every object.
pub fn lint_prepared(prepared: &Prepared, report: &mut Report) {
    report
        .warnings
        .extend(prepared.resolved.warnings.iter().map(|w| w.to_string()));
    report.errors.extend(prepared.errors.iter().cloned());
    if prepared.chart.meta.api_version.as_deref() != Some("v2") {
        report.warnings.push(format!(
            "{}/Chart.yaml: `apiVersion` should be `v2`",
            prepared.chart.dir.display()
        ));
    }
    for doc in &prepared.docs {
        check_object(doc, report);
    }
    report.objects = prepared.docs.len();
}

fn run_matrix(ctx: &Ctx, args: &LintArgs, chart: &Path, sets: &[SetArg]) -> Result<()> {
    let (envs, tiers) = vals::layer_files_available(&args.layers.values_dir);
    let mut combos: Vec<(Option<String>, Option<String>)> = Vec::new();
    match (envs.is_empty(), tiers.is_empty()) {
        (true, true) => combos.push((None, None)),
        (false, true) => combos.extend(envs.iter().map(|e| (Some(e.clone()), None))),
        (true, false) => combos.extend(tiers.iter().map(|t| (None, Some(t.clone())))),
        (false, false) => {
            for e in &envs {
                for t in &tiers {
                    combos.push((Some(e.clone()), Some(t.clone())));
                }
            }
        }
    }
    let mut total = Report::default();
    let mut rows = Vec::new();
    for (env, tier) in &combos {
        let layers = LayerArgs {
            env: env.clone(),
            tier: tier.clone(),
            ..args.layers.clone()
        };
        let report = lint_one(ctx, args, chart, &layers, sets);
        if !report.errors.is_empty() || !report.warnings.is_empty() {
            eprintln!(
                "{} {}{}",
                output::bold("==> linting"),
                chart.display(),
                describe(&layers)
            );
            print_report(&report);
        }
        let result = if !report.errors.is_empty() {
            output::red("FAIL")
        } else if args.strict && !report.warnings.is_empty() {
            output::red("FAIL (strict)")
        } else {
            output::green("ok")
        };
        rows.push(vec![
            env.clone().unwrap_or_else(|| "-".into()),
            tier.clone().unwrap_or_else(|| "-".into()),
            report.objects.to_string(),
            report.errors.len().to_string(),
            report.warnings.len().to_string(),
            result,
        ]);
        total.objects += report.objects;
        total.errors.extend(report.errors);
        total.warnings.extend(report.warnings);
    }
    print!(
        "{}",
        output::table(
            &["ENV", "TIER", "OBJECTS", "ERRORS", "WARNINGS", "RESULT"],
            &rows
        )
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    finish(&total, args.strict, combos.len())
}

fn is_dns_subdomain(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

fn is_label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// Object-level checks that the API server would reject, plus deploy-safety warnings.
fn check_object(doc: &Document, report: &mut Report) {
    let at = format!(
        "{} (rendered line {}): {}",
        doc.source,
        doc.start_line,
        doc.id()
    );
    if !is_dns_subdomain(doc.name()) {
        report.errors.push(format!(
            "{at}: name `{}` is not a valid Kubernetes name (lower-case letters, digits, `-` and `.`, at most 253 characters)",
            doc.name()
        ));
    }
    if let Some(labels) = doc.object["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            match v {
                Value::String(s) if is_label_value(s) => {}
                Value::String(s) => report.errors.push(format!(
                    "{at}: label `{k}` has invalid value `{s}` (at most 63 characters: letters, digits, `-`, `_`, `.`)"
                )),
                other => report.errors.push(format!(
                    "{at}: label `{k}` must be a string, found `{other}`; quote it in the template (`| quote`)"
                )),
            }
        }
    }
    for (path, container) in containers(&doc.object) {
        let cname = container["name"].as_str().unwrap_or("?");
        match container["image"].as_str() {
            None => report
                .errors
                .push(format!("{at}: container `{cname}` has no image ({path})")),
            Some(image) => {
                let last = image.rsplit('/').next().unwrap_or(image);
                if !image.contains('@') && (!last.contains(':') || last.ends_with(":latest")) {
                    report.warnings.push(format!(
                        "{at}: container `{cname}` uses image `{image}` without a pinned tag; rollbacks cannot restore it"
                    ));
                }
            }
        }
        if container["resources"]["requests"].is_null()
            && container["resources"]["limits"].is_null()
        {
            report.warnings.push(format!(
                "{at}: container `{cname}` sets no resource requests or limits"
            ));
        }
    }
}

/// Containers of a workload or pod, with their path in the object.
fn containers(obj: &Value) -> Vec<(String, &Value)> {
    let spec = match obj["kind"].as_str().unwrap_or_default() {
        "Pod" => &obj["spec"],
        "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            &obj["spec"]["template"]["spec"]
        }
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for key in ["initContainers", "containers"] {
        if let Some(list) = spec[key].as_array() {
            for (i, c) in list.iter().enumerate() {
                out.push((format!("{key}[{i}]"), c));
            }
        }
    }
    out
}
