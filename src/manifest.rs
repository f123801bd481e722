//! Turn rendered template text into Kubernetes objects: split documents, parse and check each one, detect
//! duplicates, and sort into install order.
//!
//! The rendered text of each document is kept as written (comments included); parsing is only used to
//! check identity, order objects and, later, to apply them.

use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// Kinds in the order they are installed (uninstall is the reverse). Kinds not listed come after, by name.
///
/// This follows Helm's order with one change: CustomResourceDefinitions and PriorityClasses come right after
/// Namespaces, because later objects may depend on them.
pub const INSTALL_ORDER: &[&str] = &[
    "Namespace",
    "CustomResourceDefinition",
    "PriorityClass",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Built-in kinds that live outside namespaces.
pub const CLUSTER_SCOPED: &[&str] = &[
    "Namespace",
    "Node",
    "PersistentVolume",
    "StorageClass",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleBinding",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "CSIDriver",
    "CSINode",
    "VolumeAttachment",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "CertificateSigningRequest",
    "FlowSchema",
    "PriorityLevelConfiguration",
    "PodSecurityPolicy",
];

/// True when `kind` is a built-in cluster-scoped kind.
pub fn is_cluster_scoped(kind: &str) -> bool {
    CLUSTER_SCOPED.contains(&kind)
}

/// One object of the manifest, with where it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// Chart-relative path of the template (`templates/deployment.yaml.j2`) or CRD file.
    pub source: String,
    /// Name shown in `# Source:` lines (`webapp/templates/deployment.yaml`).
    pub display: String,
    /// Position of the document among those its template rendered.
    pub index: usize,
    /// 1-based line of the rendered output where the document starts.
    pub start_line: usize,
    /// The document text as rendered.
    pub text: String,
    /// The parsed object.
    pub object: Value,
}

impl Document {
    pub fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
    /// The namespace written in the object, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.object["metadata"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty())
    }
    /// API group of the object (`""` for the core group).
    pub fn group(&self) -> &str {
        match self.api_version().rsplit_once('/') {
            Some((g, _)) => g,
            None => "",
        }
    }
    /// `Kind namespace/name` or `Kind name`, for messages.
    pub fn id(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {}/{}", self.kind(), ns, self.name()),
            None => format!("{} {}", self.kind(), self.name()),
        }
    }
}

/// A problem found in rendered output, pointing at the template.
#[derive(Debug, Clone)]
pub struct Problem {
    pub source: String,
    pub line: Option<usize>,
    pub message: String,
    /// Rendered lines around the problem, already numbered.
    pub excerpt: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} (rendered line {l}): {}", self.source, self.message)?,
            None => write!(f, "{}: {}", self.source, self.message)?,
        }
        if let Some(ex) = &self.excerpt {
            write!(f, "\n{ex}")?;
        }
        Ok(())
    }
}

/// Split rendered text into documents on whole `---` lines. Returns (1-based start line, text) pairs,
/// dropping documents that hold only whitespace and comments.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if is_separator(line.trim_end_matches(['\n', '\r'])) {
            push_doc(&mut docs, start, std::mem::take(&mut current));
            start = i + 2;
        } else {
            current.push_str(line);
        }
    }
    push_doc(&mut docs, start, current);
    docs
}

fn is_separator(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

fn push_doc(docs: &mut Vec<(usize, String)>, start: usize, text: String) {
    let meaningful = text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    if meaningful {
        // skip leading blank/comment-free lines are kept: the text stays as rendered
        docs.push((start, text));
    }
}

/// Parse the documents one template rendered. Problems are collected, not returned at the first one.
pub fn parse_rendered(
    source: &str,
    display: &str,
    rendered: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Document> {
    let mut out = Vec::new();
    for (index, (start_line, text)) in split_documents(rendered).into_iter().enumerate() {
        match parse_document(&text) {
            Ok(None) => {}
            Ok(Some(object)) => {
                if let Err(msg) = check_identity(&object) {
                    problems.push(Problem {
                        source: source.to_string(),
                        line: Some(start_line),
                        message: msg,
                        excerpt: Some(excerpt(rendered, start_line, start_line, 3)),
                    });
                    continue;
                }
                out.push(Document {
                    source: source.to_string(),
                    display: display.to_string(),
                    index,
                    start_line,
                    text,
                    object,
                });
            }
            Err((msg, line)) => {
                let abs = line.map(|l| start_line + l - 1);
                problems.push(Problem {
                    source: source.to_string(),
                    line: abs,
                    message: format!("rendered output is not valid YAML: {msg}"),
                    excerpt: Some(excerpt(
                        rendered,
                        abs.unwrap_or(start_line),
                        abs.unwrap_or(start_line),
                        3,
                    )),
                });
            }
        }
    }
    out
}

/// Parse one document. `Ok(None)` for a document that is `null`.
fn parse_document(text: &str) -> Result<Option<Value>, (String, Option<usize>)> {
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let msg = e.to_string();
        // serde_yaml appends " at line N column M"; the caller reports the line itself
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        (msg, line)
    })?;
    if yaml.is_null() {
        return Ok(None);
    }
    let json = serde_json::to_value(&yaml).map_err(|e| (e.to_string(), None))?;
    Ok(Some(json))
}

fn check_identity(obj: &Value) -> Result<(), String> {
    let Some(map) = obj.as_object() else {
        return Err(format!(
            "a document must be a mapping with apiVersion, kind and metadata.name, found {}",
            type_name(obj)
        ));
    };
    let mut missing = Vec::new();
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => missing.push(key),
        }
    }
    match obj["metadata"]["name"].as_str() {
        Some(s) if !s.is_empty() => {}
        _ if obj["metadata"]["generateName"].as_str().is_some() => return Err(
            "metadata.generateName is not supported: tracked objects need a fixed metadata.name"
                .into(),
        ),
        _ => missing.push("metadata.name"),
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "object is missing {}; every object needs apiVersion, kind and metadata.name",
            missing.join(", ")
        ))
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Numbered lines `from - ctx ..= to + ctx` of `text`, marking `from..=to` with `>`.
pub fn excerpt(text: &str, from: usize, to: usize, ctx: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let first = from.saturating_sub(ctx).max(1);
    let last = (to + ctx).min(lines.len());
    let width = last.to_string().len();
    let mut out = String::new();
    for n in first..=last {
        let mark = if (from..=to).contains(&n) { ">" } else { " " };
        out.push_str(&format!(
            "  {mark} {n:>width$} | {}\n",
            lines.get(n - 1).unwrap_or(&"")
        ));
    }
    out.pop();
    out
}

/// Position of `kind` in the install order.
pub fn install_rank(kind: &str) -> usize {
    INSTALL_ORDER
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(INSTALL_ORDER.len())
}

/// Sort documents into install order: by kind rank, unknown kinds by name, then by template path and position.
pub fn sort_install_order(docs: &mut [Document]) {
    docs.sort_by(|a, b| {
        let ra = install_rank(a.kind());
        let rb = install_rank(b.kind());
        ra.cmp(&rb)
            .then_with(|| {
                if ra == INSTALL_ORDER.len() {
                    a.kind().cmp(b.kind())
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.index.cmp(&b.index))
    });
}

/// Report every kind/namespace/name rendered more than once, naming both templates.
/// `default_ns` is the namespace that namespaced objects without one will land in.
pub fn find_duplicates(docs: &[Document], default_ns: &str) -> Vec<Problem> {
    let mut seen: HashMap<(String, String, String, String), &Document> = HashMap::new();
    let mut problems = Vec::new();
    for d in docs {
        let ns = if is_cluster_scoped(d.kind()) {
            String::new()
        } else {
            d.namespace().unwrap_or(default_ns).to_string()
        };
        let key = (
            d.group().to_string(),
            d.kind().to_string(),
            ns,
            d.name().to_string(),
        );
        if let Some(first) = seen.get(&key) {
            problems.push(Problem {
                source: d.source.clone(),
                line: Some(d.start_line),
                message: format!(
                    "{} is rendered twice: first by {} (rendered line {}), again here",
                    d.id(),
                    first.source,
                    first.start_line
                ),
                excerpt: None,
            });
        } else {
            seen.insert(key, d);
        }
    }
    problems
}

/// The YAML stream printed by `tack template`: each document preceded by `---` and a `# Source:` line.
pub fn to_stream(docs: &[Document]) -> String {
    let mut out = String::new();
    for d in docs {
        out.push_str("---\n# Source: ");
        out.push_str(&d.display);
        out.push('\n');
        out.push_str(d.text.trim_end_matches(['\n', ' ', '\t']));
        out.push('\n');
    }
    out
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> (Vec<Document>, Vec<Problem>) {
        let mut problems = Vec::new();
        let docs = parse_rendered(
            "templates/x.yaml.j2",
            "c/templates/x.yaml",
            text,
            &mut problems,
        );
        (docs, problems)
    }

    #[test]
    fn splits_on_whole_separator_lines_only() {
        let docs = split_documents("a: 1\n---\nb: 2\n--- # note\nc: 3\n---apiVersion: x\n");
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0], (1, "a: 1\n".to_string()));
        assert_eq!(docs[1], (3, "b: 2\n".to_string()));
        assert_eq!(docs[2].0, 5);
        assert!(docs[2].1.contains("---apiVersion"));
    }

    #[test]
    fn drops_empty_and_comment_only_documents() {
        let docs = split_documents("---\n\n# only a comment\n---\n   \n---\nkind: A\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].1, "kind: A\n");
    }

    #[test]
    fn null_documents_are_dropped() {
        let (docs, problems) = parse("---\nnull\n---\n~\n");
        assert!(docs.is_empty());
        assert!(problems.is_empty());
    }

    #[test]
    fn missing_identity_is_reported_with_line() {
        let (docs, problems) =
            parse("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nmetadata:\n  name: x\n");
        assert_eq!(docs.len(), 1);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, Some(5));
        assert!(
            problems[0].message.contains("kind"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn invalid_yaml_names_the_rendered_line_with_excerpt() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   bad: [\n";
        let (_, problems) = parse(text);
        assert_eq!(problems.len(), 1);
        let p = &problems[0];
        assert!(p.message.contains("not valid YAML"));
        assert!(p.line.unwrap() >= 8, "{:?}", p.line);
        assert!(p.excerpt.as_ref().unwrap().contains("bad: ["));
    }

    #[test]
    fn duplicate_keys_are_an_error() {
        let (_, problems) =
            parse("apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}\n");
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.contains("duplicate"),
            "{}",
            problems[0].message
        );
    }

    #[test]
    fn duplicates_name_both_templates() {
        let mut p = Vec::new();
        let mut docs = parse_rendered(
            "templates/a.yaml.j2",
            "a",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
            &mut p,
        );
        docs.extend(parse_rendered(
            "templates/b.yaml.j2",
            "b",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: ns}\n",
            &mut p,
        ));
        let dups = find_duplicates(&docs, "ns");
        assert_eq!(dups.len(), 1);
        assert!(dups[0].message.contains("templates/a.yaml.j2"));
        assert_eq!(dups[0].source, "templates/b.yaml.j2");
        assert!(find_duplicates(&docs, "other").is_empty());
    }

    #[test]
    fn install_order_puts_namespaces_and_crds_first_and_unknown_last() {
        let mut p = Vec::new();
        let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n---\napiVersion: x/v1\nkind: Widget\nmetadata: {name: w}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\n";
        let mut docs = parse_rendered("templates/a.yaml.j2", "a", text, &mut p);
        sort_install_order(&mut docs);
        let kinds: Vec<_> = docs.iter().map(|d| d.kind().to_string()).collect();
        assert_eq!(
            kinds,
            [
                "Namespace",
                "CustomResourceDefinition",
                "ConfigMap",
                "Deployment",
                "Widget"
            ]
        );
    }

    #[test]
    fn secrets_are_masked_with_size_and_digest() {
        let mut p = Vec::new();
        let docs = parse_rendered(
            "templates/s.yaml.j2",
            "c/templates/s.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: {password: aHVudGVyMg==}\nstringData: {token: abc123}\n",
            &mut p,
        );
        let out = to_stream_masked(&docs);
        assert!(!out.contains("aHVudGVyMg=="), "{out}");
        assert!(!out.contains("abc123"), "{out}");
        assert!(out.contains("<redacted: 7 bytes, sha256:"), "{out}");
        assert!(out.contains("<redacted: 6 bytes, sha256:"), "{out}");
    }

    #[test]
    fn stream_has_source_headers() {
        let mut p = Vec::new();
        let docs = parse_rendered(
            "templates/a.yaml.j2",
            "c/templates/a.yaml",
            "# comment kept\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n\n\n",
            &mut p,
        );
        assert_eq!(
            to_stream(&docs),
            "---\n# Source: c/templates/a.yaml\n# comment kept\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
        );
    }
}
