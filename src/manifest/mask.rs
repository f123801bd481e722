//! Keep Secret values out of printed manifests: sizes and digest prefixes instead of values.

use super::Document;
use serde_json::Value;

/// A short, non-reversible description of a secret value: its size and a digest prefix, so two values can be
/// told apart without being shown.
pub fn describe_secret(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(bytes));
    format!("<redacted: {} bytes, sha256:{}>", bytes.len(), &digest[..8])
}

/// A Secret object with `data` and `stringData` values replaced by [`describe_secret`]; other objects as is.
pub fn mask_secret(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if obj["kind"] != "Secret" {
        return obj;
    }
    for field in ["data", "stringData"] {
        if let Some(map) = obj.get_mut(field).and_then(Value::as_object_mut) {
            for (_, v) in map.iter_mut() {
                let raw = v.as_str().unwrap_or_default();
                let bytes = if field == "data" {
                    use base64::Engine;
                    base64::engine::general_purpose::STANDARD
                        .decode(raw.trim())
                        .unwrap_or_else(|_| raw.as_bytes().to_vec())
                } else {
                    raw.as_bytes().to_vec()
                };
                *v = Value::String(describe_secret(&bytes));
            }
        }
    }
    obj
}

/// Like [`to_stream`], but Secret values are masked (Secrets are re-serialised; comments in them are lost).
pub fn to_stream_masked(docs: &[Document]) -> String {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n# Source: ");
        out.push_str(&d.display);
        out.push('\n');
        if d.kind() == "Secret" {
            out.push_str(crate::render::filters::json_to_yaml(&mask_secret(&d.object)).trim_end());
        } else {
            out.push_str(d.text.trim_end_matches(['\n', ' ', '\t']));
        }
        out.push('\n');
    }
    out
}
