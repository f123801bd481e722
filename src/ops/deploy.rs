//! The lifecycle core shared by install, upgrade and rollback: take the lock, record a pending revision,
//! apply, prune, wait, then commit the new revision and supersede the old one; on failure mark it failed and
//! (with `--atomic`) restore the previous revision. Generic over the store and the cluster side, so it is
//! unit-tested on an in-memory store and a fake deployer.

pub use super::core::{object_id, Change, DeployOptions, Deployer, Desired, Op, Outcome};
use super::hooks;
use super::lock;
use super::records::prune_history;
pub use super::records::{current_deployed, load, read_history, set_status};
use crate::events;
use crate::manifest::hooks::Event;
pub use crate::release::manifest_objects;
use crate::release::{HookRun, ObjectId, Release, Status};
use crate::storage::{ReleaseStore, StoreError};
use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::time::Duration;

/// Run `op` under the release lock. Ctrl-C or a lost lock marks the pending revision failed and releases
/// the lock before returning.
pub async fn run<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    op: Op,
    desired: Desired,
    opts: &DeployOptions,
) -> Result<Outcome> {
    crate::release::validate_name(&opts.name)?;
    let held = lock::acquire(
        store,
        &opts.namespace,
        &opts.name,
        &opts.command,
        opts.wait_for_lock,
    )
    .await?;
    let pending: Cell<Option<u64>> = Cell::new(None);
    let mut result = held
        .guard(
            store,
            locked(store, &held, deployer, op, desired, opts, &pending),
        )
        .await;
    if let (Err(e), Some(rev)) = (&result, pending.get()) {
        // the operation stopped half-way: record that, within a bounded time
        let mark = set_status(
            store,
            &opts.namespace,
            &opts.name,
            rev,
            Status::Failed,
            Some(format!("{} failed: {e:#}", op.verb())),
        );
        let unmarked = match tokio::time::timeout(Duration::from_secs(2), mark).await {
            Ok(Ok(_)) => false,
            Ok(Err(err)) => {
                events::warn(format!("could not mark revision {rev} failed: {err:#}"));
                true
            }
            Err(_) => {
                events::warn(format!("could not mark revision {rev} failed in time"));
                true
            }
        };
        if unmarked {
            let (ns, name) = (&opts.namespace, &opts.name);
            result = result.map_err(|e| {
                e.context(format!(
                    "revision {rev} of `{name}` is left pending: the next operation on it marks it failed (`tack status {name} -n {ns}` shows it)"
                ))
            });
        }
    }
    held.release_or_warn(store).await;
    result
}

async fn locked<S: ReleaseStore, D: Deployer>(
    store: &S,
    held: &lock::Lock,
    deployer: &D,
    op: Op,
    desired: Desired,
    opts: &DeployOptions,
    pending: &Cell<Option<u64>>,
) -> Result<Outcome> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    let history = read_history(store, ns, name).await?;
    for s in history.iter().filter(|s| s.status.is_pending()) {
        held.fence(store, "marking an unfinished revision failed")
            .await?;
        events::warn(format!(
            "revision {} of `{name}` was left {} by an operation that did not finish; marking it failed",
            s.revision, s.status
        ));
        set_status(
            store,
            &opts.namespace,
            &opts.name,
            s.revision,
            Status::Failed,
            Some(format!(
                "{} interrupted: the operation did not finish",
                s.status
            )),
        )
        .await?;
    }
    let history = read_history(store, ns, name).await?;
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
    let (plain, hook_objects) = hooks::split(desired.objects)?;
    let objects = deployer.prepare(plain, opts).await?;
    let hook_list = hooks::prepare(deployer, hook_objects, opts).await?;
    let ids: Vec<ObjectId> = objects.iter().map(object_id).collect();
    let to_prune = prune_list(previous.as_ref(), &ids);
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
    let mut release = Release {
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
    held.fence(store, "writing the pending revision").await?;
    match store.create(&release).await {
        Ok(_) => {}
        Err(StoreError::AlreadyExists(w)) => bail!(
            "{w}: another operation created revision {} at the same time\n\nhint: run `tack history {name} -n {ns}` and retry",
            release.revision
        ),
        Err(e) => return Err(anyhow!(e)),
    }
    pending.set(Some(release.revision));

    let (pre, post) = hook_events(op, status);
    let mut runs: Vec<(ObjectId, HookRun)> = Vec::new();
    // --timeout bounds the hooks, applying, pruning and waiting, however slow each request is
    let applied = tokio::time::timeout(opts.timeout, async {
        if !opts.no_hooks {
            hooks::run_event(deployer, &hook_list, pre, opts, &mut runs).await?;
        }
        let changes =
            apply_revision((store, held), deployer, &objects, &ids, &to_prune, opts).await?;
        if !opts.no_hooks {
            hooks::run_event(deployer, &hook_list, post, opts, &mut runs).await?;
        }
        Ok::<_, anyhow::Error>(changes)
    })
    .await
    .unwrap_or_else(|_| {
        Err(anyhow!(
            "timed out after {}s applying revision {} (--timeout): the API server answered too slowly or the objects were not ready in time",
            opts.timeout.as_secs(),
            release.revision
        ))
    });
    if !runs.is_empty() {
        if let Err(e) =
            super::records::record_hook_runs(store, (ns, name), release.revision, &runs).await
        {
            events::warn(format!("could not record the hook runs: {e:#}"));
        }
    }
    match applied {
        Ok(changes) => {
            held.fence(store, "recording the revision deployed").await?;
            let description = match op {
                _ if opts.description.is_some() => opts.description.clone().unwrap_or_default(),
                Op::Rollback(to) => format!("rollback to revision {to} complete"),
                _ if status == Status::PendingInstall => "install complete".to_string(),
                _ => "upgrade complete".to_string(),
            };
            release = set_status(
                store,
                &opts.namespace,
                &opts.name,
                release.revision,
                Status::Deployed,
                Some(description),
            )
            .await?;
            pending.set(None);
            // every earlier deployed revision (normally one; more in a damaged history) is superseded now
            for old in history.iter().filter(|s| s.status == Status::Deployed) {
                if let Err(e) = set_status(
                    store,
                    &opts.namespace,
                    &opts.name,
                    old.revision,
                    Status::Superseded,
                    None,
                )
                .await
                {
                    events::warn(format!(
                        "could not mark revision {} superseded: {e:#}",
                        old.revision
                    ));
                }
            }
            prune_history(
                store,
                (&opts.namespace, &opts.name),
                opts.history_max,
                release.revision,
            )
            .await;
            Ok(Outcome { release, changes })
        }
        Err(err) => {
            let failed_desc = format!("{} failed: {err:#}", op.verb());
            set_status(
                store,
                &opts.namespace,
                &opts.name,
                release.revision,
                Status::Failed,
                Some(failed_desc.clone()),
            )
            .await?;
            pending.set(None);
            if !opts.atomic {
                prune_history(
                    store,
                    (&opts.namespace, &opts.name),
                    opts.history_max,
                    release.revision,
                )
                .await;
                return Err(err);
            }
            let restored = restore(
                (store, held),
                deployer,
                previous.as_ref(),
                &ids,
                opts,
                release.revision,
            )
            .await;
            prune_history(
                store,
                (&opts.namespace, &opts.name),
                opts.history_max,
                release.revision,
            )
            .await;
            match restored {
                Ok(msg) => Err(err.context(format!("--atomic: {msg}"))),
                Err(rollback_err) => {
                    // the record says both, so `tack status` explains what is live
                    let both = format!(
                        "{failed_desc}; the automatic rollback failed too: {rollback_err:#}; live objects may be a mix of revisions {} and {}",
                        previous.as_ref().map_or(0, |p| p.revision),
                        release.revision
                    );
                    if let Err(e) = set_status(
                        store,
                        ns,
                        name,
                        release.revision,
                        Status::Failed,
                        Some(both),
                    )
                    .await
                    {
                        events::warn(format!("could not record the failed rollback: {e:#}"));
                    }
                    Err(anyhow!(
                    "{} failed: {err:#}\n\nand the automatic rollback failed too: {rollback_err:#}\n\nrelease `{name}` is left failed\n\nhint: inspect with `tack status {name} -n {ns}`, then roll back by hand with `tack rollback {name}`",
                    op.verb()
                ))
                }
            }
        }
    }
}

/// The events whose hooks run before and after the objects are applied.
fn hook_events(op: Op, status: Status) -> (Event, Event) {
    match op {
        Op::Rollback(_) => (Event::PreRollback, Event::PostRollback),
        _ if status == Status::PendingInstall => (Event::PreInstall, Event::PostInstall),
        _ => (Event::PreUpgrade, Event::PostUpgrade),
    }
}

/// Apply, prune, wait; the lock is checked before each write.
async fn apply_revision<S: ReleaseStore, D: Deployer>(
    (store, held): (&S, &lock::Lock),
    deployer: &D,
    objects: &[Value],
    ids: &[ObjectId],
    to_prune: &[ObjectId],
    opts: &DeployOptions,
) -> Result<Vec<Change>> {
    held.fence(store, "applying").await?;
    let mut changes = deployer.apply(objects, opts).await?;
    if !to_prune.is_empty() {
        held.fence(store, "pruning").await?;
        changes.extend(deployer.delete(to_prune, opts).await?);
    }
    if opts.wait {
        deployer.wait(ids, opts.timeout).await?;
    }
    Ok(changes)
}

/// `--atomic`: put the previous revision back (or remove what a failed install created).
async fn restore<S: ReleaseStore, D: Deployer>(
    (store, held): (&S, &lock::Lock),
    deployer: &D,
    previous: Option<&Release>,
    failed_ids: &[ObjectId],
    opts: &DeployOptions,
    failed_rev: u64,
) -> Result<String> {
    let Some(prev) = previous else {
        held.fence(store, "removing the failed install").await?;
        deployer.delete(failed_ids, opts).await?;
        return Ok("removed the objects of the failed install".into());
    };
    // hooks do not run when an operation is undone; only the previous revision's objects come back
    let (objects, _) = hooks::split(manifest_objects(prev)?)?;
    let objects = deployer.prepare(objects, opts).await?;
    let ids: Vec<ObjectId> = objects.iter().map(object_id).collect();
    let extra: Vec<ObjectId> = failed_ids
        .iter()
        .filter(|o| !ids.contains(o))
        .cloned()
        .collect();
    apply_revision((store, held), deployer, &objects, &ids, &extra, opts).await?;
    // the previous revision is live again and still recorded as deployed
    set_status(
        store,
        &opts.namespace,
        &opts.name,
        prev.revision,
        Status::Deployed,
        Some(format!("restored after revision {failed_rev} failed")),
    )
    .await?;
    Ok(format!("rolled back to revision {}", prev.revision))
}

/// Objects of the previous revision that the new one no longer has.
fn prune_list(previous: Option<&Release>, ids: &[ObjectId]) -> Vec<ObjectId> {
    let keep: BTreeSet<&ObjectId> = ids.iter().collect();
    previous
        .map(|p| {
            p.objects
                .iter()
                .filter(|o| !keep.contains(o))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Refuse to prune the Namespace that holds the release records (they would go with it).
fn guard_namespace(to_prune: &[ObjectId], opts: &DeployOptions) -> Result<()> {
    if opts.allow_namespace_prune {
        return Ok(());
    }
    if to_prune
        .iter()
        .any(|o| o.kind == "Namespace" && o.name == opts.namespace)
    {
        bail!(
            "the chart no longer renders Namespace `{}`, which holds the records of release `{}`; pruning it would delete the release history\n\nhint: keep rendering the Namespace, or pass --allow-namespace-delete if that is really what you want",
            opts.namespace,
            opts.name
        );
    }
    Ok(())
}

#[cfg(test)]
#[path = "deploy_tests.rs"]
mod tests;
