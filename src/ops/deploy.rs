//! The lifecycle core shared by install, upgrade and rollback: take the lock, record a pending revision,
//! apply, prune, wait, then commit the new revision and supersede the old one; on failure mark it failed and
//! (with `--atomic`) restore the previous revision. Generic over the store and the cluster side, so it is
//! unit-tested on an in-memory store and a fake deployer.

pub use super::core::{object_id, Change, DeployOptions, Deployer, Desired, Op, Outcome};
use super::hooks;
use super::lock;
use super::prune::not_in;
pub use super::records::{current_deployed, load, read_history, set_status};
use super::records::{prune_history, set_status_of};
use crate::events;
use crate::manifest::hooks::Event;
pub use crate::release::manifest_objects;
use crate::release::{HookRun, ObjectId, Release, Status};
use crate::storage::{ReleaseStore, StoreError};
use anyhow::{anyhow, bail, Result};
use serde_json::Value;
use std::cell::Cell;
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
    let held = lock::acquire_for(store, opts).await?;
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
    let next = crate::deadline::within(
        opts.prepare_by.as_ref(),
        "reading the release history and preparing the revision",
        super::revision::decide(store, held, deployer, op, desired, opts),
    )
    .await?;
    let super::revision::Next {
        history,
        previous,
        objects,
        hooks: hook_list,
        ids,
        to_prune,
        status,
        mut release,
    } = next;
    // the record as this operation wrote it, while nobody else has written it since
    let mut written = match store.create(&release).await {
        Ok(version) => Some(version),
        Err(StoreError::AlreadyExists(w)) => bail!(
            "{w}: another operation created revision {} at the same time\n\nhint: run `tack history {name} -n {ns}` and retry",
            release.revision
        ),
        Err(e) => return Err(anyhow!(e)),
    };
    pending.set(Some(release.revision));
    // under the lock the release has the revisions read before and this one
    let kept = (opts.history_max, history.len() + 1);

    let (pre, post) = hook_events(op, status);
    let mut runs: Vec<(ObjectId, HookRun)> = Vec::new();
    // --timeout bounds the hooks, applying, pruning and waiting, however slow each request is
    let deadline = tokio::time::Instant::now() + opts.timeout;
    let applied = tokio::time::timeout(opts.timeout, async {
        if !opts.no_hooks {
            hooks::run_event(deployer, &hook_list, pre, opts, &mut runs).await?;
        }
        let changes =
            apply_revision((store, held), deployer, &objects, (&ids, &to_prune), opts, deadline)
                .await?;
        if !opts.no_hooks {
            hooks::run_event(deployer, &hook_list, post, opts, &mut runs).await?;
        }
        Ok::<_, anyhow::Error>(changes)
    })
    .await
    .unwrap_or_else(|_| {
        let server = match opts.prepare_by.as_ref().map(|d| d.server.as_str()) {
            Some(s) if !s.is_empty() => format!("the API server at `{s}`"),
            _ => "the API server".to_string(),
        };
        Err(anyhow!(
            "timed out after {}s applying revision {} (--timeout): {server} answered too slowly or the objects were not ready in time",
            opts.timeout.as_secs(),
            release.revision
        ))
    });
    if !runs.is_empty() {
        written = None;
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
            release = set_status_of(
                store,
                (&release, written.as_deref()),
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
            prune_history(store, (ns, name), kept, release.revision).await;
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
                prune_history(store, (ns, name), kept, release.revision).await;
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
            prune_history(store, (ns, name), kept, release.revision).await;
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

/// Apply, prune, wait until `deadline` (a little before, so the wait's own report of what is not ready
/// comes out rather than a bare timeout); the lock is checked before each write.
async fn apply_revision<S: ReleaseStore, D: Deployer>(
    (store, held): (&S, &lock::Lock),
    deployer: &D,
    objects: &[Value],
    (ids, to_prune): (&[ObjectId], &[ObjectId]),
    opts: &DeployOptions,
    deadline: tokio::time::Instant,
) -> Result<Vec<Change>> {
    held.fence(store, "applying").await?;
    let mut changes = deployer.apply(objects, opts).await?;
    if !to_prune.is_empty() {
        held.fence(store, "pruning").await?;
        changes.extend(deployer.delete(to_prune, opts).await?);
    }
    if opts.wait {
        let (wait, skipped) =
            super::wait_scope::wait_targets(objects, ids, opts.wait_skip_load_balancers);
        if !skipped.is_empty() {
            let names: Vec<String> = skipped.iter().map(ToString::to_string).collect();
            events::note(format!(
                "not waiting for {} (type LoadBalancer, --wait-skip-load-balancers)",
                names.join(", ")
            ));
        }
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let margin = (left / 10).min(Duration::from_secs(1));
        deployer.wait(&wait, left - margin).await?;
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
    let extra = not_in(failed_ids, &ids);
    let deadline = tokio::time::Instant::now() + opts.timeout;
    apply_revision(
        (store, held),
        deployer,
        &objects,
        (&ids, &extra),
        opts,
        deadline,
    )
    .await?;
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

#[cfg(test)]
#[path = "deploy_tests.rs"]
mod tests;
