//! The release lock against the real API server: a lock renewed by a holder whose clock is far behind is
//! not taken over (staleness is judged by renewals seen here), one nobody renews is, and a running operation
//! whose lock is removed under it stops before it writes again.

use crate::harness::*;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, Patch, PatchParams};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// A Lease as another tack on another machine writes it, last renewed `ago` seconds ago by its clock.
fn foreign_lease(ago: i64, ttl_secs: i32) -> Lease {
    let renewed = (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(ago)).to_string();
    let holder = serde_json::json!({
        "id": "4f1c0ffee", "user": "ci", "host": "runner-9", "pid": 77,
        "command": "tack upgrade web charts/webapp", "since": renewed
    });
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": "tack.lock.web", "annotations": {"tack.dev/holder": holder.to_string()}},
        "spec": {"holderIdentity": "4f1c0ffee", "leaseDurationSeconds": ttl_secs,
                 "renewTime": renewed, "acquireTime": renewed}
    }))
    .unwrap()
}

async fn run_async(mut cmd: std::process::Command) -> (std::process::Output, String, String) {
    tokio::task::spawn_blocking(move || run(&mut cmd))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_renewed_with_a_skewed_clock_is_kept_and_an_abandoned_one_taken_over() {
    let client = client().await;
    let ns = namespace(&client, "e2e-skew").await;
    ok(&mut webapp("install", &ns, &[]));
    let leases: Api<Lease> = Api::namespaced(client.clone(), &ns);
    // renewed every 500ms by a holder whose clock is ten minutes behind ours, time to live 2s
    leases
        .create(&Default::default(), &foreign_lease(600, 2))
        .await
        .unwrap();
    let renewer = {
        let leases = leases.clone();
        tokio::spawn(async move {
            for i in 0u64.. {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let patch = serde_json::json!({"metadata": {"labels": {"renewal": i.to_string()}}});
                leases
                    .patch(
                        "tack.lock.web",
                        &PatchParams::default(),
                        &Patch::Merge(&patch),
                    )
                    .await
                    .unwrap();
            }
        })
    };
    let start = Instant::now();
    let (o, _, err) = run_async(webapp("upgrade", &ns, &[])).await;
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("another operation is in progress") && err.contains("runner-9"),
        "{err}"
    );
    assert!(
        err.contains("watching it"),
        "it watched the overdue lock: {err}"
    );
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string())],
        "nothing written"
    );

    // the holder stops renewing: after its time to live, seen here, the lock is taken over
    renewer.abort();
    let (o, out, err) = run_async(webapp("upgrade", &ns, &[])).await;
    assert!(o.status.success(), "{out}{err}");
    assert!(
        err.contains("took over the stale lock") && err.contains("runner-9"),
        "{err}"
    );
    assert_eq!(
        history(&ns),
        [(1, "superseded".to_string()), (2, "deployed".to_string())]
    );
    assert!(leases.get_opt("tack.lock.web").await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_unlock_stops_the_running_operation_before_it_writes_again() {
    let client = client().await;
    let ns = namespace(&client, "e2e-fence").await;
    ok(&mut webapp("install", &ns, &[]));
    let victim = webapp(
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
            "no pending revision"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (o, out, err) = run_async({
        let mut c = tack();
        c.args(["unlock", "web", "-n", &ns]);
        c
    })
    .await;
    assert_eq!(
        o.status.code(),
        Some(1),
        "a live lock needs --force: {out}{err}"
    );
    let removed = Instant::now();
    ok(tack().args(["unlock", "web", "-n", &ns, "--force"]));
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stopped = removed.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("lost the lock of release `web`"), "{err}");
    assert!(
        stopped < Duration::from_secs(15),
        "stopped {stopped:?} after its lock was removed"
    );
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string()), (2, "failed".to_string())],
        "the operation that lost its lock never recorded success"
    );
    ok(&mut webapp("upgrade", &ns, &[]));
    assert_eq!(history(&ns).last().unwrap().1, "deployed");
}
