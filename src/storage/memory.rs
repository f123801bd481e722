//! An in-memory release store with the same semantics as the Secret store (create-only writes, versioned
//! updates, expiring locks), for unit tests of the lifecycle logic.

use super::{Acquire, Holder, LockState, ReleaseStore, StoreError, Stored};
use crate::release::{Release, Summary};
use anyhow::Result;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

type Key = (String, String, u64);

#[derive(Default)]
struct Inner {
    records: BTreeMap<Key, (Release, u64)>,
    locks: BTreeMap<(String, String), LockState>,
    next_version: u64,
    /// Fail the next N updates with a conflict (to test retries).
    conflicts_to_inject: usize,
    /// Calls of `history` and `get` so far.
    reads: Reads,
}

/// How often records were read, so tests can check that an operation reads only what it needs.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub histories: usize,
    pub gets: usize,
}

/// Release records in a map.
#[derive(Default)]
pub struct MemoryStore {
    inner: Mutex<Inner>,
}

impl MemoryStore {
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }

    /// Make the next `n` updates fail with a conflict, as if someone else wrote in between.
    pub fn inject_conflicts(&self, n: usize) {
        self.inner.lock().unwrap().conflicts_to_inject = n;
    }

    /// The reads of records so far.
    pub fn reads(&self) -> Reads {
        self.inner.lock().unwrap().reads
    }

    /// Set a lock as if another process held or renewed it (for tests); its version changes, as a write of
    /// the Lease would change its resourceVersion. Returns that version.
    pub fn put_lock(&self, namespace: &str, name: &str, mut state: LockState) -> String {
        let mut inner = self.inner.lock().unwrap();
        state.version = inner.bump();
        let v = state.version.clone();
        inner.locks.insert((namespace.into(), name.into()), state);
        v
    }
}

impl Inner {
    fn bump(&mut self) -> String {
        self.next_version += 1;
        self.next_version.to_string()
    }
}

fn fresh_lock(holder: &Holder, ttl: Duration, version: &str) -> LockState {
    LockState {
        holder: holder.clone(),
        renewed: jiff::Timestamp::now(),
        ttl,
        version: version.to_string(),
    }
}

fn where_(ns: &str, name: &str, rev: u64) -> String {
    format!("record {ns}/{name} revision {rev}")
}

impl ReleaseStore for MemoryStore {
    async fn history(&self, namespace: &str, name: &str) -> Result<(Vec<Summary>, Vec<String>)> {
        let mut inner = self.inner.lock().unwrap();
        inner.reads.histories += 1;
        let out = inner
            .records
            .iter()
            .filter(|((ns, n, _), _)| ns == namespace && n == name)
            .map(|(_, (r, _))| r.summary())
            .collect();
        Ok((out, Vec::new()))
    }

    async fn list(&self, namespace: Option<&str>) -> Result<(Vec<Summary>, Vec<String>)> {
        let inner = self.inner.lock().unwrap();
        let out = inner
            .records
            .iter()
            .filter(|((ns, _, _), _)| namespace.is_none_or(|want| want == ns))
            .map(|(_, (r, _))| r.summary())
            .collect();
        Ok((out, Vec::new()))
    }

    async fn get(&self, namespace: &str, name: &str, revision: u64) -> Result<Option<Stored>> {
        let mut inner = self.inner.lock().unwrap();
        inner.reads.gets += 1;
        Ok(inner
            .records
            .get(&(namespace.into(), name.into(), revision))
            .map(|(r, v)| Stored {
                release: r.clone(),
                version: v.to_string(),
                location: where_(namespace, name, revision),
            }))
    }

    async fn create(&self, release: &Release) -> Result<String, StoreError> {
        crate::release::encode(release)?;
        let mut inner = self.inner.lock().unwrap();
        let key = (
            release.namespace.clone(),
            release.name.clone(),
            release.revision,
        );
        if inner.records.contains_key(&key) {
            return Err(StoreError::AlreadyExists(where_(&key.0, &key.1, key.2)));
        }
        inner.next_version += 1;
        let v = inner.next_version;
        inner.records.insert(key, (release.clone(), v));
        Ok(v.to_string())
    }

    async fn update(&self, release: &Release, version: &str) -> Result<String, StoreError> {
        crate::release::encode(release)?;
        let mut inner = self.inner.lock().unwrap();
        let key = (
            release.namespace.clone(),
            release.name.clone(),
            release.revision,
        );
        let place = where_(&key.0, &key.1, key.2);
        if inner.conflicts_to_inject > 0 {
            inner.conflicts_to_inject -= 1;
            inner.next_version += 1;
            let v = inner.next_version;
            if let Some(entry) = inner.records.get_mut(&key) {
                entry.1 = v;
            }
            return Err(StoreError::Conflict(place));
        }
        inner.next_version += 1;
        let v = inner.next_version;
        match inner.records.get_mut(&key) {
            None => Err(StoreError::NotFound(place)),
            Some((_, cur)) if cur.to_string() != version => Err(StoreError::Conflict(place)),
            Some(entry) => {
                *entry = (release.clone(), v);
                Ok(v.to_string())
            }
        }
    }

    async fn delete(&self, namespace: &str, name: &str, revision: u64) -> Result<()> {
        self.inner
            .lock()
            .unwrap()
            .records
            .remove(&(namespace.into(), name.into(), revision));
        Ok(())
    }

    async fn acquire(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
    ) -> Result<Acquire> {
        let mut inner = self.inner.lock().unwrap();
        let key = (namespace.to_string(), name.to_string());
        if let Some(cur) = inner.locks.get(&key) {
            return Ok(Acquire::Held(Box::new(cur.clone())));
        }
        let version = inner.bump();
        inner.locks.insert(key, fresh_lock(holder, ttl, &version));
        Ok(Acquire::Acquired { version })
    }

    async fn take_over(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
        stale: &LockState,
    ) -> Result<Acquire> {
        let mut inner = self.inner.lock().unwrap();
        let key = (namespace.to_string(), name.to_string());
        match inner.locks.get(&key) {
            Some(cur) if cur.version == stale.version => {
                let version = inner.bump();
                inner.locks.insert(key, fresh_lock(holder, ttl, &version));
                Ok(Acquire::Acquired { version })
            }
            Some(cur) => Ok(Acquire::Held(Box::new(cur.clone()))),
            None => {
                let version = inner.bump();
                inner.locks.insert(key, fresh_lock(holder, ttl, &version));
                Ok(Acquire::Acquired { version })
            }
        }
    }

    async fn renew(
        &self,
        namespace: &str,
        name: &str,
        holder_id: &str,
        version: &str,
    ) -> Result<String> {
        let mut inner = self.inner.lock().unwrap();
        let v = inner.bump();
        match inner.locks.get_mut(&(namespace.into(), name.into())) {
            Some(l) if l.holder.id == holder_id && l.version == version => {
                l.renewed = jiff::Timestamp::now();
                l.version = v.clone();
                Ok(v)
            }
            _ => anyhow::bail!("the lock of release `{name}` is no longer held by this operation"),
        }
    }

    async fn unlock(
        &self,
        namespace: &str,
        name: &str,
        holder_id: Option<&str>,
        version: Option<&str>,
    ) -> Result<bool> {
        let mut inner = self.inner.lock().unwrap();
        let key = (namespace.to_string(), name.to_string());
        match inner.locks.get(&key) {
            Some(l)
                if holder_id.is_none_or(|id| id == l.holder.id)
                    && version.is_none_or(|v| v == l.version) =>
            {
                inner.locks.remove(&key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn read_lock(&self, namespace: &str, name: &str) -> Result<Option<LockState>> {
        Ok(self
            .inner
            .lock()
            .unwrap()
            .locks
            .get(&(namespace.into(), name.into()))
            .cloned())
    }
}
