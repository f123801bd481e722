//! `tack install` and `tack upgrade`: render, then hand the objects to the lifecycle core; dry runs print
//! the plan (client) or ask the API server (server) and write nothing.

use super::cluster_deployer::{ClusterDeployer, ClusterLookup};
use super::deploy::{self, Change, DeployOptions, Deployer, Desired, Op};
use super::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx};
use crate::cli::{DeployArgs, DryRun, InstallArgs};
use crate::cluster::{self, Target};
use crate::manifest;
use crate::output;
use crate::release::{ChartInfo, Layers, Release};
use crate::storage::secrets::SecretStore;
use crate::values::SetArg;
use anyhow::{bail, Context, Result};
use std::sync::Arc;

/// Deploy options from the flags.
pub fn deploy_options(ctx: &Ctx, name: &str, args: &DeployArgs, command: &str) -> DeployOptions {
    DeployOptions {
        namespace: ctx.namespace(),
        name: name.to_string(),
        wait: args.wait || args.atomic,
        timeout: args.timeout,
        atomic: args.atomic,
        adopt: args.adopt,
        force_conflicts: args.force_conflicts,
        history_max: args.history_max,
        wait_for_lock: args.wait_for_lock,
        allow_namespace_prune: args.allow_namespace_delete,
        command: command.to_string(),
    }
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

pub fn target(ctx: &Ctx) -> Target {
    Target {
        kubeconfig: ctx.kubeconfig.clone(),
        context: ctx.kube_context.clone(),
        connect_timeout: None,
    }
}

/// Print what an operation did, one line per object, and the notes.
pub fn print_outcome(verb: &str, release: &Release, changes: &[Change]) {
    println!(
        "{} release `{}` in namespace `{}`: revision {} {}",
        output::green(verb),
        release.name,
        release.namespace,
        release.revision,
        release.status
    );
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in changes {
        *counts.entry(c.action.as_str()).or_default() += 1;
        if c.action != "unchanged" {
            println!("  {:<12} {}", c.action, c.object);
        }
    }
    let summary: Vec<String> = counts.iter().map(|(a, n)| format!("{n} {a}")).collect();
    if !summary.is_empty() {
        println!("  ({})", summary.join(", "));
    }
    if let Some(notes) = &release.notes {
        if !notes.trim().is_empty() {
            println!("\nNOTES:\n{}", notes.trim_end());
        }
    }
}

pub fn run(ctx: &Ctx, args: &InstallArgs, sets: &[SetArg], upgrade: Option<bool>) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let op = match upgrade {
        None => Op::Install,
        Some(install) => Op::Upgrade { install },
    };
    let ns = ctx.namespace();
    let chart = load_chart(&args.chart)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let mut opts = render_options(&args.name, &ns, &args.render);
    opts.is_install = op == Op::Install;
    opts.is_upgrade = op != Op::Install;

    if args.dry_run == Some(DryRun::Client) {
        let prepared = prepare(chart, &req, &opts)?;
        print_warnings(&prepared.resolved);
        let prepared = prepared.into_result()?;
        let stream = if args.show_secrets {
            manifest::to_stream(&prepared.docs)
        } else {
            manifest::to_stream_masked(&prepared.docs)
        };
        print!("{stream}");
        eprintln!(
            "dry run (client): {} objects would be applied to namespace `{ns}` as release `{}`; nothing was sent to a cluster",
            prepared.docs.len(),
            args.name
        );
        return Ok(());
    }

    let rt = cluster::runtime()?;
    rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        if !args.render.no_lookup {
            opts.lookup = Some(Arc::new(ClusterLookup {
                client: c.client.clone(),
                handle: tokio::runtime::Handle::current(),
            }));
        }
        let prepared = tokio::task::block_in_place(|| prepare(chart, &req, &opts))?;
        print_warnings(&prepared.resolved);
        let prepared = prepared.into_result()?;
        ensure_namespace(&c, &ns, args.create_namespace, args.dry_run.is_some()).await?;

        let mut deployer = ClusterDeployer::new(c.clone());
        let dopts = deploy_options(ctx, &args.name, &args.deploy, &command_line());
        let desired = Desired {
            chart: ChartInfo {
                name: prepared.chart.meta.name.clone(),
                version: prepared.chart.meta.version.clone(),
                app_version: prepared.chart.meta.app_version.clone(),
                digest: prepared.chart.digest.clone(),
            },
            manifest: manifest::to_stream(&prepared.docs),
            objects: prepared.docs.iter().map(|d| d.object.clone()).collect(),
            values: prepared.resolved.values.clone(),
            layers: Layers {
                env: args.layers.env.clone(),
                tier: args.layers.tier.clone(),
                files: args
                    .layers
                    .files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect(),
                set_keys: sets
                    .iter()
                    .flat_map(|s| {
                        s.expr
                            .split(',')
                            .map(|kv| kv.split('=').next().unwrap_or("").to_string())
                            .collect::<Vec<_>>()
                    })
                    .collect(),
            },
            notes: prepared.notes.clone(),
        };

        if args.dry_run == Some(DryRun::Server) {
            deployer.dry_run = true;
            let objects = deployer.prepare(desired.objects, &dopts).await?;
            let changes = deployer.apply(&objects, &dopts).await?;
            println!(
                "dry run (server): release `{}` in namespace `{ns}`; nothing was written",
                args.name
            );
            for c in &changes {
                println!("  {:<12} {}", format!("{} (dry)", c.action), c.object);
            }
            return Ok(());
        }

        let store = SecretStore::new(c.client.clone());
        let out = deploy::run(&store, &deployer, op, desired, &dopts).await;
        if ctx.stats {
            let (reads, writes) = deployer.stats.snapshot();
            eprintln!("stats: object reads {reads}, object writes {writes}");
        }
        let out = out.map_err(interrupted_code)?;
        let verb = match op {
            Op::Install => "installed",
            _ if out.release.revision == 1 => "installed",
            _ => "upgraded",
        };
        print_outcome(verb, &out.release, &out.changes);
        Ok(())
    })
}

/// Ctrl-C ends with exit code 130 (after the core has recorded the failure and released the lock).
pub fn interrupted_code(e: anyhow::Error) -> anyhow::Error {
    if format!("{e}").starts_with("interrupted") {
        output::print_error(&e);
        return crate::error::reported(130, "interrupted");
    }
    e
}

/// Make sure the release namespace exists (records and the lock live there).
pub async fn ensure_namespace(
    c: &cluster::Cluster,
    ns: &str,
    create: bool,
    dry_run: bool,
) -> Result<()> {
    use k8s_openapi::api::core::v1::Namespace;
    let api: kube::Api<Namespace> = kube::Api::all(c.client.clone());
    match api.get_opt(ns).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) if create && !dry_run => {
            let obj: Namespace = serde_json::from_value(serde_json::json!({
                "metadata": {"name": ns, "labels": {"app.kubernetes.io/managed-by": "tack"}}
            }))?;
            match api.create(&Default::default(), &obj).await {
                Ok(_) => {
                    eprintln!("created namespace `{ns}`");
                    Ok(())
                }
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
                Err(e) => Err(anyhow::Error::new(e).context(format!("failed to create namespace `{ns}`"))),
            }
        }
        Ok(None) if create => Ok(()),
        Ok(None) => bail!(
            "namespace `{ns}` does not exist\n\nhint: pass --create-namespace, or choose another with -n"
        ),
        Err(e) => Err(cluster::explain_error(e, &c.server)).context(format!("failed to read namespace `{ns}`")),
    }
}
