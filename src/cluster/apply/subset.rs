//! The no-op check: is every field we would apply already present, with the same value, in the live object?
//! When it is, apply sends no write, so an upgrade that changes nothing costs reads only.

use base64::Engine;
use serde_json::{Map, Value};

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

/// A Secret with `stringData` merged into `data` as base64, the way the API server stores it.
pub fn secret_as_stored(secret: &Value) -> Value {
    let mut out = secret.clone();
    let Some(obj) = out.as_object_mut() else {
        return out;
    };
    let Some(Value::Object(strings)) = obj.remove("stringData") else {
        return out;
    };
    let data = obj
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        *data = Value::Object(Map::new());
    }
    let data = data.as_object_mut().expect("data is an object");
    for (k, v) in strings {
        let text = match v {
            Value::String(s) => s,
            other => other.to_string(),
        };
        let encoded = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
        data.insert(k, Value::String(encoded));
    }
    out
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
