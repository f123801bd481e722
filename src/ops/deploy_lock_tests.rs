//! The release lock in the lifecycle core: staleness judged by renewals seen here (never by comparing
//! clocks), the holder's process checked by host, boot, pid namespace and start time, fencing before every
//! write, and `unlock` refusing a live lock without `force`.

use super::*;
use crate::events::Event;
use crate::ops::inspect::{unlock_in, Unlocked};
use crate::storage::{Holder, LockState};
use std::time::Instant;

/// A holder on another machine.
fn elsewhere() -> Holder {
    Holder {
        id: "other".into(),
        user: "alice".into(),
        host: "elsewhere".into(),
        pid: 4242,
        command: "tack upgrade web".into(),
        since: jiff::Timestamp::now(),
        boot_id: "another-boot".into(),
        pid_ns: "pid:[1]".into(),
        started: Some(1),
    }
}

fn held_by(holder: Holder, renewed_ago: i64, ttl: Duration) -> LockState {
    LockState {
        holder,
        renewed: jiff::Timestamp::now() - jiff::SignedDuration::from_secs(renewed_ago),
        ttl,
        version: String::new(),
    }
}

fn warnings(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_live_lock_is_refused_naming_its_holder_and_nothing_is_written() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    store.put_lock("shop", "web", held_by(elsewhere(), 0, LOCK_TTL_30));
    let start = Instant::now();
    let msg = format!(
        "{:#}",
        run(&store, &fake, Op::Install, desired(&["a"]), &opts())
            .await
            .unwrap_err()
    );
    assert!(start.elapsed() < Duration::from_secs(2), "refused at once");
    assert!(
        msg.contains("another operation is in progress")
            && msg.contains("alice@elsewhere")
            && msg.contains("4242"),
        "{msg}"
    );
    assert!(msg.contains("tack unlock web"), "{msg}");
    assert!(statuses(&store).await.is_empty(), "nothing written");
}

const LOCK_TTL_30: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_lock_nobody_renews_is_taken_over_only_after_watching_it_for_its_ttl() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let ttl = Duration::from_millis(400);
    store.put_lock("shop", "web", held_by(elsewhere(), 120, ttl));
    let start = Instant::now();
    let (r, events) =
        crate::events::capture(run(&store, &fake, Op::Install, desired(&["a"]), &opts())).await;
    r.unwrap();
    assert!(
        start.elapsed() >= ttl,
        "watched for its time to live first: {:?}",
        start.elapsed()
    );
    let w = warnings(&events);
    assert!(
        w.iter()
            .any(|w| w.contains("took over the stale lock") && w.contains("alice@elsewhere")),
        "{w:?}"
    );
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
}

#[tokio::test]
async fn a_lock_renewed_by_a_holder_with_a_skewed_clock_is_not_taken_over() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let ttl = Duration::from_millis(300);
    // the holder's clock is ten minutes behind: by our clock every renewal looks long expired
    let skewed = held_by(elsewhere(), 600, ttl);
    store.put_lock("shop", "web", skewed.clone());
    let renewing = async {
        loop {
            tokio::time::sleep(Duration::from_millis(80)).await;
            store.put_lock("shop", "web", skewed.clone());
        }
    };
    let start = Instant::now();
    let o = opts();
    let err = tokio::select! {
        r = run(&store, &fake, Op::Install, desired(&["a"]), &o) => r.unwrap_err(),
        _ = renewing => unreachable!(),
    };
    let msg = format!("{err:#}");
    assert!(msg.contains("another operation is in progress"), "{msg}");
    assert!(
        start.elapsed() >= ttl,
        "it was watched before refusing: {:?}",
        start.elapsed()
    );
    assert!(statuses(&store).await.is_empty(), "nothing written");
    assert_eq!(
        store
            .read_lock("shop", "web")
            .await
            .unwrap()
            .unwrap()
            .holder
            .id,
        "other"
    );
}

#[tokio::test]
async fn a_holder_here_whose_process_is_gone_is_taken_over_at_once() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let mut dead = Holder::current("tack upgrade web");
    dead.pid = child.id();
    dead.started = crate::storage::process_start_ticks(child.id());
    child.wait().unwrap();
    assert!(dead.gone());
    store.put_lock("shop", "web", held_by(dead, 0, LOCK_TTL_30));
    let start = Instant::now();
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(2), "no wait");
}

#[test]
fn a_holder_is_gone_only_when_host_boot_pid_namespace_and_start_time_agree() {
    let me = Holder::current("tack upgrade web");
    assert!(!me.gone(), "this process runs");
    // our pid, reused by a process that started at another time
    let reused = Holder {
        started: me.started.map(|t| t + 1),
        ..me.clone()
    };
    assert!(reused.gone());
    // a dead pid in another container (same host name, another pid namespace) proves nothing
    let other_ns = Holder {
        pid: u32::MAX - 1,
        pid_ns: "pid:[1]".into(),
        ..me.clone()
    };
    assert!(!other_ns.gone());
    let same_ns = Holder {
        pid: u32::MAX - 1,
        ..me.clone()
    };
    assert!(same_ns.gone());
    // another host, or an old lock without process marks, proves nothing either
    assert!(!Holder {
        host: "elsewhere".into(),
        ..same_ns.clone()
    }
    .gone());
    assert!(!Holder {
        boot_id: String::new(),
        ..same_ns
    }
    .gone());
    // ids are random, not derived from host and pid
    assert_ne!(me.id, Holder::current("x").id);
    assert!(!me.id.contains(&me.host));
}

/// Applies like [`Fake`], but another operation takes the lock while it applies.
struct Thief<'a> {
    fake: Fake,
    store: &'a MemoryStore,
}

impl Deployer for Thief<'_> {
    async fn prepare(&self, objects: Vec<Value>, opts: &DeployOptions) -> Result<Vec<Value>> {
        self.fake.prepare(objects, opts).await
    }
    async fn apply(&self, objects: &[Value], opts: &DeployOptions) -> Result<Vec<Change>> {
        let r = self.fake.apply(objects, opts).await;
        self.store
            .put_lock("shop", "web", held_by(elsewhere(), 0, LOCK_TTL_30));
        r
    }
    async fn delete(&self, objects: &[ObjectId], opts: &DeployOptions) -> Result<Vec<Change>> {
        self.fake.delete(objects, opts).await
    }
    async fn wait(&self, objects: &[ObjectId], timeout: Duration) -> Result<()> {
        self.fake.wait(objects, timeout).await
    }
    async fn delete_hook(&self, hook: &ObjectId, opts: &DeployOptions) -> Result<bool> {
        self.fake.delete_hook(hook, opts).await
    }
    async fn wait_hook(&self, hook: &ObjectId, timeout: Duration) -> Result<()> {
        self.fake.wait_hook(hook, timeout).await
    }
    async fn hook_report(&self, hook: &ObjectId, logs: bool) -> Vec<String> {
        self.fake.hook_report(hook, logs).await
    }
}

#[tokio::test]
async fn a_lock_lost_mid_operation_stops_it_before_its_next_write() {
    let store = MemoryStore::new();
    run(
        &store,
        &Fake::default(),
        Op::Install,
        desired(&["a", "b"]),
        &opts(),
    )
    .await
    .unwrap();
    let thief = Thief {
        fake: Fake::default(),
        store: &store,
    };
    let err = run(
        &store,
        &thief,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("lost the lock of release `web` before pruning")
            && msg.contains("alice@elsewhere"),
        "{msg}"
    );
    assert!(
        thief.fake.deleted.lock().unwrap().is_empty(),
        "nothing pruned"
    );
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Failed)],
        "never recorded deployed"
    );
    assert_eq!(
        store
            .read_lock("shop", "web")
            .await
            .unwrap()
            .unwrap()
            .holder
            .id,
        "other",
        "the new holder's lock is left alone"
    );
}

#[tokio::test]
async fn a_renewal_or_fence_after_someone_else_wrote_the_lock_fails() {
    let store = MemoryStore::new();
    let held = lock::acquire(&store, "shop", "web", "tack test", None)
        .await
        .unwrap();
    held.fence(&store, "applying").await.unwrap();
    // someone removed it and took it again under the same id (as a forced unlock and a retry could)
    let mut same = store.read_lock("shop", "web").await.unwrap().unwrap();
    same.renewed = jiff::Timestamp::now();
    store.put_lock("shop", "web", same);
    let msg = format!("{:#}", held.fence(&store, "applying").await.unwrap_err());
    assert!(msg.contains("changed by someone else"), "{msg}");
    store.unlock("shop", "web", None, None).await.unwrap();
    let msg = format!("{:#}", held.fence(&store, "pruning").await.unwrap_err());
    assert!(
        msg.contains("before pruning") && msg.contains("removed"),
        "{msg}"
    );
    assert!(store
        .renew("shop", "web", &held.holder.id, "1")
        .await
        .is_err());
}

#[tokio::test]
async fn unlock_refuses_a_live_lock_without_force() {
    let store = MemoryStore::new();
    store.put_lock("shop", "web", held_by(elsewhere(), 0, LOCK_TTL_30));
    let start = Instant::now();
    match unlock_in(&store, "shop", "web", false).await.unwrap() {
        Unlocked::Live(l) => assert_eq!(l.holder.id, "other"),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() < Duration::from_secs(2), "answered at once");
    assert!(store.read_lock("shop", "web").await.unwrap().is_some());
    match unlock_in(&store, "shop", "web", true).await.unwrap() {
        Unlocked::Removed { live, .. } => assert!(live),
        other => panic!("{other:?}"),
    }
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
    assert!(matches!(
        unlock_in(&store, "shop", "web", false).await.unwrap(),
        Unlocked::NotLocked
    ));
}

#[tokio::test]
async fn unlock_removes_a_lock_nobody_renews_after_watching_it() {
    let store = MemoryStore::new();
    let ttl = Duration::from_millis(300);
    store.put_lock("shop", "web", held_by(elsewhere(), 120, ttl));
    let start = Instant::now();
    match unlock_in(&store, "shop", "web", false).await.unwrap() {
        Unlocked::Removed { live, .. } => assert!(!live),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed() >= ttl, "{:?}", start.elapsed());
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
}

#[tokio::test]
async fn a_record_over_the_chunk_limit_is_refused_before_anything_is_applied() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    let mut big = desired(&["a", "b"]);
    // text that stays larger than every chunk together once compressed
    let mut x: u64 = 7;
    let limit = crate::release::CHUNK_BYTES * crate::release::MAX_CHUNKS;
    big.manifest = (0..limit * 2)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    let err = run(&store, &fake, Op::Upgrade { install: false }, big, &opts())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("over the limit of"), "{err:#}");
    assert_eq!(
        fake.applied.lock().unwrap().len(),
        1,
        "only the install applied"
    );
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed)],
        "nothing lost"
    );
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
}
