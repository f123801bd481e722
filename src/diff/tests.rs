//! Unit tests of the diff core as a whole: classification, ignore paths, drift, exit codes, and that no
//! renderer ever prints a Secret value.

use super::*;
use base64::Engine;
use serde_json::json;

const PLAIN: &str = "hunter2-very-secret";
const NEW_PLAIN: &str = "correct-horse-battery";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn r(kind: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: if kind == "Deployment" {
            "apps/v1"
        } else {
            "v1"
        }
        .into(),
        kind: kind.into(),
        namespace: Some("shop".into()),
        name: name.into(),
    }
}

fn live_meta(name: &str) -> Value {
    json!({"name": name, "namespace": "shop", "uid": "123", "resourceVersion": "7",
        "creationTimestamp": "2024-05-01T10:00:00Z", "managedFields": [{"manager": "tack"}],
        "annotations": {"tack.dev/release-name": "web", "tack.dev/release-namespace": "shop"}})
}

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": live_meta(name), "data": data})
}

fn secret(value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": live_meta("creds"), "type": "Opaque",
        "data": {"PASSWORD": b64(value), "USER": b64("admin")}})
}

fn deploy(image: &str, replicas: u64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": live_meta("web"),
        "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}},
        "status": {"readyReplicas": replicas}})
}

fn subject() -> Subject {
    Subject {
        release: "web".into(),
        namespace: "shop".into(),
        operation: "upgrade".into(),
        against: Against::Live,
        drift: DriftCheck::Checked(3),
    }
}

fn input(object: ObjectRef, before: Option<Value>, after: Option<Value>) -> Input {
    Input {
        object,
        before,
        after,
        notes: vec![],
    }
}

fn sample(opts: &Options) -> Plan {
    let mut gen2 = deploy("web:2", 2);
    gen2["metadata"]["generation"] = json!(2);
    let inputs = vec![
        input(
            r("Secret", "creds"),
            Some(secret(PLAIN)),
            Some(secret(NEW_PLAIN)),
        ),
        input(
            r("ConfigMap", "same"),
            Some(cm("same", json!({"a": "1"}))),
            Some(cm("same", json!({"a": "1"}))),
        ),
        input(
            r("ConfigMap", "gone"),
            Some(cm("gone", json!({"a": "1"}))),
            None,
        ),
        input(
            r("ConfigMap", "new"),
            None,
            Some(cm("new", json!({"b": "2"}))),
        ),
        input(r("Deployment", "web"), Some(deploy("web:1", 2)), Some(gen2)),
    ];
    let drift = vec![DriftInput {
        object: r("Secret", "creds"),
        recorded: json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds", "namespace": "shop"},
            "stringData": {"PASSWORD": "recorded-value-xyz"}}),
        live: Some(secret(PLAIN)),
    }];
    build(subject(), inputs, drift, vec![], opts)
}

#[test]
fn objects_are_classified_with_deletions_last() {
    let plan = sample(&Options::default());
    let actions: Vec<(&str, Action)> = plan
        .entries
        .iter()
        .map(|e| (e.object.name.as_str(), e.action))
        .collect();
    assert_eq!(
        actions,
        vec![
            ("creds", Action::Change),
            ("same", Action::Unchanged),
            ("new", Action::Add),
            ("web", Action::Change),
            ("gone", Action::Delete),
        ]
    );
    let c = plan.counts();
    assert_eq!(
        (c.add, c.change, c.delete, c.unchanged, c.drift),
        (1, 2, 1, 1, 1)
    );
    assert_eq!(
        summary_line(&c),
        "Plan: 1 to add, 2 to change, 1 to delete (1 unchanged)."
    );
    // noise (status, generation, uid, managedFields, tack's annotations) is not a change
    let web = plan
        .entries
        .iter()
        .find(|e| e.object.name == "web")
        .unwrap();
    assert_eq!(web.paths, vec!["spec.template.spec.containers[0].image"]);
    assert!(
        !web.after.contains("status")
            && !web.after.contains("uid")
            && !web.after.contains("tack.dev")
    );
}

#[test]
fn ignore_paths_hide_fields_from_classification() {
    let ignore = vec![
        paths::parse("spec.template.spec.containers[*].image").unwrap(),
        paths::parse("Secret:data.PASSWORD").unwrap(),
    ];
    let plan = sample(&Options {
        ignore,
        show_secrets: false,
    });
    let by = |n: &str| {
        plan.entries
            .iter()
            .find(|e| e.object.name == n)
            .unwrap()
            .action
    };
    assert_eq!(by("web"), Action::Unchanged);
    assert_eq!(by("creds"), Action::Unchanged);
}

#[test]
fn secret_keys_are_summarised() {
    let plan = sample(&Options::default());
    let creds = &plan.entries[0];
    let keys: Vec<(&str, KeyChange)> = creds
        .secret_keys
        .iter()
        .map(|k| (k.key.as_str(), k.change))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("PASSWORD", KeyChange::Changed),
            ("USER", KeyChange::Unchanged)
        ]
    );
    assert_eq!(creds.paths, vec!["data.PASSWORD"]);
    let d = &plan.drift[0];
    assert_eq!(d.paths, vec!["data.PASSWORD"]);
    assert_eq!(d.secret_keys[0].change, KeyChange::Changed);
}

#[test]
fn no_renderer_prints_a_secret_value() {
    let mut plan = sample(&Options::default());
    // a server message that echoes the value must be scrubbed too
    let mut inputs = vec![input(
        r("Secret", "creds"),
        Some(secret(PLAIN)),
        Some(secret(NEW_PLAIN)),
    )];
    inputs[0].notes.push(Note::new(
        NoteLevel::Error,
        format!(
            "Secret \"creds\" is invalid: data[PASSWORD]: {} ({NEW_PLAIN})",
            b64(NEW_PLAIN)
        ),
    ));
    let noted = build(subject(), inputs, vec![], vec![], &Options::default());
    plan.entries.push(noted.entries[0].clone());
    let outputs = [
        render_text::render(
            &plan,
            &render_text::TextOptions {
                context: 3,
                color: false,
            },
        ),
        render_text::render(
            &plan,
            &render_text::TextOptions {
                context: 3,
                color: true,
            },
        ),
        render_text::render_summary(&plan, false),
        render_markdown::render(&plan, 3),
        render_json::render(&plan, 3),
        render_json::render(&plan, 1000),
    ];
    for out in &outputs {
        for secret in [PLAIN, NEW_PLAIN, "recorded-value-xyz"] {
            assert!(!out.contains(secret), "plain {secret} in:\n{out}");
            assert!(!out.contains(&b64(secret)), "base64 of {secret} in:\n{out}");
        }
    }
    for out in outputs.iter().filter(|o| o.contains("@@")) {
        assert!(out.contains("sha256:"), "{out}");
    }
    assert!(outputs[4].contains("[redacted]"), "{}", outputs[4]);
}

#[test]
fn show_secrets_is_an_explicit_opt_in() {
    let plan = sample(&Options {
        ignore: vec![],
        show_secrets: true,
    });
    let text = render_text::render(
        &plan,
        &render_text::TextOptions {
            context: 3,
            color: false,
        },
    );
    assert!(text.contains(&b64(NEW_PLAIN)), "{text}");
}

#[test]
fn exit_codes() {
    let plan = sample(&Options::default());
    assert_eq!(exit_code(&plan, false), 0);
    assert_eq!(exit_code(&plan, true), 2);
    let quiet = build(
        subject(),
        vec![input(
            r("ConfigMap", "a"),
            Some(cm("a", json!({}))),
            Some(cm("a", json!({}))),
        )],
        vec![],
        vec![],
        &Options::default(),
    );
    assert!(!quiet.has_changes());
    assert_eq!(exit_code(&quiet, true), 0);
    assert_eq!(
        summary_line(&quiet.counts()),
        "No changes: 1 object unchanged."
    );
    let mut failed = quiet.clone();
    failed.entries[0]
        .notes
        .push(Note::new(NoteLevel::Error, "refused"));
    assert_eq!(exit_code(&failed, false), 1);
    assert_eq!(exit_code(&failed, true), 1);
    // drift alone counts as a change
    let drifted = build(
        subject(),
        vec![],
        vec![DriftInput {
            object: r("ConfigMap", "a"),
            recorded: cm("a", json!({"k": "1"})),
            live: None,
        }],
        vec![],
        &Options::default(),
    );
    assert_eq!(exit_code(&drifted, true), 2);
    assert!(drifted.drift[0].missing);
}

#[test]
fn text_output_has_headers_hunks_and_summary() {
    let plan = sample(&Options::default());
    let text = render_text::render(
        &plan,
        &render_text::TextOptions {
            context: 1,
            color: false,
        },
    );
    assert!(text.contains("Deployment shop/web: changed\n@@ "), "{text}");
    assert!(
        text.contains("-      - image: web:1\n+      - image: web:2\n"),
        "{text}"
    );
    assert!(
        text.contains("ConfigMap shop/new: added\n@@ -0,0 "),
        "{text}"
    );
    assert!(text.contains("ConfigMap shop/gone: deleted\n"), "{text}");
    assert!(!text.contains("ConfigMap shop/same"), "{text}");
    assert!(
        text.contains("Plan: 1 to add, 2 to change, 1 to delete (1 unchanged)."),
        "{text}"
    );
    assert!(
        text.contains("Drift: 1 object changed in the cluster since revision 3"),
        "{text}"
    );
    assert!(!text.contains('\x1b'), "no colour unless asked");
    let summary = render_text::render_summary(&plan, false);
    assert!(
        summary.contains("  ~ change    Deployment shop/web\n"),
        "{summary}"
    );
    assert!(
        summary.contains("  ! drift     Secret shop/creds (data.PASSWORD)\n"),
        "{summary}"
    );
}
