//! The identity of a Kubernetes object (type, namespace, name), shared by the diff core, the release record
//! and the apply engine without any of them depending on network code.

use serde_json::Value;
use std::fmt;

/// The identity of an object: type, namespace (for namespaced kinds) and name.
#[derive(
    Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    /// The reference of a parsed object; missing fields become empty strings.
    pub fn of(obj: &Value) -> ObjectRef {
        let text = |v: &Value| v.as_str().unwrap_or("").to_string();
        ObjectRef {
            api_version: text(&obj["apiVersion"]),
            kind: text(&obj["kind"]),
            namespace: obj["metadata"]["namespace"]
                .as_str()
                .filter(|s| !s.is_empty())
                .map(str::to_string),
            name: text(&obj["metadata"]["name"]),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn object_refs_display_with_and_without_namespace() {
        let d = ObjectRef::of(&json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop"}}));
        assert_eq!(d.to_string(), "Deployment shop/web");
        let c = ObjectRef::of(&json!({"apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole", "metadata": {"name": "x"}}));
        assert_eq!(c.to_string(), "ClusterRole x");
        assert_eq!(c.namespace, None);
        let empty_ns = ObjectRef::of(
            &json!({"kind": "ConfigMap", "metadata": {"name": "a", "namespace": ""}}),
        );
        assert_eq!(empty_ns.namespace, None);
    }
}
