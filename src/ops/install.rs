//! Install and upgrade of a rendered target: make sure its namespace exists, then hand the objects to the
//! lifecycle core, or ask the API server for a dry run that writes nothing.

use super::deploy::{self, DeployOptions, Desired, Op, Outcome};
use super::deployer::ClusterDeployer;
use super::dry_run::DryRun;
use super::render::Prepared;
use super::target::Target;
use crate::cluster;
use crate::manifest;
use crate::release::{ChartInfo, Layers, Release};
use crate::storage::secrets::SecretStore;
use crate::values::SetArg;
use anyhow::Result;

/// What the release record keeps of a target's layers: env, tier, `-f` files, the keys `--set*` flags
/// assigned, and what the files and flags gave (for `--reuse-values`; stored in the record's Secret like the
/// values themselves).
pub fn layers_record(target: &Target, prepared: &Prepared) -> Layers {
    let l = &target.layers;
    let overrides = crate::values::overrides(&prepared.resolved);
    Layers {
        env: l.env.clone(),
        tier: l.tier.clone(),
        files: l.files.iter().map(|f| f.display().to_string()).collect(),
        set_keys: set_keys(&l.sets),
        overrides: overrides
            .as_object()
            .is_some_and(|m| !m.is_empty())
            .then_some(overrides),
    }
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
            source: prepared.chart.source.clone(),
        },
        manifest: manifest::to_stream(&prepared.docs),
        objects: prepared.docs.iter().map(|d| d.object().clone()).collect(),
        values: prepared.resolved.values.clone(),
        layers,
        notes: prepared.notes.clone(),
        labels: Default::default(),
    }
}

/// What [`deploy_rendered`] did.
pub enum Deployed {
    /// A server-side dry run: what would change; nothing was written.
    DryRun(DryRun),
    /// The lifecycle core ran.
    Done(Box<Outcome>),
}

/// Deploy rendered objects as release `dopts.name` in `dopts.namespace`: make sure the namespace exists (or
/// create it), then ask the server for a dry run or run the lifecycle core. Warnings and progress are events.
pub async fn deploy_rendered(
    c: &cluster::Cluster,
    op: Op,
    desired: Desired,
    dopts: &DeployOptions,
    (create_namespace, namespace_labels): (bool, &std::collections::BTreeMap<String, String>),
    server_dry_run: bool,
    stats: bool,
) -> Result<Deployed> {
    let bound = dopts.prepare_by.as_ref();
    let state = crate::deadline::within(
        bound,
        "checking the namespace",
        cluster::namespace::ensure_namespace(
            c,
            &dopts.namespace,
            create_namespace,
            server_dry_run,
            namespace_labels,
        ),
    )
    .await?;
    if server_dry_run {
        // a dry run writes nothing, so the deadline bounds all of it
        let run = crate::deadline::within(
            bound,
            "asking the server for a dry run",
            super::dry_run::server_dry_run(c, desired.objects, dopts, state, namespace_labels),
        )
        .await?;
        return Ok(Deployed::DryRun(run));
    }
    let deployer = ClusterDeployer::new(c.clone());
    let store = SecretStore::new(c.client.clone());
    let out = deploy::run(&store, &deployer, op, desired, dopts).await;
    if stats {
        let (reads, writes) = deployer.stats.snapshot();
        crate::events::note(format!(
            "stats: object reads {reads}, object writes {writes}"
        ));
    }
    Ok(Deployed::Done(Box::new(out?)))
}

/// The lifecycle operation of `tack install` (`upgrade: None`) or `tack upgrade`.
pub fn operation(upgrade: Option<bool>) -> Op {
    match upgrade {
        None => Op::Install,
        Some(install) => Op::Upgrade { install },
    }
}
