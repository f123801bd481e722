//! Snapshot tests of the stack diff renderers (`tack diff --all -o markdown|json`) for fixed plans, no
//! cluster: one instance with changes (a Secret among them), one without, one that failed. A change in the
//! PR comment or the documented JSON shows up as a reviewable snapshot diff; Secret values never appear.

use base64::Engine;
use serde_json::{json, Value};
use tack::diff::render_stack::{self, InstanceDiff, Outcome};
use tack::diff::{build, Against, DriftCheck, Input, ObjectRef, Options, Plan, Subject};

const SECRET_BEFORE: &str = "old-db-password-1";
const SECRET_AFTER: &str = "new-db-password-2";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn object(kind: &str, ns: &str, name: &str, body: Value) -> Value {
    let mut o = json!({"apiVersion": "v1", "kind": kind,
        "metadata": {"name": name, "namespace": ns, "resourceVersion": "7", "uid": "1f"}});
    for (k, v) in body.as_object().unwrap() {
        o[k] = v.clone();
    }
    o
}

fn input(before: Option<Value>, after: Option<Value>) -> Input {
    let any = after.as_ref().or(before.as_ref()).unwrap();
    Input {
        object: ObjectRef::of(any),
        before,
        after,
        notes: vec![],
    }
}

fn plan(release: &str, ns: &str, inputs: Vec<Input>) -> Plan {
    let subject = Subject {
        release: release.into(),
        namespace: ns.into(),
        operation: "upgrade".into(),
        against: Against::Live,
        drift: DriftCheck::Checked(1),
    };
    build(subject, inputs, vec![], vec![], &Options::default())
}

fn instances() -> Vec<InstanceDiff> {
    let (ns, name) = ("webapp-private", "private-webapp");
    let secret = |pw: &str| {
        object(
            "Secret",
            ns,
            name,
            json!({"type": "Opaque", "data": {"DB_PASSWORD": b64(pw)}}),
        )
    };
    let config = |level: &str| object("ConfigMap", ns, name, json!({"data": {"LOG_LEVEL": level}}));
    let changed = plan(
        "private",
        ns,
        vec![
            input(Some(secret(SECRET_BEFORE)), Some(secret(SECRET_AFTER))),
            input(Some(config("info")), Some(config("debug"))),
        ],
    );
    let (ns, name) = ("webapp-public", "public-webapp");
    let same = object(
        "ConfigMap",
        ns,
        name,
        json!({"data": {"LOG_LEVEL": "warn"}}),
    );
    let unchanged = plan("public", ns, vec![input(Some(same.clone()), Some(same))]);
    let at = |name: &str, ns: &str, tier: &str, outcome| InstanceDiff {
        name: name.into(),
        namespace: ns.into(),
        cluster: None,
        env: Some("prod".into()),
        tier: Some(tier.into()),
        outcome,
    };
    vec![
        at(
            "private",
            "webapp-private",
            "private",
            Outcome::Planned(changed),
        ),
        at(
            "work",
            "webapp-work",
            "work",
            Outcome::Failed(
                "\u{1b}[31merror:\u{1b}[0m instance `work` (tack.yaml:18): cannot load its chart\n  caused by: no Chart.yaml in `charts/missing`".into(),
            ),
        ),
        at(
            "public",
            "webapp-public",
            "public",
            Outcome::Planned(unchanged),
        ),
    ]
}

fn hidden(out: &str) {
    for s in [SECRET_BEFORE, SECRET_AFTER] {
        assert!(!out.contains(s), "{out}");
        assert!(!out.contains(&b64(s)), "{out}");
    }
}

#[test]
fn markdown() {
    let out = render_stack::render_markdown(&instances(), 3);
    hidden(&out);
    assert!(out.contains("| `DB_PASSWORD` | changed |"), "{out}");
    assert!(!out.contains('\u{1b}'), "no colours in a comment: {out}");
    insta::assert_snapshot!(out);
}

#[test]
fn json() {
    let out = render_stack::render_json(&instances(), 3);
    hidden(&out);
    let doc: Value = serde_json::from_str(&out).expect("valid JSON");
    assert_eq!(doc["instances"][1]["plan"], Value::Null);
    assert_eq!(doc["instances"][0]["error"], Value::Null);
    assert_eq!(
        doc["instances"][0]["plan"]["apiVersion"],
        "tack.dev/diff/v1"
    );
    insta::assert_snapshot!(out);
}

#[test]
fn exit_codes() {
    let all = instances();
    assert_eq!(render_stack::exit_code(&all, true), 1, "one failed");
    let ok = [all[0].clone(), all[2].clone()];
    assert_eq!(render_stack::exit_code(&ok, true), 2);
    assert_eq!(render_stack::exit_code(&ok, false), 0);
    assert_eq!(render_stack::exit_code(&ok[1..], true), 0, "no changes");
}
