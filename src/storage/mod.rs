//! Where release records and operation locks live, behind one small trait: Secrets and Leases in the
//! cluster by default, an in-memory store for fast unit tests of the lifecycle logic.

mod lease;
pub mod memory;
mod process;

pub use process::start_ticks as process_start_ticks;
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

/// Who holds a lock: a random id that names the operation, and enough for a person to find the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Random, unique per operation: the only thing ownership of a lock is judged by.
    pub id: String,
    pub user: String,
    pub host: String,
    pub pid: u32,
    pub command: String,
    pub since: jiff::Timestamp,
    /// The kernel's boot id, pid namespace and the process start time (clock ticks after boot): together with
    /// the host they tell whether the holder's process is gone. Empty when unknown (old locks, other systems).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub boot_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub pid_ns: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
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
        Holder {
            id: format!("{:032x}", rand::random::<u128>()),
            user,
            host,
            pid,
            command: command.to_string(),
            since: jiff::Timestamp::now(),
            boot_id: process::boot_id(),
            pid_ns: process::pid_namespace(),
            started: process::start_ticks(pid),
        }
    }

    /// The holder's process certainly no longer runs: it ran on this host, in this boot and this pid
    /// namespace, and its pid is gone or now belongs to a process started at another time. Anything less
    /// (another host, another container's pid namespace, an old lock without these marks) proves nothing.
    pub fn gone(&self) -> bool {
        let here = Holder::current("");
        if self.boot_id.is_empty() || self.pid_ns.is_empty() {
            return false;
        }
        if self.host != here.host || self.boot_id != here.boot_id || self.pid_ns != here.pid_ns {
            return false;
        }
        match process::start_ticks(self.pid) {
            None => !std::path::Path::new(&format!("/proc/{}", self.pid)).exists(),
            Some(t) => self.started.is_some_and(|s| s != t),
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
    /// When the holder last renewed it, by the holder's clock: shown to people, never trusted for expiry.
    pub renewed: jiff::Timestamp,
    pub ttl: Duration,
    /// Changes with every write of the lock (the Lease's resourceVersion): renewals are seen by it changing.
    pub version: String,
}

impl LockState {
    /// By the holder's timestamps and this machine's clock the lock is overdue. Clocks can disagree, so this
    /// only decides whether to watch the lock for renewals before giving up, never whether to take it.
    pub fn looks_expired(&self, now: jiff::Timestamp) -> bool {
        let age = now.duration_since(self.renewed);
        age.as_secs_f64() > self.ttl.as_secs_f64()
    }
}

/// The result of trying to take a lock.
#[derive(Debug)]
pub enum Acquire {
    /// Taken; `version` is what the next renewal must find.
    Acquired { version: String },
    /// Someone else holds it.
    Held(Box<LockState>),
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
    /// Take the operation lock of a release if nobody holds it (create-only).
    async fn acquire(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
    ) -> Result<Acquire>;
    /// Take over a lock judged stale, only if it is still exactly `stale` (same version): a renewal or another
    /// taker in between wins and the lock is reported [`Acquire::Held`].
    async fn take_over(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
        stale: &LockState,
    ) -> Result<Acquire>;
    /// Keep the lock alive; fails if it is no longer held by `holder_id` at `version`. Returns the new version.
    async fn renew(
        &self,
        namespace: &str,
        name: &str,
        holder_id: &str,
        version: &str,
    ) -> Result<String>;
    /// Remove the lock if held by `holder_id` (anyone with `None`) and, with `version`, still at that version.
    /// True if a lock was removed.
    async fn unlock(
        &self,
        namespace: &str,
        name: &str,
        holder_id: Option<&str>,
        version: Option<&str>,
    ) -> Result<bool>;
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
