//! Unit tests of hooks in the lifecycle core: order, delete policies, failures, `--atomic`, `--no-hooks`,
//! and hooks kept out of the release's objects (never pruned).

use super::*;

fn job(name: &str, events: &str, weight: i64, policy: Option<&str>) -> Value {
    let mut a =
        serde_json::json!({"helm.sh/hook": events, "helm.sh/hook-weight": weight.to_string()});
    if let Some(p) = policy {
        a["helm.sh/hook-delete-policy"] = Value::from(p);
    }
    serde_json::json!({"apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": name, "annotations": a}, "spec": {}})
}

fn with(objects: Vec<Value>) -> Desired {
    let manifest = objects
        .iter()
        .map(|o| format!("---\n{}", serde_yaml::to_string(o).unwrap()))
        .collect::<String>();
    Desired {
        objects,
        manifest,
        ..desired(&[])
    }
}

fn chart() -> Vec<Value> {
    vec![
        cm("app"),
        job("migrate", "pre-install,pre-upgrade", 5, None),
        job("seed", "pre-install", -5, Some("hook-succeeded")),
        job("notify", "post-install,post-upgrade", 0, None),
    ]
}

fn log(fake: &Fake) -> Vec<String> {
    std::mem::take(&mut *fake.log.lock().unwrap())
}

#[tokio::test]
async fn install_runs_pre_hooks_by_weight_before_the_objects_and_post_hooks_after_the_wait() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut o = opts();
    o.wait = true;
    let out = run(&store, &fake, Op::Install, with(chart()), &o)
        .await
        .unwrap();
    assert_eq!(
        log(&fake),
        [
            "apply seed",
            "wait-hook seed",
            "delete-hook seed", // hook-succeeded
            "apply migrate",
            "wait-hook migrate",
            "apply app",
            "wait",
            "apply notify",
            "wait-hook notify",
        ]
    );
    // hooks are not objects of the release, but recorded with their runs
    let names: Vec<&str> = out
        .release
        .objects
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, ["app"]);
    let rel = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    assert_eq!(rel.hooks.len(), 3);
    for h in &rel.hooks {
        let run = h.last_run.as_ref().expect("every hook ran");
        assert!(run.succeeded, "{h:?}");
        assert!(run.finished >= run.started);
    }
    let migrate = rel
        .hooks
        .iter()
        .find(|h| h.object.name == "migrate")
        .unwrap();
    assert_eq!(
        migrate.last_run.as_ref().unwrap().event,
        crate::manifest::hooks::Event::PreInstall
    );
    assert_eq!(migrate.object.namespace.as_deref(), Some("shop"));
}

#[tokio::test]
async fn upgrade_recreates_hooks_and_never_prunes_them() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, with(chart()), &opts())
        .await
        .unwrap();
    log(&fake);
    // the next chart drops the install-only hook: it is not pruned like an object
    let next = vec![
        cm("app"),
        job("migrate", "pre-install,pre-upgrade", 5, None),
        job("notify", "post-install,post-upgrade", 0, None),
    ];
    run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        with(next),
        &opts(),
    )
    .await
    .unwrap();
    assert_eq!(
        log(&fake),
        [
            "delete-hook migrate", // before-hook-creation
            "apply migrate",
            "wait-hook migrate",
            "apply app",
            "delete-hook notify",
            "apply notify",
            "wait-hook notify",
        ]
    );
    assert!(
        fake.deleted.lock().unwrap().is_empty(),
        "hooks are never pruned"
    );
}

#[tokio::test]
async fn a_failing_pre_upgrade_hook_fails_the_revision_before_any_object_changes() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, with(chart()), &opts())
        .await
        .unwrap();
    log(&fake);
    fake.fail_hooks.lock().unwrap().push("migrate".into());
    let objects = vec![
        cm("app"),
        cm("new"),
        job("migrate", "pre-upgrade", 0, Some("hook-failed")),
    ];
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        with(objects),
        &opts(),
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("pre-upgrade hook Job migrate failed: job failed: BackoffLimitExceeded"),
        "{msg}"
    );
    assert!(
        msg.contains("container main exited 3") && msg.contains("migration 7 failed"),
        "the pods' exit codes and logs are shown: {msg}"
    );
    assert_eq!(
        log(&fake),
        [
            "delete-hook migrate",
            "apply migrate",
            "wait-hook migrate",
            "delete-hook migrate", // hook-failed
        ]
    );
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Failed)]
    );
    let failed = store.get("shop", "web", 2).await.unwrap().unwrap().release;
    let run = failed.hooks[0].last_run.as_ref().unwrap();
    assert!(!run.succeeded);
    assert!(run
        .detail
        .as_deref()
        .unwrap()
        .contains("BackoffLimitExceeded"));
}

#[tokio::test]
async fn atomic_restores_without_running_hooks_when_a_post_hook_fails() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    run(&store, &fake, Op::Install, with(chart()), &opts())
        .await
        .unwrap();
    log(&fake);
    fake.fail_hooks.lock().unwrap().push("notify".into());
    let mut o = opts();
    o.atomic = true;
    o.wait = true;
    let objects = vec![
        cm("app"),
        cm("extra"),
        job("notify", "post-upgrade", 0, None),
    ];
    let err = run(
        &store,
        &fake,
        Op::Upgrade { install: false },
        with(objects),
        &o,
    )
    .await
    .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("rolled back to revision 1"), "{msg}");
    let calls = log(&fake);
    let after_failure: Vec<&String> = calls
        .iter()
        .skip_while(|c| *c != "wait-hook notify")
        .skip(1)
        .collect();
    assert!(
        after_failure.iter().all(|c| !c.contains("hook")),
        "restoring runs no hook: {calls:?}"
    );
    assert_eq!(
        statuses(&store).await,
        [(1, Status::Deployed), (2, Status::Failed)]
    );
    let extra_deleted = fake
        .deleted
        .lock()
        .unwrap()
        .iter()
        .flatten()
        .any(|o| o.name == "extra");
    assert!(extra_deleted, "the failed revision's new object is removed");
}

#[tokio::test]
async fn no_hooks_skips_them_but_records_them() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let mut o = opts();
    o.no_hooks = true;
    run(&store, &fake, Op::Install, with(chart()), &o)
        .await
        .unwrap();
    assert_eq!(log(&fake), ["apply app"]);
    let rel = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    assert_eq!(rel.hooks.len(), 3);
    assert!(rel.hooks.iter().all(|h| h.last_run.is_none()));
}

#[tokio::test]
async fn a_bad_hook_annotation_fails_before_anything_is_written() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let objects = vec![cm("app"), job("migrate", "pre-upgrad", 0, None)];
    let err = run(&store, &fake, Op::Install, with(objects), &opts())
        .await
        .unwrap_err();
    assert!(
        format!("{err:#}").contains("Job migrate: annotation `helm.sh/hook: pre-upgrad`"),
        "{err:#}"
    );
    assert!(log(&fake).is_empty());
    assert!(statuses(&store).await.is_empty());
}

#[tokio::test]
async fn tests_all_run_even_after_one_fails_and_are_recorded() {
    let (store, fake) = (MemoryStore::new(), Fake::default());
    let objects = vec![
        cm("app"),
        job("second", "test", 1, None),
        job("first", "test", 0, Some("hook-succeeded")),
    ];
    run(&store, &fake, Op::Install, with(objects), &opts())
        .await
        .unwrap();
    log(&fake);
    fake.fail_hooks.lock().unwrap().push("first".into());
    let suite = crate::ops::chart_tests::run_tests(&store, &fake, &opts(), false)
        .await
        .unwrap();
    let names: Vec<(&str, bool)> = suite
        .outcomes
        .iter()
        .map(|o| (o.hook.name.as_str(), o.run.succeeded))
        .collect();
    assert_eq!(names, [("first", false), ("second", true)]);
    assert_eq!(suite.failed(), 1);
    let rel = store.get("shop", "web", 1).await.unwrap().unwrap().release;
    assert!(rel.hooks.iter().all(|h| h.last_run.is_some()));
    assert!(store.read_lock("shop", "web").await.unwrap().is_none());
}
