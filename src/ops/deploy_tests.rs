//! Unit tests of the lifecycle core on the in-memory store with a scripted fake deployer.

use super::*;
use crate::release::{ChartInfo, Layers};
use crate::storage::memory::MemoryStore;
use std::collections::BTreeSet;
use std::sync::Mutex;

/// Records calls; fails `apply` while `fail_apply` is set and `delete` while `fail_delete` is set. Hooks:
/// every call is logged in order in `log`, hooks named in `fail_hooks` fail, and `present` holds the hook
/// objects that exist.
#[derive(Default)]
struct Fake {
    applied: Mutex<Vec<Vec<ObjectId>>>,
    deleted: Mutex<Vec<Vec<ObjectId>>>,
    fail_apply: Mutex<Option<String>>,
    fail_delete: Mutex<Option<String>>,
    log: Mutex<Vec<String>>,
    fail_hooks: Mutex<Vec<String>>,
    present: Mutex<BTreeSet<String>>,
    waited: Mutex<Vec<Vec<ObjectId>>>,
    fail_preflight: Mutex<Option<String>>,
    /// How long `preflight` takes (a server that answers slowly).
    slow_preflight: Mutex<Option<Duration>>,
}

impl Deployer for Fake {
    async fn prepare(&self, objects: Vec<Value>, opts: &DeployOptions) -> Result<Vec<Value>> {
        Ok(objects
            .into_iter()
            .map(|mut o| {
                if o["metadata"]["namespace"].is_null() && o["kind"] != "Namespace" {
                    o["metadata"]["namespace"] = Value::from(opts.namespace.clone());
                }
                o
            })
            .collect())
    }
    async fn apply(&self, objects: &[Value], _: &DeployOptions) -> Result<Vec<Change>> {
        if let Some(msg) = self.fail_apply.lock().unwrap().clone() {
            bail!("{msg}");
        }
        let ids: Vec<ObjectId> = objects.iter().map(object_id).collect();
        self.applied.lock().unwrap().push(ids.clone());
        let names: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
        self.log
            .lock()
            .unwrap()
            .push(format!("apply {}", names.join(",")));
        self.present
            .lock()
            .unwrap()
            .extend(names.iter().map(|n| n.to_string()));
        Ok(ids
            .into_iter()
            .map(|object| Change {
                object,
                action: "configured".into(),
            })
            .collect())
    }
    async fn delete(&self, objects: &[ObjectId], _: &DeployOptions) -> Result<Vec<Change>> {
        if let Some(msg) = self.fail_delete.lock().unwrap().clone() {
            bail!("{msg}");
        }
        self.deleted.lock().unwrap().push(objects.to_vec());
        Ok(objects
            .iter()
            .map(|o| Change {
                object: o.clone(),
                action: "deleted".into(),
            })
            .collect())
    }
    async fn wait(&self, objects: &[ObjectId], _: Duration) -> Result<()> {
        self.log.lock().unwrap().push("wait".into());
        self.waited.lock().unwrap().push(objects.to_vec());
        Ok(())
    }
    async fn preflight(&self, _: &[Value], _: &DeployOptions) -> Result<()> {
        let slow = *self.slow_preflight.lock().unwrap();
        if let Some(d) = slow {
            tokio::time::sleep(d).await;
        }
        match self.fail_preflight.lock().unwrap().clone() {
            Some(msg) => bail!("{msg}"),
            None => Ok(()),
        }
    }
    async fn delete_hook(&self, hook: &ObjectId, _: &DeployOptions) -> Result<bool> {
        let existed = self.present.lock().unwrap().remove(&hook.name);
        if existed {
            self.log
                .lock()
                .unwrap()
                .push(format!("delete-hook {}", hook.name));
        }
        Ok(existed)
    }
    async fn wait_hook(&self, hook: &ObjectId, _: Duration) -> Result<()> {
        self.log
            .lock()
            .unwrap()
            .push(format!("wait-hook {}", hook.name));
        if self.fail_hooks.lock().unwrap().contains(&hook.name) {
            bail!("job failed: BackoffLimitExceeded");
        }
        Ok(())
    }
    async fn hook_report(&self, hook: &ObjectId, logs: bool) -> Vec<String> {
        let failed = self.fail_hooks.lock().unwrap().contains(&hook.name);
        match (failed, logs) {
            (true, true) => vec![
                format!("pod {}-x: Failed, container main exited 3", hook.name),
                "  | migration 7 failed".into(),
            ],
            (true, false) | (false, _) => vec![format!("pod {}-x: Succeeded", hook.name)],
        }
    }
}

fn opts() -> DeployOptions {
    DeployOptions {
        namespace: "shop".into(),
        name: "web".into(),
        wait: false,
        timeout: Duration::from_secs(5),
        atomic: false,
        adopt: false,
        force_conflicts: false,
        history_max: 10,
        wait_for_lock: None,
        allow_namespace_prune: false,
        command: "tack test".into(),
        no_hooks: false,
        plan: None,
        delete_crds: false,
        wait_skip_load_balancers: false,
        description: None,
        labels: Vec::new(),
        prepare_by: None,
    }
}

fn cm(name: &str) -> Value {
    serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": "v"}})
}

fn desired(names: &[&str]) -> Desired {
    let objects: Vec<Value> = names.iter().map(|n| cm(n)).collect();
    let manifest = objects
        .iter()
        .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
        .collect::<String>();
    Desired {
        chart: ChartInfo {
            name: "c".into(),
            version: "1.0.0".into(),
            app_version: None,
            digest: "d".into(),
            source: None,
        },
        manifest,
        objects,
        values: serde_json::json!({}),
        layers: Layers::default(),
        notes: None,
        labels: Default::default(),
    }
}

async fn statuses(store: &MemoryStore) -> Vec<(u64, Status)> {
    let (h, _) = store.history("shop", "web").await.unwrap();
    h.into_iter().map(|s| (s.revision, s.status)).collect()
}

#[path = "deploy_hooks_tests.rs"]
mod hooks;

#[tokio::test]
async fn install_then_upgrade_supersedes_and_prunes_dropped_objects() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let out = run(&store, &fake, Op::Install, desired(&["a", "b"]), &opts())
        .await
        .unwrap();
    assert_eq!(out.release.revision, 1);
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
    let deleted = fake.deleted.lock().unwrap().clone();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0][0].name, "b");
    assert_eq!(deleted[0][0].namespace.as_deref(), Some("shop"));
    assert!(
        store.read_lock("shop", "web").await.unwrap().is_none(),
        "lock released"
    );
}

#[test]
fn an_object_named_by_another_version_of_its_group_is_not_pruned() {
    let id = |api_version: &str, kind: &str, name: &str| ObjectId {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: Some("shop".into()),
        name: name.into(),
    };
    let previous = [
        id("example.com/v1", "Widget", "w1"),
        id("autoscaling/v2beta2", "HorizontalPodAutoscaler", "web"),
        id("v1", "ConfigMap", "gone"),
        id("other.io/v1", "Widget", "w2"),
    ];
    let now = [
        id("example.com/v2", "Widget", "w1"),
        id("autoscaling/v2", "HorizontalPodAutoscaler", "web"),
        id("example.com/v1", "Widget", "w2"),
    ];
    let pruned: Vec<String> = not_in(&previous, &now)
        .iter()
        .map(|o| format!("{} {}", o.api_version, o.name))
        .collect();
    // a Widget of another group is another object
    assert_eq!(pruned, ["v1 gone", "other.io/v1 w2"]);
}

#[tokio::test]
async fn a_failed_preflight_writes_nothing() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    *fake.fail_preflight.lock().unwrap() = Some("would drop stored version v1".into());
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a", "b"]),
        &opts(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("stored version v1"), "{err:#}");
    assert_eq!(statuses(&store).await, [(1, Status::Deployed)], "no record");
    assert_eq!(fake.applied.lock().unwrap().len(), 1, "nothing applied");
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
}

#[tokio::test(start_paused = true)]
async fn a_server_too_slow_before_the_first_write_ends_the_command_at_the_deadline_with_nothing_written(
) {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    *fake.slow_preflight.lock().unwrap() = Some(Duration::from_secs(3600));
    let limit = Duration::from_secs(3);
    let o = DeployOptions {
        prepare_by: Some(
            crate::deadline::Deadline::after(std::time::Instant::now(), limit, None)
                .on("https://api.example:6443"),
        ),
        ..opts()
    };
    let started = tokio::time::Instant::now();
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a", "b"]),
        &o,
    )
    .await
    .unwrap_err();
    let took = started.elapsed();
    assert!(
        took >= limit && took < limit + Duration::from_secs(1),
        "{took:?}"
    );
    let text = format!("{err:#}");
    assert!(text.contains("https://api.example:6443"), "{text}");
    assert!(text.contains("--timeout 3s ran out"), "{text}");
    assert!(
        err.downcast_ref::<crate::error::TimedOut>().is_some(),
        "{text}"
    );
    assert_eq!(statuses(&store).await, [(1, Status::Deployed)], "no record");
    assert_eq!(fake.applied.lock().unwrap().len(), 1, "nothing applied");
    assert!(
        store.read_lock("shop", "web").await.unwrap().is_none(),
        "lock given back"
    );
}

#[tokio::test]
async fn objects_a_failed_revision_created_are_pruned_by_the_next_one() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    // revisions 2 and 3 fail after some of their objects may have been created
    *fake.fail_apply.lock().unwrap() = Some("the server refused c".into());
    let up = Op::Upgrade { install: false };
    for names in [&["a", "b", "c"][..], &["a", "b", "d"][..]] {
        run(&store, &fake, up, desired(names), &opts())
            .await
            .unwrap_err();
    }
    *fake.fail_apply.lock().unwrap() = None;
    // revision 4 has none of b, c, d: each goes once, though only failed revisions had them
    run(&store, &fake, up, desired(&["a"]), &opts())
        .await
        .unwrap();
    let deleted: Vec<String> = fake.deleted.lock().unwrap()[0]
        .iter()
        .map(|o| o.name.clone())
        .collect();
    assert_eq!(deleted, ["b", "c", "d"]);
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Failed),
            (4, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn wait_skip_load_balancers_leaves_load_balancer_services_out_of_the_wait() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut d = desired(&["a"]);
    d.objects
        .push(serde_json::json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}}));
    let o = DeployOptions {
        wait: true,
        wait_skip_load_balancers: true,
        ..opts()
    };
    run(&store, &fake, Op::Install, d.clone(), &o)
        .await
        .unwrap();
    let waited = fake.waited.lock().unwrap().clone();
    let names: Vec<&str> = waited[0].iter().map(|i| i.name.as_str()).collect();
    assert_eq!(names, ["a"]);
    // without the flag the Service is waited on like anything else
    let plain = DeployOptions {
        wait: true,
        ..opts()
    };
    run(&store, &fake, Op::Upgrade { install: false }, d, &plain)
        .await
        .unwrap();
    let waited = fake.waited.lock().unwrap().clone();
    assert_eq!(waited[1].len(), 2);
}

#[tokio::test]
async fn install_refuses_an_installed_release_and_upgrade_needs_one() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("is not installed"), "{err:#}");
    run(
        &store,
        &fake,
        Op::Upgrade { install: true },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    let err = run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap_err();
    assert!(format!("{err:#}").contains("already installed"), "{err:#}");
    assert_eq!(statuses(&store).await, [(1, Status::Deployed)]);
}

#[tokio::test]
async fn failed_upgrade_keeps_the_previous_revision_deployed() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    *fake.fail_apply.lock().unwrap() = Some("server said no".into());
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap_err();
    assert!(format!("{err:#}").contains("server said no"));
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Failed)]
    );
    let failed = store.get("shop", "web", 2).await.unwrap().unwrap().release;
    assert!(
        failed.description.contains("server said no"),
        "{}",
        failed.description
    );
}

#[tokio::test]
async fn atomic_upgrade_restores_the_previous_revision() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    // the upgrade applies fine but waiting fails: emulate with a failing delete of the dropped object
    *fake.fail_delete.lock().unwrap() = None;
    *fake.fail_apply.lock().unwrap() = Some("boom".into());
    let mut o = opts();
    o.atomic = true;
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a", "x"]),
        &o,
    )
    .await;
    // apply fails on the restore too (same fake), so both errors are reported
    let msg = format!("{:#}", err.unwrap_err());
    assert!(msg.contains("automatic rollback failed too"), "{msg}");
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Failed)]
    );
    let failed = store.get("shop", "web", 2).await.unwrap().unwrap().release;
    assert!(
        failed.description.contains("boom")
            && failed.description.contains("automatic rollback failed too"),
        "the record explains both: {}",
        failed.description
    );

    // now only the upgrade's own apply fails: make the restore succeed by clearing the failure after one call
    struct FailOnce(Fake, Mutex<bool>);
    impl Deployer for FailOnce {
        async fn prepare(&self, o: Vec<Value>, p: &DeployOptions) -> Result<Vec<Value>> {
            self.0.prepare(o, p).await
        }
        async fn apply(&self, o: &[Value], p: &DeployOptions) -> Result<Vec<Change>> {
            let first = std::mem::replace(&mut *self.1.lock().unwrap(), false);
            if first {
                bail!("image pull failed")
            }
            self.0.apply(o, p).await
        }
        async fn delete(&self, o: &[ObjectId], p: &DeployOptions) -> Result<Vec<Change>> {
            self.0.delete(o, p).await
        }
        async fn wait(&self, o: &[ObjectId], t: Duration) -> Result<()> {
            self.0.wait(o, t).await
        }
        async fn delete_hook(&self, h: &ObjectId, p: &DeployOptions) -> Result<bool> {
            self.0.delete_hook(h, p).await
        }
        async fn wait_hook(&self, h: &ObjectId, t: Duration) -> Result<()> {
            self.0.wait_hook(h, t).await
        }
        async fn hook_report(&self, h: &ObjectId, logs: bool) -> Vec<String> {
            self.0.hook_report(h, logs).await
        }
    }
    let once = FailOnce(Fake::default(), Mutex::new(true));
    let msg = format!(
        "{:#}",
        run(
            &store,
            &once,
            Op::Upgrade { install: false },
            desired(&["a", "x"]),
            &o
        )
        .await
        .unwrap_err()
    );
    assert!(
        msg.contains("rolled back to revision 1") && msg.contains("image pull failed"),
        "{msg}"
    );
    assert_eq!(
        once.0.applied.lock().unwrap().len(),
        1,
        "previous revision re-applied"
    );
    assert_eq!(
        once.0.deleted.lock().unwrap()[0][0].name,
        "x",
        "objects only the failed revision had are removed"
    );
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Deployed),
            (2, Status::Failed),
            (3, Status::Failed)
        ]
    );
}

#[tokio::test]
async fn history_max_never_prunes_the_deployed_revision() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut o = opts();
    o.history_max = 3;
    run(&store, &fake, Op::Install, desired(&["a"]), &o)
        .await
        .unwrap();
    *fake.fail_apply.lock().unwrap() = Some("nope".into());
    for _ in 0..5 {
        run(
            &store,
            &fake,
            Op::Upgrade { install: false },
            desired(&["a"]),
            &o,
        )
        .await
        .unwrap_err();
    }
    let st = statuses(&store).await;
    assert_eq!(st.len(), 3, "{st:?}");
    assert_eq!(st[0], (1, Status::Deployed), "{st:?}");
    assert_eq!(st[2], (6, Status::Failed), "{st:?}");
}

#[tokio::test]
async fn an_interrupted_revision_is_marked_failed_by_the_next_operation() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    // a process died after writing its pending record
    let mut dead = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    dead.revision = 2;
    dead.status = Status::PendingUpgrade;
    store.create(&dead).await.unwrap();
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Superseded),
            (2, Status::Failed),
            (3, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn a_deploy_reads_the_history_once_and_does_not_read_back_its_own_record() {
    use crate::storage::memory::Reads;
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    // the history under the lock; the new record is marked deployed from what was written, and with one
    // revision of at most ten there is nothing to prune
    assert_eq!(
        store.reads(),
        Reads {
            histories: 1,
            gets: 0
        }
    );
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    // the upgrade adds its history and the previous revision, read once to compare and once to mark it
    // superseded
    assert_eq!(
        store.reads(),
        Reads {
            histories: 2,
            gets: 2
        }
    );
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
}

#[tokio::test]
async fn status_writes_retry_on_conflict() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    store.inject_conflicts(2);
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
}

#[tokio::test]
async fn pruning_the_release_namespace_is_refused_before_any_write() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut d = desired(&["a"]);
    d.objects.insert(
        0,
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
    );
    run(&store, &fake, Op::Install, d, &opts()).await.unwrap();
    let msg = format!(
        "{:#}",
        run(
            &store,
            &fake,
            Op::Upgrade { install: false },
            desired(&["a"]),
            &opts()
        )
        .await
        .unwrap_err()
    );
    assert!(msg.contains("Namespace `shop`"), "{msg}");
    assert_eq!(statuses(&store).await, [(1, Status::Deployed)]);
    assert_eq!(fake.applied.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn rollback_reapplies_a_stored_revision_as_a_new_one() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a", "b"]), &opts())
        .await
        .unwrap();
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    let target = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    let d = Desired {
        chart: target.chart.clone(),
        manifest: target.manifest.clone(),
        objects: manifest_objects(&target).unwrap(),
        values: target.values.clone(),
        layers: target.layers.clone(),
        notes: target.notes.clone(),
        labels: target.labels.clone(),
    };
    let out = run(&store, &fake, Op::Rollback(1), d, &opts())
        .await
        .unwrap();
    assert_eq!(out.release.revision, 3);
    assert!(out.release.description.contains("rollback to revision 1"));
    assert_eq!(out.release.objects.len(), 2);
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Superseded),
            (2, Status::Superseded),
            (3, Status::Deployed)
        ]
    );
}

#[tokio::test]
async fn two_deployed_records_are_healed_by_the_next_upgrade() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, desired(&["a"]), &opts())
        .await
        .unwrap();
    let mut twin = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    twin.revision = 2;
    store.create(&twin).await.unwrap();
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Deployed)]
    );
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        desired(&["a"]),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        statuses(&store).await,
        [
            (1, Status::Superseded),
            (2, Status::Superseded),
            (3, Status::Deployed)
        ]
    );
}

#[path = "deploy_lock_tests.rs"]
mod lock_tests;
