//! Uninstall: delete a release's objects in reverse install order, then its records (or mark the
//! latest one uninstalled with `--keep-history`).

use super::deploy::{self, Change, DeployOptions, Deployer};
use super::deployer::ClusterDeployer;
use super::hooks;
use super::lock;
use crate::cluster::Cluster;
use crate::events;
use crate::manifest::hooks::Event;
use crate::manifest::hooks::Hook;
use crate::release::{ObjectId, Status, Summary};
use crate::storage::secrets::SecretStore;
use crate::storage::ReleaseStore;
use anyhow::{bail, Result};
use std::collections::BTreeSet;

/// Uninstall release `opts.name` from the cluster: its objects, then its records.
pub async fn uninstall_release(
    c: &Cluster,
    opts: &DeployOptions,
    keep_history: bool,
) -> Result<(Vec<Change>, u64)> {
    let store = SecretStore::new(c.client.clone());
    let deployer = ClusterDeployer::new(c.clone());
    uninstall(&store, &deployer, opts, keep_history).await
}

/// Uninstall under the release lock. Returns what happened to each object and the revision uninstalled.
pub async fn uninstall<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
    keep_history: bool,
) -> Result<(Vec<Change>, u64)> {
    let held = lock::acquire_for(store, opts).await?;
    let result = held
        .guard(store, locked(store, &held, deployer, opts, keep_history))
        .await;
    held.release_or_warn(store).await;
    result
}

async fn locked<S: ReleaseStore, D: Deployer>(
    store: &S,
    held: &lock::Lock,
    deployer: &D,
    opts: &DeployOptions,
    keep_history: bool,
) -> Result<(Vec<Change>, u64)> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    let (history, latest, objects, hook_list) = crate::deadline::within(
        opts.prepare_by.as_ref(),
        "reading the release history",
        gather(store, deployer, opts),
    )
    .await?;
    let mut runs = Vec::new();
    if !opts.no_hooks {
        // a failing pre-delete hook stops the uninstall before anything is deleted
        hooks::run_event(deployer, &hook_list, Event::PreDelete, opts, &mut runs).await?;
    }
    held.fence(store, "recording the uninstall").await?;
    deploy::set_status(
        store,
        &opts.namespace,
        &opts.name,
        latest.revision,
        Status::Uninstalling,
        Some("uninstall in progress".into()),
    )
    .await?;
    held.fence(store, "deleting objects").await?;
    let changes = deployer.delete(&objects, opts).await?;
    if !opts.no_hooks {
        hooks::run_event(deployer, &hook_list, Event::PostDelete, opts, &mut runs).await?;
    }
    held.fence(store, "recording the uninstall complete")
        .await?;
    if keep_history {
        deploy::set_status(
            store,
            &opts.namespace,
            &opts.name,
            latest.revision,
            Status::Uninstalled,
            Some("uninstall complete".into()),
        )
        .await?;
    } else {
        for s in &history {
            store.delete(ns, name, s.revision).await?;
        }
    }
    Ok((changes, latest.revision))
}

/// What an uninstall deletes, read before anything is written: the history, its latest revision, the
/// objects of the deployed revision and of any later one, and the deployed revision's hooks.
#[allow(clippy::type_complexity)]
async fn gather<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
) -> Result<(Vec<Summary>, Summary, Vec<ObjectId>, Vec<Hook>)> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    let history = deploy::read_history(store, ns, name).await?;
    let Some(latest) = history.last().cloned() else {
        bail!("release `{name}` is not installed in namespace `{ns}`\n\nhint: see `tack list -A`");
    };
    if latest.status == Status::Uninstalled {
        bail!("release `{name}` is already uninstalled (its history was kept)");
    }
    // the deployed revision's objects, plus anything later (failed or interrupted) revisions created
    let from = deploy::current_deployed(&history, ns, name)
        .map(|s| s.revision)
        .unwrap_or(latest.revision);
    let mut objects: Vec<ObjectId> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut hook_list = Vec::new();
    for s in history.iter().filter(|s| s.revision >= from) {
        match deploy::load(store, ns, name, s.revision).await {
            Ok(r) => {
                if s.revision == from {
                    hook_list = hooks::of_manifest(deploy::manifest_objects(&r)?)?;
                }
                // hook objects left by earlier runs go with the release (delete hooks run below)
                let leftovers = r.hooks.iter().filter(|h| {
                    !h.spec.runs_at(Event::PreDelete) && !h.spec.runs_at(Event::PostDelete)
                });
                let leftovers: Vec<ObjectId> = leftovers.map(|h| h.object.clone()).collect();
                for o in r.objects.into_iter().chain(leftovers) {
                    if seen.insert(o.clone()) {
                        objects.push(o);
                    }
                }
            }
            Err(e) => events::warn(format!("{e:#}; its objects are not deleted")),
        }
    }
    let hook_list = hooks::prepare(deployer, hook_list, opts).await?;
    Ok((history, latest, objects, hook_list))
}

/// The options of an uninstall of release `name` in `namespace`.
pub fn uninstall_options(
    namespace: &str,
    name: &str,
    wait_for_lock: Option<std::time::Duration>,
    command: &str,
) -> DeployOptions {
    DeployOptions {
        namespace: namespace.to_string(),
        name: name.to_string(),
        wait: false,
        timeout: std::time::Duration::from_secs(300),
        atomic: false,
        adopt: false,
        force_conflicts: false,
        history_max: 0,
        wait_for_lock,
        allow_namespace_prune: true,
        command: command.to_string(),
        no_hooks: false,
        plan: None,
        delete_crds: false,
        wait_skip_load_balancers: false,
        description: None,
        labels: Vec::new(),
        prepare_by: None,
    }
}
