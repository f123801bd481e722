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
    let order = install_order(docs);
    permute(docs, order);
}

/// The install order of `docs` ([`sort_install_order`]): the position in `docs` of the first document to
/// install, then the next, and so on.
pub fn install_order(docs: &[Document]) -> Vec<usize> {
    // strings are compared once per template (documents of one template come one after another) and once
    // per unknown kind, not at every comparison: the sort itself compares numbers
    let mut runs: Vec<&str> = Vec::new();
    let mut run_of = Vec::with_capacity(docs.len());
    for d in docs {
        if runs.last() != Some(&d.source.as_str()) {
            runs.push(&d.source);
        }
        run_of.push(runs.len() - 1);
    }
    let source_id = ids_by_name(&runs);
    let mut kinds: Vec<&str> = docs
        .iter()
        .map(|d| d.kind())
        .filter(|k| !INSTALL_ORDER.contains(k))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let mut keys: Vec<(usize, usize, usize, usize, usize)> = docs
        .iter()
        .zip(run_of)
        .enumerate()
        .map(|(i, (d, run))| {
            let rank = install_rank(d.kind());
            let kind = if rank == INSTALL_ORDER.len() {
                kinds.binary_search(&d.kind()).unwrap_or(0)
            } else {
                0
            };
            (rank, kind, source_id[run], d.index, i)
        })
        .collect();
    keys.sort_unstable();
    keys.into_iter().map(|k| k.4).collect()
}

/// For each of `names`, a number that orders them as their text does (equal names, equal numbers).
fn ids_by_name(names: &[&str]) -> Vec<usize> {
    let mut by_name: Vec<usize> = (0..names.len()).collect();
    by_name.sort_by_key(|&i| names[i]);
    let mut ids = vec![0; names.len()];
    let mut id = 0;
    for (k, &i) in by_name.iter().enumerate() {
        if k > 0 && names[by_name[k - 1]] != names[i] {
            id += 1;
        }
        ids[i] = id;
    }
    ids
}

/// Rearrange `items` so that position `k` holds what was at `from[k]` (a permutation), in place.
fn permute<T>(items: &mut [T], mut from: Vec<usize>) {
    for start in 0..items.len() {
        // follow the cycle through `start`, marking each position done by pointing it at itself
        let mut k = start;
        while from[k] != start {
            let next = from[k];
            items.swap(k, next);
            from[k] = k;
            k = next;
        }
        from[k] = k;
    }
}

/// Report every kind/namespace/name rendered more than once, naming both templates.
/// `default_ns` is the namespace that namespaced objects without one will land in.
pub fn find_duplicates(docs: &[Document], default_ns: &str) -> Vec<Problem> {
    let mut seen: HashMap<(&str, &str, &str, &str), &Document, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(docs.len(), Default::default());
    let mut problems = Vec::new();
    for d in docs {
        let ns = if is_cluster_scoped(d.kind()) {
            ""
        } else {
            d.namespace().unwrap_or(default_ns)
        };
        let key = (d.group(), d.kind(), ns, d.name());
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

#[cfg(test)]
mod tests {
    use super::permute;

    #[test]
    fn permute_puts_each_item_where_the_permutation_says() {
        let mut pick = super::super::picker(0x2545_f491_4f6c_dd1d);
        for n in 0..40 {
            // a random permutation of 0..n (Fisher-Yates)
            let mut from: Vec<usize> = (0..n).collect();
            for i in (1..n).rev() {
                from.swap(i, pick(i + 1));
            }
            let original: Vec<String> = (0..n).map(|i| format!("item{i}")).collect();
            let mut items = original.clone();
            permute(&mut items, from.clone());
            let expected: Vec<String> = from.iter().map(|&i| original[i].clone()).collect();
            assert_eq!(items, expected, "permutation {from:?}");
        }
    }
}
