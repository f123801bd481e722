//! Field paths: parsing `--ignore` paths (`spec.replicas`, `metadata.annotations.checksum/config`,
//! `metadata.labels["app.kubernetes.io/version"]`, `spec.template.spec.containers[*].image`,
//! `Deployment:spec.replicas`), removing what they match, and listing the paths where two objects differ in
//! the same syntax.

use serde_json::Value;
use std::fmt;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    /// `*`: every key of a mapping.
    AnyKey,
    Index(usize),
    /// `[*]`: every item of a list.
    AnyIndex,
}

/// A field to leave out of comparisons, optionally only for one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnorePath {
    pub kind: Option<String>,
    pub segments: Vec<Segment>,
    text: String,
}

impl fmt::Display for IgnorePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::str::FromStr for IgnorePath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        parse(s)
    }
}

fn bad(text: &str, why: &str) -> String {
    format!(
        "invalid --ignore path `{text}`: {why}\n\nhint: write e.g. `spec.replicas`, `metadata.annotations.checksum/config`, \
`metadata.labels[\"app.kubernetes.io/name\"]`, `spec.template.spec.containers[*].image` or `Deployment:spec.replicas` (see docs/diff.md)"
    )
}

/// Parse an `--ignore` path. Keys are separated by `.`; `\.` is a literal dot; `["a.b"]` quotes a key;
/// `[N]` and `[*]` index lists; `*` matches every key; a leading `Kind:` limits the path to one kind.
pub fn parse(text: &str) -> Result<IgnorePath, String> {
    let mut rest = text.trim();
    let mut kind = None;
    if let Some((k, after)) = rest.split_once(':') {
        let is_kind = !k.is_empty()
            && k.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && k.chars().all(|c| c.is_ascii_alphanumeric());
        if is_kind {
            kind = Some(k.to_string());
            rest = after;
        }
    }
    if rest.is_empty() {
        return Err(bad(text, "the path is empty"));
    }
    let chars: Vec<char> = rest.chars().collect();
    let mut segments = Vec::new();
    let mut i = 0;
    let mut key = String::new();
    let mut key_open = true; // a key may start here
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                key.push(chars[i + 1]);
                i += 2;
            }
            '.' => {
                if key.is_empty() && key_open {
                    return Err(bad(
                        text,
                        "an empty key (two dots in a row, or a leading dot)",
                    ));
                }
                push_key(&mut segments, &mut key);
                key_open = true;
                i += 1;
            }
            '[' => {
                push_key(&mut segments, &mut key);
                let close = chars[i..]
                    .iter()
                    .position(|&c| c == ']')
                    .map(|p| p + i)
                    .ok_or_else(|| bad(text, "a `[` without its `]`"))?;
                let inner: String = chars[i + 1..close].iter().collect();
                segments.push(bracket(text, &inner)?);
                i = close + 1;
                key_open = false;
                if i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    return Err(bad(text, "expected `.` or `[` after `]`"));
                }
                if i < chars.len() && chars[i] == '.' {
                    i += 1;
                    key_open = true;
                    if i == chars.len() {
                        return Err(bad(text, "the path ends with a dot"));
                    }
                }
            }
            c => {
                key.push(c);
                i += 1;
            }
        }
    }
    if key.is_empty() && key_open && rest.ends_with('.') {
        return Err(bad(text, "the path ends with a dot"));
    }
    push_key(&mut segments, &mut key);
    if segments.is_empty() {
        return Err(bad(text, "the path is empty"));
    }
    Ok(IgnorePath {
        kind,
        segments,
        text: text.trim().to_string(),
    })
}

fn push_key(segments: &mut Vec<Segment>, key: &mut String) {
    if key.is_empty() {
        return;
    }
    let k = std::mem::take(key);
    segments.push(if k == "*" {
        Segment::AnyKey
    } else {
        Segment::Key(k)
    });
}

fn bracket(text: &str, inner: &str) -> Result<Segment, String> {
    let inner = inner.trim();
    if inner == "*" {
        return Ok(Segment::AnyIndex);
    }
    if let Ok(n) = inner.parse::<usize>() {
        return Ok(Segment::Index(n));
    }
    for q in ['"', '\''] {
        if let Some(k) = inner.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return Ok(Segment::Key(k.to_string()));
        }
    }
    Err(bad(
        text,
        &format!("`[{inner}]` is neither an index, `*`, nor a quoted key"),
    ))
}

impl IgnorePath {
    /// Whether this path applies to objects of `kind`.
    pub fn applies_to(&self, kind: &str) -> bool {
        self.kind.as_deref().is_none_or(|k| k == kind)
    }

    /// Remove every field this path matches from `obj` (when it applies to the object's kind).
    pub fn remove_from(&self, obj: &mut Value) {
        let kind = obj["kind"].as_str().unwrap_or_default().to_string();
        if self.applies_to(&kind) {
            remove(obj, &self.segments);
        }
    }
}

fn remove(value: &mut Value, path: &[Segment]) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    let last = rest.is_empty();
    match (first, value) {
        (Segment::Key(k), Value::Object(map)) => {
            if last {
                map.remove(k);
            } else if let Some(child) = map.get_mut(k) {
                remove(child, rest);
            }
        }
        (Segment::AnyKey, Value::Object(map)) => {
            if last {
                map.clear();
            } else {
                map.values_mut().for_each(|child| remove(child, rest));
            }
        }
        (Segment::Index(i), Value::Array(items)) => {
            if last {
                if *i < items.len() {
                    items.remove(*i);
                }
            } else if let Some(child) = items.get_mut(*i) {
                remove(child, rest);
            }
        }
        (Segment::AnyIndex, Value::Array(items)) => {
            if last {
                items.clear();
            } else {
                items.iter_mut().for_each(|child| remove(child, rest));
            }
        }
        _ => {}
    }
}

/// A key as written in a path: bare when it is safe, else quoted in brackets.
fn key_text(key: &str) -> String {
    let plain = !key.is_empty()
        && key != "*"
        && !key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"' | '\\' | ':') || c.is_whitespace());
    if plain {
        key.to_string()
    } else {
        format!(
            "[{}]",
            serde_json::to_string(key).expect("strings serialize")
        )
    }
}

fn join(prefix: &str, key: &str) -> String {
    let k = key_text(key);
    if prefix.is_empty() || k.starts_with('[') {
        format!("{prefix}{k}")
    } else {
        format!("{prefix}.{k}")
    }
}

/// The paths where `before` and `after` differ: leaves that changed, keys present on one side only, and
/// lists whose length changed. Sorted as found (keys in order).
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", before, after, &mut out);
    out
}

fn walk(prefix: &str, before: &Value, after: &Value, out: &mut Vec<String>) {
    match (before, after) {
        (Value::Object(b), Value::Object(a)) => {
            let mut keys: Vec<&String> = b.keys().chain(a.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let p = join(prefix, k);
                match (b.get(k), a.get(k)) {
                    (Some(bv), Some(av)) => walk(&p, bv, av, out),
                    _ => out.push(p),
                }
            }
        }
        (Value::Array(b), Value::Array(a)) if b.len() == a.len() => {
            for (i, (bv, av)) in b.iter().zip(a).enumerate() {
                walk(&format!("{prefix}[{i}]"), bv, av, out);
            }
        }
        (b, a) if b != a => out.push(prefix.to_string()),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn segs(text: &str) -> Vec<Segment> {
        parse(text).unwrap().segments
    }

    #[test]
    fn parses_keys_quotes_indexes_and_kinds() {
        use Segment::*;
        assert_eq!(
            segs("spec.replicas"),
            vec![Key("spec".into()), Key("replicas".into())]
        );
        assert_eq!(
            segs("metadata.annotations.checksum/config"),
            vec![
                Key("metadata".into()),
                Key("annotations".into()),
                Key("checksum/config".into())
            ]
        );
        assert_eq!(
            segs(r#"metadata.labels["app.kubernetes.io/name"]"#),
            vec![
                Key("metadata".into()),
                Key("labels".into()),
                Key("app.kubernetes.io/name".into())
            ]
        );
        assert_eq!(
            segs(r"metadata.labels.app\.kubernetes\.io/name"),
            segs(r#"metadata.labels["app.kubernetes.io/name"]"#)
        );
        assert_eq!(
            segs("spec.containers[*].image"),
            vec![
                Key("spec".into()),
                Key("containers".into()),
                AnyIndex,
                Key("image".into())
            ]
        );
        assert_eq!(
            segs("spec.containers[0]"),
            vec![Key("spec".into()), Key("containers".into()), Index(0)]
        );
        assert_eq!(segs("data.*"), vec![Key("data".into()), AnyKey]);
        let p = parse("Deployment:spec.replicas").unwrap();
        assert_eq!(p.kind.as_deref(), Some("Deployment"));
        assert_eq!(p.to_string(), "Deployment:spec.replicas");
    }

    #[test]
    fn bad_paths_are_explained() {
        for (text, why) in [
            ("", "empty"),
            ("spec..replicas", "empty key"),
            (".spec", "empty key"),
            ("spec.", "ends with a dot"),
            ("spec.containers[0", "without its `]`"),
            ("spec[x]", "neither an index"),
            ("spec[0]x", "expected `.` or `[`"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
            assert!(err.contains("hint:"), "{err}");
        }
    }

    #[test]
    fn removal_follows_the_path_and_the_kind() {
        let mut obj = json!({"kind": "Deployment", "spec": {"replicas": 3, "template": {"spec": {
            "containers": [{"name": "a", "image": "x:1"}, {"name": "b", "image": "y:1"}]}}}});
        parse("spec.template.spec.containers[*].image")
            .unwrap()
            .remove_from(&mut obj);
        assert_eq!(
            obj["spec"]["template"]["spec"]["containers"],
            json!([{"name": "a"}, {"name": "b"}])
        );
        parse("StatefulSet:spec.replicas")
            .unwrap()
            .remove_from(&mut obj);
        assert_eq!(obj["spec"]["replicas"], 3, "other kinds are untouched");
        parse("Deployment:spec.replicas")
            .unwrap()
            .remove_from(&mut obj);
        assert!(obj["spec"].get("replicas").is_none());
        // a path that does not exist is harmless
        parse("spec.nothing.here").unwrap().remove_from(&mut obj);
        parse("spec.template.spec.containers[7].image")
            .unwrap()
            .remove_from(&mut obj);
    }

    #[test]
    fn changed_paths_use_the_ignore_syntax() {
        let before = json!({"metadata": {"labels": {"app.kubernetes.io/version": "1", "a": "x"}},
            "spec": {"replicas": 1, "containers": [{"image": "x:1"}], "ports": [1]}});
        let after = json!({"metadata": {"labels": {"app.kubernetes.io/version": "2", "a": "x"}},
            "spec": {"replicas": 2, "containers": [{"image": "x:2"}], "ports": [1, 2], "new": true}});
        let paths = changed_paths(&before, &after);
        assert_eq!(
            paths,
            vec![
                r#"metadata.labels["app.kubernetes.io/version"]"#,
                "spec.containers[0].image",
                "spec.new",
                "spec.ports",
                "spec.replicas"
            ]
        );
        // every listed path parses back and removes exactly the difference
        let (mut b, mut a) = (before.clone(), after.clone());
        for p in &paths {
            let ip = parse(p).unwrap();
            ip.remove_from(&mut b);
            ip.remove_from(&mut a);
        }
        assert_eq!(a, b);
        assert!(changed_paths(&before, &before).is_empty());
    }
}
