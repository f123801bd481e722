//! One rendered object as the rest of tack sees it: where it came from, its text, its identity, and the
//! whole object read from the text only when something asks for it. A chart of thousands of objects is
//! checked whole but kept small: `template` never builds most of what it prints.

use super::{hooks, parse_document};
use serde_json::Value;
use std::sync::OnceLock;

/// One object of the manifest, with where it came from.
///
/// Every document is checked when it is read, but only its identity (`apiVersion`, `kind`, name and
/// namespace) is kept, with its `apiVersion`, `kind` and `metadata` when they carry hook annotations; the
/// whole object is read from its text the first time [`Document::object`] asks for it. An install builds
/// each object once.
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
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    /// `apiVersion`, `kind` and `metadata` of an object not read whole yet whose annotations make it a hook
    /// (else `null`): what [`Document::hook_fields`] gives before the object is read.
    head: Value,
    /// The whole object, once read.
    object: OnceLock<Value>,
}

/// A document as checked: whole, or (when the quick reader takes it) only its head, the rest to be read
/// again from the text when asked for.
pub(super) enum Read {
    Whole(Value),
    Head(Value),
}

impl Read {
    /// `apiVersion`, `kind` and `metadata` (and, when whole, the rest).
    pub(super) fn head(&self) -> &Value {
        match self {
            Read::Whole(v) | Read::Head(v) => v,
        }
    }
}

/// (apiVersion, kind, name, namespace) as written in `obj`; empty strings for what is missing.
fn identity(obj: &Value) -> (String, String, String, Option<String>) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&obj["apiVersion"]),
        text(&obj["kind"]),
        text(&obj["metadata"]["name"]),
        obj["metadata"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    )
}

/// [`identity`], taking the strings out of `obj`.
fn take_identity(mut obj: Value) -> (String, String, String, Option<String>) {
    if !obj.is_object() {
        return identity(&obj);
    }
    let take = |v: &mut Value| match v.take() {
        Value::String(s) => s,
        _ => String::new(),
    };
    let api_version = take(&mut obj["apiVersion"]);
    let kind = take(&mut obj["kind"]);
    let (name, namespace) = match obj.get_mut("metadata") {
        Some(meta @ Value::Object(_)) => (
            take(&mut meta["name"]),
            Some(take(&mut meta["namespace"])).filter(|s| !s.is_empty()),
        ),
        _ => (String::new(), None),
    };
    (api_version, kind, name, namespace)
}

/// What a [`Document`] keeps of a checked object, besides where it came from.
#[derive(Debug)]
pub(super) struct Parts {
    api_version: String,
    kind: String,
    name: String,
    namespace: Option<String>,
    head: Value,
    object: Option<Value>,
}

impl Parts {
    pub(super) fn of(read: Read) -> Parts {
        let ((api_version, kind, name, namespace), head, object) = match read {
            Read::Whole(object) => (identity(&object), Value::Null, Some(object)),
            Read::Head(head) if hooks::is_hook(&head) => (identity(&head), head, None),
            // the head is not kept: its strings are moved out, not copied
            Read::Head(head) => (take_identity(head), Value::Null, None),
        };
        Parts {
            api_version,
            kind,
            name,
            namespace,
            head,
            object,
        }
    }
}

impl Document {
    /// A document whose object is already read.
    pub fn new(
        source: String,
        display: String,
        index: usize,
        start_line: usize,
        text: String,
        object: Value,
    ) -> Self {
        let parts = Parts::of(Read::Whole(object));
        Self::checked(source, display, index, start_line, text, parts)
    }

    /// A document as [`super::parse_all`] checked it.
    pub(super) fn checked(
        source: String,
        display: String,
        index: usize,
        start_line: usize,
        text: String,
        parts: Parts,
    ) -> Self {
        Document {
            source,
            display,
            index,
            start_line,
            text,
            api_version: parts.api_version,
            kind: parts.kind,
            name: parts.name,
            namespace: parts.namespace,
            head: parts.head,
            object: parts.object.map_or_else(OnceLock::new, OnceLock::from),
        }
    }

    /// The whole object (read from the text on first use).
    pub fn object(&self) -> &Value {
        self.object.get_or_init(|| self.read_whole())
    }

    /// The whole object, taken.
    pub fn into_object(self) -> Value {
        match self.object.get() {
            Some(_) => self.object.into_inner().unwrap_or_default(),
            None => self.read_whole(),
        }
    }

    /// The text read again: it was checked, so it reads (should it ever not, its identity stands in).
    fn read_whole(&self) -> Value {
        match parse_document(&self.text) {
            Ok(Some(object)) => object,
            _ => {
                let mut metadata = serde_json::Map::new();
                metadata.insert("name".into(), self.name.clone().into());
                if let Some(ns) = &self.namespace {
                    metadata.insert("namespace".into(), ns.clone().into());
                }
                serde_json::json!({
                    "apiVersion": self.api_version,
                    "kind": self.kind,
                    "metadata": metadata,
                })
            }
        }
    }

    /// As much of the object as hook checks read ([`hooks::spec`]): the whole object once read, else its
    /// `apiVersion`, `kind` and `metadata` when it carries hook annotations, else `null` (no hook).
    pub fn hook_fields(&self) -> &Value {
        self.object.get().unwrap_or(&self.head)
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }
    pub fn kind(&self) -> &str {
        &self.kind
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The namespace written in the object, if any.
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
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

#[cfg(test)]
mod tests {
    use super::super::parse_rendered;
    use serde_json::json;

    #[test]
    fn identity_and_hooks_are_known_before_the_object_is_read_and_agree_with_it() {
        let text = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  namespace: db\n  annotations:\n    helm.sh/hook: pre-upgrade\nspec:\n  template: {}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n";
        let mut problems = Vec::new();
        let docs = parse_rendered("t.yaml", "c/t.yaml", text, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        let (job, cm) = (&docs[0], &docs[1]);
        assert_eq!(
            (
                job.api_version(),
                job.group(),
                job.kind(),
                job.name(),
                job.namespace()
            ),
            ("batch/v1", "batch", "Job", "migrate", Some("db"))
        );
        assert_eq!(job.id(), "Job db/migrate");
        assert_eq!(cm.namespace(), None);
        // hooks are found without reading the object, plain objects carry nothing extra
        assert_eq!(
            job.hook_fields()["metadata"]["annotations"]["helm.sh/hook"],
            "pre-upgrade"
        );
        assert!(cm.hook_fields().is_null());
        // the whole object, read on first use, is what the text says
        assert_eq!(cm.object()["data"], json!({"k": "v"}));
        assert_eq!(job.object()["spec"], json!({"template": {}}));
        assert_eq!(cm.clone().into_object()["kind"], "ConfigMap");
    }
}
