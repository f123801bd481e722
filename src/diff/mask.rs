//! Secret masking for diffs: a Secret's `data` and `stringData` are merged the way the API server stores them,
//! each value is replaced by its size and a short digest (`manifest::describe_secret`), and per-key changes are
//! classified so a reviewer can tell values apart without seeing them. Values that arrive already masked (a
//! manifest saved with `tack get manifest`) are compared by their description.

use super::{KeyChange, SecretKey};
use base64::Engine;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

const B64: base64::engine::general_purpose::GeneralPurpose =
    base64::engine::general_purpose::STANDARD;

/// One value of a Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretValue {
    /// `<redacted: N bytes, sha256:xxxxxxxx>`.
    pub description: String,
    /// The bytes, unless the value arrived already masked.
    pub raw: Option<Vec<u8>>,
}

impl SecretValue {
    fn same_as(&self, other: &SecretValue) -> bool {
        match (&self.raw, &other.raw) {
            (Some(a), Some(b)) => a == b,
            _ => self.description == other.description,
        }
    }

    /// `N bytes, sha256:xxxxxxxx`, for tables.
    pub fn short(&self) -> String {
        self.description
            .trim_start_matches("<redacted: ")
            .trim_end_matches('>')
            .to_string()
    }
}

/// Whether `obj` is a Secret (whose `data` and `stringData` must never be shown).
pub fn is_secret(obj: &Value) -> bool {
    obj["kind"] == "Secret"
}

/// Whether `s` is already a masked description (as `tack get manifest` prints by default).
pub fn is_description(s: &str) -> bool {
    s.starts_with("<redacted: ") && s.ends_with('>') && s.contains(" bytes, sha256:")
}

fn value_of(v: &Value, base64_encoded: bool) -> SecretValue {
    let text = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    if is_description(&text) {
        return SecretValue {
            description: text,
            raw: None,
        };
    }
    let bytes = if base64_encoded {
        B64.decode(text.trim())
            .unwrap_or_else(|_| text.as_bytes().to_vec())
    } else {
        text.into_bytes()
    };
    SecretValue {
        description: crate::manifest::describe_secret(&bytes),
        raw: Some(bytes),
    }
}

/// The values of a Secret by key: `data` (base64) overlaid with `stringData` (plain), as the server merges
/// them. Empty for other kinds.
pub fn secret_values(obj: &Value) -> BTreeMap<String, SecretValue> {
    let mut out = BTreeMap::new();
    if !is_secret(obj) {
        return out;
    }
    for (field, encoded) in [("data", true), ("stringData", false)] {
        if let Some(map) = obj[field].as_object() {
            for (k, v) in map {
                out.insert(k.clone(), value_of(v, encoded));
            }
        }
    }
    out
}

/// A Secret in the form shown by diffs: `stringData` folded into `data`, and each value replaced by its
/// description (or, with `show`, by its base64 text as the server stores it). Other kinds are returned as is.
pub fn masked(obj: &Value, show: bool) -> Value {
    if !is_secret(obj) {
        return obj.clone();
    }
    let values = secret_values(obj);
    let mut out = obj.clone();
    let Some(map) = out.as_object_mut() else {
        return out;
    };
    map.remove("stringData");
    map.remove("data");
    // the server omits an empty `data`, so an empty one is not shown either
    if !values.is_empty() {
        let data: Map<String, Value> = values
            .into_iter()
            .map(|(k, v)| {
                let shown = match (&v.raw, show) {
                    (Some(bytes), true) => B64.encode(bytes),
                    _ => v.description,
                };
                (k, Value::String(shown))
            })
            .collect();
        map.insert("data".into(), Value::Object(data));
    }
    out
}

/// Per-key changes between two versions of a Secret (either side may be absent). Empty when neither side is
/// a Secret.
pub fn key_changes(before: Option<&Value>, after: Option<&Value>) -> Vec<SecretKey> {
    let b = before.map(secret_values).unwrap_or_default();
    let a = after.map(secret_values).unwrap_or_default();
    let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|k| {
            let (bv, av) = (b.get(k), a.get(k));
            let change = match (bv, av) {
                (None, Some(_)) => KeyChange::Added,
                (Some(_), None) => KeyChange::Removed,
                (Some(x), Some(y)) if x.same_as(y) => KeyChange::Unchanged,
                _ => KeyChange::Changed,
            };
            SecretKey {
                key: k.clone(),
                change,
                before: bv.map(SecretValue::short),
                after: av.map(SecretValue::short),
            }
        })
        .collect()
}

/// Every form in which a Secret value of `obj` could appear in text: raw, base64, and decoded when valid
/// UTF-8. Values shorter than 3 characters are left out (they would match everywhere). Both fields count
/// in full, including a `data` value that a `stringData` value of the same key replaces.
pub fn secret_strings(obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if !is_secret(obj) {
        return out;
    }
    for (field, encoded) in [("data", true), ("stringData", false)] {
        for v in obj[field].as_object().into_iter().flat_map(|m| m.values()) {
            if let Some(bytes) = &value_of(v, encoded).raw {
                if let Ok(text) = String::from_utf8(bytes.clone()) {
                    out.push(text);
                }
                out.push(B64.encode(bytes));
            }
            if encoded {
                out.extend(v.as_str().map(str::to_string));
            }
        }
    }
    out.retain(|s| s.trim().len() >= 3);
    out.sort_by_key(|s| std::cmp::Reverse(s.len()));
    out.dedup();
    out
}

/// `text` with every string of `secrets` replaced by `[redacted]` (longest first).
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secret(data: Value, string_data: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": data, "stringData": string_data})
    }

    #[test]
    fn masked_secrets_keep_keys_and_lose_values() {
        // "hunter2" and "s3cr3t-token"
        let s = secret(
            json!({"PASSWORD": "aHVudGVyMg=="}),
            json!({"TOKEN": "s3cr3t-token"}),
        );
        let m = masked(&s, false);
        let text = m.to_string();
        assert!(
            !text.contains("hunter2") && !text.contains("aHVudGVyMg==") && !text.contains("s3cr3t"),
            "{text}"
        );
        assert!(m.get("stringData").is_none());
        assert_eq!(
            m["data"]["PASSWORD"],
            crate::manifest::describe_secret(b"hunter2")
        );
        assert!(m["data"]["TOKEN"]
            .as_str()
            .unwrap()
            .starts_with("<redacted: 12 bytes, sha256:"));
        // shown: as the server stores it
        let shown = masked(&s, true);
        assert_eq!(shown["data"]["PASSWORD"], "aHVudGVyMg==");
        assert_eq!(shown["data"]["TOKEN"], B64.encode("s3cr3t-token"));
        // other kinds untouched
        let cm = json!({"kind": "ConfigMap", "data": {"a": "hunter2"}});
        assert_eq!(masked(&cm, false), cm);
    }

    #[test]
    fn string_data_overrides_data_like_the_server() {
        let s = secret(json!({"K": B64.encode("old")}), json!({"K": "new"}));
        let v = secret_values(&s);
        assert_eq!(v["K"].raw.as_deref(), Some(&b"new"[..]));
    }

    #[test]
    fn key_changes_classify_each_key() {
        let before = secret(
            json!({"same": B64.encode("v"), "gone": B64.encode("x"), "edit": B64.encode("1")}),
            json!(null),
        );
        let after = secret(
            json!({"same": B64.encode("v"), "edit": B64.encode("22")}),
            json!({"new": "n"}),
        );
        let changes = key_changes(Some(&before), Some(&after));
        let summary: Vec<(&str, KeyChange)> =
            changes.iter().map(|k| (k.key.as_str(), k.change)).collect();
        assert_eq!(
            summary,
            vec![
                ("edit", KeyChange::Changed),
                ("gone", KeyChange::Removed),
                ("new", KeyChange::Added),
                ("same", KeyChange::Unchanged),
            ]
        );
        assert_eq!(
            changes[0].before.as_deref().unwrap()[..7].to_string(),
            "1 bytes"
        );
        assert!(changes[0]
            .after
            .as_deref()
            .unwrap()
            .starts_with("2 bytes, sha256:"));
        assert!(key_changes(Some(&json!({"kind": "ConfigMap"})), None).is_empty());
    }

    #[test]
    fn already_masked_values_compare_by_description() {
        let real = secret(json!({"P": B64.encode("hunter2")}), json!(null));
        let saved = masked(&real, false);
        let changes = key_changes(Some(&saved), Some(&real));
        assert_eq!(changes[0].change, KeyChange::Unchanged);
        let other = secret(json!({"P": B64.encode("hunter3")}), json!(null));
        assert_eq!(
            key_changes(Some(&saved), Some(&other))[0].change,
            KeyChange::Changed
        );
        // masking a masked value keeps it
        assert_eq!(masked(&saved, false), saved);
        assert_eq!(masked(&saved, true), saved);
    }

    #[test]
    fn scrub_covers_a_data_value_that_string_data_replaces() {
        // the server keeps only `stringData`'s value for `P`, but a message may still quote either
        let s = secret(
            json!({"P": B64.encode("shadowed-one")}),
            json!({"P": "winner-two"}),
        );
        let secrets = secret_strings(&s);
        let msg = format!(
            "bad: shadowed-one {} winner-two {}",
            B64.encode("shadowed-one"),
            B64.encode("winner-two")
        );
        assert_eq!(
            scrub(&msg, &secrets),
            "bad: [redacted] [redacted] [redacted] [redacted]"
        );
    }

    #[test]
    fn scrub_removes_every_form_of_a_value() {
        let s = secret(
            json!({"P": B64.encode("hunter2")}),
            json!({"Q": "s3cr3t-token"}),
        );
        let secrets = secret_strings(&s);
        let msg = format!(
            "invalid: hunter2 / {} / s3cr3t-token / {}",
            B64.encode("hunter2"),
            B64.encode("s3cr3t-token")
        );
        let out = scrub(&msg, &secrets);
        assert_eq!(
            out,
            "invalid: [redacted] / [redacted] / [redacted] / [redacted]"
        );
    }
}
