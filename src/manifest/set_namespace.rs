//! Writing a release's namespace into rendered objects, so that `tack template` output applied with
//! `kubectl apply -f -` (or by a GitOps tool) lands every instance in its own namespace instead of the
//! applier's default one.
//!
//! The rendered text is kept as written (comments, key order): `namespace:` is inserted as the first key
//! under a block-style top-level `metadata:`. When the text has no such block (flow style, an empty
//! `namespace:` key), or the edited text would not parse back to the intended object, the object is written
//! out again from its parsed form instead.

use super::Document;
use serde_json::Value;

/// `doc` with `metadata.namespace` set to `namespace`, unless it already names a namespace (left as
/// rendered: the isolation guard reports foreign namespaces in stacks). The caller decides which documents
/// are namespaced.
pub fn set_namespace(doc: &Document, namespace: &str) -> Document {
    if doc.namespace().is_some() {
        return doc.clone();
    }
    let mut object = doc.object().clone();
    if !object["metadata"].is_object() {
        object["metadata"] = Value::Object(Default::default());
    }
    let had_key = object["metadata"].get("namespace").is_some();
    object["metadata"]["namespace"] = Value::String(namespace.to_string());
    let edited = if had_key {
        None
    } else {
        insert_in_text(&doc.text, namespace).filter(|t| parses_to(t, &object))
    };
    let text = edited.unwrap_or_else(|| crate::render::filters::json_to_yaml(&object));
    Document::new(
        doc.source.clone(),
        doc.display.clone(),
        doc.index,
        doc.start_line,
        text,
        object,
    )
}

/// Insert `namespace: NS` as the first key of the block-style top-level `metadata:` mapping of `text`.
fn insert_in_text(text: &str, namespace: &str) -> Option<String> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let at = lines.iter().position(|l| is_metadata_key(l))?;
    let child = lines[at + 1..].iter().find(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    })?;
    let indent: String = child.chars().take_while(|c| *c == ' ').collect();
    if indent.is_empty() || child[indent.len()..].starts_with('-') {
        return None;
    }
    let mut out = String::with_capacity(text.len() + namespace.len() + 16);
    for (i, l) in lines.iter().enumerate() {
        out.push_str(l);
        if i == at {
            if !l.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&format!("{indent}namespace: {namespace}\n"));
        }
    }
    Some(out)
}

/// `metadata:` at column 0 with nothing after it but spaces or a comment.
fn is_metadata_key(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("metadata:") else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.trim_end_matches(['\n', '\r']).is_empty() || rest.starts_with('#')
}

fn parses_to(text: &str, want: &Value) -> bool {
    serde_yaml::from_str::<serde_yaml::Value>(text)
        .ok()
        .and_then(|y| serde_json::to_value(y).ok())
        .is_some_and(|v| &v == want)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> Document {
        let mut problems = Vec::new();
        let docs = crate::manifest::parse_rendered("t.yaml", "c/t.yaml", text, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        docs.into_iter().next().unwrap()
    }

    #[test]
    fn inserts_under_block_metadata_keeping_comments_and_order() {
        let d = doc("apiVersion: v1\nkind: ConfigMap\nmetadata:   # the object\n    name: a\n    labels: {x: y}\ndata:\n  # kept\n  k: v\n");
        let out = set_namespace(&d, "team-a");
        assert_eq!(
            out.text,
            "apiVersion: v1\nkind: ConfigMap\nmetadata:   # the object\n    namespace: team-a\n    name: a\n    labels: {x: y}\ndata:\n  # kept\n  k: v\n"
        );
        assert_eq!(out.namespace(), Some("team-a"));
        assert_eq!(out.object()["data"]["k"], "v");
    }

    #[test]
    fn leaves_a_written_namespace_alone() {
        let d = doc("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: other\n");
        let out = set_namespace(&d, "team-a");
        assert_eq!(out.text, d.text);
        assert_eq!(out.namespace(), Some("other"));
    }

    #[test]
    fn rewrites_flow_metadata_and_empty_namespace_keys_from_the_object() {
        for text in [
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {k: v}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: \"\"\ndata: {k: v}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata: {k: v}\nextra: |\n  metadata:\n  x\n",
        ] {
            let d = doc(text);
            let out = set_namespace(&d, "team-a");
            assert_eq!(out.namespace(), Some("team-a"), "{text}");
            assert!(parses_to(&out.text, out.object()), "{}", out.text);
            assert_eq!(out.object()["data"]["k"], "v");
        }
    }
}
