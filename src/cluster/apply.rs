//! Applying a release's objects to the cluster with server-side apply: preparing them (namespace,
//! ownership annotations), refusing to take over what is not ours, skipping what is already in place,
//! and deleting only what we own. The types here are what `action` codes against.

mod crds;
mod engine;
mod error;
mod keep;
mod live;
mod subset;

pub use crds::{check_stored_versions, removed_stored_versions};
pub use engine::apply;
pub use error::{parse_conflict, parse_conflict_message, ApplyError};
pub use keep::{kept_reason, RESOURCE_POLICY_ANNOTATIONS};
pub use live::{
    delete, describe_owner, owner, ownership_violation, read_live, DeleteOutcome, Owner,
};
pub use subset::{is_subset, managed_fields_still_desired, object_is_subset};

use crate::manifest::{ObjectRef, RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION};

use super::resources::{is_unknown_kind, split_api_version, Resolver};
use crate::release::ObjectId;
use anyhow::Result;
use serde_json::{Map, Value};
use std::fmt;
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How to apply or delete.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub release_name: String,
    pub release_namespace: String,
    /// Take over existing objects that are not annotated as this release's, including the fields other
    /// field managers set on them (conflicts are forced for adopted objects only).
    pub adopt: bool,
    /// Take over fields owned by other field managers.
    pub force_conflicts: bool,
    /// Ask the server to validate and default, but persist nothing.
    pub dry_run: bool,
    /// Delete CustomResourceDefinitions too (`--delete-crds`); without it they are kept.
    pub delete_crds: bool,
    /// Keep objects marked `helm.sh/resource-policy: keep` (false only where hooks replace their objects).
    pub honour_keep: bool,
}

impl ApplyOptions {
    /// Options for a release, with the defaults: no adoption, no forcing, real writes.
    pub fn new(release_name: impl Into<String>, release_namespace: impl Into<String>) -> Self {
        ApplyOptions {
            release_name: release_name.into(),
            release_namespace: release_namespace.into(),
            adopt: false,
            force_conflicts: false,
            dry_run: false,
            delete_crds: false,
            honour_keep: true,
        }
    }
}

impl Default for ApplyOptions {
    /// No release names (set them), no adoption, no forcing, real writes, CRDs and
    /// objects marked keep are kept.
    fn default() -> Self {
        ApplyOptions::new("", "")
    }
}

/// What apply did with an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Configured,
    Unchanged,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Created => "created",
            Outcome::Configured => "configured",
            Outcome::Unchanged => "unchanged",
        })
    }
}

/// One applied object.
#[derive(Debug, Clone)]
pub struct Applied {
    pub object: ObjectRef,
    pub outcome: Outcome,
    /// Whether the server checked the object: false only in a dry run for a kind whose CRD is part of the
    /// same run and so not yet installed.
    pub validated: bool,
}

/// API requests made, counted per attempt (retries included).
#[derive(Debug, Default)]
pub struct Stats {
    pub reads: AtomicUsize,
    pub writes: AtomicUsize,
}

impl Stats {
    /// (reads, writes) so far.
    pub fn snapshot(&self) -> (usize, usize) {
        (
            self.reads.load(Ordering::Relaxed),
            self.writes.load(Ordering::Relaxed),
        )
    }
}

/// Give namespaced objects without a namespace the release namespace, drop the namespace of
/// cluster-scoped ones, and add the ownership annotations. The order is kept.
///
/// Kinds defined by a CustomResourceDefinition among `objects` are scoped by that definition, since the
/// cluster cannot know them before it is applied.
pub async fn prepare(
    resolver: &Resolver,
    objects: Vec<Value>,
    opts: &ApplyOptions,
) -> Result<Vec<Value>> {
    let batch = BatchKinds::of(&objects);
    let mut out = Vec::with_capacity(objects.len());
    for mut obj in objects {
        let r = ObjectRef::of(&obj);
        if r.api_version.is_empty() || r.kind.is_empty() || r.name.is_empty() {
            anyhow::bail!(
                "an object lacks apiVersion, kind or metadata.name (`{}` `{}` `{}`)\n\nhint: every rendered object needs all three",
                r.api_version,
                r.kind,
                r.name
            );
        }
        let namespaced = match resolver.resolve(&r.api_version, &r.kind).await {
            Ok((_, namespaced)) => namespaced,
            Err(e) if is_unknown_kind(&e) => match batch.scope(&r.api_version, &r.kind) {
                Some(namespaced) => namespaced,
                None => return Err(e.context(format!("cannot place {r}"))),
            },
            Err(e) => return Err(e),
        };
        let Some(map) = obj.as_object_mut() else {
            anyhow::bail!("{r} is not a mapping");
        };
        let metadata = object_field(map, "metadata");
        if namespaced {
            if r.namespace.is_none() {
                metadata.insert(
                    "namespace".into(),
                    Value::String(opts.release_namespace.clone()),
                );
            }
        } else {
            metadata.remove("namespace");
        }
        let annotations = object_field(metadata, "annotations");
        annotations.insert(
            RELEASE_NAME_ANNOTATION.into(),
            Value::String(opts.release_name.clone()),
        );
        annotations.insert(
            RELEASE_NAMESPACE_ANNOTATION.into(),
            Value::String(opts.release_namespace.clone()),
        );
        out.push(obj);
    }
    Ok(out)
}

/// `map[key]` as an object, created (or replaced, if it was not a mapping) when needed.
fn object_field<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("just made an object")
}

/// Consecutive runs of equal kinds, as index ranges.
pub fn groups<S: AsRef<str>>(kinds: &[S]) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    for (i, kind) in kinds.iter().enumerate() {
        match out.last_mut() {
            Some(last) if kinds[last.start].as_ref() == kind.as_ref() => last.end = i + 1,
            _ => out.push(i..i + 1),
        }
    }
    out
}

/// Kinds that CustomResourceDefinitions in the same batch define, with their scope.
pub(crate) struct BatchKinds {
    /// (apiVersion, kind, namespaced)
    kinds: Vec<(String, String, bool)>,
}

impl BatchKinds {
    pub(crate) fn of(objects: &[Value]) -> Self {
        let mut kinds = Vec::new();
        for crd in objects.iter().filter(|o| is_crd(o)) {
            let spec = &crd["spec"];
            let (Some(group), Some(kind)) =
                (spec["group"].as_str(), spec["names"]["kind"].as_str())
            else {
                continue;
            };
            let namespaced = spec["scope"].as_str() != Some("Cluster");
            for version in spec["versions"].as_array().into_iter().flatten() {
                if let Some(v) = version["name"].as_str() {
                    kinds.push((format!("{group}/{v}"), kind.to_string(), namespaced));
                }
            }
        }
        BatchKinds { kinds }
    }

    /// Whether a CRD of the batch defines this kind, and if so whether it is namespaced.
    pub(crate) fn scope(&self, api_version: &str, kind: &str) -> Option<bool> {
        self.kinds
            .iter()
            .find(|(av, k, _)| av == api_version && k == kind)
            .map(|(_, _, namespaced)| *namespaced)
    }
}

/// Whether `obj` is a CustomResourceDefinition.
pub(crate) fn is_crd(obj: &Value) -> bool {
    obj["kind"] == "CustomResourceDefinition"
        && split_api_version(obj["apiVersion"].as_str().unwrap_or("")).0 == "apiextensions.k8s.io"
}

/// A release record's object identity as the apply engine names it.
pub fn to_ref(id: &ObjectId) -> ObjectRef {
    ObjectRef {
        api_version: id.api_version.clone(),
        kind: id.kind.clone(),
        namespace: id.namespace.clone(),
        name: id.name.clone(),
    }
}

/// The apply engine's object reference as a release record names it.
pub fn to_id(r: &ObjectRef) -> ObjectId {
    ObjectId {
        api_version: r.api_version.clone(),
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_are_consecutive_runs_of_one_kind() {
        let kinds = [
            "Namespace",
            "ConfigMap",
            "ConfigMap",
            "Secret",
            "ConfigMap",
            "Deployment",
        ];
        assert_eq!(groups(&kinds), vec![0..1, 1..3, 3..4, 4..5, 5..6]);
        assert!(groups::<&str>(&[]).is_empty());
        assert_eq!(groups(&["A", "A", "A"]), vec![0..3]);
    }

    #[test]
    fn crds_in_the_batch_define_kinds_and_scopes() {
        let objects = vec![
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "widgets.example.com"},
                "spec": {"group": "example.com", "scope": "Namespaced",
                    "names": {"kind": "Widget", "plural": "widgets"},
                    "versions": [{"name": "v1"}, {"name": "v2"}]}}),
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                "metadata": {"name": "gadgets.example.com"},
                "spec": {"group": "example.com", "scope": "Cluster",
                    "names": {"kind": "Gadget", "plural": "gadgets"}, "versions": [{"name": "v1"}]}}),
        ];
        let batch = BatchKinds::of(&objects);
        assert_eq!(batch.scope("example.com/v2", "Widget"), Some(true));
        assert_eq!(batch.scope("example.com/v1", "Gadget"), Some(false));
        assert_eq!(batch.scope("example.com/v3", "Widget"), None);
        assert!(is_crd(&objects[0]));
    }
}
