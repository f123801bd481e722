//! More RELIABILITY scenarios: Ctrl-C during an upgrade, history pruning after failures, objects a failed
//! upgrade left behind, and a chart that stops rendering the Namespace holding its own release records.

use crate::harness::*;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams};
use std::process::Stdio;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_marks_the_revision_failed_and_releases_the_lock() {
    let client = client().await;
    let ns = namespace(&client, "e2e-sigint").await;
    ok(&mut webapp("install", &ns, &[]));
    let child = webapp(
        "upgrade",
        &ns,
        &[
            "--wait",
            "--timeout",
            "120s",
            "--set",
            "nodeSelector.pool=none",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let start = Instant::now();
    while !history(&ns).iter().any(|(_, s)| s == "pending-upgrade") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pending revision appeared"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let interrupted = Instant::now();
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let took = interrupted.elapsed();
    assert_eq!(
        out.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        took < Duration::from_secs(3),
        "stopped {took:?} after Ctrl-C"
    );
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string()), (2, "failed".to_string())]
    );
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), &ns);
    assert!(
        leases.get_opt("tack.lock.web").await.unwrap().is_none(),
        "lock released"
    );
    // and the next operation proceeds at once
    ok(&mut webapp("upgrade", &ns, &[]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_max_keeps_the_deployed_revision_through_failures() {
    let client = client().await;
    let ns = namespace(&client, "e2e-histmax").await;
    ok(&mut webapp("install", &ns, &[]));
    for _ in 0..5 {
        // a label value the API server refuses: the failure happens after the pending record is written
        let (o, _, err) = run(&mut webapp(
            "upgrade",
            &ns,
            &["--history-max", "3", "--set", "podLabels.team=-bad-"],
        ));
        assert_eq!(o.status.code(), Some(1), "{err}");
        assert!(err.contains("-bad-") && err.contains("Deployment"), "{err}");
    }
    let h = history(&ns);
    assert_eq!(h.len(), 3, "{h:?}");
    assert_eq!(h[2], (6, "failed".to_string()), "{h:?}");
    assert!(
        h.contains(&(1, "deployed".to_string())),
        "the deployed revision survives: {h:?}"
    );
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let records = secrets
        .list(&ListParams::default().labels("tack.dev/release=web"))
        .await
        .unwrap()
        .items;
    assert_eq!(records.len(), h.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_release_namespace_from_the_chart_is_refused() {
    let client = client().await;
    let ns = format!("e2e-ownns-{}", std::process::id());
    let chart = "tests/fixtures/charts/with-namespace";
    // the namespace made by --create-namespace is taken over by the chart's Namespace object
    ok(tack().args([
        "install",
        "own",
        chart,
        "-n",
        &ns,
        "--create-namespace",
        "--adopt",
    ]));
    let (o, _, err) = run(tack().args([
        "upgrade",
        "own",
        chart,
        "-n",
        &ns,
        "--set",
        "renderNamespace=false",
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains(&format!("Namespace `{ns}`")) && err.contains("release history"),
        "{err}"
    );
    let namespaces: Api<Namespace> = Api::all(client.clone());
    assert!(namespaces.get_opt(&ns).await.unwrap().is_some());
    let h: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["history", "own", "-n", &ns, "-o", "json"])))
            .unwrap();
    assert_eq!(h.as_array().unwrap().len(), 1, "nothing was recorded: {h}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_lock_is_explained_waited_for_and_removed_with_unlock() {
    use k8s_openapi::api::coordination::v1::Lease;
    let client = client().await;
    let ns = namespace(&client, "e2e-unlock").await;
    ok(&mut webapp("install", &ns, &[]));
    let now = jiff::Timestamp::now().to_string();
    let holder = serde_json::json!({
        "id": "ci-runner-7-1", "user": "ci", "host": "runner-7", "pid": 4711,
        "command": "tack upgrade web charts/webapp", "since": now
    });
    let lease: Lease = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "tack.lock.web", "annotations": {"tack.dev/holder": holder.to_string()}},
        "spec": {"holderIdentity": "ci-runner-7-1", "leaseDurationSeconds": 3600, "renewTime": now, "acquireTime": now}
    }))
    .unwrap();
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    leases.create(&Default::default(), &lease).await.unwrap();

    let (o, _, err) = run(&mut webapp("upgrade", &ns, &[]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("ci@runner-7") && err.contains("4711") && err.contains("tack unlock web"),
        "{err}"
    );
    let start = Instant::now();
    let (o, _, err) = run(&mut webapp("upgrade", &ns, &["--wait-for-lock=2s"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "waited for the lock"
    );
    assert!(err.contains("gave up after 2s"), "{err}");
    let status = ok(tack().args(["status", "web", "-n", &ns]));
    assert!(
        status.contains("LOCK:") && status.contains("runner-7"),
        "{status}"
    );

    // the lock is live (renewed just now, for an hour): unlock refuses without --force
    let (o, _, err) = run(tack().args(["unlock", "web", "-n", &ns]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("is live") && err.contains("runner-7") && err.contains("--force"),
        "{err}"
    );
    assert!(leases.get_opt("tack.lock.web").await.unwrap().is_some());
    let (o, out, err) = run(tack().args(["unlock", "web", "-n", &ns, "--force"]));
    assert!(o.status.success(), "{err}");
    assert!(
        out.contains("removed the lock") && out.contains("runner-7"),
        "{out}"
    );
    assert!(err.contains("may still be running"), "{err}");
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string())],
        "nothing was written while locked"
    );
    ok(&mut webapp("upgrade", &ns, &[]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_write_hit_by_a_conflict_is_re_read_never_overwritten() {
    use tack::release::Status;
    use tack::storage::secrets::SecretStore;
    use tack::storage::{ReleaseStore, StoreError};
    let client = client().await;
    let ns = namespace(&client, "e2e-409").await;
    ok(&mut webapp("install", &ns, &[]));
    let store = SecretStore::new(client.clone());
    let stale = store.get(&ns, "web", 1).await.unwrap().unwrap();

    // someone else writes the record in between (here: an annotation on the Secret)
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let patch = serde_json::json!({"metadata": {"annotations": {"example.com/audited": "yes"}}});
    secrets
        .patch(
            "tack.release.v1.web.v1",
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(&patch),
        )
        .await
        .unwrap();

    // a write that names the old resourceVersion is refused by the API server...
    let mut changed = stale.release.clone();
    changed.description = "blind overwrite".into();
    match store.update(&changed, &stale.version).await {
        Err(StoreError::Conflict(what)) => {
            assert!(what.contains("tack.release.v1.web.v1"), "{what}")
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // ...and the status change re-reads and succeeds
    let r = tack::ops::records::set_status(
        &store,
        &ns,
        "web",
        1,
        Status::Failed,
        Some("marked".into()),
    )
    .await
    .unwrap();
    assert_eq!(r.status, Status::Failed);
    assert_eq!(history(&ns), [(1, "failed".to_string())]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_a_failed_upgrade_created_are_pruned_by_the_next_upgrade() {
    let client = client().await;
    let ns = namespace(&client, "e2e-failedprune").await;
    ok(&mut webapp("install", &ns, &[]));
    // revision 2 creates a PodDisruptionBudget, then fails waiting for pods that cannot be scheduled
    let (o, out, err) = run(&mut webapp(
        "upgrade",
        &ns,
        &[
            "--wait",
            "--timeout",
            "4s",
            "--set",
            "podDisruptionBudget.enabled=true",
            "--set",
            "nodeSelector.pool=none",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    let pdbs: Api<k8s_openapi::api::policy::v1::PodDisruptionBudget> =
        Api::namespaced(client.clone(), &ns);
    assert!(
        pdbs.get_opt("web-webapp").await.unwrap().is_some(),
        "the failed revision created it"
    );
    // revision 3 no longer has it: it goes, though the deployed revision 1 never had it
    let out = ok(&mut webapp("upgrade", &ns, &[]));
    assert!(
        out.contains("PodDisruptionBudget") && out.contains("deleted"),
        "{out}"
    );
    assert!(pdbs.get_opt("web-webapp").await.unwrap().is_none());
    assert_eq!(
        history(&ns),
        [
            (1, "superseded".to_string()),
            (2, "failed".to_string()),
            (3, "deployed".to_string())
        ]
    );
}
