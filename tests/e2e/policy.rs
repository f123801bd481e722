//! The real oracle for tack's Pod Security Standards checks: every pod of the corpus
//! (tests/fixtures/policy/pss) is server-side dry-run into namespaces enforcing each level, and the
//! same pod template inside a workload of every kind into namespaces warning at each level. tack's
//! offline verdict must agree with the API server's PodSecurity admission on every object.

use crate::harness::*;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, Patch, PatchParams};
use kube::Client;
use serde_json::{json, Value};
use std::path::PathBuf;
use tack::policy::{pss_violations, Level};

const LEVELS: [Level; 3] = [Level::Privileged, Level::Baseline, Level::Restricted];
const WORKLOADS: [&str; 7] = [
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

struct Case {
    file: String,
    name: String,
    object: Value,
    /// The document declares (`# note:`) that the server normalises it before admission.
    normalised: bool,
}

fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy/pss");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (_, doc) in tack::manifest::split_documents(&text) {
            // pods the API server cannot take at creation (ephemeral containers) are checked offline only
            if doc
                .lines()
                .any(|l| l.starts_with("# expect:") && l.contains("server=skip"))
            {
                continue;
            }
            let object: Value = serde_yaml::from_str(&doc).unwrap();
            out.push(Case {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                name: object["metadata"]["name"].as_str().unwrap().to_string(),
                normalised: doc.lines().any(|l| l.starts_with("# note:")),
                object,
            });
        }
    }
    out
}

/// The corpus pod as the template of a workload of `kind`.
fn wrap(pod: &Value, kind: &str) -> Value {
    let name = pod["metadata"]["name"].as_str().unwrap();
    let mut meta = pod["metadata"].clone();
    meta["labels"] = json!({ "corpus": name });
    meta.as_object_mut().unwrap().remove("name");
    let mut spec = pod["spec"].clone();
    if matches!(kind, "Job" | "CronJob") {
        spec["restartPolicy"] = json!("Never");
    }
    let template = json!({ "metadata": meta, "spec": spec });
    let selector = json!({ "matchLabels": { "corpus": name } });
    let (api, spec) = match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" => (
            "apps/v1",
            json!({ "selector": selector, "template": template }),
        ),
        "StatefulSet" => (
            "apps/v1",
            json!({ "selector": selector, "serviceName": name, "template": template }),
        ),
        "ReplicationController" => (
            "v1",
            json!({ "selector": { "corpus": name }, "template": template }),
        ),
        "Job" => ("batch/v1", json!({ "template": template })),
        "CronJob" => (
            "batch/v1",
            json!({ "schedule": "0 0 * * *", "jobTemplate": { "spec": { "template": template } } }),
        ),
        other => panic!("not a workload kind: {other}"),
    };
    json!({ "apiVersion": api, "kind": kind, "metadata": { "name": name }, "spec": spec })
}

fn collection(kind: &str, ns: &str) -> String {
    let (prefix, plural) = match kind {
        "Pod" => ("/api/v1", "pods"),
        "ReplicationController" => ("/api/v1", "replicationcontrollers"),
        "Deployment" => ("/apis/apps/v1", "deployments"),
        "StatefulSet" => ("/apis/apps/v1", "statefulsets"),
        "DaemonSet" => ("/apis/apps/v1", "daemonsets"),
        "ReplicaSet" => ("/apis/apps/v1", "replicasets"),
        "Job" => ("/apis/batch/v1", "jobs"),
        "CronJob" => ("/apis/batch/v1", "cronjobs"),
        other => panic!("no collection for {other}"),
    };
    format!("{prefix}/namespaces/{ns}/{plural}?dryRun=All")
}

/// What the API server said about a dry-run create.
struct Answer {
    status: u16,
    body: Value,
    warnings: Vec<String>,
}

async fn dry_run(client: &Client, kind: &str, ns: &str, object: &Value) -> Answer {
    let req = http::Request::post(collection(kind, ns))
        .header("Content-Type", "application/json")
        .body(kube::client::Body::from(
            serde_json::to_vec(object).unwrap(),
        ))
        .unwrap();
    let res = client.send(req).await.expect("dry-run request");
    let status = res.status().as_u16();
    let warnings = res
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let bytes = res
        .into_body()
        .collect_bytes()
        .await
        .expect("response body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Answer {
        status,
        body,
        warnings,
    }
}

async fn labelled_namespace(client: &Client, prefix: &str, mode: &str, level: Level) -> String {
    let ns = namespace(client, prefix).await;
    let api: Api<Namespace> = Api::all(client.clone());
    let patch = json!({ "metadata": { "labels": {
        format!("pod-security.kubernetes.io/{mode}"): level.as_str(),
        format!("pod-security.kubernetes.io/{mode}-version"): tack::policy::pss::POLICY_VERSION,
    }}});
    api.patch(&ns, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("label namespace");
    ns
}

/// tack's verdict: does `level` admit the object?
fn offline(object: &Value, level: Level) -> bool {
    pss_violations(object, level)
        .expect("corpus objects carry a pod template")
        .is_empty()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_pod_security_verdicts_agree_with_the_api_server() {
    let client = client().await;
    let mut enforce = Vec::new();
    let mut warn = Vec::new();
    for level in LEVELS {
        enforce
            .push(labelled_namespace(&client, &format!("e2e-pss-{level}"), "enforce", level).await);
        warn.push(labelled_namespace(&client, &format!("e2e-pssw-{level}"), "warn", level).await);
    }
    let cases = corpus();
    assert!(
        cases.len() >= 100,
        "corpus has {} server cases",
        cases.len()
    );

    let mut compared = 0;
    let mut agreed = 0;
    let mut normalised = Vec::new();
    let mut disagreements = Vec::new();
    let mut denied_by_server = 0;
    for (i, case) in cases.iter().enumerate() {
        let kind = WORKLOADS[i % WORKLOADS.len()];
        let workload = wrap(&case.object, kind);
        for (l, level) in LEVELS.into_iter().enumerate() {
            // the Pod, enforced
            let a = dry_run(&client, "Pod", &enforce[l], &case.object).await;
            let server = match a.status {
                200 | 201 => true,
                403 if a.body["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("violates PodSecurity")) =>
                {
                    false
                }
                _ => panic!(
                    "{} {}: the API server refused the pod for another reason ({}): {}",
                    case.file, case.name, a.status, a.body
                ),
            };
            compare(
                &mut Tally {
                    compared: &mut compared,
                    agreed: &mut agreed,
                    normalised: &mut normalised,
                    disagreements: &mut disagreements,
                },
                format!("{} {} as Pod at {level}", case.file, case.name),
                offline(&case.object, level),
                server,
                (a.status < 300 && case.normalised).then_some(&a.body),
                level,
            );
            denied_by_server += usize::from(!server);

            // the same template in a workload, warned (workloads are never refused, only warned about)
            let w = dry_run(&client, kind, &warn[l], &workload).await;
            assert!(
                w.status < 300,
                "{} {} as {kind}: the API server refused the workload ({}): {}",
                case.file,
                case.name,
                w.status,
                w.body
            );
            let server = !w
                .warnings
                .iter()
                .any(|m| m.contains("would violate PodSecurity"));
            compare(
                &mut Tally {
                    compared: &mut compared,
                    agreed: &mut agreed,
                    normalised: &mut normalised,
                    disagreements: &mut disagreements,
                },
                format!("{} {} as {kind} at {level}", case.file, case.name),
                offline(&workload, level),
                server,
                case.normalised.then_some(&w.body),
                level,
            );
        }
    }

    let api: Api<Namespace> = Api::all(client.clone());
    for ns in enforce.iter().chain(&warn) {
        let _ = api.delete(ns, &Default::default()).await;
    }

    eprintln!(
        "pod security oracle: {agreed}/{compared} verdicts agree on the objects as submitted \
         ({} pods x 3 levels, enforced, and the same templates in 7 workload kinds x 3 levels, warned; \
         {denied_by_server} pod creations refused by the server)",
        cases.len()
    );
    for n in &normalised {
        eprintln!("  agrees on the object the server evaluated: {n}");
    }
    assert!(
        disagreements.is_empty(),
        "tack and the API server disagree on {} of {compared} verdicts:\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
    assert_eq!(agreed + normalised.len(), compared);
}

struct Tally<'a> {
    compared: &'a mut usize,
    agreed: &'a mut usize,
    normalised: &'a mut Vec<String>,
    disagreements: &'a mut Vec<String>,
}

/// Record one verdict pair. When the server admitted what tack refuses and the corpus declares that the
/// server normalises this object (it drops fields of disabled features), tack's verdict on the object the
/// server returned is compared instead, and the case is listed separately rather than counted as agreement.
fn compare(
    t: &mut Tally,
    what: String,
    tack: bool,
    server: bool,
    evaluated: Option<&Value>,
    level: Level,
) {
    *t.compared += 1;
    if tack == server {
        *t.agreed += 1;
        return;
    }
    if server && !tack {
        if let Some(obj) = evaluated.filter(|o| o.is_object()) {
            if offline(obj, level) {
                t.normalised.push(format!(
                    "{what}: tack refuses the submitted object, the server admitted it after normalising it"
                ));
                return;
            }
        }
    }
    t.disagreements.push(format!(
        "{what}: tack {} but the API server {}",
        if tack { "admits" } else { "refuses" },
        if server { "admits" } else { "refuses" }
    ));
}
