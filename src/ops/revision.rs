//! Deciding the next revision of a release before anything of it is written: read the history (marking
//! revisions an interrupted operation left pending as failed), check the operation makes sense, prepare the
//! objects and hooks, work out what to prune and run the preflight checks. The lifecycle core bounds all of
//! it by the command's deadline, then writes the pending record.

use super::core::{object_id, DeployOptions, Deployer, Desired, Op};
use super::hooks;
use super::lock;
use super::prune::{guard_namespace, prune_list};
use super::records::{current_deployed, load, read_history, set_status};
use crate::events;
use crate::manifest::hooks::Hook;
use crate::release::{ObjectId, Release, Status, Summary};
use crate::storage::ReleaseStore;
use anyhow::{bail, Result};
use serde_json::Value;

/// The next revision, ready to be recorded pending and applied.
pub(super) struct Next {
    /// The history as read after stale pending revisions were marked failed.
    pub history: Vec<Summary>,
    /// The deployed revision it replaces (what `--atomic` restores).
    pub previous: Option<Release>,
    pub objects: Vec<Value>,
    pub hooks: Vec<Hook>,
    pub ids: Vec<ObjectId>,
    /// Objects of the deployed revision, and of failed revisions after it, that this one no longer has.
    pub to_prune: Vec<ObjectId>,
    pub status: Status,
    pub release: Release,
}

/// Everything the core does under the lock before its first write of the new revision.
pub(super) async fn decide<S: ReleaseStore, D: Deployer>(
    store: &S,
    held: &lock::Lock,
    deployer: &D,
    op: Op,
    desired: Desired,
    opts: &DeployOptions,
) -> Result<Next> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    let mut history = read_history(store, ns, name).await?;
    let stale = history.iter().filter(|s| s.status.is_pending()).count();
    for s in history.iter().filter(|s| s.status.is_pending()) {
        held.fence(store, "marking an unfinished revision failed")
            .await?;
        events::warn(format!(
            "revision {} of `{name}` was left {} by an operation that did not finish; marking it failed",
            s.revision, s.status
        ));
        set_status(
            store,
            ns,
            name,
            s.revision,
            Status::Failed,
            Some(format!(
                "{} interrupted: the operation did not finish",
                s.status
            )),
        )
        .await?;
    }
    if stale > 0 {
        history = read_history(store, ns, name).await?;
    }
    let current = current_deployed(&history, ns, name);
    let last_rev = history.iter().map(|s| s.revision).max().unwrap_or(0);

    match op {
        Op::Install => {
            if let Some(cur) = &current {
                bail!(
                    "release `{name}` is already installed in namespace `{ns}` (revision {} is deployed)\n\nhint: use `tack upgrade {name} CHART`",
                    cur.revision
                );
            }
        }
        Op::Upgrade { install } => {
            if history.is_empty() && !install {
                bail!(
                    "release `{name}` is not installed in namespace `{ns}`\n\nhint: use `tack install`, or `tack upgrade --install`"
                );
            }
        }
        Op::Rollback(_) => {}
    }

    let previous = match &current {
        Some(cur) => match load(store, ns, name, cur.revision).await {
            Ok(r) => Some(r),
            Err(e) => {
                events::warn(format!(
                    "{e:#}; continuing without it: objects only that revision had are not pruned"
                ));
                None
            }
        },
        None => None,
    };
    let failed_since = failed_after(store, &history, current.as_ref().map(|c| c.revision)).await;
    let (plain, hook_objects) = hooks::split(desired.objects)?;
    let objects = deployer.prepare(plain, opts).await?;
    let hook_list = hooks::prepare(deployer, hook_objects, opts).await?;
    let ids: Vec<ObjectId> = objects.iter().map(object_id).collect();
    let to_prune = prune_list(previous.iter().chain(&failed_since), &ids);
    guard_namespace(&to_prune, opts)?;

    let status = match op {
        Op::Install => Status::PendingInstall,
        Op::Upgrade { .. } if current.is_none() => Status::PendingInstall,
        Op::Upgrade { .. } => Status::PendingUpgrade,
        Op::Rollback(_) => Status::PendingRollback,
    };
    let now = jiff::Timestamp::now();
    let first_deployed = previous.as_ref().map(|p| p.first_deployed).unwrap_or(now);
    let labels = match op {
        Op::Rollback(_) => desired.labels,
        _ => previous
            .as_ref()
            .map(|p| p.labels.clone())
            .unwrap_or(desired.labels),
    };
    let release = Release {
        name: name.to_string(),
        namespace: ns.to_string(),
        revision: crate::release::next_revision(name, last_rev)?,
        status,
        chart: desired.chart,
        manifest: desired.manifest,
        objects: ids.clone(),
        values: desired.values,
        layers: desired.layers,
        notes: desired.notes,
        description: format!("{} in progress", op.verb()),
        first_deployed,
        last_deployed: now,
        deleted: None,
        hooks: hooks::records(&hook_list),
        labels: crate::release::apply_labels(labels, &opts.labels),
    };
    if let Some(plan) = &opts.plan {
        super::plan::check_revision(plan, current.as_ref().map(|c| c.revision))?;
        deployer.check_plan(plan).await?;
    }
    deployer.preflight(&objects, opts).await?;
    held.fence(store, "writing the pending revision").await?;
    Ok(Next {
        history,
        previous,
        objects,
        hooks: hook_list,
        ids,
        to_prune,
        status,
        release,
    })
}

/// The failed revisions after the deployed one (all of them when none is deployed): what they created is
/// live until something prunes it, so the next revision prunes what it no longer has. A record that cannot
/// be read is named in a warning and left out.
async fn failed_after<S: ReleaseStore>(
    store: &S,
    history: &[Summary],
    deployed: Option<u64>,
) -> Vec<Release> {
    let mut out = Vec::new();
    let later = history
        .iter()
        .filter(|s| s.status == Status::Failed && deployed.is_none_or(|d| s.revision > d));
    for s in later {
        match load(store, &s.namespace, &s.name, s.revision).await {
            Ok(r) => out.push(r),
            Err(e) => events::warn(format!(
                "{e:#}; objects only failed revision {} had are not pruned",
                s.revision
            )),
        }
    }
    out
}
