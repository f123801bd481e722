//! Reading and changing release records on behalf of the lifecycle commands: history with warnings, the
//! current deployed revision, status changes that re-read on conflict, and history pruning.

use crate::events;
use crate::release::{Release, Status, Summary};
use crate::storage::{ReleaseStore, StoreError};
use anyhow::{anyhow, bail, Context, Result};

/// History with warnings printed.
pub async fn read_history<S: ReleaseStore>(
    store: &S,
    ns: &str,
    name: &str,
) -> Result<Vec<Summary>> {
    let (history, warnings) = store.history(ns, name).await?;
    for w in warnings {
        events::warn(w);
    }
    Ok(history)
}

/// The deployed revision; with several (a damaged history), the newest, with a warning naming the others.
pub fn current_deployed(history: &[Summary], ns: &str, name: &str) -> Option<Summary> {
    let deployed: Vec<&Summary> = history
        .iter()
        .filter(|s| s.status == Status::Deployed)
        .collect();
    if deployed.len() > 1 {
        let revs: Vec<String> = deployed.iter().map(|s| s.revision.to_string()).collect();
        events::warn(format!(
            "release `{name}` in `{ns}` has several deployed revisions ({}); treating the newest as current",
            revs.join(", ")
        ));
    }
    deployed.last().map(|s| (*s).clone())
}

/// Load and decode a revision.
pub async fn load<S: ReleaseStore>(store: &S, ns: &str, name: &str, rev: u64) -> Result<Release> {
    Ok(store
        .get(ns, name, rev)
        .await?
        .with_context(|| {
            format!("revision {rev} of release `{name}` does not exist in namespace `{ns}`")
        })?
        .release)
}

/// Change a revision's status, re-reading and retrying when someone else wrote it in between.
pub async fn set_status<S: ReleaseStore>(
    store: &S,
    ns: &str,
    name: &str,
    rev: u64,
    status: Status,
    description: Option<String>,
) -> Result<Release> {
    let mut last_err = None;
    for _ in 0..5 {
        let stored = store
            .get(ns, name, rev)
            .await?
            .with_context(|| format!("revision {rev} of release `{name}` vanished"))?;
        let mut r = stored.release;
        restate(&mut r, status, description.as_deref());
        match store.update(&r, &stored.version).await {
            Ok(_) => return Ok(r),
            Err(StoreError::Conflict(w)) => last_err = Some(w),
            Err(e) => return Err(anyhow!(e)),
        }
    }
    bail!(
        "{} kept changing while tack tried to mark it {status}; giving up after 5 attempts",
        last_err.unwrap_or_default()
    )
}

/// [`set_status`] of `release`, which this operation wrote itself as `version` (`None` when someone may have
/// written it since): written back without reading it first (a large manifest is not fetched and decoded
/// again), and re-read only if someone else wrote it in between.
pub async fn set_status_of<S: ReleaseStore>(
    store: &S,
    (release, version): (&Release, Option<&str>),
    status: Status,
    description: Option<String>,
) -> Result<Release> {
    let (ns, name, rev) = (&release.namespace, &release.name, release.revision);
    let Some(version) = version else {
        return set_status(store, ns, name, rev, status, description).await;
    };
    let mut r = release.clone();
    restate(&mut r, status, description.as_deref());
    match store.update(&r, version).await {
        Ok(_) => Ok(r),
        Err(StoreError::Conflict(_)) => set_status(store, ns, name, rev, status, description).await,
        Err(e) => Err(anyhow!(e)),
    }
}

/// What changing a revision's status to `status` changes in its record.
fn restate(r: &mut Release, status: Status, description: Option<&str>) {
    r.status = status;
    if let Some(d) = description {
        r.description = d.to_string();
    }
    if status == Status::Deployed || status == Status::Failed {
        r.last_deployed = jiff::Timestamp::now();
    }
    if status == Status::Uninstalled {
        r.deleted = Some(jiff::Timestamp::now());
    }
}

/// Record the runs of hooks in revision `rev`, re-reading on conflict.
pub async fn record_hook_runs<S: ReleaseStore>(
    store: &S,
    (ns, name): (&str, &str),
    rev: u64,
    runs: &[(crate::release::ObjectId, crate::release::HookRun)],
) -> Result<Release> {
    for _ in 0..5 {
        let stored = store
            .get(ns, name, rev)
            .await?
            .with_context(|| format!("revision {rev} of release `{name}` vanished"))?;
        let mut r = stored.release;
        super::hooks::apply_runs(&mut r.hooks, runs);
        match store.update(&r, &stored.version).await {
            Ok(_) => return Ok(r),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(anyhow!(e)),
        }
    }
    bail!("revision {rev} of `{name}` kept changing while tack tried to record its hook runs")
}

/// Delete the oldest revisions beyond `history_max`, never the current deployed one nor `keep`. `revisions`
/// is how many the release has as far as the caller knows under the lock (the history it read plus the
/// revision it created): the history is listed only when that exceeds `history_max`.
pub(super) async fn prune_history<S: ReleaseStore>(
    store: &S,
    (ns, name): (&str, &str),
    (history_max, revisions): (usize, usize),
    keep: u64,
) {
    if history_max == 0 || revisions <= history_max {
        return;
    }
    let Ok((history, _)) = store.history(ns, name).await else {
        return;
    };
    let deployed = history
        .iter()
        .filter(|s| s.status == Status::Deployed)
        .map(|s| s.revision)
        .max();
    let mut excess = history.len().saturating_sub(history_max);
    for s in &history {
        if excess == 0 {
            break;
        }
        if s.revision == keep || Some(s.revision) == deployed || s.status.is_pending() {
            continue;
        }
        if let Err(e) = store.delete(ns, name, s.revision).await {
            events::warn(format!(
                "could not prune revision {} of `{name}`: {e:#}",
                s.revision
            ));
            return;
        }
        excess -= 1;
    }
}
