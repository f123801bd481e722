//! `tack diff`: what `upgrade --install` (for one release or every selected stack instance), `rollback` or
//! another stored revision would change. Every target is planned by the same job; a single release prints
//! its plan in the chosen format, a stack prints a block per instance and a summary table, or one markdown
//! comment / JSON document over every instance. The exit code: 0 no changes, 2 changes with `--exit-code`,
//! 1 errors.

use super::{connect, rendered_jobs, run_jobs, single, Ctx};
use crate::cli::{
    self, DiffArgs, DiffCommand, DiffFormat, DiffOutputArgs, DiffRevisionsArgs, DiffRollbackArgs,
    DiffUpgradeArgs,
};
use crate::diff::render_stack::{self, InstanceDiff, Outcome, State as DiffState};
use crate::diff::{self, render_json, render_markdown, render_text, DriftCheck, Plan};
use crate::error::{self, reported};
use crate::events;
use crate::manifest::redact;
use crate::ops::diff::{self as diff_ops, deployed_record, diff_options, upgrade_plan, Counters};
use crate::ops::plan as ops_plan;
use crate::ops::render::Phase;
use crate::ops::stack::RenderedJob;
use crate::ops::target::Targets;
use crate::output::{runs, Style};
use crate::settings::{self, Positionals};
use crate::stack::runner::{Done, InstanceRun, State};
use crate::storage::secrets::SecretStore;
use anyhow::{anyhow, Context, Result};
use clap::ArgMatches;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Mutex;

pub fn run(ctx: &Ctx, args: &DiffArgs, matches: Option<&ArgMatches>) -> Result<()> {
    match &args.what {
        None => upgrade(ctx, &args.upgrade, matches),
        Some(DiffCommand::Upgrade(a)) => upgrade(
            ctx,
            a,
            matches.and_then(|m| m.subcommand_matches("upgrade")),
        ),
        Some(DiffCommand::Rollback(a)) => rollback(ctx, a),
        Some(DiffCommand::Revisions(a)) => revisions(ctx, a),
    }
}

fn upgrade(ctx: &Ctx, args: &DiffUpgradeArgs, matches: Option<&ArgMatches>) -> Result<()> {
    let sets = matches.map(cli::ordered_sets).unwrap_or_default();
    let pos = Positionals {
        name: args.name.as_deref(),
        chart: args.chart.as_deref(),
        needs_name: true,
        needs_chart: true,
    };
    let mut targets = settings::targets(&ctx.settings, &args.stack, pos, &args.layers, &sets)?;
    settings::read_only_concurrency(&mut targets, &args.stack);
    let out = &args.diff;
    let mut rs = settings::render_settings(&args.render)?;
    rs.show_secrets = out.show_secrets;
    let options = diff_options(&out.ignore, out.show_secrets)?;
    if args.offline {
        if targets.from_stack {
            return Err(error::usage(
                "--offline does not combine with stack instances: a stack diff compares every instance with the live cluster\n\nhint: diff one instance offline with `tack diff NAME CHART --offline --env ENV --tier TIER --against-manifest FILE`, or drop --offline",
            ));
        }
        let against = diff_ops::offline::Against {
            manifest: args.against_manifest.clone(),
            values: args.against_values.clone(),
            set: args.against_set.clone(),
            chart: args.against_chart.clone(),
        };
        let plan = diff_ops::offline::plan(&targets.all[0], &rs, &against, &options)?;
        return finish(ctx, &plan, out);
    }
    if args.save_plan.is_some() && targets.from_stack {
        return Err(error::usage(
            "--save-plan saves the plan of one release, not stack instances\n\nhint: `tack diff NAME CHART --save-plan FILE` for each release to approve",
        ));
    }
    let save_plan = args.save_plan.is_some();
    let saved: Mutex<Option<ops_plan::SavedPlan>> = Mutex::new(None);
    let deadline = super::deadline(ctx, out.timeout, None);
    let (rt, clusters) = super::clusters::connect(ctx, &targets)?;
    let changed = super::recall_layers(
        ctx,
        &rt,
        &clusters,
        &mut targets,
        settings::reuse(&args.reuse),
        &deadline,
    )?;
    let (mut jobs, decided) = rendered_jobs(
        &targets,
        &rs,
        Phase::Upgrade,
        Some((&rt, &clusters, &deadline)),
        "no instance was compared",
    )?;
    super::check_policies(
        &mut jobs,
        &super::PolicyGate {
            override_flag: "--allow-policy-violations",
            allowed: args.allow_policy_violations,
            what: "no instance was compared",
        },
    )?;
    let blocks = targets.from_stack && matches!(out.output, DiffFormat::Diff | DiffFormat::Summary);
    let style = ctx.printer.out();
    let plans: Mutex<BTreeMap<String, Plan>> = Mutex::new(BTreeMap::new());
    // values of Secrets the templates read through `lookup`: scrubbed from everything printed
    let looked_up: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let stats = ctx.settings.stats;
    let (adopt, force) = (args.adopt, args.force_conflicts);
    let mut all = run_jobs(
        ctx,
        (&rt, &clusters),
        &targets,
        jobs,
        decided,
        blocks,
        |job: RenderedJob| {
            let RenderedJob {
                target, prepared, ..
            } = job;
            prepared.emit_warnings();
            let desired: Vec<Value> = prepared.docs.iter().map(|d| d.object().clone()).collect();
            let needed = crate::ops::served::needed(&prepared);
            let secrets: Vec<Value> = desired
                .iter()
                .filter(|o| o["kind"] == "Secret")
                .cloned()
                .collect();
            let hide_lookups = !out.show_secrets;
            if hide_lookups {
                looked_up
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(prepared.secret_values.iter().cloned());
            }
            let layer_changes = changed.get(&target.name).cloned().unwrap_or_default();
            let (c, plans, options, saved) = (clusters.get(&target), &plans, &options, &saved);
            let server = c.as_ref().map_or(String::new(), |c| c.server.clone());
            let deadline = &deadline;
            let compare = async move {
                let c = c?;
                crate::ops::served::check(&c, &needed, "nothing was compared").await?;
                let mut counters = Counters::default();
                let store = SecretStore::new(c.client.clone());
                let (name, ns) = (&target.name, &target.namespace);
                let deployed = deployed_record(&store, ns, name, &mut counters)
                    .await
                    .map_err(|e| hide_secrets(e, &secrets))?;
                let revision = match deployed.1 {
                    DriftCheck::Checked(r) => Some(r),
                    _ => None,
                };
                let deployed_revision = deployed.0.as_ref().map(|r| r.revision);
                let dt = diff_ops::Target {
                    name,
                    namespace: ns,
                    adopt,
                    force_conflicts: force,
                };
                let mut planned =
                    upgrade_plan(&c, &dt, desired, deployed, options, &counters.apply)
                        .await
                        .map_err(|e| hide_secrets(e, &secrets))?;
                for (i, ch) in layer_changes.iter().enumerate() {
                    planned.notes.insert(i, format!("layers changed: {ch}"));
                }
                if save_plan {
                    let manifest = crate::manifest::to_stream(&prepared.docs);
                    let info = crate::ops::install::desired(&prepared, Default::default()).chart;
                    let rendered =
                        ops_plan::Rendered::of(&info, &prepared.resolved.values, &manifest);
                    let p = ops_plan::save(&c, &planned, &rendered, deployed_revision).await?;
                    *saved.lock().unwrap_or_else(|e| e.into_inner()) = Some(p);
                }
                if stats {
                    events::note(counters.line());
                }
                let text = if blocks {
                    prepared.scrub(plan_text(style, &planned, out), !hide_lookups)
                } else {
                    String::new()
                };
                let result = render_stack::plan_result(&planned);
                plans
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(name.clone(), planned);
                Ok(Done {
                    revision,
                    result,
                    text,
                })
            };
            // a diff writes nothing: --timeout bounds all of it
            async move {
                // a stack instance gets its span from when its turn comes
                let bound = deadline.for_turn().on(&server);
                crate::deadline::within(Some(&bound), "comparing with the live objects", compare)
                    .await
            }
        },
    );
    let mut plans = plans.into_inner().unwrap_or_else(|e| e.into_inner());
    let looked_up = looked_up.into_inner().unwrap_or_else(|e| e.into_inner());
    let scrub = |text: String| {
        if looked_up.is_empty() {
            text
        } else {
            crate::manifest::mask::scrub(&text, &looked_up)
        }
    };
    if !targets.from_stack {
        let run = single(ctx, all)?;
        let plan = plans
            .remove(&run.name)
            .ok_or_else(|| anyhow!("the diff of `{}` produced no plan", run.name))?;
        if let (Some(path), Some(p)) = (
            &args.save_plan,
            saved.into_inner().unwrap_or_else(|e| e.into_inner()),
        ) {
            write_plan(ctx, path, &p)?;
        }
        return finish_scrubbed(ctx, &plan, out, &scrub);
    }
    let diffs = instance_diffs(&targets, &all, plans);
    // a plan the server refused in part would fail: the run counts as failed
    for (run, d) in all.iter_mut().zip(&diffs) {
        if run.state == State::Ok && d.state() == DiffState::Failed {
            run.state = State::Failed;
        }
    }
    let printer = &ctx.printer;
    if blocks {
        printer.stdout(&super::summary(ctx, &targets, &all));
    } else {
        for run in all.iter().filter(|r| has_output(r)) {
            printer.stderr(&runs::block(printer.err(), run));
        }
        let doc = match out.output {
            DiffFormat::Json => render_stack::render_json(&diffs, out.context),
            _ => render_stack::render_markdown(&diffs, out.context),
        };
        printer.stdout(&scrub(doc));
    }
    match render_stack::exit_code(&diffs, out.exit_code) {
        error::OK => Ok(()),
        error::FAILURE => {
            runs::finish(printer, &all)?;
            Err(reported(error::FAILURE, "an instance failed"))
        }
        code => Err(reported(code, "changes found")),
    }
}

fn rollback(ctx: &Ctx, args: &DiffRollbackArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let options = diff_options(&args.diff.ignore, args.diff.show_secrets)?;
    let ns = ctx.settings.namespace();
    let deadline = super::deadline(ctx, args.diff.timeout, None);
    let (rt, c) = connect(ctx)?;
    let mut counters = Counters::default();
    let plan = rt.block_on(crate::deadline::within(
        Some(&deadline.on(&c.server)),
        "comparing with the live objects",
        diff_ops::rollback_plan(
            &c,
            &args.name,
            &ns,
            args.revision,
            (args.adopt, args.force_conflicts),
            &options,
            &mut counters,
        ),
    ))?;
    if ctx.settings.stats {
        ctx.printer.info(&counters.line());
    }
    finish(ctx, &plan, &args.diff)
}

fn revisions(ctx: &Ctx, args: &DiffRevisionsArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let options = diff_options(&args.diff.ignore, args.diff.show_secrets)?;
    let ns = ctx.settings.namespace();
    let deadline = super::deadline(ctx, args.diff.timeout, None);
    let (rt, c) = connect(ctx)?;
    let plan = rt.block_on(crate::deadline::within(
        Some(&deadline.on(&c.server)),
        "reading the revisions",
        diff_ops::revisions_plan(&c, &args.name, &ns, (args.from, args.to), &options),
    ))?;
    finish(ctx, &plan, &args.diff)
}

/// A plan as text in the chosen format.
fn plan_text(style: Style, plan: &Plan, args: &DiffOutputArgs) -> String {
    match args.output {
        DiffFormat::Diff => render_text::render(
            plan,
            &render_text::TextOptions {
                context: args.context,
                color: style.color,
            },
        ),
        DiffFormat::Summary => render_text::render_summary(plan, style.color),
        DiffFormat::Markdown => render_markdown::render(plan, args.context),
        DiffFormat::Json => render_json::render(plan, args.context),
    }
}

/// Print one release's plan and turn it into the exit code.
fn finish(ctx: &Ctx, plan: &Plan, args: &DiffOutputArgs) -> Result<()> {
    finish_scrubbed(ctx, plan, args, &|t| t)
}

/// [`finish`], the printed text passed through `scrub` first.
fn finish_scrubbed(
    ctx: &Ctx,
    plan: &Plan,
    args: &DiffOutputArgs,
    scrub: &dyn Fn(String) -> String,
) -> Result<()> {
    ctx.printer
        .stdout(&scrub(plan_text(ctx.printer.out(), plan, args)));
    match diff::exit_code(plan, args.exit_code) {
        error::OK => Ok(()),
        error::FAILURE => {
            let n = plan.counts().errors;
            Err(anyhow!(
                "the server refused {n} object{} in the dry run, so the operation would fail; see the error notes above",
                diff::plural(n)
            ))
        }
        code => Err(reported(code, "changes found")),
    }
}

/// Whether a run has anything for stderr when stdout holds a document: warnings, notes or an error.
fn has_output(run: &InstanceRun) -> bool {
    !run.captured.is_empty() || !run.text.is_empty() || run.error.is_some()
}

/// The runs as the renderers take them, in the runs' (stack-file) order.
fn instance_diffs(
    targets: &Targets,
    all: &[InstanceRun],
    mut plans: BTreeMap<String, Plan>,
) -> Vec<InstanceDiff> {
    all.iter()
        .map(|run| {
            let t = targets.all.iter().find(|t| t.name == run.name);
            let outcome = match (run.state, plans.remove(&run.name)) {
                (State::Ok, Some(p)) => Outcome::Planned(p),
                (State::Skipped, _) => Outcome::Skipped(run.text.trim().to_string()),
                _ => Outcome::Failed(
                    run.error
                        .clone()
                        .unwrap_or_else(|| "failed without an error message".into()),
                ),
            };
            InstanceDiff {
                name: run.name.clone(),
                namespace: run.namespace.clone(),
                cluster: t.and_then(|t| t.cluster_name()),
                env: t.and_then(|t| t.layers.env.clone()),
                tier: t.and_then(|t| t.layers.tier.clone()),
                outcome,
            }
        })
        .collect()
}

/// The error with the values of the target's rendered Secrets taken out of every message of its chain: its
/// text may end up in a pull-request comment.
fn hide_secrets(e: anyhow::Error, secrets: &[Value]) -> anyhow::Error {
    let clean = |text: String| secrets.iter().fold(text, |t, s| redact(&t, s));
    let mut messages: Vec<String> = e.chain().map(|c| clean(c.to_string())).collect();
    let mut out = anyhow!(messages.pop().unwrap_or_default());
    while let Some(m) = messages.pop() {
        out = out.context(m);
    }
    out
}

/// Write an approved-plan file and say how to apply it.
fn write_plan(ctx: &Ctx, path: &std::path::Path, p: &ops_plan::SavedPlan) -> Result<()> {
    let json = serde_json::to_string_pretty(p)? + "\n";
    std::fs::write(path, json)
        .with_context(|| format!("failed to write the plan file `{}`", path.display()))?;
    ctx.printer.stderr(&format!(
        "saved the plan of `{}` ({} objects) to {}; apply exactly it with `tack upgrade {} CHART ... --plan {}`\n",
        p.release,
        p.objects.len(),
        path.display(),
        p.release,
        path.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    #[test]
    fn secret_values_leave_every_message_of_an_error() {
        let secret = serde_json::json!({"kind": "Secret", "data": {
            "PASSWORD": base64::engine::general_purpose::STANDARD.encode("hunter2-value")}});
        let e = anyhow!("the server said hunter2-value is bad").context("cannot diff Secret x");
        let hidden = hide_secrets(e, &[secret]);
        let text = format!("{hidden:#}");
        assert!(!text.contains("hunter2-value"), "{text}");
        assert!(text.starts_with("cannot diff Secret x: "), "{text}");
        assert_eq!(hidden.chain().count(), 2);
    }
}
