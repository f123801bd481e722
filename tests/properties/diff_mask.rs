//! Diff masking: whatever a Secret holds, and however it changes or drifts, no renderer (text, summary,
//! markdown, JSON, stack markdown and JSON) shows a value or its base64.

use base64::Engine;
use proptest::prelude::*;
use serde_json::{json, Map, Value};
use tack::diff::render_stack::{self, InstanceDiff, Outcome};
use tack::diff::{
    build, render_json, render_markdown, render_text, Against, DriftCheck, DriftInput, Input, Note,
    NoteLevel, ObjectRef, Options, Subject,
};

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A secret value: a distinctive ASCII start (what the checks look for) and any tail.
fn secret_value() -> impl Strategy<Value = String> {
    ("[A-Za-z0-9]{10,14}", any::<String>()).prop_map(|(core, tail)| format!("Zq{core}{tail}"))
}

/// Keys and values of a Secret's `data` and `stringData`.
type Contents = (Vec<(String, String)>, Vec<(String, String)>);

fn contents() -> impl Strategy<Value = Contents> {
    let entries = || {
        proptest::collection::btree_map("[A-Z_]{1,8}", secret_value(), 0..4)
            .prop_map(|m| m.into_iter().collect::<Vec<_>>())
    };
    (entries(), entries())
}

fn secret(name: &str, (data, strings): &Contents) -> Value {
    let data: Map<String, Value> = data
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(b64(v.as_bytes()))))
        .collect();
    let strings: Map<String, Value> = strings
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let mut obj = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": name, "namespace": "shop",
            "annotations": {"tack.dev/release-name": "web", "tack.dev/release-namespace": "shop"}}});
    if !data.is_empty() {
        obj["data"] = Value::Object(data);
    }
    if !strings.is_empty() {
        obj["stringData"] = Value::Object(strings);
    }
    obj
}

fn all_values(c: &[&Option<Contents>]) -> Vec<String> {
    c.iter()
        .filter_map(|c| c.as_ref())
        .flat_map(|(d, s)| d.iter().chain(s).map(|(_, v)| v.clone()))
        .collect()
}

fn reference(name: &str) -> ObjectRef {
    ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: Some("shop".into()),
        name: name.into(),
    }
}

proptest! {
    #![proptest_config(crate::config(128))]

    #[test]
    fn no_renderer_shows_a_secret_value(
        before in proptest::option::of(contents()),
        after in proptest::option::of(contents()),
        recorded in proptest::option::of(contents()),
        live in proptest::option::of(contents()),
        echo in any::<bool>(),
        context in 0usize..5,
    ) {
        let mut input = Input {
            object: reference("creds"),
            before: before.as_ref().map(|c| secret("creds", c)),
            after: after.as_ref().map(|c| secret("creds", c)),
            notes: vec![],
        };
        let values = all_values(&[&before, &after, &recorded, &live]);
        if echo {
            // a server message about this object quoting its values, raw and as base64
            let quoted: Vec<String> = all_values(&[&before, &after])
                .iter()
                .map(|v| format!("{v} ({})", b64(v.as_bytes())))
                .collect();
            input.notes.push(Note::new(NoteLevel::Error, format!("invalid: {}", quoted.join(", "))));
        }
        let drift = recorded
            .as_ref()
            .map(|c| DriftInput {
                object: reference("creds"),
                recorded: secret("creds", c),
                live: live.as_ref().map(|l| secret("creds", l)),
            })
            .into_iter()
            .collect();
        let subject = Subject {
            release: "web".into(),
            namespace: "shop".into(),
            operation: "upgrade".into(),
            against: Against::Live,
            drift: DriftCheck::Checked(1),
        };
        let plan = build(subject, vec![input], drift, vec![], &Options::default());
        let instances = vec![InstanceDiff {
            name: "a".into(),
            namespace: "shop".into(),
            cluster: None,
            env: None,
            tier: None,
            outcome: Outcome::Planned(plan.clone()),
        }];
        let outputs = [
            render_text::render(&plan, &render_text::TextOptions { context, color: false }),
            render_text::render(&plan, &render_text::TextOptions { context, color: true }),
            render_text::render_summary(&plan, false),
            render_markdown::render(&plan, context),
            render_json::render(&plan, context),
            render_stack::render_markdown(&instances, context),
            render_stack::render_json(&instances, context),
            render_stack::plan_result(&plan),
        ];
        for v in &values {
            // the first 12 bytes are the marker and ASCII: look for them raw and as base64
            let raw = &v[..12];
            let encoded = &b64(&v.as_bytes()[..12]);
            for out in &outputs {
                prop_assert!(!out.contains(raw), "value {:?} shown:\n{}", v, out);
                prop_assert!(!out.contains(encoded.as_str()), "base64 of {:?} shown:\n{}", v, out);
            }
        }
    }
}
