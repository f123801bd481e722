//! What templates see as `capabilities`: the Kubernetes version and the API versions, offline defaults.

use super::RenderOptions;
use minijinja::value::Value;

/// API versions templates see offline (`"policy/v1" in capabilities.apiVersions`).
const OFFLINE_API_VERSIONS: &[(&str, &[&str])] = &[
    (
        "v1",
        &[
            "ConfigMap",
            "Secret",
            "Service",
            "ServiceAccount",
            "Namespace",
            "Pod",
            "PersistentVolumeClaim",
            "PersistentVolume",
            "ResourceQuota",
            "LimitRange",
        ],
    ),
    (
        "apps/v1",
        &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"],
    ),
    ("batch/v1", &["Job", "CronJob"]),
    ("autoscaling/v2", &["HorizontalPodAutoscaler"]),
    ("autoscaling/v1", &["HorizontalPodAutoscaler"]),
    ("policy/v1", &["PodDisruptionBudget"]),
    (
        "networking.k8s.io/v1",
        &["Ingress", "IngressClass", "NetworkPolicy"],
    ),
    (
        "rbac.authorization.k8s.io/v1",
        &["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
    ),
    ("storage.k8s.io/v1", &["StorageClass", "CSIDriver"]),
    ("apiextensions.k8s.io/v1", &["CustomResourceDefinition"]),
    (
        "admissionregistration.k8s.io/v1",
        &[
            "MutatingWebhookConfiguration",
            "ValidatingWebhookConfiguration",
        ],
    ),
    ("coordination.k8s.io/v1", &["Lease"]),
    ("scheduling.k8s.io/v1", &["PriorityClass"]),
    ("discovery.k8s.io/v1", &["EndpointSlice"]),
    ("node.k8s.io/v1", &["RuntimeClass"]),
    ("certificates.k8s.io/v1", &["CertificateSigningRequest"]),
];

pub(super) fn capabilities(opts: &RenderOptions) -> Value {
    let v = opts.kube_version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("1").to_string();
    let minor = parts.next().unwrap_or("0").to_string();
    let mut apis: Vec<String> = Vec::new();
    for (gv, kinds) in OFFLINE_API_VERSIONS {
        apis.push((*gv).to_string());
        for k in *kinds {
            apis.push(format!("{gv}/{k}"));
        }
    }
    apis.extend(opts.api_versions.iter().cloned());
    apis.sort();
    apis.dedup();
    Value::from_pairs([
        (
            "kubeVersion",
            Value::from_pairs([
                ("version", Value::from(format!("v{v}"))),
                ("gitVersion", Value::from(format!("v{v}"))),
                ("major", Value::from(major)),
                ("minor", Value::from(minor)),
            ]),
        ),
        (
            "apiVersions",
            Value::from(apis.into_iter().map(Value::from).collect::<Vec<_>>()),
        ),
    ])
}
