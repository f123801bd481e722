//! Holding a release's operation lock: take it (or wait for it, or explain who holds it), keep it alive
//! while the operation runs, and give it back.

use crate::error::Interrupted;
use crate::events;
use crate::storage::{Acquire, Holder, LockState, ReleaseStore, LOCK_TTL};
use anyhow::{bail, Result};
use std::time::{Duration, Instant};

/// A held lock. Call [`Lock::release`] when done; the renewal loop stops with it.
pub struct Lock {
    pub namespace: String,
    pub name: String,
    pub holder: Holder,
    /// Set when a stale lock was taken over.
    pub took_over: Option<LockState>,
    ttl: Duration,
    /// The version this operation last wrote; held while renewing so a fence never sees a half-done renewal.
    version: tokio::sync::Mutex<String>,
}

/// Describe a held lock for an error message.
pub fn describe(state: &LockState) -> String {
    let now = jiff::Timestamp::now();
    let age = now.duration_since(state.renewed).as_secs_f64().max(0.0);
    format!(
        "{} (last renewed {:.0}s ago by its clock, expires after {}s without renewal)",
        state.holder,
        age,
        state.ttl.as_secs()
    )
}

/// Watches a lock held by someone else on this machine's monotonic clock: a lock is stale once the same
/// version (the same write) has been seen for longer than its time to live. The holder's clock is never
/// compared with ours, so clock skew cannot make a live lock look expired.
#[derive(Default)]
pub struct Watch {
    seen: Option<(String, String, Instant)>,
}

impl Watch {
    /// Record an observation; true when the lock is stale: its holder's process is certainly gone, or it has
    /// not changed for longer than its time to live since this watch first saw it.
    pub fn stale(&mut self, state: &LockState) -> bool {
        if state.holder.gone() {
            return true;
        }
        let key = (state.holder.id.clone(), state.version.clone());
        match &self.seen {
            Some((id, v, since)) if (id, v) == (&key.0, &key.1) => since.elapsed() > state.ttl,
            _ => {
                self.seen = Some((key.0, key.1, Instant::now()));
                false
            }
        }
    }
}

/// How soon a renewal that found no server is tried again.
const RENEW_RETRY: Duration = Duration::from_secs(1);

/// How often a lock held by someone else is looked at.
fn poll_interval(ttl: Duration) -> Duration {
    (ttl / 10).clamp(Duration::from_millis(50), Duration::from_millis(500))
}

/// Judge a lock held by someone else by watching it, taking at most `budget` (at least one time to live when
/// its own timestamps say it is overdue, so a stale lock is confirmed rather than refused). Returns the
/// latest state and whether it is stale.
pub async fn judge<S: ReleaseStore>(
    store: &S,
    namespace: &str,
    name: &str,
    state: LockState,
    budget: Duration,
) -> Result<Option<(LockState, bool)>> {
    let mut watch = Watch::default();
    let mut state = state;
    let start = Instant::now();
    let budget = budget.max(overdue_budget(&state));
    loop {
        if watch.stale(&state) {
            return Ok(Some((state, true)));
        }
        if start.elapsed() >= budget {
            return Ok(Some((state, false)));
        }
        tokio::time::sleep(poll_interval(state.ttl)).await;
        match store.read_lock(namespace, name).await? {
            Some(s) => state = s,
            None => return Ok(None),
        }
    }
}

/// Long enough to see a renewal of a lock whose timestamps say it is overdue; zero otherwise.
fn overdue_budget(state: &LockState) -> Duration {
    if state.looks_expired(jiff::Timestamp::now()) {
        state.ttl + poll_interval(state.ttl) * 3
    } else {
        Duration::ZERO
    }
}

/// [`acquire`] the lock of the release `opts` names, within the command's deadline before the first write
/// (`opts.prepare_by`).
pub async fn acquire_for<S: ReleaseStore>(
    store: &S,
    opts: &super::core::DeployOptions,
) -> Result<Lock> {
    crate::deadline::within(
        opts.prepare_by.as_ref(),
        "taking the release lock",
        acquire(
            store,
            &opts.namespace,
            &opts.name,
            &opts.command,
            opts.wait_for_lock,
        ),
    )
    .await
}

/// Take the lock of `namespace/name` for `command`, waiting up to `wait` for a live holder to finish.
pub async fn acquire<S: ReleaseStore>(
    store: &S,
    namespace: &str,
    name: &str,
    command: &str,
    wait: Option<Duration>,
) -> Result<Lock> {
    let holder = Holder::current(command);
    let start = Instant::now();
    let mut watch = Watch::default();
    let mut announced = false;
    loop {
        let state = match store.acquire(namespace, name, &holder, LOCK_TTL).await? {
            Acquire::Acquired { version } => {
                return Ok(Lock::new(namespace, name, holder, version, None))
            }
            Acquire::Held(state) => *state,
        };
        if watch.stale(&state) {
            match store
                .take_over(namespace, name, &holder, LOCK_TTL, &state)
                .await?
            {
                Acquire::Acquired { version } => {
                    events::warn(format!(
                        "took over the stale lock of release `{name}` held by {}",
                        describe(&state)
                    ));
                    return Ok(Lock::new(namespace, name, holder, version, Some(state)));
                }
                Acquire::Held(_) => continue,
            }
        }
        let limit = wait.unwrap_or(Duration::ZERO).max(overdue_budget(&state));
        if start.elapsed() >= limit {
            match wait {
                None => bail!(
                    "another operation is in progress on release `{name}` in namespace `{namespace}`: {}\n\nhint: wait for it with --wait-for-lock (a lock nobody renews for {}s is then taken over), or if that process is gone run `tack unlock {name} -n {namespace}`",
                    describe(&state),
                    state.ttl.as_secs()
                ),
                Some(limit) => bail!(
                    "gave up after {}s waiting for the lock of release `{name}` held by {}\n\nhint: if that process is gone run `tack unlock {name} -n {namespace}`",
                    limit.as_secs(),
                    describe(&state)
                ),
            }
        }
        if !announced {
            if wait.is_some() {
                events::note(format!(
                    "waiting for the lock of release `{name}`, held by {}",
                    state.holder
                ));
            } else {
                events::note(format!(
                    "the lock of release `{name}` held by {} looks overdue; watching it for {}s to see whether it is still renewed",
                    describe(&state),
                    limit.as_secs()
                ));
            }
            announced = true;
        }
        tokio::time::sleep(poll_interval(state.ttl)).await;
    }
}

impl Lock {
    fn new(
        namespace: &str,
        name: &str,
        holder: Holder,
        version: String,
        took_over: Option<LockState>,
    ) -> Lock {
        Lock {
            namespace: namespace.into(),
            name: name.into(),
            holder,
            took_over,
            ttl: LOCK_TTL,
            version: tokio::sync::Mutex::new(version),
        }
    }

    /// Renew the lock every third of its lifetime; returns only when renewing fails (the lock was lost). A
    /// renewal that finds no server (an API server restarting) is tried again every second while the last
    /// renewal is younger than two thirds of the lifetime, so others cannot have seen it expire; fencing still
    /// checks the lock before every write. Run it beside the operation (`tokio::select!`) so a lost lock stops
    /// the operation.
    pub async fn keep_alive<S: ReleaseStore>(&self, store: &S) -> anyhow::Error {
        let mut renewed = Instant::now();
        let mut pause = self.ttl / 3;
        loop {
            tokio::time::sleep(pause).await;
            let mut version = self.version.lock().await;
            match store
                .renew(&self.namespace, &self.name, &self.holder.id, &version)
                .await
            {
                Ok(v) => {
                    *version = v;
                    renewed = Instant::now();
                    pause = self.ttl / 3;
                }
                Err(e)
                    if crate::cluster::retry::unreachable_in(&e)
                        && renewed.elapsed() + RENEW_RETRY < self.ttl * 2 / 3 =>
                {
                    pause = RENEW_RETRY;
                }
                Err(e) => {
                    return e.context(format!("lost the lock of release `{}`", self.name));
                }
            }
        }
    }

    /// Fencing: before a write, check that the lock is still this operation's, at the version it last
    /// wrote. Fails (and the operation must stop) when it was removed, taken over or changed by anyone else.
    pub async fn fence<S: ReleaseStore>(&self, store: &S, before: &str) -> Result<()> {
        let version = self.version.lock().await;
        let (ns, name) = (&self.namespace, &self.name);
        let why = match store.read_lock(ns, name).await? {
            Some(s) if s.holder.id == self.holder.id && s.version == *version => return Ok(()),
            Some(s) if s.holder.id == self.holder.id => {
                "it was changed by someone else".to_string()
            }
            Some(s) => format!("it is now held by {}", s.holder),
            None => "it was removed (`tack unlock --force`?)".to_string(),
        };
        bail!(
            "lost the lock of release `{name}` before {before}: {why}; stopped without writing\n\nhint: check `tack status {name} -n {ns}` and `tack history {name} -n {ns}`, then retry"
        )
    }

    /// Run `op` while keeping the lock alive; a lost lock, Ctrl-C or SIGTERM stops it (the error says which).
    pub async fn guard<S: ReleaseStore, T>(
        &self,
        store: &S,
        op: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::select! {
            r = op => r,
            e = self.keep_alive(store) => Err(e),
            signal = stop_signal() => Err(anyhow::Error::new(Interrupted { signal })),
        }
    }

    /// Give the lock back, warning (not failing) when that is impossible: the lock then expires by itself.
    pub async fn release_or_warn<S: ReleaseStore>(&self, store: &S) {
        if let Err(e) = self.release(store).await {
            events::warn(format!(
                "could not release the lock of `{}`: {e:#}; the next operation takes it over (at once on this machine, after {}s without renewal elsewhere)",
                self.name,
                self.ttl.as_secs()
            ));
        }
    }

    /// Give the lock back.
    pub async fn release<S: ReleaseStore>(&self, store: &S) -> Result<()> {
        store
            .unlock(&self.namespace, &self.name, Some(&self.holder.id), None)
            .await
            .map(|_| ())
    }
}

/// Resolves when the process is asked to stop: Ctrl-C (SIGINT) or SIGTERM (as `kill` and CI runners send).
async fn stop_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            return tokio::select! {
                _ = tokio::signal::ctrl_c() => "Ctrl-C",
                _ = term.recv() => "SIGTERM",
            };
        }
    }
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}
