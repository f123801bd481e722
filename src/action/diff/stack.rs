//! `tack diff --all | -l SELECTOR | --instance NAME`: the upgrade diff of every selected stack instance, each
//! planned exactly as `tack diff NAME CHART` plans it ([`super::upgrade_plan`]), in parallel through
//! [`for_each_rendered`] once the isolation guard passed. Printed as one markdown comment or JSON document
//! (`crate::diff::render_stack`), or as a block per instance and the runner's summary table.

use super::{deployed_record, diff_options, upgrade_plan, Counters, Target};
use crate::action::stack::cluster::{for_each_rendered, print_block, RenderedJob};
use crate::action::stack::{check_layer_flags, no_positionals, plan, RenderSpec};
use crate::action::Ctx;
use crate::cli::{DiffFormat, DiffUpgradeArgs};
use crate::cluster::apply::redact;
use crate::diff::render_stack::{self, InstanceDiff, Outcome, State as DiffState};
use crate::diff::{render_text, DriftCheck, Plan};
use crate::error::{reported, FAILURE, OK};
use crate::output;
use crate::stack::runner::{self, Done, InstanceRun, State};
use crate::storage::secrets::SecretStore;
use crate::values::SetArg;
use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};

/// `tack diff` with stack flags (the upgrade form).
pub fn run(ctx: &Ctx, args: &DiffUpgradeArgs, sets: &[SetArg]) -> Result<()> {
    no_positionals(&[
        ("NAME", args.name.is_some()),
        ("CHART", args.chart.is_some()),
    ])?;
    if args.offline {
        bail!(
            "--offline does not combine with stack instances: a stack diff compares every instance with the live cluster\n\nhint: diff one instance offline with `tack diff NAME CHART --offline --env ENV --tier TIER --against-manifest FILE`, or drop --offline"
        );
    }
    check_layer_flags(&args.layers)?;
    let options = diff_options(&args.diff)?;
    let plan = plan(&args.stack)?;
    let spec = RenderSpec {
        layers: &args.layers,
        sets,
        render: &args.render,
        lookup: None,
        is_install: false,
        is_upgrade: true,
    };
    let out = &args.diff;
    let blocks = matches!(out.output, DiffFormat::Diff | DiffFormat::Summary);
    let color = output::color() && std::io::stdout().is_terminal();
    let plans: RefCell<BTreeMap<String, Plan>> = RefCell::new(BTreeMap::new());
    let on_done = |run: &InstanceRun| {
        if blocks {
            print_block(run);
        }
    };
    let mut runs = for_each_rendered(
        ctx,
        &plan,
        spec,
        "no instance was compared",
        on_done,
        |c, job| {
            let RenderedJob {
                instance,
                prepared,
                warnings,
            } = job;
            let desired: Vec<Value> = prepared.docs.iter().map(|d| d.object.clone()).collect();
            let secrets: Vec<Value> = desired
                .iter()
                .filter(|o| o["kind"] == "Secret")
                .cloned()
                .collect();
            let (plans, options) = (&plans, &options);
            async move {
                let mut counters = Counters::default();
                let store = SecretStore::new(c.client.clone());
                let (name, ns) = (&instance.name, &instance.namespace);
                let deployed = deployed_record(&store, ns, name, &mut counters)
                    .await
                    .map_err(|e| hide_secrets(e, &secrets))?;
                let revision = match deployed.1 {
                    DriftCheck::Checked(r) => Some(r),
                    _ => None,
                };
                let target = Target {
                    name,
                    namespace: ns,
                    adopt: args.adopt,
                    force_conflicts: args.force_conflicts,
                };
                let planned =
                    upgrade_plan(&c, &target, desired, deployed, options, &counters.apply)
                        .await
                        .map_err(|e| hide_secrets(e, &secrets))?;
                if ctx.stats {
                    output::note(counters.line());
                }
                let mut text = warnings;
                match out.output {
                    DiffFormat::Diff => text.push_str(&render_text::render(
                        &planned,
                        &render_text::TextOptions {
                            context: out.context,
                            color,
                        },
                    )),
                    DiffFormat::Summary => {
                        text.push_str(&render_text::render_summary(&planned, color))
                    }
                    DiffFormat::Markdown | DiffFormat::Json => {}
                }
                let result = render_stack::plan_result(&planned);
                plans.borrow_mut().insert(name.clone(), planned);
                Ok(Done {
                    revision,
                    result,
                    text,
                })
            }
        },
    )?;

    let diffs = instance_diffs(&plan.stack, &runs, plans.into_inner());
    // a plan the server refused in part would fail: the run counts as failed
    for (run, d) in runs.iter_mut().zip(&diffs) {
        if run.state == State::Ok && d.state() == DiffState::Failed {
            run.state = State::Failed;
        }
    }
    if blocks {
        print!("{}", runner::summary(&runs));
    } else {
        for run in runs.iter().filter(|r| has_output(r)) {
            eprint!("{}", runner::block(run));
        }
        let doc = match out.output {
            DiffFormat::Json => render_stack::render_json(&diffs, out.context),
            _ => render_stack::render_markdown(&diffs, out.context),
        };
        print!("{doc}");
    }
    let _ = std::io::stdout().flush();
    match render_stack::exit_code(&diffs, out.exit_code) {
        OK => Ok(()),
        FAILURE => {
            runner::finish(&runs)?;
            Err(reported(FAILURE, "an instance failed"))
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
    stack: &crate::stack::Stack,
    runs: &[InstanceRun],
    mut plans: BTreeMap<String, Plan>,
) -> Vec<InstanceDiff> {
    runs.iter()
        .map(|run| {
            let inst = stack.get(&run.name);
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
                env: inst.and_then(|i| i.env.clone()),
                tier: inst.and_then(|i| i.tier.clone()),
                outcome,
            }
        })
        .collect()
}

/// The error with the values of the instance's rendered Secrets taken out of every message of its chain:
/// its text ends up in a pull-request comment.
fn hide_secrets(e: anyhow::Error, secrets: &[Value]) -> anyhow::Error {
    let clean = |text: String| secrets.iter().fold(text, |t, s| redact(&t, s));
    let mut messages: Vec<String> = e.chain().map(|c| clean(c.to_string())).collect();
    let mut out = anyhow!(messages.pop().unwrap_or_default());
    while let Some(m) = messages.pop() {
        out = out.context(m);
    }
    out
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
