//! The no-op check: is every field we would apply already present, with the same value, in the live object?
//! When it is, apply sends no write, so an upgrade that changes nothing costs reads only.

use crate::manifest::secret_as_stored;
use serde_json::Value;

/// Whether every field of `desired` has an equal value in `live`.
///
/// Maps are compared key by key of `desired`, lists element by element with equal length, numbers by value.
/// A zero value in `desired` (null, `""`, `false`, `0`, `{}`, `[]`) matches an absent field, because the
/// server omits such fields when it stores them.
pub fn is_subset(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, dv)| match l.get(k) {
            Some(lv) => is_subset(dv, lv),
            None => is_zero(dv),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(dv, lv)| is_subset(dv, lv))
        }
        (Value::Number(a), Value::Number(b)) => numbers_equal(a, b),
        (d, Value::Null) => is_zero(d),
        (d, l) => d == l,
    }
}

/// Like [`is_subset`], after turning a Secret's `stringData` into the `data` the server would store.
pub fn object_is_subset(desired: &Value, live: &Value) -> bool {
    if desired["kind"] == "Secret" && desired.get("stringData").is_some() {
        is_subset(&secret_as_stored(desired), live)
    } else {
        is_subset(desired, live)
    }
}

/// Whether every field that `manager` applied to `live` (per its managedFields) is still in `desired`.
/// When one is not, only a write can remove it: server-side apply drops fields that the same manager
/// stops applying, so a subset check alone would leave them behind forever.
pub fn managed_fields_still_desired(live: &Value, desired: &Value, manager: &str) -> bool {
    let entries = live["metadata"]["managedFields"].as_array();
    let mut desired = std::borrow::Cow::Borrowed(desired);
    if desired["kind"] == "Secret" && desired.get("stringData").is_some() {
        // the server records `stringData` and stores `data`: accept both
        let strings = desired["stringData"].clone();
        let mut stored = secret_as_stored(&desired);
        stored["stringData"] = strings;
        desired = std::borrow::Cow::Owned(stored);
    }
    entries.into_iter().flatten().all(|entry| {
        entry["manager"] != manager
            || entry["operation"] != "Apply"
            || !entry["subresource"].as_str().unwrap_or("").is_empty()
            || fields_present(&entry["fieldsV1"], &desired)
    })
}

/// Whether every path of a `fieldsV1` set exists in `value`.
fn fields_present(set: &Value, value: &Value) -> bool {
    let Some(set) = set.as_object() else {
        return true;
    };
    set.iter().all(|(key, children)| {
        if key == "." {
            return true;
        }
        if let Some(name) = key.strip_prefix("f:") {
            return match value.get(name) {
                Some(child) if !child.is_null() => fields_present(children, child),
                _ => false,
            };
        }
        let items = value.as_array().map(Vec::as_slice).unwrap_or_default();
        if let Some(json) = key.strip_prefix("k:") {
            let Ok(Value::Object(keys)) = serde_json::from_str::<Value>(json) else {
                return true;
            };
            // a key field the server defaulted (e.g. `protocol`) may be absent from what we apply
            return items.iter().any(|item| {
                keys.iter()
                    .all(|(k, v)| item.get(k).is_none_or(|iv| is_subset(iv, v)))
                    && fields_present(children, item)
            });
        }
        if let Some(json) = key.strip_prefix("v:") {
            let Ok(wanted) = serde_json::from_str::<Value>(json) else {
                return true;
            };
            return items.iter().any(|item| is_subset(item, &wanted));
        }
        if let Some(index) = key.strip_prefix("i:") {
            return match index.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(item) => fields_present(children, item),
                None => false,
            };
        }
        true
    })
}

fn is_zero(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn numbers_equal(a: &serde_json::Number, b: &serde_json::Number) -> bool {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return x == y;
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x == y;
    }
    match (a.as_f64(), b.as_f64()) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn desired_fields_present_in_live_with_extra_server_fields_are_a_subset() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "ns", "annotations": {"x": "1"}},
            "data": {"k": "v"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "ns", "annotations": {"x": "1", "other": "2"},
                "resourceVersion": "12", "uid": "u", "managedFields": []},
            "data": {"k": "v"}});
        assert!(is_subset(&desired, &live));
    }

    #[test]
    fn a_changed_missing_or_extra_value_is_not_a_subset() {
        let live = json!({"data": {"k": "v"}, "list": [1, 2]});
        assert!(!is_subset(&json!({"data": {"k": "w"}}), &live));
        assert!(!is_subset(&json!({"data": {"k2": "v"}}), &live));
        assert!(!is_subset(&json!({"list": [1]}), &live));
        assert!(!is_subset(&json!({"list": [1, 2, 3]}), &live));
        assert!(!is_subset(&json!({"list": [2, 1]}), &live));
        assert!(is_subset(&json!({"list": [1, 2]}), &live));
    }

    #[test]
    fn list_elements_are_compared_as_subsets() {
        let live =
            json!({"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"}]});
        assert!(is_subset(
            &json!({"containers": [{"name": "a", "image": "x"}]}),
            &live
        ));
        assert!(!is_subset(
            &json!({"containers": [{"name": "a", "image": "y"}]}),
            &live
        ));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(is_subset(&json!({"r": 1.0}), &json!({"r": 1})));
        assert!(is_subset(&json!({"r": 3}), &json!({"r": 3.0})));
        assert!(!is_subset(&json!({"r": 3}), &json!({"r": 4})));
        assert!(!is_subset(&json!({"r": "3"}), &json!({"r": 3})));
        assert!(is_subset(&json!({"r": u64::MAX}), &json!({"r": u64::MAX})));
    }

    #[test]
    fn zero_values_match_fields_the_server_omits() {
        let live = json!({"spec": {"a": 1}});
        assert!(is_subset(
            &json!({"spec": {"a": 1, "labels": {}, "args": [], "x": null}}),
            &live
        ));
        assert!(is_subset(
            &json!({"spec": {"a": 1, "hostNetwork": false, "value": ""}}),
            &live
        ));
        assert!(!is_subset(
            &json!({"spec": {"a": 1, "hostNetwork": true}}),
            &live
        ));
        assert!(!is_subset(
            &json!({"spec": {"a": 1, "labels": {"k": "v"}}}),
            &live
        ));
    }

    fn managed(fields: Value) -> Value {
        json!({"metadata": {"managedFields": [
            {"manager": "tack", "operation": "Apply", "fieldsV1": fields},
            {"manager": "kube-controller-manager", "operation": "Update", "subresource": "status",
                "fieldsV1": {"f:status": {"f:replicas": {}}}},
            {"manager": "other", "operation": "Apply", "fieldsV1": {"f:data": {"f:theirs": {}}}}]}})
    }

    #[test]
    fn a_field_we_applied_before_and_dropped_now_needs_a_write() {
        let live = managed(json!({"f:data": {".": {}, "f:a": {}, "f:b": {}}}));
        assert!(managed_fields_still_desired(
            &live,
            &json!({"data": {"a": "1", "b": "2"}}),
            "tack"
        ));
        assert!(!managed_fields_still_desired(
            &live,
            &json!({"data": {"a": "1"}}),
            "tack"
        ));
        assert!(!managed_fields_still_desired(&live, &json!({}), "tack"));
        // other managers' fields and status updates are not ours to remove
        assert!(managed_fields_still_desired(
            &live,
            &json!({"data": {"a": "x", "b": "y"}}),
            "tack"
        ));
    }

    #[test]
    fn keyed_and_set_list_entries_are_matched() {
        let live = managed(json!({"f:spec": {"f:containers": {
            "k:{\"name\":\"app\"}": {".": {}, "f:image": {}, "f:name": {},
                "f:ports": {"k:{\"containerPort\":80,\"protocol\":\"TCP\"}": {".": {}, "f:containerPort": {}}}}},
            "f:finalizers": {"v:\"x\"": {}}}}));
        let desired = json!({"spec": {"containers": [{"name": "app", "image": "i",
            "ports": [{"containerPort": 80}]}], "finalizers": ["x"]}});
        assert!(managed_fields_still_desired(&live, &desired, "tack"));
        let renamed = json!({"spec": {"containers": [{"name": "web", "image": "i",
            "ports": [{"containerPort": 80}]}], "finalizers": ["x"]}});
        assert!(!managed_fields_still_desired(&live, &renamed, "tack"));
        let port_gone =
            json!({"spec": {"containers": [{"name": "app", "image": "i"}], "finalizers": ["x"]}});
        assert!(!managed_fields_still_desired(&live, &port_gone, "tack"));
        let no_finalizer = json!({"spec": {"containers": [{"name": "app", "image": "i",
            "ports": [{"containerPort": 80}]}], "finalizers": []}});
        assert!(!managed_fields_still_desired(&live, &no_finalizer, "tack"));
    }

    #[test]
    fn secret_string_data_counts_as_applied_fields() {
        let live = managed(json!({"f:stringData": {"f:p": {}}}));
        let desired = json!({"kind": "Secret", "stringData": {"p": "x"}});
        assert!(managed_fields_still_desired(&live, &desired, "tack"));
        let dropped = json!({"kind": "Secret", "stringData": {"q": "x"}});
        assert!(!managed_fields_still_desired(&live, &dropped, "tack"));
    }

    #[test]
    fn secret_string_data_compares_as_stored_data() {
        let desired = json!({"kind": "Secret", "metadata": {"name": "s"},
            "data": {"a": "eA=="}, "stringData": {"b": "hello"}});
        let live = json!({"kind": "Secret", "metadata": {"name": "s"}, "type": "Opaque",
            "data": {"a": "eA==", "b": "aGVsbG8="}});
        assert!(object_is_subset(&desired, &live));
        let changed = json!({"kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"b": "bye"}});
        assert!(!object_is_subset(&changed, &live));
        // stringData wins over data for the same key, as on the server
        let both = json!({"kind": "Secret", "data": {"b": "eA=="}, "stringData": {"b": "hello"}});
        assert_eq!(secret_as_stored(&both)["data"]["b"], "aGVsbG8=");
    }
}
