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
}

/// Describe a held lock for an error message.
pub fn describe(state: &LockState) -> String {
    let now = jiff::Timestamp::now();
    let age = now.duration_since(state.renewed).as_secs_f64().max(0.0);
    format!(
        "{} (last renewed {:.0}s ago, expires after {}s without renewal)",
        state.holder,
        age,
        state.ttl.as_secs()
    )
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
    let mut announced = false;
    loop {
        match store.acquire(namespace, name, &holder, LOCK_TTL).await? {
            Acquire::Acquired => {
                return Ok(Lock {
                    namespace: namespace.into(),
                    name: name.into(),
                    holder,
                    took_over: None,
                })
            }
            Acquire::TookOver(old) => {
                events::warn(format!(
                    "took over the stale lock of release `{name}` held by {}",
                    describe(&old)
                ));
                return Ok(Lock {
                    namespace: namespace.into(),
                    name: name.into(),
                    holder,
                    took_over: Some(old),
                });
            }
            Acquire::Held(state) => {
                let Some(limit) = wait else {
                    bail!(
                        "another operation is in progress on release `{name}` in namespace `{namespace}`: {}\n\nhint: wait for it with --wait-for-lock, or if that process is gone run `tack unlock {name} -n {namespace}`",
                        describe(&state)
                    );
                };
                if start.elapsed() >= limit {
                    bail!(
                        "gave up after {}s waiting for the lock of release `{name}` held by {}\n\nhint: if that process is gone run `tack unlock {name} -n {namespace}`",
                        limit.as_secs(),
                        describe(&state)
                    );
                }
                if !announced {
                    events::note(format!(
                        "waiting for the lock of release `{name}`, held by {}",
                        state.holder
                    ));
                    announced = true;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    }
}

impl Lock {
    /// Renew the lock every third of its lifetime; returns only when renewing fails (the lock was lost).
    /// Run it beside the operation (`tokio::select!`) so a lost lock stops the operation.
    pub async fn keep_alive<S: ReleaseStore>(&self, store: &S) -> anyhow::Error {
        loop {
            tokio::time::sleep(LOCK_TTL / 3).await;
            if let Err(e) = store
                .renew(&self.namespace, &self.name, &self.holder.id)
                .await
            {
                return e.context(format!("lost the lock of release `{}`", self.name));
            }
        }
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
                "could not release the lock of `{}`: {e:#}; it expires in {}s",
                self.name,
                LOCK_TTL.as_secs()
            ));
        }
    }

    /// Give the lock back.
    pub async fn release<S: ReleaseStore>(&self, store: &S) -> Result<()> {
        store
            .unlock(&self.namespace, &self.name, Some(&self.holder.id))
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
