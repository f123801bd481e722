//! `tack import helm` when things are not simple: a pending Helm operation is refused, a failed import gives
//! the objects back and leaves no record, and objects that Helm 4 applied server-side (operation `Apply`)
//! are handed over so that tack's next apply neither conflicts nor leaves stale fields.

use crate::harness::*;
use crate::import_helm::{create_chart, helm, objects, tack_records};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_helm_operation_is_refused() {
    let client = client().await;
    let ns = namespace(&client, "e2e-import-pending").await;
    let home = tempfile::tempdir().unwrap();
    let chart = create_chart(home.path());
    // a pre-upgrade hook Pod that never succeeds (only pods owned by Jobs complete here): Helm waits on it
    // with revision 2 pending-upgrade
    std::fs::write(
        chart.join("templates/stuck-hook.yaml"),
        "{{- if .Values.stuck }}\napiVersion: v1\nkind: Pod\nmetadata:\n  name: stuck\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  containers:\n    - name: c\n      image: busybox\n{{- end }}\n",
    )
    .unwrap();
    let chart_s = chart.to_str().unwrap();
    ok(&mut helm(
        home.path(),
        &["install", "web", chart_s, "-n", &ns],
    ));
    let mut upgrade = helm(
        home.path(),
        &[
            "upgrade",
            "web",
            chart_s,
            "-n",
            &ns,
            "--set",
            "stuck=true",
            "--timeout",
            "2m",
        ],
    )
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::null())
    .spawn()
    .expect("start helm upgrade");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    eventually(
        Duration::from_secs(60),
        "Helm's pending-upgrade record",
        || {
            let secrets = secrets.clone();
            async move {
                secrets
                    .list(&ListParams::default().labels("owner=helm,status=pending-upgrade"))
                    .await
                    .is_ok_and(|l| !l.items.is_empty())
            }
        },
    )
    .await;
    let before = objects(&client, &ns, "web").await;
    let (out, stdout, stderr) = run(tack().args(["import", "helm", "web", "-n", &ns]));
    let _ = upgrade.kill();
    let _ = upgrade.wait();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("`pending-upgrade` at revision 2")
            && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(tack_records(&client, &ns).await, 0);
    assert_eq!(
        objects(&client, &ns, "web").await,
        before,
        "no object touched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_import_gives_the_objects_back_and_leaves_no_record() {
    let client = client().await;
    let ns = namespace(&client, "e2e-import-undo").await;
    let home = tempfile::tempdir().unwrap();
    let chart = create_chart(home.path());
    let chart_s = chart.to_str().unwrap();
    ok(&mut helm(
        home.path(),
        &["install", "web", chart_s, "-n", &ns],
    ));
    ok(&mut helm(
        home.path(),
        &["upgrade", "web", chart_s, "-n", &ns],
    ));
    // a Secret squatting on the name of revision 2's tack record (not a record: history does not list it)
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let squatter: Secret =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "tack.release.v1.web.v2"}}))
            .unwrap();
    secrets
        .create(&kube::api::PostParams::default(), &squatter)
        .await
        .unwrap();
    let before = objects(&client, &ns, "web").await;

    let (out, stdout, stderr) = run(tack().args(["import", "helm", "web", "-n", &ns]));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stderr.contains("revision 2")
            && stderr.contains("the 1 record(s) written before were deleted"),
        "{stderr}"
    );
    assert!(stderr.contains("given back to Helm"), "{stderr}");
    assert_eq!(
        tack_records(&client, &ns).await,
        0,
        "no tack record is left"
    );
    let after = objects(&client, &ns, "web").await;
    assert_eq!(
        after, before,
        "annotations and field managers are Helm's again"
    );
    let list = ok(&mut helm(home.path(), &["list", "-n", &ns, "-q"]));
    assert_eq!(list.trim(), "web");
}

/// A Helm record as Helm 4 writes it (same format as Helm 3): a `helm.sh/release.v1` Secret whose `release`
/// holds base64 of gzip of the release JSON.
fn helm_record(ns: &str, name: &str, release: &Value) -> Secret {
    use base64::Engine as _;
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": format!("sh.helm.release.v1.{name}.v1"), "namespace": ns,
            "labels": {"owner": "helm", "name": name, "status": "deployed", "version": "1"}},
        "type": "helm.sh/release.v1",
        "data": {"release": base64::engine::general_purpose::STANDARD.encode(payload)},
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_ownership_as_helm_4_leaves_it_is_handed_over() {
    let client = client().await;
    let ns = namespace(&client, "e2e-import-ssa").await;
    // Helm 4 applies server-side as manager `helm`: its entry has operation Apply
    let manifest = "---\n# Source: cfg/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n  only-helm-set-this: x\n";
    let mut live: Value = serde_yaml::from_str(manifest.trim_start_matches("---\n")).unwrap();
    live["metadata"]["namespace"] = Value::from(ns.as_str());
    live["metadata"]["annotations"] = serde_json::json!({
        "meta.helm.sh/release-name": "cfg", "meta.helm.sh/release-namespace": ns});
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    cms.patch(
        "cfg",
        &kube::api::PatchParams::apply("helm"),
        &kube::api::Patch::Apply(&live),
    )
    .await
    .unwrap();
    let record = serde_json::json!({
        "name": "cfg", "namespace": ns, "version": 1,
        "info": {"status": "deployed", "description": "Install complete",
                 "first_deployed": "2026-12-01T10:00:00Z", "last_deployed": "2026-12-01T10:00:00Z"},
        "chart": {"metadata": {"name": "cfg", "version": "1.0.0"}, "values": {}},
        "config": {}, "manifest": manifest,
    });
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    secrets
        .create(
            &kube::api::PostParams::default(),
            &helm_record(&ns, "cfg", &record),
        )
        .await
        .unwrap();
    let uid = cms.get("cfg").await.unwrap().metadata.uid;

    let out = ok(tack().args(["import", "helm", "cfg", "-n", &ns]));
    assert!(out.contains("helm (Apply) -> tack (Apply)"), "{out}");
    let cm = serde_json::to_value(cms.get("cfg").await.unwrap()).unwrap();
    let managers: Vec<&str> = cm["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["manager"].as_str().unwrap())
        .collect();
    assert!(!managers.contains(&"helm"), "{managers:?}");

    // a tack chart that no longer renders the field: the upgrade removes it, without a conflict
    let home = tempfile::tempdir().unwrap();
    let chart = home.path().join("cfg");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: cfg\nversion: 1.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"2\"\n",
    )
    .unwrap();
    ok(tack().args(["upgrade", "cfg", chart.to_str().unwrap(), "-n", &ns]));
    let cm = cms.get("cfg").await.unwrap();
    assert_eq!(cm.metadata.uid, uid, "not recreated");
    let data = cm.data.unwrap_or_default();
    assert_eq!(data.get("a").map(String::as_str), Some("2"));
    assert!(
        !data.contains_key("only-helm-set-this"),
        "stale field left: {data:?}"
    );
}
