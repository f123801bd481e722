//! Where release records and operation locks live, behind one small trait: Secrets and Leases in the
//! cluster by default, an in-memory store for fast unit tests of the lifecycle logic.

mod lease;
pub mod memory;
pub mod secrets;

use crate::release::{Release, Summary};
use anyhow::Result;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::time::Duration;

/// How long a lock lives without renewal; the holder renews it every third of this.
pub const LOCK_TTL: Duration = Duration::from_secs(30);

/// A stored revision and the version (resourceVersion) its next update must name.
#[derive(Debug, Clone)]
pub struct Stored {
    pub release: Release,
    pub version: String,
    /// Where it is stored, for messages (`secret shop/tack.release.v1.web.v3`).
    pub location: String,
}

/// Why a write was refused.
#[derive(Debug)]
pub enum StoreError {
    /// Create-only write of a revision that already exists.
    AlreadyExists(String),
    /// The record changed since it was read (resourceVersion precondition failed).
    Conflict(String),
    NotFound(String),
    Other(anyhow::Error),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreError::AlreadyExists(w) => write!(f, "{w} already exists"),
            StoreError::Conflict(w) => {
                write!(f, "{w} was changed by someone else since it was read")
            }
            StoreError::NotFound(w) => write!(f, "{w} does not exist"),
            StoreError::Other(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for StoreError {}

impl From<anyhow::Error> for StoreError {
    fn from(e: anyhow::Error) -> Self {
        StoreError::Other(e)
    }
}

/// Who holds a lock: enough for a person to find the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Unique per operation.
    pub id: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    pub since: jiff::Timestamp,
}

impl Holder {
    /// The holder for this process running `command`.
    pub fn current(command: &str) -> Holder {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "unknown-host".into());
        let user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown-user".into());
        let pid = std::process::id();
        let now = jiff::Timestamp::now();
        Holder {
            id: format!("{host}-{pid}-{}", now.as_nanosecond()),
            user,
            host,
            pid,
            command: command.to_string(),
            since: now,
        }
    }
}

impl fmt::Display for Holder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` by {}@{} (pid {}) since {}",
            self.command, self.user, self.host, self.pid, self.since
        )
    }
}

/// A lock as stored.
#[derive(Debug, Clone)]
pub struct LockState {
    pub holder: Holder,
    pub renewed: jiff::Timestamp,
    pub ttl: Duration,
}

impl LockState {
    /// The lock was not renewed in time: its holder is gone.
    pub fn expired(&self, now: jiff::Timestamp) -> bool {
        let age = now.duration_since(self.renewed);
        age.as_secs_f64() > self.ttl.as_secs_f64()
    }

    /// The holder ran on this machine and its process no longer exists.
    pub fn holder_dead_here(&self) -> bool {
        let here = Holder::current("");
        self.holder.host == here.host
            && self.holder.pid != here.pid
            && !std::path::Path::new(&format!("/proc/{}", self.holder.pid)).exists()
    }

    /// Whether another operation may take the lock over.
    pub fn stale(&self, now: jiff::Timestamp) -> bool {
        self.expired(now) || self.holder_dead_here()
    }
}

/// The result of trying to take a lock.
#[derive(Debug)]
pub enum Acquire {
    Acquired,
    /// Acquired by taking over a stale lock, whose state is returned so it can be reported.
    TookOver(LockState),
    /// Someone else holds it.
    Held(LockState),
}

/// Release records and locks. Implementations: [`secrets::SecretStore`] and [`memory::MemoryStore`].
#[allow(async_fn_in_trait)]
pub trait ReleaseStore: Sync {
    /// Every revision of one release, oldest first, read from labels only. Unreadable records are returned
    /// as warnings naming where they are stored.
    async fn history(&self, namespace: &str, name: &str) -> Result<(Vec<Summary>, Vec<String>)>;
    /// Every revision of every release in `namespace` (all namespaces with `None`), from labels only.
    async fn list(&self, namespace: Option<&str>) -> Result<(Vec<Summary>, Vec<String>)>;
    /// One revision, decoded.
    async fn get(&self, namespace: &str, name: &str, revision: u64) -> Result<Option<Stored>>;
    /// Write a new revision; fails with [`StoreError::AlreadyExists`] if the revision exists.
    async fn create(&self, release: &Release) -> Result<String, StoreError>;
    /// Replace a revision if it is still at `version`; fails with [`StoreError::Conflict`] otherwise.
    async fn update(&self, release: &Release, version: &str) -> Result<String, StoreError>;
    /// Delete one revision (its chunks included).
    async fn delete(&self, namespace: &str, name: &str, revision: u64) -> Result<()>;
    /// Take the operation lock of a release.
    async fn acquire(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
    ) -> Result<Acquire>;
    /// Keep the lock alive; fails if it is no longer held by `holder_id`.
    async fn renew(&self, namespace: &str, name: &str, holder_id: &str) -> Result<()>;
    /// Release the lock if held by `holder_id`, or whoever holds it with `None`. True if a lock was removed.
    async fn unlock(&self, namespace: &str, name: &str, holder_id: Option<&str>) -> Result<bool>;
    /// The lock, if any.
    async fn read_lock(&self, namespace: &str, name: &str) -> Result<Option<LockState>>;
}

/// Pick the newest revision of each release from a list of summaries.
pub fn latest_per_release(summaries: &[Summary]) -> Vec<Summary> {
    let mut by: std::collections::BTreeMap<(String, String), Summary> = Default::default();
    for s in summaries {
        let key = (s.namespace.clone(), s.name.clone());
        match by.get(&key) {
            Some(cur) if cur.revision >= s.revision => {}
            _ => {
                by.insert(key, s.clone());
            }
        }
    }
    by.into_values().collect()
}
