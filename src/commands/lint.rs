//! `tack lint`: check a chart (or every selected stack instance, plus the isolation guard across them) and
//! report all problems at once; `--matrix` lints every env × tier combination of the values folder.

use super::Ctx;
use crate::cli::{LayerArgs, LintArgs, LintFormat};
use crate::error::{reported, FAILURE};
use crate::ops::lint::{lint_prepared, lint_target, matrix, Report};
use crate::ops::render::{Phase, RenderSettings};
use crate::ops::stack::{isolation, offline_scopes, render_all};
use crate::ops::target::{Target, Targets};
use crate::output::{runs, table, Printer};
use crate::settings::{self, Positionals};
use crate::stack::runner::{InstanceRun, State};
use crate::values::SetArg;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &LintArgs, sets: &[SetArg]) -> Result<()> {
    if args.matrix && settings::stack_active(&args.stack) {
        anyhow::bail!("--matrix lints one chart; it does not combine with --all, -l or --instance\n\nhint: a stack's instances already name their env and tier");
    }
    let pos = Positionals {
        chart: args.chart.as_deref(),
        needs_chart: true,
        ..Default::default()
    };
    let targets = settings::targets(&ctx.settings, &args.stack, pos, &args.layers, sets)?;
    let mut rs = settings::render_settings(&args.render)?;
    rs.show_secrets = args.show_secrets;
    if targets.from_stack {
        return lint_stack(ctx, &targets, &rs, args.strict, args.output);
    }
    let target = &targets.all[0];
    let declared = external_flags(&args.external)?;
    if args.matrix {
        return run_matrix(ctx, args, target, &rs, &declared);
    }
    let mut report = lint_target(target, &rs);
    crate::ops::lint::external(&mut report, &declared);
    if args.cluster {
        against_cluster(ctx, target, &mut report, &declared)?;
    }
    let printer = &ctx.printer;
    let reports: Vec<&crate::policy::Report> = report.policy.iter().collect();
    if let Some(doc) = policy_document(args.output, &reports, &chart_shown(target)) {
        printer.stdout(&ensure_newline(doc));
    }
    printer.stderr(&format!(
        "{} {}{}\n",
        printer.err().bold("==> linting"),
        chart_shown(target),
        describe(&args.layers)
    ));
    print_report(printer, &report);
    finish(printer, &report, args.strict, 1)
}

/// `--external KIND/NAME` flags, checked: only Secrets and ConfigMaps are referenced by pods.
fn external_flags(flags: &[String]) -> Result<Vec<String>> {
    flags
        .iter()
        .map(|f| match f.split_once('/') {
            Some((kind @ ("Secret" | "ConfigMap"), name))
                if !name.is_empty() && !name.contains('/') =>
            {
                Ok(format!("{kind}/{name}"))
            }
            _ => Err(crate::error::usage(format!(
                "invalid --external `{f}`: expected `Secret/NAME` or `ConfigMap/NAME`"
            ))),
        })
        .collect()
}

/// `--cluster`: check the kinds are served and the Secrets and ConfigMaps from outside exist. Read only.
fn against_cluster(
    ctx: &Ctx,
    target: &Target,
    report: &mut Report,
    declared: &[String],
) -> Result<()> {
    let (rt, c) = super::connect(ctx)?;
    if let Err(e) = rt.block_on(crate::ops::served::check(
        &c,
        &report.needed,
        "lint reads the cluster and writes nothing",
    )) {
        report.errors.push(format!("{e:#}"));
    }
    for r in &report.references {
        let ns = r
            .namespace
            .clone()
            .unwrap_or_else(|| target.namespace.clone());
        let exists = rt.block_on(crate::cluster::lookup::config_exists(
            &c, &r.kind, &ns, &r.name,
        ))?;
        match (exists, declared.contains(&r.key())) {
            (true, _) => {}
            (false, true) => report.errors.push(format!(
                "{} `{}` is declared external (--external {}) but does not exist in namespace `{ns}`: {} would not start\n  hint: create it first (e.g. `kubectl create secret generic {} -n {ns} ...`)",
                r.kind, r.name, r.key(), r.from, r.name
            )),
            (false, false) => report.warnings.push(format!(
                "{} `{}` does not exist in namespace `{ns}` either",
                r.kind, r.name
            )),
        }
    }
    Ok(())
}

fn ensure_newline(mut s: String) -> String {
    if !s.ends_with('\n') {
        s.push('\n');
    }
    s
}

fn chart_shown(t: &Target) -> String {
    t.chart
        .as_deref()
        .map(|c| c.display().to_string())
        .unwrap_or_default()
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

fn print_report(printer: &Printer, report: &Report) {
    for e in &report.errors {
        printer.stderr(&format!("{} {e}\n", printer.err().red("error:")));
    }
    for w in &report.warnings {
        printer.warn(w);
    }
    for n in &report.notes {
        printer.stderr(&format!("{} {n}\n", printer.err().cyan("note:")));
    }
}

/// The policy reports of every linted target as one document in `format` (nothing for `text`).
fn policy_document(
    format: LintFormat,
    reports: &[&crate::policy::Report],
    chart: &str,
) -> Option<String> {
    let mut all = crate::policy::Report::default();
    let mut tiers: Vec<&str> = Vec::new();
    for r in reports {
        if !tiers.contains(&r.tier.as_str()) {
            tiers.push(&r.tier);
        }
        all.level = all.level.or(r.level);
        all.objects += r.objects;
        all.checked.extend(r.checked.iter().cloned());
        all.findings.extend(r.findings.iter().cloned());
        all.exemptions.extend(r.exemptions.iter().cloned());
    }
    all.tier = tiers.join(",");
    match format {
        LintFormat::Text => None,
        LintFormat::Json => Some(crate::policy::render::json(&all)),
        LintFormat::Sarif => Some(crate::policy::render::sarif(&all, chart)),
        LintFormat::Junit => Some(crate::policy::render::junit(&all)),
    }
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

fn finish(printer: &Printer, report: &Report, strict: bool, combos: usize) -> Result<()> {
    let failed = !report.errors.is_empty() || (strict && !report.warnings.is_empty());
    let summary = format!(
        "{} linted, {}: {}, {}",
        plural(combos, "combination"),
        plural(report.objects, "object"),
        plural(report.errors.len(), "error"),
        plural(report.warnings.len(), "warning"),
    );
    if failed {
        printer.stderr(&format!("{}\n", printer.err().red(&summary)));
        Err(reported(FAILURE, summary))
    } else {
        printer.stderr(&format!("{}\n", printer.err().green(&summary)));
        Ok(())
    }
}

fn run_matrix(
    ctx: &Ctx,
    args: &LintArgs,
    target: &Target,
    rs: &RenderSettings,
    declared: &[String],
) -> Result<()> {
    let printer = &ctx.printer;
    let combos = matrix(&target.layers.values_dir);
    let mut total = Report::default();
    let mut rows = Vec::new();
    let mut policies: Vec<crate::policy::Report> = Vec::new();
    let out = printer.out();
    for (env, tier) in &combos {
        let mut t = target.clone();
        t.layers.env = env.clone();
        t.layers.tier = tier.clone();
        let mut report = lint_target(&t, rs);
        crate::ops::lint::external(&mut report, declared);
        if !report.errors.is_empty() || !report.warnings.is_empty() {
            let layers = LayerArgs {
                env: env.clone(),
                tier: tier.clone(),
                ..Default::default()
            };
            printer.stderr(&format!(
                "{} {}{}\n",
                printer.err().bold("==> linting"),
                chart_shown(target),
                describe(&layers)
            ));
            print_report(printer, &report);
        }
        let result = if !report.errors.is_empty() {
            out.red("FAIL")
        } else if args.strict && !report.warnings.is_empty() {
            out.red("FAIL (strict)")
        } else {
            out.green("ok")
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
        policies.extend(report.policy);
    }
    let refs: Vec<&crate::policy::Report> = policies.iter().collect();
    if let Some(doc) = policy_document(args.output, &refs, &chart_shown(target)) {
        printer.stdout(&ensure_newline(doc));
        return finish(printer, &total, args.strict, combos.len());
    }
    printer.stdout(&table(
        out,
        &["ENV", "TIER", "OBJECTS", "ERRORS", "WARNINGS", "RESULT"],
        &rows,
    ));
    finish(printer, &total, args.strict, combos.len())
}

/// Lint every selected instance with its layers, then the isolation guard across instances; a summary
/// table at the end.
fn lint_stack(
    ctx: &Ctx,
    targets: &Targets,
    rs: &RenderSettings,
    strict: bool,
    format: LintFormat,
) -> Result<()> {
    let printer = &ctx.printer;
    let rendered = render_all(targets, rs, Phase::Offline, None);
    let violations = isolation(targets, &rendered, &offline_scopes(&rendered));
    let mut all = Vec::new();
    let mut total = Report::default();
    let mut policies: Vec<crate::policy::Report> = Vec::new();
    for r in rendered.iter().filter(|r| r.target.selected) {
        let mut report = Report::default();
        match &r.outcome {
            Ok(p) => lint_prepared(&r.target, p, &mut report),
            Err(e) => report.errors.push(format!("{e:#}")),
        }
        let t = &r.target;
        let layers: Vec<String> = [("env", &t.layers.env), ("tier", &t.layers.tier)]
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} `{v}`")))
            .collect();
        printer.stderr(&format!(
            "{} instance `{}` (namespace `{}`, {}{}{})\n",
            printer.err().bold("==> linting"),
            t.name,
            t.namespace,
            chart_shown(t),
            if layers.is_empty() { "" } else { ", " },
            layers.join(", ")
        ));
        print_report(printer, &report);
        let isolated = !violations.iter().any(|v| v.instances.contains(&t.name));
        let (state, result) = if !report.errors.is_empty() {
            (State::Failed, plural(report.errors.len(), "error"))
        } else if strict && !report.warnings.is_empty() {
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
        all.push(InstanceRun {
            name: t.name.clone(),
            namespace: t.namespace.clone(),
            state,
            revision: None,
            result,
            captured: Vec::new(),
            text: String::new(),
            error: None,
            failure: None,
            duration: r.duration,
        });
        total.objects += report.objects;
        total.errors.extend(report.errors);
        total.warnings.extend(report.warnings);
        policies.extend(report.policy);
    }
    let refs: Vec<&crate::policy::Report> = policies.iter().collect();
    if let Some(doc) = policy_document(format, &refs, "tack.yaml") {
        printer.stdout(&ensure_newline(doc));
    }
    if !violations.is_empty() {
        printer.stderr(&format!(
            "{}\n",
            printer.err().bold("==> isolation across instances")
        ));
        for v in &violations {
            printer.stderr(&format!(
                "{} {}\n\n",
                printer.err().red("error:"),
                v.message
            ));
        }
    }
    printer.stdout(&runs::summary(printer.out(), &all));
    let line = format!(
        "{} linted, {}: {}, {}, {}",
        plural(all.len(), "instance"),
        plural(total.objects, "object"),
        plural(total.errors.len(), "error"),
        plural(total.warnings.len(), "warning"),
        plural(violations.len(), "isolation problem")
    );
    if all.iter().all(|r| r.state == State::Ok) {
        printer.stderr(&format!("{}\n", printer.err().green(&line)));
    } else {
        printer.stderr(&format!("{}\n", printer.err().red(&line)));
    }
    runs::finish(printer, &all)
}
