//! Noise removal: the fields the server or tack itself writes (status, managedFields, resourceVersion, tack's
//! ownership annotations, ...) are dropped before comparing, so a diff shows only what a person would change.
//! Also fills in namespaces without a cluster, for offline and record-to-record comparisons.

use crate::manifest::{RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION};
use serde_json::Value;

/// Top-level fields dropped from every object.
pub const NOISE_TOP: &[&str] = &["status"];

/// `metadata` fields dropped from every object.
pub const NOISE_METADATA: &[&str] = &[
    "managedFields",
    "resourceVersion",
    "uid",
    "creationTimestamp",
    "generation",
    "selfLink",
];

/// Annotations dropped from every object.
pub const NOISE_ANNOTATIONS: &[&str] = &[
    RELEASE_NAME_ANNOTATION,
    RELEASE_NAMESPACE_ANNOTATION,
    "kubectl.kubernetes.io/last-applied-configuration",
];

/// A copy of `obj` without the noise fields. An `annotations` map left empty is removed too, so an object
/// that only had tack's annotations compares equal to one that never had any. The `creationTimestamp: null`
/// the server writes into embedded object templates (a Deployment's pod template) goes as well.
pub fn strip_noise(obj: &Value) -> Value {
    let Some(whole) = obj.as_object() else {
        return obj.clone();
    };
    // copied without the noise (managedFields is often most of a live object), then trimmed
    let mut map = serde_json::Map::new();
    for (k, v) in whole {
        if NOISE_TOP.contains(&k.as_str()) {
            continue;
        }
        let v = match v.as_object().filter(|_| k == "metadata") {
            Some(meta) => Value::Object(
                meta.iter()
                    .filter(|(k, _)| !NOISE_METADATA.contains(&k.as_str()))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            None => v.clone(),
        };
        map.insert(k.clone(), v);
    }
    if let Some(spec) = map.get_mut("spec") {
        strip_template_timestamps(spec);
    }
    if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
        let mut empty = false;
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in NOISE_ANNOTATIONS {
                ann.remove(*k);
            }
            empty = ann.is_empty();
        }
        if empty || meta.get("annotations").is_some_and(Value::is_null) {
            meta.remove("annotations");
        }
    }
    Value::Object(map)
}

fn strip_template_timestamps(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
                if meta.get("creationTimestamp").is_some_and(Value::is_null) {
                    meta.remove("creationTimestamp");
                }
            }
            map.values_mut().for_each(strip_template_timestamps);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_template_timestamps),
        _ => {}
    }
}

/// Give a namespaced object without a namespace the release namespace, and drop the namespace of built-in
/// cluster-scoped kinds, the way the apply engine would, but without asking the cluster (kinds unknown to
/// tack are taken as namespaced). Used where no cluster is contacted.
pub fn fill_namespace(obj: &mut Value, release_namespace: &str) {
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    if crate::manifest::is_cluster_scoped(&kind) {
        meta.remove("namespace");
    } else if meta
        .get("namespace")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        meta.insert("namespace".into(), Value::String(release_namespace.into()));
    }
}

/// The YAML text of an object as shown in diffs (keys sorted, so the same object always reads the same).
pub fn to_yaml(obj: &Value) -> String {
    let mut text = crate::render::filters::json_to_yaml(obj);
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn noise_is_dropped_and_the_rest_kept() {
        let live = json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {
                "name": "a", "namespace": "shop", "uid": "u", "resourceVersion": "9",
                "creationTimestamp": "2024-01-01T00:00:00Z", "generation": 3, "selfLink": "/x",
                "managedFields": [{"manager": "tack"}],
                "labels": {"app": "a"},
                "annotations": {
                    "tack.dev/release-name": "web", "tack.dev/release-namespace": "shop",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{}}",
                    "team": "x"
                }
            },
            "data": {"k": "v"},
            "status": {"phase": "x"}
        });
        let out = strip_noise(&live);
        assert_eq!(
            out,
            json!({
                "apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "a", "namespace": "shop", "labels": {"app": "a"},
                    "annotations": {"team": "x"}},
                "data": {"k": "v"}
            })
        );
    }

    #[test]
    fn null_timestamps_of_embedded_templates_are_removed() {
        let obj = json!({"kind": "CronJob", "spec": {"jobTemplate": {"metadata": {"creationTimestamp": null},
            "spec": {"template": {"metadata": {"creationTimestamp": null, "labels": {"a": "b"}}}}}}});
        assert_eq!(
            strip_noise(&obj),
            json!({"kind": "CronJob", "spec": {"jobTemplate": {"metadata": {},
                "spec": {"template": {"metadata": {"labels": {"a": "b"}}}}}}})
        );
    }

    #[test]
    fn annotations_left_empty_are_removed() {
        let obj = json!({"metadata": {"name": "a", "annotations": {
            "tack.dev/release-name": "web", "tack.dev/release-namespace": "shop"}}});
        assert_eq!(strip_noise(&obj), json!({"metadata": {"name": "a"}}));
        assert_eq!(strip_noise(&json!("x")), json!("x"));
    }

    #[test]
    fn namespaces_are_filled_for_namespaced_kinds_only() {
        let mut cm = json!({"kind": "ConfigMap", "metadata": {"name": "a"}});
        fill_namespace(&mut cm, "shop");
        assert_eq!(cm["metadata"]["namespace"], "shop");
        let mut other = json!({"kind": "ConfigMap", "metadata": {"name": "a", "namespace": "x"}});
        fill_namespace(&mut other, "shop");
        assert_eq!(other["metadata"]["namespace"], "x");
        let mut cr = json!({"kind": "ClusterRole", "metadata": {"name": "a", "namespace": "x"}});
        fill_namespace(&mut cr, "shop");
        assert!(cr["metadata"].get("namespace").is_none());
    }
}
