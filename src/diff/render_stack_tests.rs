//! Tests of the stack diff document: the size budget and clusters.

use super::*;
use crate::diff::{build, Against, DriftCheck, Input, ObjectRef, Options, Subject};
use serde_json::json;

/// A plan adding one ConfigMap of about `size` characters.
fn big(release: &str, size: usize) -> InstanceDiff {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": release, "namespace": release}, "data": {"blob": "x".repeat(size)}});
    let subject = Subject {
        release: release.into(),
        namespace: release.into(),
        operation: "upgrade".into(),
        against: Against::Live,
        drift: DriftCheck::NoRecord,
    };
    let input = Input {
        object: ObjectRef::of(&cm),
        before: None,
        after: Some(cm),
        notes: vec![],
    };
    let plan = build(subject, vec![input], vec![], vec![], &Options::default());
    InstanceDiff {
        name: release.into(),
        namespace: release.into(),
        cluster: None,
        env: None,
        tier: None,
        outcome: Outcome::Planned(plan),
    }
}

#[test]
fn every_heading_survives_the_size_budget() {
    let all: Vec<InstanceDiff> = ["a", "b", "c"].iter().map(|n| big(n, 40_000)).collect();
    let out = render_markdown(&all, 3);
    assert!(out.len() <= MAX_CHARS, "{}", out.len());
    for n in ["a", "b", "c"] {
        assert!(
            out.contains(&format!("#### `{n}` (namespace `{n}`)")),
            "{n}"
        );
    }
    assert_eq!(out.matches("<details>").count(), 1);
    assert_eq!(out.matches("1 more object diff left out").count(), 2);
    assert!(
        !out.contains("Cluster"),
        "no cluster column without clusters"
    );
}

#[test]
fn clusters_get_a_column_and_sections_in_first_seen_order() {
    let mut all: Vec<InstanceDiff> = ["a", "b", "c"].iter().map(|n| big(n, 10)).collect();
    all[0].cluster = Some("west".into());
    all[1].cluster = Some("east".into());
    all[2].cluster = Some("west".into());
    let out = render_markdown(&all, 3);
    assert!(out.contains("| Cluster | Instance | Namespace |"), "{out}");
    assert!(out.contains("| `west` | `a` | `a` |"), "{out}");
    let pos = |s: &str| out.find(s).unwrap_or_else(|| panic!("{s} in {out}"));
    assert!(pos("### Cluster `west`: 2 instances") < pos("#### `a`"));
    assert!(pos("#### `a`") < pos("#### `c`"));
    assert!(pos("#### `c`") < pos("### Cluster `east`: 1 instance\n"));
    assert!(pos("### Cluster `east`") < pos("#### `b`"));
    let json: serde_json::Value = serde_json::from_str(&render_json(&all, 3)).unwrap();
    assert_eq!(json["instances"][1]["cluster"], "east");
}
