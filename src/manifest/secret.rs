//! Pure projections of Secret objects: the form the API server stores (`stringData` folded into `data`) and
//! messages with a Secret's values removed. Shared by the diff core and the apply engine.

use base64::Engine;
use serde_json::{Map, Value};

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

/// Remove every value of a Secret's `data` (raw and decoded) and `stringData` from `message`, so that
/// an error echoing the object cannot leak it. Other objects are returned unchanged.
pub fn redact(message: &str, object: &Value) -> String {
    if object["kind"] != "Secret" {
        return message.to_string();
    }
    let mut secrets: Vec<String> = Vec::new();
    for field in ["data", "stringData"] {
        let Some(map) = object[field].as_object() else {
            continue;
        };
        for v in map.values() {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if field == "data" {
                if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(text.trim()) {
                    if let Ok(decoded) = String::from_utf8(bytes) {
                        secrets.push(decoded);
                    }
                }
            }
            secrets.push(text);
        }
    }
    // longest first, so a value containing another is removed whole
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = message.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 3) {
        out = out.replace(s.as_str(), "[redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn secret_values_are_redacted_raw_and_decoded() {
        let secret = json!({"kind": "Secret", "data": {"p": "aHVudGVyMg=="}, "stringData": {"q": "s3cr3t-token"}});
        let msg =
            "Secret \"x\" is invalid: data[p]: aHVudGVyMg== (hunter2), stringData: s3cr3t-token";
        let out = redact(msg, &secret);
        assert!(
            !out.contains("hunter2")
                && !out.contains("aHVudGVyMg==")
                && !out.contains("s3cr3t-token"),
            "{out}"
        );
        assert!(out.contains("data[p]"), "{out}");
        let cm = json!({"kind": "ConfigMap", "data": {"p": "visible"}});
        assert_eq!(redact("visible", &cm), "visible");
    }

    #[test]
    fn string_data_is_folded_into_data_as_base64() {
        let s =
            json!({"kind": "Secret", "data": {"a": "eA=="}, "stringData": {"b": "hello", "n": 5}});
        let stored = secret_as_stored(&s);
        assert_eq!(stored["data"]["a"], "eA==");
        assert_eq!(stored["data"]["b"], "aGVsbG8=");
        assert_eq!(stored["data"]["n"], "NQ==");
        assert!(stored.get("stringData").is_none());
        let plain = json!({"kind": "Secret", "data": {"a": "eA=="}});
        assert_eq!(secret_as_stored(&plain), plain);
    }
}
