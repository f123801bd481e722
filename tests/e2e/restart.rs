//! RELIABILITY: the API server restarts (etcd keeps its data) while an upgrade applies its objects. The
//! restart happens on a control plane of the test's own (`plane::Plane`): restarting the shared one would
//! break every test running beside it. The running upgrade retries its requests until the server is back
//! and finishes; afterwards nothing is lost, the lock is free and the next upgrade succeeds.

use crate::harness::*;
use crate::plane::Plane;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A chart of `count` ConfigMaps carrying `version`: enough objects to take seconds to apply.
fn many_chart(dir: &Path) {
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: many\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "count: 1\nversion: \"1\"\n").unwrap();
    std::fs::write(
        dir.join("templates/cms.yaml.j2"),
        "{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-{{ i }}\ndata:\n  version: {{ values.version | quote }}\n{% endfor %}\n",
    )
    .unwrap();
}

fn history_on(p: &Plane, ns: &str) -> Vec<(u64, String)> {
    let json: serde_json::Value = serde_json::from_str(&ok(p
        .tack()
        .args(["history", "many", "-n", ns, "-o", "json"])))
    .unwrap();
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

fn upgrade(p: &Plane, chart: &Path, ns: &str, count: u32, version: &str) -> Command {
    upgrade_within(p, chart, ns, count, version, "120s")
}

fn upgrade_within(
    p: &Plane,
    chart: &Path,
    ns: &str,
    count: u32,
    version: &str,
    timeout: &str,
) -> Command {
    let mut c = p.tack();
    c.args(["upgrade", "many"])
        .arg(chart)
        .args(["-n", ns, "--timeout", timeout, "--set"])
        .arg(format!("count={count}"))
        .arg("--set")
        .arg(format!("version={version}"));
    c
}

/// A kube client for the plane.
async fn client_of(p: &Plane) -> kube::Client {
    let kc = Kubeconfig::read_from(&p.kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .unwrap();
    kube::Client::try_from(config).unwrap()
}

/// The release's ConfigMaps in `ns`: how many, and how many carry `version`.
async fn config_maps(c: &kube::Client, ns: &str, version: &str) -> (usize, usize) {
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), ns);
    let all = api.list(&Default::default()).await.unwrap().items;
    let ours: Vec<_> = all
        .iter()
        .filter(|cm| {
            cm.metadata
                .name
                .as_deref()
                .unwrap_or("")
                .starts_with("many-")
        })
        .collect();
    let with = ours
        .iter()
        .filter(|cm| {
            cm.data
                .as_ref()
                .and_then(|d| d.get("version"))
                .is_some_and(|v| v == version)
        })
        .count();
    (ours.len(), with)
}

fn wait_for_pending(p: &Plane, ns: &str) {
    let start = Instant::now();
    while !history_on(p, ns)
        .iter()
        .any(|(_, s)| s == "pending-upgrade")
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pending revision"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_server_restarted_mid_apply_is_waited_for_and_nothing_is_lost() {
    let plane = Plane::start("restart");
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("many");
    many_chart(&chart);
    let ns = "restart";
    ok(plane
        .tack()
        .args(["install", "many"])
        .arg(&chart)
        .args(["-n", ns, "--create-namespace"]));
    let client = client_of(&plane).await;

    let victim = upgrade(&plane, &chart, ns, 800, "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !history_on(&plane, ns)
        .iter()
        .any(|(_, s)| s == "pending-upgrade")
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no pending revision"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let restart = plane.restart_apiserver(Duration::from_secs(2));
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let (stdout, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    eprintln!(
        "the API server was unavailable for {restart:?}; the upgrade took {:?} in all",
        start.elapsed()
    );
    assert!(
        out.status.success(),
        "the upgrade retries its requests while the server restarts and finishes:\n{stdout}\n{err}"
    );
    assert!(stdout.contains("upgraded"), "{stdout}");
    // nothing lost: both revisions recorded, every object at revision 2, the lock given back
    assert_eq!(
        history_on(&plane, ns),
        [(1, "superseded".to_string()), (2, "deployed".to_string())]
    );
    assert_eq!(config_maps(&client, ns, "2").await, (800, 800));
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    assert!(
        leases.get_opt("tack.lock.many").await.unwrap().is_none(),
        "the lock was given back"
    );

    // and the next command works as usual
    ok(&mut upgrade(&plane, &chart, ns, 10, "3"));
    assert_eq!(
        history_on(&plane, ns).last().unwrap(),
        &(3, "deployed".to_string())
    );
    assert_eq!(config_maps(&client, ns, "3").await, (10, 10));

    // an outage longer than --timeout: the upgrade fails at its --timeout with a clear error, records the
    // failure once the server is back and gives the lock back; the next upgrade succeeds. (--timeout also
    // bounds preparing the 800 objects before the pending record, so it leaves room for a busy machine.)
    let victim = upgrade_within(&plane, &chart, ns, 800, "4", "12s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_pending(&plane, ns);
    let restarter = {
        let dir = plane.clone_handle();
        std::thread::spawn(move || dir.restart_apiserver(Duration::from_secs(16)))
    };
    let start = Instant::now();
    let out = tokio::task::spawn_blocking(move || victim.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let took = start.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(took < Duration::from_secs(50), "bounded: {took:?}\n{err}");
    assert!(
        err.contains("timed out after 12s applying revision 4 (--timeout)"),
        "{err}"
    );
    restarter.join().unwrap();
    assert_eq!(
        history_on(&plane, ns)[2..],
        [(3, "deployed".to_string()), (4, "failed".to_string())]
    );
    assert!(
        leases.get_opt("tack.lock.many").await.unwrap().is_none(),
        "the lock was given back"
    );
    ok(&mut upgrade(&plane, &chart, ns, 10, "5"));
    assert_eq!(
        history_on(&plane, ns).last().unwrap(),
        &(5, "deployed".to_string())
    );
    // revision 5's objects are all there, and what the failed revision 4 created before the timeout is gone
    // (the next revision prunes failed revisions' objects too)
    assert_eq!(config_maps(&client, ns, "5").await, (10, 10));
}
