//! RELIABILITY scenarios 4 and 9 with real faults: the connection to the API server cut right after the
//! pending record is written, answers slower than `--timeout` (mid-apply, and before anything is written),
//! and an `--atomic` upgrade whose rollback fails too. After each, the next command recovers: the pending revision is marked failed, the lock is freed or
//! taken over, and a retry succeeds.

use crate::harness::*;
use crate::netfault::{webapp_via, Faults};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use std::process::Stdio;
use std::time::{Duration, Instant};

async fn wait_for_pending(ns: &str) {
    let start = Instant::now();
    while !history(ns).iter().any(|(_, s)| s == "pending-upgrade") {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pending revision"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_cut_after_the_pending_record_is_recovered_by_the_next_command() {
    let client = client().await;
    let ns = namespace(&client, "e2e-cut").await;
    let f = Faults::start();
    ok(&mut webapp_via(&f, "install", &ns, &[]));
    let victim = webapp_via(
        &f,
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
    wait_for_pending(&ns).await;
    f.cut();
    let cut = Instant::now();
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    // requests are repeated for up to 8s per phase while the server refuses connections (it may be restarting)
    assert!(
        cut.elapsed() < Duration::from_secs(35),
        "it gave up {:?} after the cut",
        cut.elapsed()
    );
    assert!(err.contains("Connection refused"), "names the fault: {err}");
    assert!(
        err.contains("revision 2 of `web` is left pending")
            && err.contains("the next operation on it marks it failed"),
        "{err}"
    );
    // nothing lost: revision 1 is still deployed, revision 2 pending, the lock still there
    assert_eq!(
        history(&ns),
        [
            (1, "deployed".to_string()),
            (2, "pending-upgrade".to_string())
        ]
    );
    let status = ok(tack().args(["status", "web", "-n", &ns]));
    assert!(status.contains("stale: its process is gone"), "{status}");

    f.heal();
    let (o, out, err) = run(&mut webapp_via(
        &f,
        "upgrade",
        &ns,
        &["--set", "replicaCount=1"],
    ));
    assert!(o.status.success(), "{out}{err}");
    assert!(err.contains("took over the stale lock"), "{err}");
    assert!(
        err.contains("revision 2 of `web` was left pending-upgrade"),
        "{err}"
    );
    assert_eq!(
        history(&ns),
        [
            (1, "superseded".to_string()),
            (2, "failed".to_string()),
            (3, "deployed".to_string())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_slower_than_the_timeout_mid_apply_fail_the_revision_and_a_retry_succeeds() {
    let client = client().await;
    let ns = namespace(&client, "e2e-slow").await;
    let f = Faults::start();
    ok(&mut webapp_via(&f, "install", &ns, &[]));
    // pods that cannot be scheduled keep the upgrade in its wait, so the answers turn slow after the pending
    // record is written, whatever the speed of the machine
    let victim = webapp_via(
        &f,
        "upgrade",
        &ns,
        &[
            "--wait",
            "--timeout",
            "5s",
            "--set",
            "replicaCount=2",
            "--set",
            "nodeSelector.pool=none",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for_pending(&ns).await;
    f.slow(4000);
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("timed out after 5s applying revision 2 (--timeout): the API server at `https://127.0.0.1:"),
        "names the revision and the server: {err}"
    );
    // the timeout ends the apply phase, then the failure is recorded (each answer 4s late)
    assert!(took < Duration::from_secs(45), "bounded: {took:?}");
    f.heal();
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string()), (2, "failed".to_string())],
        "the slow revision is recorded failed, the previous one still deployed"
    );
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), &ns);
    assert!(
        leases.get_opt("tack.lock.web").await.unwrap().is_none(),
        "the lock was given back"
    );
    ok(&mut webapp_via(
        &f,
        "upgrade",
        &ns,
        &["--set", "replicaCount=2"],
    ));
    assert_eq!(history(&ns).last().unwrap().1, "deployed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_too_slow_before_any_write_ends_each_command_near_its_timeout_with_nothing_written(
) {
    let client = client().await;
    let ns = namespace(&client, "e2e-slowprep").await;
    let f = Faults::start();
    ok(&mut webapp_via(&f, "install", &ns, &[]));
    ok(&mut webapp_via(
        &f,
        "upgrade",
        &ns,
        &["--set", "replicaCount=2"],
    ));
    let proxied = std::fs::read_to_string(&f.kubeconfig).unwrap();
    let server = proxied
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap()
        .to_string();
    // every answer 4s late: before, each call before the lock waited it out (73s in all for one upgrade)
    f.slow(4000);
    let via = |args: &[&str]| {
        let mut c = tack();
        c.env("KUBECONFIG", &f.kubeconfig).args(args);
        c
    };
    let timeout = ["--timeout", "3s"];
    let mut commands: Vec<(&str, std::process::Command)> = vec![
        (
            "upgrade",
            webapp_via(
                &f,
                "upgrade",
                &ns,
                &["--timeout", "3s", "--set", "replicaCount=3"],
            ),
        ),
        (
            "upgrade --dry-run=server",
            webapp_via(&f, "upgrade", &ns, &["--timeout", "3s", "--dry-run=server"]),
        ),
        ("diff", webapp_via(&f, "diff", &ns, &timeout)),
        (
            "rollback",
            via(&["rollback", "web", "1", "-n", &ns, "--timeout", "3s"]),
        ),
        (
            "uninstall",
            via(&["uninstall", "web", "-n", &ns, "--timeout", "3s"]),
        ),
    ];
    for (what, cmd) in commands.iter_mut() {
        let start = Instant::now();
        let (o, out, err) = run(cmd);
        let took = start.elapsed();
        eprintln!("{what}: exit {:?} after {took:?}", o.status.code());
        assert_eq!(o.status.code(), Some(1), "{what}: {out}{err}");
        assert!(
            err.contains(&format!("the Kubernetes API server at `{server}"))
                && err.contains("did not answer in time: --timeout 3s ran out while"),
            "{what} names the server and the flag: {err}"
        );
        assert!(err.contains("nothing was written"), "{what}: {err}");
        // the deadline counts from the command's start; the request in flight is dropped at it
        assert!(
            took >= Duration::from_secs(3) && took < Duration::from_secs(8),
            "{what} ended {took:?} after its start"
        );
    }
    f.heal();
    assert_eq!(
        history(&ns),
        [(1, "superseded".to_string()), (2, "deployed".to_string())],
        "no revision written, none marked"
    );
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), &ns);
    assert!(
        leases.get_opt("tack.lock.web").await.unwrap().is_none(),
        "no lock left"
    );
    ok(&mut webapp_via(
        &f,
        "upgrade",
        &ns,
        &["--timeout", "3s", "--set", "replicaCount=3"],
    ));
    assert_eq!(history(&ns).last().unwrap(), &(3, "deployed".to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_atomic_upgrade_whose_rollback_fails_too_reports_both_and_status_explains() {
    let client = client().await;
    let ns = namespace(&client, "e2e-atomic2").await;
    ok(&mut webapp("install", &ns, &["--set", "logLevel=info"]));
    let victim = webapp(
        "upgrade",
        &ns,
        &[
            "--atomic",
            "--timeout",
            "8s",
            "--set",
            "logLevel=debug",
            "--set",
            "nodeSelector.pool=none",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    wait_for_pending(&ns).await;
    // while it waits, another field manager takes the field the rollback must write back
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let patch = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web-webapp"}, "data": {"LOG_LEVEL": "trace"}
    });
    cms.patch(
        "web-webapp",
        &PatchParams::apply("someone-else").force(),
        &Patch::Apply(&patch),
    )
    .await
    .unwrap();
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let (first, second) = err
        .split_once("and the automatic rollback failed too")
        .unwrap_or_else(|| panic!("two errors: {err}"));
    assert!(first.contains("upgrade failed"), "{err}");
    assert!(
        second.contains("someone-else") && second.contains("LOG_LEVEL"),
        "the rollback's own error names the conflict: {err}"
    );
    assert!(err.contains("tack status web"), "{err}");
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string()), (2, "failed".to_string())]
    );
    let status = ok(tack().args(["status", "web", "-n", &ns, "-o", "json"]));
    let st: serde_json::Value = serde_json::from_str(&status).unwrap();
    let desc = st["description"].as_str().unwrap_or_default();
    assert!(
        desc.contains("the automatic rollback failed too") && desc.contains("someone-else"),
        "status explains: {st}"
    );
}
