//! RELIABILITY scenarios end to end: ownership, field-manager conflicts, concurrent operations, a killed
//! process, waiting and atomic rollback, oversized and corrupt records, and secrets kept out of output.

use crate::harness::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::ByteString;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use std::process::Stdio;
use std::time::{Duration, Instant};

fn webapp(cmd: &str, ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args([
        cmd,
        "web",
        "charts/webapp",
        "--env",
        "dev",
        "--tier",
        "private",
        "-n",
        ns,
    ]);
    c.args(extra);
    c
}

async fn statuses(ns: &str) -> Vec<(u64, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["history", "web", "-n", ns, "-o", "json"]))).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["revision"].as_u64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_of_others_are_refused_before_any_write_unless_adopted() {
    let client = client().await;
    let ns = namespace(&client, "e2e-adopt").await;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let existing: ConfigMap = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "web-webapp"}, "data": {"LOG_LEVEL": "handmade"}
    }))
    .unwrap();
    cms.create(&PostParams::default(), &existing).await.unwrap();

    let (o, _, err) = run(&mut webapp("install", &ns, &[]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("ConfigMap") && err.contains("web-webapp"),
        "{err}"
    );
    assert!(err.contains("--adopt"), "{err}");
    let deps: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), &ns);
    assert!(
        deps.get_opt("web-webapp").await.unwrap().is_none(),
        "nothing was applied"
    );
    assert_eq!(
        cms.get("web-webapp").await.unwrap().data.unwrap()["LOG_LEVEL"],
        "handmade"
    );

    ok(&mut webapp("install", &ns, &["--adopt"]));
    assert_eq!(
        cms.get("web-webapp").await.unwrap().data.unwrap()["LOG_LEVEL"],
        "\"debug\"".trim_matches('"')
    );

    // a second release may not take the first one's objects
    let (o, _, err) = run(tack().args([
        "install",
        "other",
        "charts/webapp",
        "-n",
        &ns,
        "--set",
        "fullnameOverride=web-webapp",
    ]));
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("web"), "names the owning release: {err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn field_manager_conflicts_name_the_manager_and_force_takes_over() {
    let client = client().await;
    let ns = namespace(&client, "e2e-conflict").await;
    ok(&mut webapp("install", &ns, &[]));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let patch = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-webapp"}, "data": {"LOG_LEVEL": "trace"}});
    cms.patch(
        "web-webapp",
        &PatchParams::apply("ops-console").force(),
        &Patch::Apply(&patch),
    )
    .await
    .unwrap();

    let (o, _, err) = run(&mut webapp("upgrade", &ns, &["--set", "logLevel=error"]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ops-console"),
        "names the other manager: {err}"
    );
    assert!(err.contains("LOG_LEVEL"), "names the field: {err}");
    assert!(err.contains("--force-conflicts"), "{err}");
    assert_eq!(statuses(&ns).await.last().unwrap().1, "failed");

    ok(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "logLevel=error", "--force-conflicts"],
    ));
    assert_eq!(
        cms.get("web-webapp").await.unwrap().data.unwrap()["LOG_LEVEL"],
        "error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_upgrades_one_proceeds_the_other_names_the_holder() {
    let client = client().await;
    let ns = namespace(&client, "e2e-race").await;
    ok(&mut webapp("install", &ns, &[]));
    // the first upgrade holds the lock while it waits for a rollout that cannot finish in time
    let mut first = webapp(
        "upgrade",
        &ns,
        &[
            "--wait",
            "--timeout",
            "8s",
            "--set",
            "nodeSelector.pool=none",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    // contend only once the first holds the lock (racing its start, a contender may take it first)
    let leases: Api<k8s_openapi::api::coordination::v1::Lease> =
        Api::namespaced(client.clone(), &ns);
    eventually(
        Duration::from_secs(10),
        "the first upgrade to take the lock",
        || {
            let leases = leases.clone();
            async move {
                leases
                    .get_opt("tack.lock.web")
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            }
        },
    )
    .await;
    let start = Instant::now();
    let mut err = String::new();
    while start.elapsed() < Duration::from_secs(6) {
        let (o, _, e) = run(&mut webapp("upgrade", &ns, &["--set", "replicaCount=3"]));
        if o.status.code() == Some(1) && e.contains("another operation is in progress") {
            err = e;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        err.contains("tack upgrade web"),
        "names the holder's command: {err}"
    );
    assert!(err.contains("pid"), "{err}");
    let _ = first.wait();
    let st = statuses(&ns).await;
    assert_eq!(
        st.iter().filter(|(_, s)| s == "deployed").count(),
        1,
        "{st:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_upgrade_is_recovered_by_the_next_one() {
    let client = client().await;
    let ns = namespace(&client, "e2e-kill").await;
    ok(&mut webapp("install", &ns, &[]));
    let mut victim = webapp(
        "upgrade",
        &ns,
        &[
            "--wait",
            "--timeout",
            "60s",
            "--set",
            "nodeSelector.pool=none",
        ],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // wait until its pending record exists, then SIGKILL it
    let start = Instant::now();
    loop {
        let st = statuses(&ns).await;
        if st.iter().any(|(_, s)| s == "pending-upgrade") {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pending record: {st:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    victim.kill().unwrap();
    let _ = victim.wait();

    let status = ok(tack().args(["status", "web", "-n", &ns]));
    assert!(
        status.contains("LOCK:") && status.contains("stale"),
        "{status}"
    );

    let (o, out, err) = run(&mut webapp("upgrade", &ns, &["--set", "replicaCount=1"]));
    assert!(o.status.success(), "{out}{err}");
    assert!(err.contains("took over the stale lock"), "{err}");
    assert!(err.contains("marking it failed"), "{err}");
    let st = statuses(&ns).await;
    assert_eq!(
        st,
        [
            (1, "superseded".to_string()),
            (2, "failed".to_string()),
            (3, "deployed".to_string())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_succeeds_under_kwok_and_atomic_rolls_back_a_stuck_rollout() {
    let client = client().await;
    let ns = namespace(&client, "e2e-wait").await;
    let out = ok(&mut webapp("install", &ns, &["--wait", "--timeout", "90s"]));
    assert!(out.contains("revision 1 deployed"), "{out}");

    let started = Instant::now();
    let (o, _, err) = run(&mut webapp(
        "upgrade",
        &ns,
        &[
            "--atomic",
            "--timeout",
            "10s",
            "--set",
            "nodeSelector.pool=none",
            "--set",
            "replicaCount=2",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("rolled back to revision 1"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(60));
    let st = statuses(&ns).await;
    assert_eq!(st[0], (1, "deployed".to_string()), "{st:?}");
    assert_eq!(st[1], (2, "failed".to_string()), "{st:?}");
    let deps: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), &ns);
    let spec = deps.get("web-webapp").await.unwrap().spec.unwrap();
    assert_eq!(spec.replicas, Some(1));
    assert!(spec.template.spec.unwrap().node_selector.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_over_one_mebibyte_are_chunked_and_read_back() {
    let client = client().await;
    let ns = namespace(&client, "e2e-big").await;
    // 1.5 MiB of incompressible text as a value
    let mut x: u64 = 99;
    let blob: String = (0..1_500_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &blob).unwrap();
    ok(&mut webapp(
        "install",
        &ns,
        &["--set-file", &format!("blob={}", file.path().display())],
    ));
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let chunks = secrets
        .list(&ListParams::default().labels("tack.dev/release=web,tack.dev/record=chunk"))
        .await
        .unwrap()
        .items;
    assert!(chunks.len() >= 2, "chunked into {} secrets", chunks.len());
    let values = ok(tack().args(["get", "values", "web", "-n", &ns, "--show-secrets"]));
    assert!(values.contains(&blob[..1000]));
    ok(&mut webapp(
        "upgrade",
        &ns,
        &["--set-file", &format!("blob={}", file.path().display())],
    ));
    assert_eq!(statuses(&ns).await.len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_record_is_named_and_does_not_block_upgrades() {
    let client = client().await;
    let ns = namespace(&client, "e2e-corrupt").await;
    ok(&mut webapp("install", &ns, &[]));
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let mut rec = secrets.get("tack.release.v1.web.v1").await.unwrap();
    rec.data
        .as_mut()
        .unwrap()
        .insert("release".into(), ByteString(b"garbage".to_vec()));
    secrets
        .replace("tack.release.v1.web.v1", &PostParams::default(), &rec)
        .await
        .unwrap();

    let hist = ok(tack().args(["history", "web", "-n", &ns]));
    assert!(
        hist.contains("deployed"),
        "history reads labels only: {hist}"
    );
    let (o, _, err) = run(tack().args(["status", "web", "-n", &ns]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("tack.release.v1.web.v1") && err.contains("corrupt"),
        "{err}"
    );
    let (o, out, err) = run(&mut webapp("upgrade", &ns, &[]));
    assert!(o.status.success(), "{out}{err}");
    assert!(
        err.contains("tack.release.v1.web.v1"),
        "warns naming the secret: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_values_never_reach_the_output() {
    let client = client().await;
    let ns = namespace(&client, "e2e-secret").await;
    let password = "hunter2-very-secret-value";
    let b64 = "aHVudGVyMi12ZXJ5LXNlY3JldC12YWx1ZQ==";
    let set = format!("secret.data.DB_PASSWORD={password}");
    let mut outputs = Vec::new();
    for args in [
        vec!["install", "--dry-run"],
        vec!["install", "--dry-run=server"],
        vec!["install"],
        vec!["upgrade"],
    ] {
        let (o, out, err) = run(&mut webapp(
            args[0],
            &ns,
            &[&args[1..], &["--set", &set]].concat(),
        ));
        assert!(o.status.success(), "{args:?}: {out}{err}");
        outputs.push(out + &err);
    }
    for args in [
        vec!["history", "web"],
        vec!["status", "web"],
        vec!["get", "manifest", "web"],
        vec!["get", "values", "web"],
        vec!["list"],
    ] {
        let (_, out, err) = run(tack().args(&args).args(["-n", &ns]));
        outputs.push(out + &err);
    }
    for text in &outputs {
        assert!(
            !text.contains(password) && !text.contains(b64),
            "secret leaked: {text}"
        );
    }
    let manifest = ok(tack().args(["get", "manifest", "web", "-n", &ns]));
    assert!(
        manifest.contains("DB_PASSWORD: '<redacted: 25 bytes, sha256:")
            || manifest.contains("<redacted: 25 bytes"),
        "{manifest}"
    );
    let shown = ok(tack().args(["get", "manifest", "web", "-n", &ns, "--show-secrets"]));
    assert!(shown.contains(b64), "explicit opt-in shows it");
}
