//! `tack uninstall`: delete a release's objects in reverse install order, then its records (or mark the
//! latest one uninstalled with `--keep-history`).

use super::cluster_deployer::ClusterDeployer;
use super::deploy::{self, Change, DeployOptions, Deployer};
use super::install::{command_line, target};
use super::{lock, Ctx};
use crate::cli::UninstallArgs;
use crate::cluster;
use crate::output;
use crate::release::{ObjectId, Status};
use crate::storage::secrets::SecretStore;
use crate::storage::ReleaseStore;
use anyhow::{bail, Result};
use std::collections::BTreeSet;

/// Uninstall under the release lock. Returns what happened to each object and the revision uninstalled.
pub async fn uninstall<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
    keep_history: bool,
) -> Result<(Vec<Change>, u64)> {
    let held = lock::acquire(
        store,
        &opts.namespace,
        &opts.name,
        &opts.command,
        opts.wait_for_lock,
    )
    .await?;
    let result = held
        .guard(store, locked(store, deployer, opts, keep_history))
        .await;
    held.release_or_warn(store).await;
    result
}

async fn locked<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
    keep_history: bool,
) -> Result<(Vec<Change>, u64)> {
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
    for s in history.iter().filter(|s| s.revision >= from) {
        match deploy::load(store, ns, name, s.revision).await {
            Ok(r) => {
                for o in r.objects {
                    if seen.insert(o.clone()) {
                        objects.push(o);
                    }
                }
            }
            Err(e) => output::warn(format!("{e:#}; its objects are not deleted")),
        }
    }
    deploy::set_status(
        store,
        opts,
        latest.revision,
        Status::Uninstalling,
        Some("uninstall in progress".into()),
    )
    .await?;
    let changes = deployer.delete(&objects, opts).await?;
    if keep_history {
        deploy::set_status(
            store,
            opts,
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

/// The options of an uninstall of release `name` in `namespace`.
pub fn uninstall_options(
    namespace: &str,
    name: &str,
    wait_for_lock: Option<std::time::Duration>,
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
        command: command_line(),
    }
}

/// What an uninstall did, one line per object.
pub fn uninstall_text(
    opts: &DeployOptions,
    rev: u64,
    keep_history: bool,
    changes: &[Change],
) -> String {
    let mut out = format!(
        "{} release `{}` in namespace `{}` (revision {rev}){}\n",
        output::green("uninstalled"),
        opts.name,
        opts.namespace,
        if keep_history { "; history kept" } else { "" }
    );
    for c in changes {
        out.push_str(&format!("  {:<12} {}\n", c.action, c.object));
    }
    out
}

pub fn run(ctx: &Ctx, args: &UninstallArgs) -> Result<()> {
    if args.stack.active() {
        return super::stack::lifecycle::uninstall(ctx, args);
    }
    let name = super::positional(&args.name, "NAME")?;
    crate::release::validate_name(name)?;
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        let store = SecretStore::new(c.client.clone());
        let deployer = ClusterDeployer::new(c.clone());
        let opts = uninstall_options(&ctx.namespace(), name, args.wait_for_lock);
        let (changes, rev) = uninstall(&store, &deployer, &opts, args.keep_history)
            .await
            .map_err(super::install::interrupted_code)?;
        print!(
            "{}",
            uninstall_text(&opts, rev, args.keep_history, &changes)
        );
        Ok(())
    })
}
