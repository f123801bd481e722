//! `tack diff` end to end against the real API server: upgrade changes (image, ConfigMap key, added and removed
//! templates), drift made by another field manager, Secret values that never appear in any output format,
//! exit codes, `diff rollback`, `diff revisions`, objects owned by others, and `--offline` without a cluster.

use crate::harness::*;
use base64::Engine;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::Command;

const FORMATS: [&str; 4] = ["diff", "summary", "markdown", "json"];

fn webapp(cmd: &[&str], ns: &str, extra: &[&str]) -> Command {
    let mut c = tack();
    c.args(cmd);
    c.args([
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

fn diff(ns: &str, extra: &[&str]) -> Command {
    webapp(&["diff"], ns, extra)
}

fn code(cmd: &mut Command) -> (i32, String, String) {
    let (out, stdout, stderr) = run(cmd);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Fail if `text` holds `secret` in plain or base64 form.
fn assert_hidden(text: &str, secret: &str, what: &str) {
    assert!(
        !text.contains(secret),
        "{what} prints the secret value:\n{text}"
    );
    assert!(
        !text.contains(&b64(secret)),
        "{what} prints the secret value in base64:\n{text}"
    );
}

/// resourceVersion of ConfigMaps and Secrets, generation of Deployments: what a write would change.
async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let lp = ListParams::default();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for o in cms.list(&lp).await.unwrap().items {
        out.insert(
            format!("cm/{}", o.metadata.name.unwrap()),
            o.metadata.resource_version.unwrap(),
        );
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    for o in secrets.list(&lp).await.unwrap().items {
        out.insert(
            format!("secret/{}", o.metadata.name.unwrap()),
            o.metadata.resource_version.unwrap(),
        );
    }
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    for o in deps.list(&lp).await.unwrap().items {
        out.insert(
            format!("deploy/{}", o.metadata.name.unwrap()),
            o.metadata.generation.unwrap().to_string(),
        );
    }
    out
}

fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn object<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {doc:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_diff_shows_changes_against_live_state_and_writes_nothing() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-up").await;
    ok(&mut webapp(&["install"], &ns, &[]));

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
    ok(&mut webapp(&["upgrade"], &ns, &change));
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
    ok(&mut webapp(&["install"], &ns, &[]));
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
async fn secret_values_never_appear_in_any_output() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-secret").await;
    let old = format!("old-pw-{}", ns.replace('-', "Q"));
    let new = format!("new-pw-{}", ns.replace('-', "Z"));
    let set_old = format!("secret.data.PASSWORD={old}");
    let set_new = format!("secret.data.PASSWORD={new}");
    ok(&mut webapp(&["install"], &ns, &["--set-string", &set_old]));

    for format in FORMATS {
        let (c, out, err) = code(&mut diff(
            &ns,
            &["--set-string", &set_new, "-o", format, "--exit-code"],
        ));
        assert_eq!(c, 2, "{format}: {out}\n{err}");
        for s in [&old, &new] {
            assert_hidden(&out, s, format);
            assert_hidden(&err, s, format);
        }
        if format != "summary" {
            assert!(out.contains("PASSWORD"), "{format}: {out}");
        }
    }
    let (_, out, _) = code(&mut diff(&ns, &["--set-string", &set_new]));
    assert!(
        out.contains(&format!("Secret {ns}/web-webapp: changed")),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("changed") && l.contains("PASSWORD"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("bytes, sha256:") && line.contains('→'),
        "{line}"
    );
    let (_, out, _) = code(&mut diff(&ns, &["--set-string", &set_new, "-o", "json"]));
    let doc = json_of(&out);
    let keys = &object(&doc, "Secret")["secretKeys"];
    assert_eq!(keys[0]["key"], "PASSWORD");
    assert_eq!(keys[0]["change"], "changed");

    // the same value: unchanged
    let (c, out, _) = code(&mut diff(&ns, &["--set-string", &set_old, "--exit-code"]));
    assert_eq!(c, 0, "{out}");

    // rollback and revisions diffs mask too
    ok(&mut webapp(&["upgrade"], &ns, &["--set-string", &set_new]));
    for format in FORMATS {
        for args in [
            vec!["diff", "rollback", "web", "-n", &ns, "-o", format],
            vec![
                "diff",
                "revisions",
                "web",
                "1",
                "2",
                "-n",
                &ns,
                "-o",
                format,
            ],
        ] {
            let (c, out, err) = code(tack().args(&args));
            assert_eq!(c, 0, "{args:?}: {out}\n{err}");
            if format != "summary" {
                assert!(out.contains("PASSWORD"), "{args:?}: {out}");
            }
            for s in [&old, &new] {
                assert_hidden(&out, s, &format!("{args:?}"));
                assert_hidden(&err, s, &format!("{args:?}"));
            }
        }
    }

    // --show-secrets is the explicit opt-in
    let (_, out, _) = code(&mut diff(
        &ns,
        &["--set-string", &set_old, "--show-secrets"],
    ));
    assert!(out.contains(&b64(&old)), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_and_revisions_diffs() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-rb").await;
    ok(&mut webapp(&["install"], &ns, &[]));
    ok(&mut webapp(
        &["upgrade"],
        &ns,
        &[
            "--set",
            "replicaCount=2",
            "--set",
            "podDisruptionBudget.enabled=true",
        ],
    ));

    let (c, out, err) = code(tack().args(["diff", "rollback", "web", "-n", &ns, "--exit-code"]));
    assert_eq!(c, 2, "{out}\n{err}");
    assert!(
        out.contains("rollback to revision 1, compared with the live cluster"),
        "{out}"
    );
    assert!(out.contains("-  replicas: 2\n+  replicas: 1\n"), "{out}");
    assert!(
        out.contains(&format!("PodDisruptionBudget {ns}/web-webapp: deleted")),
        "{out}"
    );

    let (c, out, _) = code(tack().args([
        "diff",
        "revisions",
        "web",
        "1",
        "2",
        "-n",
        &ns,
        "-o",
        "json",
    ]));
    assert_eq!(c, 0, "{out}");
    let doc = json_of(&out);
    assert_eq!(doc["against"], json!({"kind": "revision", "revision": 1}));
    assert_eq!(doc["driftCheck"]["state"], "not-applicable");
    assert_eq!(
        object(&doc, "Deployment")["paths"],
        json!(["spec.replicas"])
    );
    assert_eq!(object(&doc, "PodDisruptionBudget")["action"], "add");

    let (c, _, err) = code(tack().args(["diff", "revisions", "web", "1", "9", "-n", &ns]));
    assert_eq!(c, 1);
    assert!(
        err.contains("revision 9") && err.contains("tack history web"),
        "{err}"
    );
    let (c, _, err) = code(tack().args(["diff", "rollback", "web", "7", "-n", &ns]));
    assert_eq!(c, 1);
    assert!(err.contains("no revision 7"), "{err}");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_diffs_contact_no_cluster() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-off").await;
    let secret = format!("offline-pw-{}", ns.replace('-', "K"));
    let set = format!("secret.data.PASSWORD={secret}");
    ok(&mut webapp(&["install"], &ns, &["--set-string", &set]));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("manifest.yaml");
    std::fs::write(
        &saved,
        ok(tack().args(["get", "manifest", "web", "-n", &ns])),
    )
    .unwrap();
    let rendered = dir.path().join("template.yaml");
    std::fs::write(
        &rendered,
        ok(tack().args([
            "template",
            "charts/webapp",
            "--name",
            "web",
            "--env",
            "dev",
            "--tier",
            "private",
            "--set-string",
            &set,
        ])),
    )
    .unwrap();
    // a kubeconfig whose server cannot be reached: any cluster call would fail the command
    let dead = dir.path().join("kubeconfig");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\ncurrent-context: x\nusers:\n- name: x\n  user:\n    token: x\n",
    )
    .unwrap();
    let offline = |extra: &[&str]| {
        let mut c = diff(&ns, &["--offline"]);
        c.env("KUBECONFIG", &dead).args(extra);
        c
    };

    // the saved manifest has masked Secret values: the same value compares equal by digest
    let saved_s = saved.to_str().unwrap();
    let (c, out, err) = code(&mut offline(&[
        "--against-manifest",
        saved_s,
        "--set-string",
        &set,
        "--exit-code",
    ]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(
        out.contains("No changes") && out.contains("no cluster was contacted"),
        "{out}"
    );
    for format in FORMATS {
        let (c, out, err) = code(&mut offline(&[
            "--against-manifest",
            rendered.to_str().unwrap(),
            "--set-string",
            "secret.data.PASSWORD=other-value-1234",
            "--set",
            "image.tag=5.0",
            "-o",
            format,
            "--exit-code",
        ]));
        assert_eq!(c, 2, "{format}: {out}\n{err}");
        assert_hidden(&out, &secret, format);
        assert_hidden(&out, "other-value-1234", format);
        if format != "json" {
            assert!(out.contains("no cluster was contacted"), "{format}: {out}");
        }
    }
    let (_, out, _) = code(&mut offline(&[
        "--against-manifest",
        saved_s,
        "--set",
        "image.tag=5.0",
        "-o",
        "json",
    ]));
    let doc = json_of(&out);
    assert_eq!(doc["driftCheck"]["state"], "offline");
    assert_eq!(doc["against"]["kind"], "manifest");

    // a second render instead of a file
    let values = dir.path().join("old.yaml");
    std::fs::write(&values, "image:\n  tag: \"1.0\"\n").unwrap();
    let (c, out, err) = code(&mut offline(&[
        "--against-values",
        values.to_str().unwrap(),
        "-o",
        "summary",
        "--exit-code",
    ]));
    assert_eq!(c, 2, "{out}\n{err}");
    assert!(
        out.contains(&format!("~ change    Deployment {ns}/web-webapp")),
        "{out}"
    );
    let (c, out, _) = code(&mut offline(&[
        "--against-set",
        "replicaCount=1",
        "--exit-code",
    ]));
    assert_eq!(c, 0, "{out}");

    // nothing to compare with
    let (c, _, err) = code(&mut offline(&[]));
    assert_eq!(c, 1);
    assert!(err.contains("--against-manifest"), "{err}");
}
