//! Drift: fields that the last deployed revision set and that differ live, because someone edited the cluster.
//! Only the fields the revision's manifest sets are compared; fields the server stores in another but equal
//! form (quantities like `1000m` → `1`, `cpu: 1` → `"1"`, zero values it omits) are not drift.

use serde_json::{Map, Value};

/// Parents whose values are resource quantities.
const QUANTITY_PARENTS: &[&str] = &[
    "limits",
    "requests",
    "hard",
    "capacity",
    "allocatable",
    "default",
    "defaultRequest",
    "max",
    "min",
    "maxLimitRequestRatio",
];
/// Keys whose values are resource quantities wherever they are.
const QUANTITY_KEYS: &[&str] = &["storage", "sizeLimit"];

/// The fields of `recorded` with their values in `live`. A live value equal in meaning to the recorded one
/// keeps the recorded form, so `project(r, l) == r` exactly when nothing drifted, and a diff of the two shows
/// only real differences. Fields the revision set that are gone live are left out.
pub fn project(recorded: &Value, live: &Value) -> Value {
    project_at(recorded, live, "", "")
}

fn project_at(recorded: &Value, live: &Value, key: &str, parent: &str) -> Value {
    match (recorded, live) {
        (Value::Object(r), Value::Object(l)) => {
            let mut out = Map::new();
            for (k, rv) in r {
                match l.get(k) {
                    Some(lv) if !lv.is_null() => {
                        out.insert(k.clone(), project_at(rv, lv, k, key));
                    }
                    _ if is_zero(rv) => {
                        out.insert(k.clone(), rv.clone());
                    }
                    _ => {}
                }
            }
            Value::Object(out)
        }
        (Value::Array(r), Value::Array(l)) if r.len() == l.len() => Value::Array(
            r.iter()
                .zip(l)
                .map(|(rv, lv)| project_at(rv, lv, key, parent))
                .collect(),
        ),
        (r, l) if equivalent(r, l, key, parent) => r.clone(),
        (_, l) => l.clone(),
    }
}

/// Whether `project(recorded, live) == recorded`, without building the projection.
pub fn undrifted(recorded: &Value, live: &Value) -> bool {
    undrifted_at(recorded, live, "", "")
}

fn undrifted_at(recorded: &Value, live: &Value, key: &str, parent: &str) -> bool {
    match (recorded, live) {
        (Value::Object(r), Value::Object(l)) => r.iter().all(|(k, rv)| match l.get(k) {
            Some(lv) if !lv.is_null() => undrifted_at(rv, lv, k, key),
            _ => is_zero(rv),
        }),
        (Value::Array(r), Value::Array(l)) if r.len() == l.len() => r
            .iter()
            .zip(l)
            .all(|(rv, lv)| undrifted_at(rv, lv, key, parent)),
        (r, l) => equivalent(r, l, key, parent),
    }
}

/// Whether two leaf values mean the same to the server.
fn equivalent(a: &Value, b: &Value, key: &str, parent: &str) -> bool {
    if a == b || (is_zero(a) && b.is_null()) {
        return true;
    }
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            let same_number = s.parse::<f64>().ok() == n.as_f64();
            same_number || (is_quantity_field(key, parent) && same_quantity(&n.to_string(), s))
        }
        (Value::String(x), Value::String(y)) => {
            is_quantity_field(key, parent) && same_quantity(x, y)
        }
        _ => false,
    }
}

fn is_quantity_field(key: &str, parent: &str) -> bool {
    QUANTITY_PARENTS.contains(&parent) || QUANTITY_KEYS.contains(&key)
}

fn same_quantity(a: &str, b: &str) -> bool {
    match (quantity(a), quantity(b)) {
        (Some(x), Some(y)) => x == y || ((x - y).abs() / x.abs().max(y.abs())) < 1e-9,
        _ => false,
    }
}

/// The value of a Kubernetes quantity (`100m`, `1.5Gi`, `2e3`, `1`), or `None` if `s` is not one.
pub fn quantity(s: &str) -> Option<f64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(s.len());
    let (number, suffix) = s.split_at(split);
    let mut value: f64 = number.parse().ok()?;
    let factor = match suffix {
        "" => 1.0,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        exp if exp.starts_with(['e', 'E']) => 10f64.powi(exp[1..].parse::<i32>().ok()?),
        _ => return None,
    };
    value *= factor;
    Some(value)
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_parse() {
        assert_eq!(quantity("100m"), Some(0.1));
        assert_eq!(quantity("1"), Some(1.0));
        assert_eq!(quantity("1Gi"), Some(1073741824.0));
        assert_eq!(quantity("1024Mi"), quantity("1Gi"));
        assert_eq!(quantity("2e3"), Some(2000.0));
        assert_eq!(quantity("1E"), Some(1e18));
        assert_eq!(quantity("0.5"), Some(0.5));
        assert_eq!(quantity("abc"), None);
        assert_eq!(quantity("1Xi"), None);
    }

    #[test]
    fn no_drift_projects_to_the_recorded_object() {
        let recorded = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{
            "name": "a", "image": "x:1",
            "resources": {"requests": {"cpu": 1, "memory": "1024Mi"}, "limits": {"cpu": "1000m"}}}]}},
            "paused": false, "empty": {}}});
        let live = json!({"spec": {"replicas": 2, "progressDeadlineSeconds": 600,
            "template": {"spec": {"containers": [{
            "name": "a", "image": "x:1", "terminationMessagePath": "/dev/termination-log",
            "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1"}}}]}}}});
        assert_eq!(project(&recorded, &live), recorded);
    }

    #[test]
    fn edits_show_as_live_values() {
        let recorded = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [
            {"name": "a", "image": "x:1"}]}}}, "data": {"k": "1"}});
        let live = json!({"spec": {"replicas": 5, "template": {"spec": {"containers": [
            {"name": "a", "image": "x:1"}, {"name": "sidecar", "image": "y"}]}}}, "data": {"k": "1.0"}});
        let p = project(&recorded, &live);
        assert_eq!(p["spec"]["replicas"], 5);
        assert_eq!(
            p["spec"]["template"]["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            2
        );
        // ConfigMap data is not a quantity: "1" and "1.0" differ
        assert_eq!(p["data"]["k"], "1.0");
        // a field deleted live is left out
        let gone = project(
            &json!({"data": {"k": "v", "j": "w"}}),
            &json!({"data": {"k": "v"}}),
        );
        assert_eq!(gone, json!({"data": {"k": "v"}}));
    }

    #[test]
    fn undrifted_is_exactly_a_projection_equal_to_the_record() {
        let recorded = json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{
            "name": "a", "image": "x:1",
            "resources": {"requests": {"cpu": 1, "memory": "1024Mi"}, "limits": {"cpu": "1000m"}}}]}},
            "paused": false, "empty": {}, "gone": "", "list": [1, {"a": "b"}]}, "data": {"k": "1"}});
        let lives = [
            json!({"spec": {"replicas": 2, "progressDeadlineSeconds": 600,
                "template": {"spec": {"containers": [{
                "name": "a", "image": "x:1", "terminationMessagePath": "/dev/termination-log",
                "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1"}}}]}},
                "gone": null, "list": [1.0, {"a": "b", "c": 1}]}, "data": {"k": "1"}}),
            json!({"spec": {"replicas": 3}}),
            json!({"spec": {"replicas": 2, "list": [1, {"a": "b"}, 3]}, "data": {"k": "1"}}),
            json!({"spec": {"replicas": 2, "list": [1, {"a": "c"}]}, "data": {"k": "1.0"}}),
            json!({"spec": "text", "data": {"k": "1"}}),
            json!({"spec": {"replicas": "2", "paused": null, "empty": null, "gone": "",
                "list": [1, {"a": "b"}],
                "template": {"spec": {"containers": [{"name": "a", "image": "x:1",
                "resources": {"requests": {"cpu": "1000m", "memory": "1Gi"}, "limits": {"cpu": 1}}}]}}},
                "data": {"k": "1"}}),
            json!(null),
        ];
        for live in &lives {
            assert_eq!(
                undrifted(&recorded, live),
                project(&recorded, live) == recorded,
                "{live}"
            );
        }
        assert!(undrifted(&recorded, &lives[0]));
        assert!(!undrifted(&recorded, &lives[1]));
    }
}
