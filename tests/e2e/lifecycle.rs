//! Release lifecycle end to end: install, upgrade, no-op upgrade, prune, rollback, uninstall, history,
//! status, list and get, against the real API server.

use crate::harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams};
use std::collections::BTreeMap;

async fn release_records(client: &kube::Client, ns: &str) -> Vec<Secret> {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels("tack.dev/release=web,tack.dev/record=index"))
        .await
        .unwrap()
        .items
}

/// resourceVersion of every ConfigMap tack manages and generation of every Deployment (their status keeps
/// changing under the controllers, their spec only when written), by kind/name.
async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for o in cms.list(&ListParams::default()).await.unwrap().items {
        if o.metadata.name.as_deref() == Some("kube-root-ca.crt") {
            continue;
        }
        out.insert(
            format!("cm/{}", o.metadata.name.unwrap()),
            o.metadata.resource_version.unwrap(),
        );
    }
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    for o in deps.list(&ListParams::default()).await.unwrap().items {
        out.insert(
            format!("deploy/{}", o.metadata.name.unwrap()),
            o.metadata.generation.unwrap().to_string(),
        );
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_upgrade_noop_prune_rollback_uninstall() {
    let client = client().await;
    let ns = namespace(&client, "e2e-life").await;

    let out = ok(&mut webapp("install", &ns, &[]));
    assert!(out.contains("revision 1 deployed"), "{out}");
    assert!(
        out.contains("created") && out.contains("Deployment"),
        "{out}"
    );
    let deps: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let d = deps.get("web-webapp").await.unwrap();
    let ann = d.metadata.annotations.clone().unwrap_or_default();
    assert_eq!(
        ann.get("tack.dev/release-name").map(String::as_str),
        Some("web")
    );
    assert_eq!(ann.get("tack.dev/release-namespace"), Some(&ns));
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    let records = release_records(&client, &ns).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].type_.as_deref(), Some("tack.dev/release.v1"));
    let labels = records[0].metadata.labels.clone().unwrap();
    assert_eq!(labels["app.kubernetes.io/managed-by"], "tack");
    assert_eq!(labels["tack.dev/status"], "deployed");
    assert_eq!(labels["tack.dev/revision"], "1");

    // installing again is refused
    let (o, _, err) = run(&mut webapp("install", &ns, &[]));
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("already installed"), "{err}");

    // an upgrade that changes a value
    let out = ok(&mut webapp("upgrade", &ns, &["--set", "replicaCount=2"]));
    assert!(out.contains("revision 2 deployed"), "{out}");
    assert!(
        out.contains("configured") && out.contains("Deployment"),
        "{out}"
    );
    assert_eq!(
        deps.get("web-webapp").await.unwrap().spec.unwrap().replicas,
        Some(2)
    );

    // a no-op upgrade writes no object
    let before = versions(&client, &ns).await;
    let out = ok(&mut webapp("upgrade", &ns, &["--set", "replicaCount=2"]));
    assert!(out.contains("revision 3 deployed"), "{out}");
    assert!(!out.contains("  configured"), "nothing configured: {out}");
    assert_eq!(
        versions(&client, &ns).await,
        before,
        "no resourceVersion changed"
    );

    // dropping a template prunes its object
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    assert!(secrets.get_opt("web-webapp").await.unwrap().is_some());
    let out = ok(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "replicaCount=2", "--set", "secret.create=false"],
    ));
    assert!(out.contains("deleted") && out.contains("Secret"), "{out}");
    assert!(secrets.get_opt("web-webapp").await.unwrap().is_none());

    // history, list, status
    let hist = ok(tack().args(["history", "web", "-n", &ns]));
    for (rev, status) in [
        ("1", "superseded"),
        ("2", "superseded"),
        ("3", "superseded"),
        ("4", "deployed"),
    ] {
        assert!(
            hist.lines()
                .any(|l| l.starts_with(rev) && l.contains(status)),
            "revision {rev} {status}: {hist}"
        );
    }
    let list = ok(tack().args(["list", "-A"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("web") && l.contains(&ns) && l.contains("deployed")),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["status", "web", "-n", &ns, "-o", "json"]))).unwrap();
    assert_eq!(json["revision"], 4);
    assert_eq!(json["status"], "deployed");
    assert!(json["lock"].is_null());

    // rollback to revision 1 brings the Secret and one replica back
    let out = ok(tack().args(["rollback", "web", "1", "-n", &ns]));
    assert!(out.contains("revision 5 deployed"), "{out}");
    assert!(secrets.get_opt("web-webapp").await.unwrap().is_some());
    assert_eq!(
        deps.get("web-webapp").await.unwrap().spec.unwrap().replicas,
        Some(1)
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["history", "web", "-n", &ns, "-o", "json"])))
            .unwrap();
    assert_eq!(json.as_array().unwrap().len(), 5);
    assert!(json[4]["description"]
        .as_str()
        .unwrap()
        .contains("rollback to revision 1"));

    // rollback without a revision goes to the previously deployed one (4)
    ok(tack().args(["rollback", "web", "-n", &ns]));
    assert!(secrets.get_opt("web-webapp").await.unwrap().is_none());

    // uninstall removes objects and records
    let out = ok(tack().args(["uninstall", "web", "-n", &ns]));
    assert!(out.contains("uninstalled"), "{out}");
    assert!(deps.get_opt("web-webapp").await.unwrap().is_none());
    assert!(release_records(&client, &ns).await.is_empty());
    let (o, _, err) = run(tack().args(["status", "web", "-n", &ns]));
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("not found"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uninstall_keep_history_and_reinstall() {
    let client = client().await;
    let ns = namespace(&client, "e2e-keep").await;
    ok(&mut webapp("install", &ns, &[]));
    ok(tack().args(["uninstall", "web", "--keep-history", "-n", &ns]));
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["status", "web", "-n", &ns, "-o", "json"]))).unwrap();
    assert_eq!(json["status"], "uninstalled");
    let out = ok(&mut webapp("upgrade", &ns, &["--install"]));
    assert!(out.contains("revision 2 deployed"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_runs_write_nothing() {
    let client = client().await;
    let ns = namespace(&client, "e2e-dry").await;
    let out = ok(&mut webapp("install", &ns, &["--dry-run=server"]));
    assert!(
        out.contains("created (dry)") && out.contains("Deployment"),
        "{out}"
    );
    let out = ok(&mut webapp("install", &ns, &["--dry-run"]));
    assert!(out.contains("kind: Deployment"), "{out}");
    let deps: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    assert!(deps
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());
    assert!(release_records(&client, &ns).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_namespace_is_explained_and_created_on_request() {
    let ns = format!("e2e-newns-{}", std::process::id());
    let (o, _, err) = run(&mut webapp("install", &ns, &[]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        err.contains("does not exist") && err.contains("--create-namespace"),
        "{err}"
    );
    ok(&mut webapp("install", &ns, &["--create-namespace"]));
}

/// A chart of `count` ConfigMaps in a temporary directory.
fn many_chart(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: many\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        format!("count: {count}\nrev: \"1\"\n"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("templates/cms.yaml.j2"),
        "{% for i in range(values.count) %}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many-{{ i }}\ndata:\n  rev: {{ values.rev | quote }}\n{% endfor %}\n",
    )
    .unwrap();
    dir
}

/// ConfigMaps of release `many` in `ns` (the namespace's own kube-root-ca.crt is not one), and how many carry
/// `rev`.
async fn many_config_maps(client: &kube::Client, ns: &str, rev: &str) -> (usize, usize) {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let items = api.list(&ListParams::default()).await.unwrap().items;
    let ours: Vec<&ConfigMap> = items
        .iter()
        .filter(|c| {
            c.metadata
                .annotations
                .as_ref()
                .and_then(|a| a.get("tack.dev/release-name"))
                == Some(&"many".to_string())
        })
        .collect();
    let at_rev = ours
        .iter()
        .filter(|c| c.data.as_ref().and_then(|d| d.get("rev")) == Some(&rev.to_string()))
        .count();
    (ours.len(), at_rev)
}

/// Thousands of writes go through the adaptive write limiter: install, a changing upgrade, a no-op upgrade
/// and uninstall all finish with every object accounted for, one revision each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_objects_install_upgrade_and_uninstall() {
    let client = client().await;
    let ns = namespace(&client, "e2e-many").await;
    let chart = many_chart(2000);
    let chart = chart.path().to_str().unwrap();
    let run_many = |cmd: &str, extra: &[&str]| {
        let mut c = tack();
        c.args([cmd, "many", chart, "-n", &ns, "--timeout", "300s"])
            .args(extra);
        ok(&mut c)
    };

    let out = run_many("install", &[]);
    assert!(out.contains("revision 1 deployed"), "{out}");
    assert_eq!(many_config_maps(&client, &ns, "1").await, (2000, 2000));

    let out = run_many("upgrade", &["--set", "rev=2"]);
    assert!(out.contains("revision 2 deployed"), "{out}");
    assert_eq!(many_config_maps(&client, &ns, "2").await, (2000, 2000));

    let before = versions(&client, &ns).await;
    let out = run_many("upgrade", &["--set", "rev=2"]);
    assert!(out.contains("revision 3 deployed"), "{out}");
    assert_eq!(
        versions(&client, &ns).await,
        before,
        "a no-op upgrade writes no object"
    );

    let out = ok(tack().args(["uninstall", "many", "-n", &ns, "--timeout", "300s"]));
    assert!(out.contains("uninstalled"), "{out}");
    assert_eq!(many_config_maps(&client, &ns, "2").await, (0, 0));
}
