//! Snapshot tests of `tack diff` output for a fixed plan (pure: no cluster): markdown, JSON and text. A change
//! in any format, including the documented JSON schema, shows up as a reviewable snapshot diff.

use base64::Engine;
use serde_json::{json, Value};
use tack::diff::{
    build, render_json, render_markdown, render_text, Against, DriftCheck, DriftInput, Input, Note,
    NoteLevel, ObjectRef, Options, Plan, Subject,
};

const SECRET_BEFORE: &str = "s3cr3t-before-value";
const SECRET_AFTER: &str = "s3cr3t-after-value!";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn r(api_version: &str, kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: api_version.into(),
        kind: kind.into(),
        namespace: Some("shop".into()),
        name: name.into(),
    }
}

fn meta(name: &str) -> Value {
    json!({"name": name, "namespace": "shop", "uid": "0b5c", "resourceVersion": "41",
        "creationTimestamp": "2025-01-01T00:00:00Z", "generation": 4,
        "managedFields": [{"manager": "tack", "operation": "Apply"}],
        "labels": {"app.kubernetes.io/name": "webapp", "app.kubernetes.io/version": "1.0"},
        "annotations": {"tack.dev/release-name": "web", "tack.dev/release-namespace": "shop"}})
}

fn deployment(image: &str, replicas: u64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("web"),
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "web", "image": image, "ports": [{"containerPort": 8080}]}]}}},
        "status": {"replicas": replicas, "readyReplicas": replicas}})
}

fn configmap(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(name), "data": data})
}

fn secret(password: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": meta("web-creds"), "type": "Opaque",
        "data": {"PASSWORD": b64(password), "USER": b64("app")}})
}

fn plan() -> Plan {
    let inputs = vec![
        Input {
            object: r("v1", "Secret", "web-creds"),
            before: Some(secret(SECRET_BEFORE)),
            after: Some(secret(SECRET_AFTER)),
            notes: vec![],
        },
        Input {
            object: r("v1", "ConfigMap", "web-config"),
            before: Some(configmap("web-config", json!({"LOG_LEVEL": "debug", "MODE": "a"}))),
            after: Some(configmap("web-config", json!({"LOG_LEVEL": "info", "MODE": "a", "NEW": "1"}))),
            notes: vec![Note::new(
                NoteLevel::Conflict,
                "field manager `kubectl-edit` owns .data.LOG_LEVEL: the operation fails without --force-conflicts (the diff shows what --force-conflicts would apply)",
            )],
        },
        Input {
            object: r("v1", "ConfigMap", "web-extra"),
            before: None,
            after: Some(configmap("web-extra", json!({"feature": "on"}))),
            notes: vec![],
        },
        Input {
            object: r("apps/v1", "Deployment", "web"),
            before: Some(deployment("registry.example.com/web:1.0", 2)),
            after: Some(deployment("registry.example.com/web:1.1", 3)),
            notes: vec![],
        },
        Input {
            object: r("v1", "ConfigMap", "web-unchanged"),
            before: Some(configmap("web-unchanged", json!({"a": "1"}))),
            after: Some(configmap("web-unchanged", json!({"a": "1"}))),
            notes: vec![],
        },
        Input {
            object: r("policy/v1", "PodDisruptionBudget", "web"),
            before: Some(json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": meta("web"),
                "spec": {"minAvailable": 1}})),
            after: None,
            notes: vec![],
        },
    ];
    let drift = vec![DriftInput {
        object: r("v1", "ConfigMap", "web-config"),
        recorded: json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "web-config", "namespace": "shop"},
            "data": {"LOG_LEVEL": "info", "MODE": "a"}}),
        live: Some(configmap(
            "web-config",
            json!({"LOG_LEVEL": "debug", "MODE": "a"}),
        )),
    }];
    let subject = Subject {
        release: "web".into(),
        namespace: "shop".into(),
        operation: "upgrade".into(),
        against: Against::Live,
        drift: DriftCheck::Checked(3),
    };
    build(subject, inputs, drift, vec![], &Options::default())
}

fn hidden(out: &str) {
    for s in [SECRET_BEFORE, SECRET_AFTER] {
        assert!(!out.contains(s), "{out}");
        assert!(!out.contains(&b64(s)), "{out}");
    }
}

#[test]
fn markdown() {
    let out = render_markdown::render(&plan(), 3);
    hidden(&out);
    insta::assert_snapshot!(out);
}

#[test]
fn json() {
    let out = render_json::render(&plan(), 3);
    hidden(&out);
    serde_json::from_str::<Value>(&out).expect("valid JSON");
    insta::assert_snapshot!(out);
}

#[test]
fn text() {
    let opts = render_text::TextOptions {
        context: 2,
        color: false,
    };
    let out = render_text::render(&plan(), &opts);
    hidden(&out);
    insta::assert_snapshot!(out);
}

#[test]
fn summary() {
    let out = render_text::render_summary(&plan(), false);
    hidden(&out);
    insta::assert_snapshot!(out);
}
