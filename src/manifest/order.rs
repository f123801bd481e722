//! Install order, cluster scope and duplicate detection for rendered objects.

use super::{Document, Problem};
use std::collections::HashMap;

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
