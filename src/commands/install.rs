//! `tack install` and `tack upgrade`: render every target, guard a stack's isolation, then deploy each
//! through the lifecycle core; `--dry-run=client` prints the plan without a cluster, `--dry-run=server` asks
//! the API server and writes nothing.

use super::{rendered_jobs, run_jobs, Ctx};
use crate::cli::{DryRun, InstallArgs, ReadFormat, ReuseArgs};
use crate::manifest;
use crate::ops::deploy::Op;
use crate::ops::install::{self, Deployed};
use crate::ops::plan as ops_plan;
use crate::ops::render::{Phase, RenderSettings};
use crate::ops::stack::RenderedJob;
use crate::ops::target::Targets;
use crate::output::{release, runs};
use crate::settings::{self, Positionals};
use crate::stack::runner::{Done, InstanceRun, State};
use crate::values::SetArg;
use anyhow::Result;
use std::path::Path;
use std::sync::Arc;

pub fn run(
    ctx: &Ctx,
    args: &InstallArgs,
    sets: &[SetArg],
    upgrade: Option<(bool, &ReuseArgs)>,
    plan: Option<&Path>,
) -> Result<()> {
    let reuse = upgrade.map(|(_, r)| settings::reuse(r));
    let upgrade = upgrade.map(|(install, _)| install);
    let pos = Positionals {
        name: args.name.as_deref(),
        chart: args.chart.as_deref(),
        needs_name: true,
        needs_chart: true,
    };
    let labels = crate::release::parse_labels(&args.labels)
        .map_err(|e| crate::error::usage(format!("{e:#}")))?;
    let mut targets = settings::targets(&ctx.settings, &args.stack, pos, &args.layers, sets)?;
    let mut rs = settings::render_settings(&args.render)?;
    rs.show_secrets = args.show_secrets;
    let op = install::operation(upgrade);
    let phase = if op == Op::Install {
        Phase::Install
    } else {
        Phase::Upgrade
    };
    if args.dry_run == Some(DryRun::Client) {
        super::check_unnamed_layers(ctx, &targets, args.strict)?;
        return dry_run_client(ctx, &targets, &rs, phase, args.show_secrets);
    }
    if plan.is_some() && targets.from_stack {
        return Err(crate::error::usage(
            "--plan applies the plan of one release, not stack instances\n\nhint: `tack upgrade NAME CHART --plan FILE` with the same values flags as the diff that saved it",
        ));
    }
    let approved = plan.map(ops_plan::read).transpose()?.map(Arc::new);
    let deadline = super::deadline(ctx, args.deploy.timeout, args.deploy.wait_for_lock);
    let (rt, clusters) = super::clusters::connect(ctx, &targets)?;
    let changed = match reuse {
        Some(reuse) => super::recall_layers(ctx, &rt, &clusters, &mut targets, reuse, &deadline)?,
        None => Default::default(),
    };
    super::check_unnamed_layers(ctx, &targets, args.strict)?;
    let (mut jobs, decided) = rendered_jobs(
        &targets,
        &rs,
        phase,
        Some((&rt, &clusters, &deadline)),
        "nothing was written",
    )?;
    super::check_policies(
        &mut jobs,
        &super::PolicyGate {
            override_flag: "--allow-policy-violations",
            allowed: args.deploy.allow_policy_violations,
            what: "nothing was written",
        },
    )?;
    let command = settings::command_line();
    let server = args.dry_run == Some(DryRun::Server);
    let (create, stats, style) = (args.create_namespace, ctx.settings.stats, ctx.printer.out());
    let (format, from_stack) = (args.deploy.output, targets.from_stack);
    let all = run_jobs(
        ctx,
        (&rt, &clusters),
        &targets,
        jobs,
        decided,
        format == ReadFormat::Table,
        |job: RenderedJob| {
            let RenderedJob {
                target,
                prepared,
                policy,
            } = job;
            let ns_labels = policy
                .map(|p| crate::policy::namespace_labels(p.level))
                .unwrap_or_default();
            prepared.emit_warnings();
            let needed = crate::ops::served::needed(&prepared);
            let desired = install::desired(&prepared, install::layers_record(&target, &prepared));
            let show = rs.show_secrets;
            let scrub = move |text: String| prepared.scrub(text, show);
            let layer_changes: String = changed
                .get(&target.name)
                .map(|chs| {
                    chs.iter()
                        .map(|ch| format!("{} {ch}\n", style.yellow("layers changed:")))
                        .collect()
                })
                .unwrap_or_default();
            let mut dopts =
                settings::deploy_options(&target.namespace, &target.name, &args.deploy, &command);
            dopts.plan = approved.clone();
            dopts.labels = labels.clone();
            let c = clusters.get(&target);
            let deadline = &deadline;
            async move {
                let c = c?;
                dopts.prepare_by = Some(deadline.for_turn().on(&c.server));
                crate::deadline::within(
                    dopts.prepare_by.as_ref(),
                    "checking the kinds the cluster serves",
                    crate::ops::served::check(&c, &needed, "nothing was written"),
                )
                .await?;
                if let Some(p) = &dopts.plan {
                    let rendered =
                        ops_plan::Rendered::of(&desired.chart, &desired.values, &desired.manifest);
                    ops_plan::check_rendered(p, &target.name, &target.namespace, &rendered)?;
                }
                match install::deploy_rendered(
                    &c,
                    op,
                    desired,
                    &dopts,
                    (create, &ns_labels),
                    server,
                    stats,
                )
                .await?
                {
                    Deployed::DryRun(run) => Ok(Done {
                        revision: None,
                        result: "dry run".into(),
                        text: scrub(super::formatted(
                            format,
                            from_stack,
                            || release::dry_run_text(&target.name, &target.namespace, &run),
                            &release::dry_run_data(&target.name, &target.namespace, &run),
                        )?),
                    }),
                    Deployed::Done(out) => {
                        let verb = install::verb(op, &out.release);
                        let text = super::formatted(
                            format,
                            from_stack,
                            || {
                                layer_changes
                                    + &release::outcome_text(
                                        style,
                                        verb,
                                        &out.release,
                                        &out.changes,
                                    )
                            },
                            &release::outcome_data(&out.release, &out.changes),
                        )?;
                        Ok(Done {
                            revision: Some(out.release.revision),
                            result: verb.into(),
                            text: scrub(text),
                        })
                    }
                }
            }
        },
    );
    super::report_as(ctx, &targets, all, format)
}

/// `--dry-run` (client): render offline (a stack also passes the guard) and print each target's objects, with
/// Secret values masked unless `--show-secrets`.
fn dry_run_client(
    ctx: &Ctx,
    targets: &Targets,
    rs: &RenderSettings,
    phase: Phase,
    show_secrets: bool,
) -> Result<()> {
    let printer = &ctx.printer;
    let (jobs, decided) = rendered_jobs(targets, rs, phase, None, "nothing was sent to a cluster")?;
    let stream_of = |p: &crate::ops::render::Prepared| {
        if show_secrets {
            manifest::to_stream(&p.docs)
        } else {
            p.scrub(manifest::to_stream_masked(&p.docs), false)
        }
    };
    if !targets.from_stack {
        if let Some(run) = decided.into_iter().next() {
            super::single(ctx, vec![run])?;
            return Ok(());
        }
        for job in jobs {
            let (t, p) = (&job.payload.target, &job.payload.prepared);
            p.emit_warnings();
            printer.stdout(&stream_of(p));
            printer.info(&format!(
                "dry run (client): {} objects would be applied to namespace `{}` as release `{}`; nothing was sent to a cluster",
                p.docs.len(),
                t.namespace,
                t.name
            ));
        }
        return Ok(());
    }
    let mut all: Vec<InstanceRun> = Vec::new();
    for run in decided {
        printer.stderr(&runs::block(printer.err(), &run));
        all.push(run);
    }
    for job in jobs {
        let (t, p) = (&job.payload.target, &job.payload.prepared);
        printer.stdout(&format!(
            "# Instance: {} (namespace {})\n{}",
            t.name,
            t.namespace,
            stream_of(p)
        ));
        all.push(InstanceRun {
            name: t.name.clone(),
            namespace: t.namespace.clone(),
            state: State::Ok,
            revision: None,
            result: format!("{} objects", p.docs.len()),
            captured: Vec::new(),
            text: String::new(),
            error: None,
            failure: None,
            duration: std::time::Duration::ZERO,
        });
    }
    let order = targets.selected_names();
    all.sort_by_key(|r| order.iter().position(|s| s == &r.name));
    printer.stderr(&runs::summary(printer.err(), &all));
    printer.info("dry run (client): nothing was sent to a cluster");
    runs::finish(printer, &all)
}
