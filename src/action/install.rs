//! `tack install` and `tack upgrade`: render, then hand the objects to the lifecycle core; dry runs print
//! the plan (client) or ask the API server (server) and write nothing.

use super::cluster_deployer::{ClusterDeployer, ClusterLookup};
use super::deploy::{self, Change, DeployOptions, Deployer, Desired, Op, Outcome};
use super::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx, Prepared};
use crate::cli::{DeployArgs, DryRun, InstallArgs};
use crate::cluster::{self, Target};
use crate::manifest;
use crate::output;
use crate::release::{ChartInfo, Layers, Release};
use crate::storage::secrets::SecretStore;
use crate::values::SetArg;
use anyhow::{bail, Context, Result};
use std::sync::Arc;

/// Deploy options from the flags, for a release in the namespace of `-n`.
pub fn deploy_options(ctx: &Ctx, name: &str, args: &DeployArgs, command: &str) -> DeployOptions {
    deploy_options_in(&ctx.namespace(), name, args, command)
}

/// Deploy options from the flags, for a release in `namespace`.
pub fn deploy_options_in(
    namespace: &str,
    name: &str,
    args: &DeployArgs,
    command: &str,
) -> DeployOptions {
    DeployOptions {
        namespace: namespace.to_string(),
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
    print!("{}", outcome_text(verb, release, changes));
}

/// What an operation did, one line per object, and the notes.
pub fn outcome_text(verb: &str, release: &Release, changes: &[Change]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
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
            let _ = writeln!(out, "  {:<12} {}", c.action, c.object);
        }
    }
    let summary: Vec<String> = counts.iter().map(|(a, n)| format!("{n} {a}")).collect();
    if !summary.is_empty() {
        let _ = writeln!(out, "  ({})", summary.join(", "));
    }
    if let Some(notes) = &release.notes {
        if !notes.trim().is_empty() {
            let _ = writeln!(out, "\nNOTES:\n{}", notes.trim_end());
        }
    }
    out
}

/// The lines of a server-side dry run.
pub fn dry_run_text(name: &str, ns: &str, changes: &[Change]) -> String {
    let mut out =
        format!("dry run (server): release `{name}` in namespace `{ns}`; nothing was written\n");
    for c in changes {
        out.push_str(&format!(
            "  {:<12} {}\n",
            format!("{} (dry)", c.action),
            c.object
        ));
    }
    out
}

/// The past-tense verb for a finished install or upgrade.
pub fn verb(op: Op, release: &Release) -> &'static str {
    match op {
        Op::Install => "installed",
        _ if release.revision == 1 => "installed",
        _ => "upgraded",
    }
}

/// The keys `--set*` flags assigned, for the release record (never their values).
pub fn set_keys(sets: &[SetArg]) -> Vec<String> {
    sets.iter()
        .flat_map(|s| {
            s.expr
                .split(',')
                .map(|kv| kv.split('=').next().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The release contents of a rendered chart.
pub fn desired(prepared: &Prepared, layers: Layers) -> Desired {
    Desired {
        chart: ChartInfo {
            name: prepared.chart.meta.name.clone(),
            version: prepared.chart.meta.version.clone(),
            app_version: prepared.chart.meta.app_version.clone(),
            digest: prepared.chart.digest.clone(),
        },
        manifest: manifest::to_stream(&prepared.docs),
        objects: prepared.docs.iter().map(|d| d.object.clone()).collect(),
        values: prepared.resolved.values.clone(),
        layers,
        notes: prepared.notes.clone(),
    }
}

/// What [`deploy_rendered`] did.
pub enum Deployed {
    /// A server-side dry run: what would change; nothing was written.
    DryRun(Vec<Change>),
    /// The lifecycle core ran.
    Done(Box<Outcome>),
}

/// Deploy rendered objects as release `dopts.name` in `dopts.namespace`: make sure the namespace exists (or
/// create it), then ask the server for a dry run or run the lifecycle core. Prints nothing itself; warnings
/// and progress go through `output`, so a stack can capture them per instance.
pub async fn deploy_rendered(
    c: &cluster::Cluster,
    op: Op,
    desired: Desired,
    dopts: &DeployOptions,
    create_namespace: bool,
    server_dry_run: bool,
    stats: bool,
) -> Result<Deployed> {
    ensure_namespace(c, &dopts.namespace, create_namespace, server_dry_run).await?;
    let mut deployer = ClusterDeployer::new(c.clone());
    if server_dry_run {
        deployer.dry_run = true;
        let objects = deployer.prepare(desired.objects, dopts).await?;
        return Ok(Deployed::DryRun(deployer.apply(&objects, dopts).await?));
    }
    let store = SecretStore::new(c.client.clone());
    let out = deploy::run(&store, &deployer, op, desired, dopts).await;
    if stats {
        let (reads, writes) = deployer.stats.snapshot();
        crate::output::note(format!(
            "stats: object reads {reads}, object writes {writes}"
        ));
    }
    Ok(Deployed::Done(Box::new(out.map_err(interrupted_code)?)))
}

/// The lifecycle operation of `tack install` (`upgrade: None`) or `tack upgrade`.
pub fn operation(upgrade: Option<bool>) -> Op {
    match upgrade {
        None => Op::Install,
        Some(install) => Op::Upgrade { install },
    }
}

pub fn run(ctx: &Ctx, args: &InstallArgs, sets: &[SetArg], upgrade: Option<bool>) -> Result<()> {
    if args.stack.active() {
        return super::stack::lifecycle::install(ctx, args, sets, upgrade);
    }
    let name = super::positional(&args.name, "NAME")?;
    let chart_dir = super::positional(&args.chart, "CHART")?;
    crate::release::validate_name(name)?;
    let op = operation(upgrade);
    let ns = ctx.namespace();
    let chart = load_chart(chart_dir)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let mut opts = render_options(name, &ns, &args.render);
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
            "dry run (client): {} objects would be applied to namespace `{ns}` as release `{name}`; nothing was sent to a cluster",
            prepared.docs.len(),
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
        let layers = Layers {
            env: args.layers.env.clone(),
            tier: args.layers.tier.clone(),
            files: args
                .layers
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect(),
            set_keys: set_keys(sets),
        };
        let desired = desired(&prepared, layers);
        let dopts = deploy_options(ctx, name, &args.deploy, &command_line());
        let server = args.dry_run == Some(DryRun::Server);
        match deploy_rendered(
            &c,
            op,
            desired,
            &dopts,
            args.create_namespace,
            server,
            ctx.stats,
        )
        .await?
        {
            Deployed::DryRun(changes) => print!("{}", dry_run_text(name, &ns, &changes)),
            Deployed::Done(out) => {
                print_outcome(verb(op, &out.release), &out.release, &out.changes)
            }
        }
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
                    output::note(format!("created namespace `{ns}`"));
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
