//! Find the pod template inside every workload kind and walk its containers, so each check is written
//! once against a pod spec and reports field paths as they appear in the object.

use serde_json::Value;

/// Kinds that carry a pod template, and where it sits.
pub const WORKLOAD_KINDS: &[&str] = &[
    "Pod",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "ReplicationController",
];

/// The pod metadata and spec of an object, with their field paths (`spec.template.spec`).
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    pub meta: &'a Value,
    pub spec: &'a Value,
    pub meta_path: &'static str,
    pub spec_path: &'static str,
}

static NULL: Value = Value::Null;

/// The pod template of a workload object, `None` for other kinds (or a workload without a spec).
pub fn pod_template(object: &Value) -> Option<PodTemplate<'_>> {
    let kind = object["kind"].as_str()?;
    let (meta, spec, meta_path, spec_path) = match kind {
        "Pod" => (&object["metadata"], &object["spec"], "metadata", "spec"),
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => (
            &object["spec"]["template"]["metadata"],
            &object["spec"]["template"]["spec"],
            "spec.template.metadata",
            "spec.template.spec",
        ),
        "CronJob" => (
            &object["spec"]["jobTemplate"]["spec"]["template"]["metadata"],
            &object["spec"]["jobTemplate"]["spec"]["template"]["spec"],
            "spec.jobTemplate.spec.template.metadata",
            "spec.jobTemplate.spec.template.spec",
        ),
        _ => return None,
    };
    if !spec.is_object() {
        return None;
    }
    Some(PodTemplate {
        meta: if meta.is_object() { meta } else { &NULL },
        spec,
        meta_path,
        spec_path,
    })
}

/// One container of a pod spec.
#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    /// `containers`, `initContainers` or `ephemeralContainers`.
    pub list: &'static str,
    pub index: usize,
    pub value: &'a Value,
}

impl<'a> Container<'a> {
    pub fn name(&self) -> &'a str {
        self.value["name"].as_str().unwrap_or("")
    }
    /// `spec.template.spec.containers[0]`.
    pub fn path(&self, pod: &PodTemplate) -> String {
        format!("{}.{}[{}]", pod.spec_path, self.list, self.index)
    }
    /// The container's securityContext field `key`, treating null as unset.
    pub fn sc(&self, key: &str) -> Option<&'a Value> {
        field(field(self.value, "securityContext")?, key)
    }
}

impl<'a> PodTemplate<'a> {
    /// Every container in the order the API server checks them: init, regular, ephemeral.
    pub fn containers(&self) -> Vec<Container<'a>> {
        self.containers_of(&["initContainers", "containers", "ephemeralContainers"])
    }

    /// Containers of the named lists only.
    pub fn containers_of(&self, lists: &[&'static str]) -> Vec<Container<'a>> {
        let mut out = Vec::new();
        for list in lists {
            if let Some(items) = field(self.spec, list).and_then(Value::as_array) {
                for (index, value) in items.iter().enumerate() {
                    out.push(Container { list, index, value });
                }
            }
        }
        out
    }

    /// The pod-level securityContext field `key`, treating null as unset.
    pub fn sc(&self, key: &str) -> Option<&'a Value> {
        field(field(self.spec, "securityContext")?, key)
    }

    /// A pod spec field, treating null as unset.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        field(self.spec, key)
    }

    /// The pod annotations.
    pub fn annotations(&self) -> Vec<(&'a str, &'a str)> {
        match field(self.meta, "annotations").and_then(Value::as_object) {
            Some(m) => m
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or("")))
                .collect(),
            None => Vec::new(),
        }
    }

    /// The pod labels (string values only).
    pub fn labels(&self) -> Vec<(&'a str, &'a str)> {
        match field(self.meta, "labels").and_then(Value::as_object) {
            Some(m) => m
                .iter()
                .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
                .collect(),
            None => Vec::new(),
        }
    }

    /// `spec.os.name == windows`: some restricted controls do not apply to Windows pods.
    pub fn is_windows(&self) -> bool {
        self.get("os")
            .and_then(|os| field(os, "name"))
            .and_then(Value::as_str)
            == Some("windows")
    }
}

/// `v[key]` unless missing or null (Kubernetes treats an explicit null as unset).
pub fn field<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// `v[key]` as a boolean, `None` when unset.
pub fn flag(v: Option<&Value>) -> Option<bool> {
    v.and_then(Value::as_bool)
}

/// Quote and join names for messages: `"a", "b"`.
pub fn quoted(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
