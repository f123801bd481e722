//! Stack versions of the commands that change or read releases: install, upgrade, rollback, uninstall and
//! status. Every instance is a release in its own namespace; they run in parallel through the runner, each
//! printing one block, and a summary table ends the output. Install and upgrade render every instance and
//! pass the isolation guard before anything is written.

use super::cluster::{
    connect, for_each_rendered, instance_jobs, print_block, run_jobs, RenderedJob,
};
use super::{
    check_layer_flags, isolation, no_positionals, offline_scopes, plan, refuse, render_all,
    render_failed, skipped, Plan, RenderSpec,
};
use crate::action::cluster_deployer::ClusterDeployer;
use crate::action::deploy::Op;
use crate::action::inspect::{read_status, status_text};
use crate::action::install::{self, command_line, Deployed};
use crate::action::rollback::rollback_release;
use crate::action::uninstall::{uninstall as uninstall_release, uninstall_options, uninstall_text};
use crate::action::Ctx;
use crate::cli::{DryRun, InstallArgs, ReadFormat, RollbackArgs, StatusArgs, UninstallArgs};
use crate::manifest;
use crate::output;
use crate::release::Layers;
use crate::stack::runner::{self, block, finish, summary, Done, InstanceRun};
use crate::stack::Instance;
use crate::storage::secrets::SecretStore;
use crate::values::SetArg;
use anyhow::{bail, Result};

fn report(runs: &[InstanceRun]) -> Result<()> {
    print!("{}", summary(runs));
    use std::io::Write;
    let _ = std::io::stdout().flush();
    finish(runs)
}

fn layers_record(inst: &Instance, cli_files: &[std::path::PathBuf], sets: &[SetArg]) -> Layers {
    let all_sets: Vec<SetArg> = inst
        .set_args()
        .into_iter()
        .chain(sets.iter().cloned())
        .collect();
    Layers {
        env: inst.env.clone(),
        tier: inst.tier.clone(),
        files: inst
            .values
            .iter()
            .chain(cli_files)
            .map(|f| f.display().to_string())
            .collect(),
        set_keys: install::set_keys(&all_sets),
    }
}

/// `tack install|upgrade --all | -l | --instance`.
pub fn install(
    ctx: &Ctx,
    args: &InstallArgs,
    sets: &[SetArg],
    upgrade: Option<bool>,
) -> Result<()> {
    no_positionals(&[
        ("NAME", args.name.is_some()),
        ("CHART", args.chart.is_some()),
    ])?;
    check_layer_flags(&args.layers)?;
    let plan = plan(&args.stack)?;
    let op = install::operation(upgrade);
    let spec = RenderSpec {
        layers: &args.layers,
        sets,
        render: &args.render,
        lookup: None,
        is_install: op == Op::Install,
        is_upgrade: op != Op::Install,
    };
    if args.dry_run == Some(DryRun::Client) {
        return dry_run_client(&plan, &spec, args.show_secrets);
    }
    let command = command_line();
    let server = args.dry_run == Some(DryRun::Server);
    let (deploy, files, create) = (&args.deploy, &args.layers.files, args.create_namespace);
    let runs = for_each_rendered(
        ctx,
        &plan,
        spec,
        "nothing was written",
        print_block,
        |c, job| {
            let RenderedJob {
                instance: inst,
                prepared,
                warnings,
            } = job;
            let desired = install::desired(&prepared, layers_record(&inst, files, sets));
            let dopts = install::deploy_options_in(&inst.namespace, &inst.name, deploy, &command);
            async move {
                let mut text = warnings;
                match install::deploy_rendered(&c, op, desired, &dopts, create, server, ctx.stats)
                    .await?
                {
                    Deployed::DryRun(changes) => {
                        text.push_str(&install::dry_run_text(
                            &inst.name,
                            &inst.namespace,
                            &changes,
                        ));
                        Ok(Done {
                            revision: None,
                            result: "dry run".into(),
                            text,
                        })
                    }
                    Deployed::Done(out) => {
                        let verb = install::verb(op, &out.release);
                        text.push_str(&install::outcome_text(verb, &out.release, &out.changes));
                        Ok(Done {
                            revision: Some(out.release.revision),
                            result: verb.into(),
                            text,
                        })
                    }
                }
            }
        },
    )?;
    report(&runs)
}

/// `--dry-run` (client) over a stack: render offline, guard, print each instance's objects.
fn dry_run_client(plan: &Plan, spec: &RenderSpec, show_secrets: bool) -> Result<()> {
    let rendered = render_all(plan, spec);
    refuse(
        &isolation(plan, &rendered, &offline_scopes(&rendered)),
        "nothing was sent to a cluster",
    )?;
    let mut runs = Vec::new();
    for r in rendered.iter().filter(|r| r.selected) {
        let run = match (&r.outcome, r.failure()) {
            (Ok(p), None) => {
                let stream = if show_secrets {
                    manifest::to_stream(&p.docs)
                } else {
                    manifest::to_stream_masked(&p.docs)
                };
                print!(
                    "# Instance: {} (namespace {})\n{stream}",
                    r.instance.name, r.instance.namespace
                );
                InstanceRun {
                    result: format!("{} objects", p.docs.len()),
                    ..skipped(&r.instance, "")
                }
            }
            _ => {
                let run = render_failed(r);
                eprint!("{}", block(&run));
                run
            }
        };
        runs.push(InstanceRun {
            state: if run.error.is_some() {
                runner::State::Failed
            } else {
                runner::State::Ok
            },
            ..run
        });
    }
    eprint!("{}", summary(&runs));
    eprintln!("dry run (client): nothing was sent to a cluster");
    finish(&runs)
}

/// `tack rollback --instance NAME [REVISION]` (or `-l`, `--all`: each to its previously deployed revision).
pub fn rollback(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let mut revision = args.revision;
    if let Some(name) = &args.name {
        match name.parse::<u64>() {
            Ok(rev) if revision.is_none() => revision = Some(rev),
            _ => no_positionals(&[("NAME", true)])?,
        }
    }
    let plan = plan(&args.stack)?;
    if revision.is_some() && plan.selected.len() > 1 {
        bail!(
            "a revision number belongs to one release, but {} instances are selected ({})\n\nhint: select one with --instance NAME, or leave the revision out to roll each back to its previously deployed revision",
            plan.selected.len(),
            plan.selected.join(", ")
        );
    }
    let (rt, c) = connect(ctx)?;
    let command = command_line();
    let runs = run_jobs(
        &rt,
        &plan,
        instance_jobs(&plan),
        Vec::new(),
        print_block,
        |inst| {
            let (c, deploy, command) = (c.clone(), args.deploy.clone(), command.clone());
            async move {
                let dopts =
                    install::deploy_options_in(&inst.namespace, &inst.name, &deploy, &command);
                let (rev, out) = rollback_release(&c, revision, &dopts).await?;
                let verb = format!("rolled back to revision {rev}:");
                Ok(Done {
                    revision: Some(out.release.revision),
                    result: format!("rolled back to {rev}"),
                    text: install::outcome_text(&verb, &out.release, &out.changes),
                })
            }
        },
    );
    report(&runs)
}

/// `tack uninstall --all | -l | --instance`.
pub fn uninstall(ctx: &Ctx, args: &UninstallArgs) -> Result<()> {
    no_positionals(&[("NAME", args.name.is_some())])?;
    let plan = plan(&args.stack)?;
    let (rt, c) = connect(ctx)?;
    let (keep, wait_for_lock) = (args.keep_history, args.wait_for_lock);
    let runs = run_jobs(
        &rt,
        &plan,
        instance_jobs(&plan),
        Vec::new(),
        print_block,
        |inst| {
            let c = c.clone();
            async move {
                let store = SecretStore::new(c.client.clone());
                let deployer = ClusterDeployer::new(c.clone());
                let opts = uninstall_options(&inst.namespace, &inst.name, wait_for_lock);
                let (changes, rev) = uninstall_release(&store, &deployer, &opts, keep)
                    .await
                    .map_err(install::interrupted_code)?;
                Ok(Done {
                    revision: Some(rev),
                    result: "uninstalled".into(),
                    text: uninstall_text(&opts, rev, keep, &changes),
                })
            }
        },
    );
    report(&runs)
}

/// `tack status --all | -l | --instance`: each instance's status, or with `-o json|yaml` one list.
pub fn status(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    no_positionals(&[("NAME", args.name.is_some())])?;
    let plan = plan(&args.stack)?;
    let (rt, c) = connect(ctx)?;
    let (revision, format) = (args.revision, args.output);
    let work = |inst: Instance| {
        let c = c.clone();
        async move {
            let store = SecretStore::new(c.client.clone());
            let (release, view) =
                read_status(&store, &inst.namespace, &inst.name, revision).await?;
            let text = match format {
                ReadFormat::Table => status_text(&release, view.lock.as_deref()),
                _ => serde_json::to_string(&view)?,
            };
            Ok(Done {
                revision: Some(release.revision),
                result: release.status.as_str().to_string(),
                text,
            })
        }
    };
    if format == ReadFormat::Table {
        let runs = run_jobs(
            &rt,
            &plan,
            instance_jobs(&plan),
            Vec::new(),
            print_block,
            work,
        );
        return report(&runs);
    }
    let runs = rt.block_on(runner::run_each(
        instance_jobs(&plan),
        plan.run,
        |_| {},
        work,
    ));
    let list: Vec<serde_json::Value> = runs
        .iter()
        .map(|r| {
            serde_json::json!({
                "instance": r.name,
                "namespace": r.namespace,
                "release": serde_json::from_str::<serde_json::Value>(&r.text).ok(),
                "error": r.error.as_deref().map(output::strip_ansi),
            })
        })
        .collect();
    crate::action::inspect::print_data(format, &list)?;
    finish(&runs)
}
