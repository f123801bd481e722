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
            out.push_str(crate::render::filters::json_to_yaml(&mask_secret(d.object())).trim_end());
        } else {
            out.push_str(d.text.trim_end_matches(['\n', ' ', '\t']));
        }
        out.push('\n');
    }
    out
}

/// Values shorter than this are not scrubbed: replacing `1` or `yes` everywhere would wreck the output and
/// hides nothing.
pub const MIN_SCRUB_LEN: usize = 4;

/// What replaces a scrubbed value.
pub const SCRUBBED: &str = "<redacted: value of a Secret read by lookup>";

/// `text` with every occurrence of each of `values` (and of its standard base64 encoding) replaced by
/// [`SCRUBBED`]. For output that may quote values a render read from live Secrets through `lookup`
/// ([`crate::render::Rendered::secret_values`]): rendered manifests, diffs, errors.
pub fn scrub(text: &str, values: &[String]) -> String {
    use base64::Engine;
    let mut needles: Vec<String> = Vec::new();
    for v in values.iter().filter(|v| v.chars().count() >= MIN_SCRUB_LEN) {
        needles.push(v.clone());
        let b64 = base64::engine::general_purpose::STANDARD.encode(v.as_bytes());
        // the encoding without padding also appears inside longer encoded text
        needles.push(b64.trim_end_matches('=').to_string());
        needles.push(b64);
    }
    // longest first, so a value that contains another is replaced whole
    needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
    needles.dedup();
    let mut out = text.to_string();
    for n in needles.iter().filter(|n| n.len() >= MIN_SCRUB_LEN) {
        if out.contains(n.as_str()) {
            out = out.replace(n.as_str(), SCRUBBED);
        }
    }
    out
}

#[cfg(test)]
mod scrub_tests {
    use super::*;

    #[test]
    fn scrub_replaces_values_and_their_base64() {
        let secret = "hunter2-db-pass".to_string();
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&secret);
        let text = format!("a: {secret}\nb: {b64}\nc: keep\nd: yes");
        let out = scrub(&text, &[secret.clone(), "yes".into()]);
        assert!(!out.contains(&secret) && !out.contains(&b64), "{out}");
        assert!(out.contains("c: keep") && out.contains("d: yes"), "{out}");
        assert_eq!(out.matches(SCRUBBED).count(), 2, "{out}");
        assert_eq!(scrub("nothing here", &[secret]), "nothing here");
    }
}
