//! Live diffs of upgrades: changes against live state with no write, exit codes, `--ignore`, markdown and
//! JSON, drift from another field manager, and objects owned by others shown as notes.

use super::*;
use crate::harness::*;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_diff_shows_changes_against_live_state_and_writes_nothing() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-up").await;
    ok(&mut web_args(&["install"], &ns, &[]));

    // no change: exit 0 even with --exit-code
    let (c, out, err) = code(&mut diff(&ns, &["--exit-code"]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(out.contains("No changes: 6 objects unchanged."), "{out}");
    assert!(out.contains("drift checked against revision 1"), "{out}");

    let change = [
        "--set",
        "image.tag=9.9.9",
        "--set",
        "config.NEW_KEY=hello",
        "--set",
        "podDisruptionBudget.enabled=true",
        "--set",
        "secret.create=false",
    ];
    let before = versions(&client, &ns).await;
    let (c, out, err) = code(&mut diff(&ns, &change));
    assert_eq!(c, 0, "changes without --exit-code exit 0: {out}\n{err}");
    assert!(
        out.contains(&format!("Deployment {ns}/web-webapp: changed")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l.starts_with('+')
            && l.contains("image: registry.example.com/platform/webapp:9.9.9")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with('-') && l.contains("webapp:2.9.0-dev.3")),
        "{out}"
    );
    assert!(
        out.contains(&format!("ConfigMap {ns}/web-webapp: changed")),
        "{out}"
    );
    assert!(out.contains("\n+  NEW_KEY: hello\n"), "{out}");
    assert!(
        out.contains(&format!("PodDisruptionBudget {ns}/web-webapp: added")),
        "{out}"
    );
    assert!(
        out.contains(&format!("Secret {ns}/web-webapp: deleted")),
        "{out}"
    );
    // server defaults of the added object come from the dry run
    assert!(out.contains("+  minAvailable: 1"), "{out}");
    // noise is not shown
    for noise in [
        "managedFields",
        "resourceVersion",
        "uid:",
        "tack.dev/release-name",
        "status:",
    ] {
        assert!(!out.contains(noise), "{noise} shown:\n{out}");
    }
    assert!(
        out.contains("Plan: 1 to add, 5 to change, 1 to delete (0 unchanged)."),
        "{out}"
    );
    assert_eq!(
        versions(&client, &ns).await,
        before,
        "a diff writes nothing"
    );

    let (c, _, _) = code(&mut diff(&ns, &[&change[..], &["--exit-code"]].concat()));
    assert_eq!(c, 2, "--exit-code with changes");

    let (c, out, _) = code(&mut diff(&ns, &[&change[..], &["-o", "json"]].concat()));
    assert_eq!(c, 0);
    let doc = json_of(&out);
    assert_eq!(doc["apiVersion"], "tack.dev/diff/v1");
    assert_eq!(doc["summary"]["add"], 1);
    assert_eq!(doc["summary"]["delete"], 1);
    assert_eq!(doc["summary"]["changed"], true);
    assert_eq!(doc["driftCheck"]["state"], "checked");
    let dep = object(&doc, "Deployment");
    let paths: Vec<&str> = dep["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(
        paths.contains(&"spec.template.spec.containers[0].image"),
        "{paths:?}"
    );
    assert_eq!(
        object(&doc, "ConfigMap")["paths"].as_array().unwrap().len(),
        2
    );

    // --ignore hides fields; markdown is a PR comment
    let (_, out, _) = code(&mut diff(
        &ns,
        &[
            "--set",
            "image.tag=9.9.9",
            "--ignore",
            "spec.template.spec.containers[*].image",
            "--ignore",
            "metadata.labels[\"app.kubernetes.io/version\"]",
            "--ignore",
            "spec.template.metadata.labels[\"app.kubernetes.io/version\"]",
            "--ignore",
            "Deployment:spec.template.metadata.annotations.checksum/config",
            "--ignore",
            "Deployment:spec.template.metadata.annotations.checksum/secret",
            "--exit-code",
        ],
    ));
    assert!(out.contains("No changes"), "{out}");
    let (_, md, _) = code(&mut diff(&ns, &[&change[..], &["-o", "markdown"]].concat()));
    assert!(md.starts_with("### tack diff: release `web`"), "{md}");
    assert!(md.contains("| Change | Object | Notes |"), "{md}");
    assert!(md.contains("<details>\n<summary><code>Deployment"), "{md}");
    assert!(md.contains("```diff\n"), "{md}");

    // after the upgrade, the same diff is empty
    ok(&mut web_args(&["upgrade"], &ns, &change));
    let (c, out, err) = code(&mut diff(&ns, &[&change[..], &["--exit-code"]].concat()));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(out.contains("No changes"), "{out}");

    // a bad --ignore path is a clear error
    let (c, _, err) = code(&mut diff(&ns, &["--ignore", "spec..x"]));
    assert_eq!(c, 1);
    assert!(
        err.contains("invalid --ignore path `spec..x`") && err.contains("hint:"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drift_from_another_field_manager_is_flagged() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-drift").await;
    ok(&mut web_args(&["install"], &ns, &[]));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let params = PatchParams {
        field_manager: Some("e2e-editor".into()),
        ..Default::default()
    };
    cms.patch(
        "web-webapp",
        &params,
        &Patch::Merge(json!({"data": {"LOG_LEVEL": "error"}})),
    )
    .await
    .unwrap();

    let (c, out, err) = code(&mut diff(&ns, &["--exit-code"]));
    assert_eq!(c, 2, "drift counts as a change: {out}\n{err}");
    assert!(
        out.contains(&format!("ConfigMap {ns}/web-webapp: drift")),
        "{out}"
    );
    assert!(
        out.contains("-  LOG_LEVEL: debug\n+  LOG_LEVEL: error\n"),
        "drift: {out}"
    );
    // the upgrade would undo it, and would conflict with the other manager
    assert!(
        out.contains("-  LOG_LEVEL: error\n+  LOG_LEVEL: debug\n"),
        "change: {out}"
    );
    assert!(
        out.contains("`e2e-editor`") && out.contains("--force-conflicts"),
        "{out}"
    );
    assert!(
        out.contains("Drift: 1 object changed in the cluster since revision 1"),
        "{out}"
    );

    let (_, out, _) = code(&mut diff(&ns, &["-o", "json"]));
    let doc = json_of(&out);
    assert_eq!(doc["summary"]["drift"], 1);
    assert_eq!(doc["summary"]["conflicts"], 1);
    assert_eq!(doc["drift"][0]["paths"], json!(["data.LOG_LEVEL"]));
    assert_eq!(doc["drift"][0]["missing"], false);

    // an object deleted by hand is drift too, and the upgrade re-creates it
    let sa: Api<k8s_openapi::api::core::v1::ServiceAccount> = Api::namespaced(client.clone(), &ns);
    sa.delete("web-webapp", &Default::default()).await.unwrap();
    let (_, out, _) = code(&mut diff(&ns, &["-o", "summary"]));
    assert!(
        out.contains(&format!(
            "! drift     ServiceAccount {ns}/web-webapp (deleted in the cluster)"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("+ add       ServiceAccount {ns}/web-webapp")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_owned_by_others_are_notes_not_failures() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-own").await;
    apply(
        &client,
        &ns,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-webapp"},
            "data": {"LOG_LEVEL": "warn"}}),
    )
    .await;
    let (c, out, err) = code(&mut diff(&ns, &[]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(out.contains("install (no deployed revision yet)"), "{out}");
    assert!(
        out.contains(&format!(
            "ConfigMap {ns}/web-webapp exists and is not managed by tack"
        )) && out.contains("--adopt"),
        "{out}"
    );
    assert!(
        out.contains("\n-  LOG_LEVEL: warn\n") && out.contains("\n+  LOG_LEVEL: debug\n"),
        "{out}"
    );
    assert!(
        out.contains(&format!("Deployment {ns}/web-webapp: added")),
        "{out}"
    );
    let (_, out, _) = code(&mut diff(&ns, &["--adopt", "-o", "json"]));
    assert_eq!(json_of(&out)["summary"]["conflicts"], 0, "{out}");

    // a namespace that does not exist yet: everything is added, shown as rendered
    let (c, out, err) = code(&mut diff(&format!("{ns}-missing"), &["-o", "summary"]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(
        out.contains("Plan: 6 to add, 0 to change, 0 to delete"),
        "{out}"
    );
}
