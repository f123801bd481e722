//! `tack import helm` against releases the real Helm CLI installed: both revisions imported, the objects
//! taken over without being recreated, Helm's field managers handed to tack, a diff with the imported
//! manifest that shows nothing, an upgrade with the converted chart that leaves no stale field, a dry run
//! that writes nothing, and Helm's records removed on request (ConfigMap driver too). The refusals and the
//! undo path are in `import_helm_safety.rs`.
//!
//! The Helm CLI is the test oracle built by `tests/oracle/helm.sh build` (run by `tests/run-all.sh`); without
//! it these tests fail, they never skip. The chart is generated with `helm create` in a temporary folder.

use crate::harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use kube::api::{Api, ListParams};
use kube::Resource;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

pub fn helm_bin() -> PathBuf {
    let out = Command::new(repo().join("tests/oracle/helm.sh"))
        .arg("path")
        .output()
        .expect("run tests/oracle/helm.sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && Path::new(&path).is_file(),
        "the Helm oracle is not built ({path}).\n\nhint: run `tests/oracle/helm.sh build` (tests/run-all.sh does)"
    );
    PathBuf::from(path)
}

/// A `helm` command against the test cluster, with its cache and config in `home`.
pub fn helm(home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(helm_bin());
    cmd.args(args)
        .env("KUBECONFIG", kubeconfig())
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"));
    cmd
}

/// `helm create web` in `home`; returns the chart folder.
pub fn create_chart(home: &Path) -> PathBuf {
    ok(helm(home, &["create", "web"]).current_dir(home));
    home.join("web")
}

/// (uid, managers as `name/operation`, annotations) of the release's three objects, by kind.
pub async fn objects(client: &kube::Client, ns: &str, name: &str) -> Vec<(String, String, Value)> {
    fn view<K: Resource + serde::Serialize>(kind: &str, o: K) -> (String, String, Value) {
        let v = serde_json::to_value(&o).unwrap();
        let managers: Vec<String> = v["metadata"]["managedFields"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["subresource"].is_null())
            .map(|e| {
                format!(
                    "{}/{}",
                    e["manager"].as_str().unwrap(),
                    e["operation"].as_str().unwrap()
                )
            })
            .collect();
        (
            format!("{kind} {}", v["metadata"]["uid"].as_str().unwrap()),
            managers.join(","),
            v["metadata"]["annotations"].clone(),
        )
    }
    let d: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let s: Api<Service> = Api::namespaced(client.clone(), ns);
    let a: Api<ServiceAccount> = Api::namespaced(client.clone(), ns);
    vec![
        view("Deployment", d.get(name).await.unwrap()),
        view("Service", s.get(name).await.unwrap()),
        view("ServiceAccount", a.get(name).await.unwrap()),
    ]
}

pub fn tack_history(ns: &str, name: &str) -> Vec<(u64, String, String)> {
    let json: Value =
        serde_json::from_str(&ok(tack().args(["history", name, "-n", ns, "-o", "json"]))).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["revision"].as_u64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
                s["description"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub async fn tack_records(client: &kube::Client, ns: &str) -> usize {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    api.list(&ListParams::default().labels("app.kubernetes.io/managed-by=tack"))
        .await
        .unwrap()
        .items
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_takes_over_a_helm_release_without_recreating_anything() {
    let client = client().await;
    let ns = namespace(&client, "e2e-import").await;
    let home = tempfile::tempdir().unwrap();
    let chart = create_chart(home.path());
    let chart_s = chart.to_str().unwrap();
    ok(&mut helm(
        home.path(),
        &["install", "web", chart_s, "-n", &ns],
    ));
    // a value the chart never renders, standing for a secret: no output may show it
    ok(&mut helm(
        home.path(),
        &[
            "upgrade",
            "web",
            chart_s,
            "-n",
            &ns,
            "--set",
            "serviceAccount.annotations.example/stale=yes",
            "--set",
            "dbPassword=hunter2-e2e-secret",
        ],
    ));
    let before = objects(&client, &ns, "web").await;
    for (what, managers, ann) in &before {
        assert!(managers.contains("helm/Update"), "{what}: {managers}");
        assert_eq!(ann["meta.helm.sh/release-name"], "web", "{what}");
    }

    // dry run: the plan, nothing written, no value shown
    for format in ["table", "json"] {
        let out = ok(tack().args([
            "import",
            "helm",
            "web",
            "-n",
            &ns,
            "--dry-run",
            "-o",
            format,
        ]));
        assert!(!out.contains("hunter2"), "{out}");
        if format == "table" {
            assert!(out.contains("nothing was written"), "{out}");
            assert!(out.contains("would take     Deployment"), "{out}");
            assert!(out.contains("helm (Update) -> tack (Apply)"), "{out}");
            assert!(
                out.contains("superseded") && out.contains("deployed"),
                "{out}"
            );
        }
    }
    assert_eq!(
        tack_records(&client, &ns).await,
        0,
        "a dry run writes no record"
    );
    assert_eq!(
        objects(&client, &ns, "web").await,
        before,
        "a dry run changes no object"
    );

    // the import, timed
    let start = Instant::now();
    let out = ok(tack().args(["import", "helm", "web", "-n", &ns]));
    let seconds = start.elapsed().as_secs_f64();
    assert!(!out.contains("hunter2"), "{out}");
    assert!(
        out.contains("2 revision(s), 3 object(s) taken over"),
        "{out}"
    );
    eprintln!("measure: tack import helm: 3 objects, 2 revisions, {seconds:.2}s wall");

    let h = tack_history(&ns, "web");
    let revs: Vec<(u64, &str)> = h.iter().map(|(r, s, _)| (*r, s.as_str())).collect();
    assert_eq!(revs, [(1, "superseded"), (2, "deployed")]);
    assert_eq!(h[0].2, "imported from Helm revision 1: Install complete");
    assert_eq!(h[1].2, "imported from Helm revision 2: Upgrade complete");
    let values = ok(tack().args(["get", "values", "web", "-n", &ns, "--show-secrets", "--all"]));
    assert!(
        values.contains("example/stale") && values.contains("replicaCount"),
        "{values}"
    );

    let after = objects(&client, &ns, "web").await;
    for ((uid_before, _, _), (uid, managers, ann)) in before.iter().zip(&after) {
        assert_eq!(uid, uid_before, "no object is recreated");
        assert!(
            !managers.contains("helm/"),
            "{uid}: Helm's managers handed over: {managers}"
        );
        assert!(managers.contains("tack/Apply"), "{uid}: {managers}");
        assert_eq!(ann["tack.dev/release-name"], "web", "{uid}");
        assert_eq!(ann["tack.dev/release-namespace"], ns.as_str(), "{uid}");
        assert!(
            ann.get("meta.helm.sh/release-name").is_none(),
            "{uid}: {ann}"
        );
    }

    // importing again is recognised and writes nothing
    let again = ok(tack().args(["import", "helm", "web", "-n", &ns]));
    assert!(
        again.contains("again: 2 revision(s), 0 object(s) taken over"),
        "{again}"
    );
    assert_eq!(objects(&client, &ns, "web").await, after);

    // a tack chart rendering exactly the imported manifest: no change, no drift
    let manifest = ok(tack().args(["get", "manifest", "web", "-n", &ns, "--show-secrets"]));
    let same = home.path().join("same");
    std::fs::create_dir_all(same.join("templates")).unwrap();
    std::fs::write(
        same.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        same.join("templates/manifest.yaml.j2"),
        format!("{{% raw %}}{manifest}{{% endraw %}}"),
    )
    .unwrap();
    let diff = ok(tack().args([
        "diff",
        "web",
        same.to_str().unwrap(),
        "-n",
        &ns,
        "--exit-code",
    ]));
    assert!(diff.contains("No changes"), "{diff}");

    // the converted chart upgrades in place; the field only Helm's revision 2 set is removed
    let converted = home.path().join("web-tack");
    ok(tack().args(["convert", chart_s, converted.to_str().unwrap()]));
    ok(tack().args([
        "upgrade",
        "web",
        converted.to_str().unwrap(),
        "-n",
        &ns,
        "--reset-values",
    ]));
    let upgraded = objects(&client, &ns, "web").await;
    for ((uid_before, _, _), (uid, managers, ann)) in before.iter().zip(&upgraded) {
        assert_eq!(uid, uid_before, "no object is recreated by the upgrade");
        assert!(!managers.contains("helm/"), "{uid}: {managers}");
        assert!(
            ann.get("example/stale").is_none(),
            "{uid}: stale field left: {ann}"
        );
    }
    let revs: Vec<(u64, String)> = tack_history(&ns, "web")
        .into_iter()
        .map(|(r, s, _)| (r, s))
        .collect();
    assert_eq!(revs.last().unwrap(), &(3, "deployed".to_string()));
    // Helm's records were kept: Helm still lists its release
    let list = ok(&mut helm(home.path(), &["list", "-n", &ns, "-q"]));
    assert_eq!(list.trim(), "web");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_helm_records_after_import_with_the_configmap_driver() {
    let client = client().await;
    let ns = namespace(&client, "e2e-import-cm").await;
    let home = tempfile::tempdir().unwrap();
    let chart = create_chart(home.path());
    let install = |args: &[&str]| {
        let mut c = helm(home.path(), args);
        c.env("HELM_DRIVER", "configmap");
        c
    };
    ok(&mut install(&[
        "install",
        "api",
        chart.to_str().unwrap(),
        "-n",
        &ns,
    ]));
    let out = ok(tack().args(["import", "helm", "api", "-n", &ns, "--remove-helm-records"]));
    assert!(
        out.contains("1 revision(s), 3 object(s) taken over"),
        "{out}"
    );
    assert!(out.contains("Helm's records (1): 1 removed"), "{out}");
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let left = cms
        .list(&ListParams::default().labels("owner=helm"))
        .await
        .unwrap();
    assert!(left.items.is_empty(), "Helm's records are gone");
    let list = ok(&mut install(&["list", "-n", &ns, "-q"]));
    assert_eq!(list.trim(), "", "helm list no longer shows it");
    let revs: Vec<(u64, String)> = tack_history(&ns, "api")
        .into_iter()
        .map(|(r, s, _)| (r, s))
        .collect();
    assert_eq!(revs, [(1, "deployed".to_string())]);
}
