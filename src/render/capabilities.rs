//! What templates see as `capabilities`: the Kubernetes version and the API versions, offline defaults.

use super::filters::{semver_matches, validate_constraint, version_parts};
use super::RenderOptions;
use anyhow::{bail, Result};
use minijinja::value::Value;

/// A Kubernetes version as given by a user (`1.30`, `v1.30.2`, `1.29.3-eks-1`), normalised to the
/// `v1.30.2` form templates see; garbage is an error saying what is accepted.
pub fn parse_kube_version(s: &str) -> Result<String> {
    let text = s.trim();
    let (core, build) = match text.split_once('+') {
        Some((core, build)) => (core, Some(build)),
        None => (text, None),
    };
    let parts = version_parts(core);
    let (major, minor, patch, pre) = match parts {
        Ok(p) if !core.is_empty() && build.is_none_or(valid_build) => p,
        Ok(_) => bail!(
            "invalid Kubernetes version `{s}`: bad build metadata after `+`\n\nhint: write it as MAJOR.MINOR[.PATCH], e.g. `1.30` or `v1.30.2`"
        ),
        Err(why) => bail!(
            "invalid Kubernetes version `{s}`: {why}\n\nhint: write it as MAJOR.MINOR[.PATCH], e.g. `1.30` or `v1.30.2`"
        ),
    };
    let mut out = format!("v{major}.{minor}.{patch}");
    if !pre.is_empty() {
        out.push('-');
        out.push_str(&pre);
    }
    if let Some(b) = build {
        out.push('+');
        out.push_str(b);
    }
    Ok(out)
}

fn valid_build(b: &str) -> bool {
    !b.is_empty()
        && b.split('.')
            .all(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// Whether the chart's `kubeVersion` constraint accepts `kube_version`; `Err` holds the text to report
/// (the constraint or the version is invalid, or the target is outside the constraint).
pub fn check_kube_version(
    chart_name: &str,
    constraint: &str,
    kube_version: &str,
) -> std::result::Result<(), String> {
    if constraint.trim().is_empty() {
        return Ok(());
    }
    if let Err(why) = validate_constraint(constraint) {
        return Err(format!(
            "chart `{chart_name}` has an invalid `kubeVersion` constraint `{constraint}`: {why}\n\nhint: write a semver constraint, e.g. `>=1.25.0-0`"
        ));
    }
    match semver_matches(constraint, kube_version) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!(
            "chart `{chart_name}` requires Kubernetes `{constraint}` but the target is `{kube_version}`\n\nhint: pass --kube-version, or relax `kubeVersion` in Chart.yaml"
        )),
        Err(e) => Err(format!(
            "invalid Kubernetes version `{kube_version}`: {}\n\nhint: write it as MAJOR.MINOR[.PATCH], e.g. `1.30` or `v1.30.2`",
            e.detail().unwrap_or("not a version")
        )),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kube_versions_are_normalised() {
        let cases = [
            ("1.30", "v1.30.0"),
            ("v1.30.2", "v1.30.2"),
            (" 1.30.2 ", "v1.30.2"),
            ("1", "v1.0.0"),
            ("v1.29.3-eks-1", "v1.29.3-eks-1"),
            ("1.31.0+k3s1", "v1.31.0+k3s1"),
        ];
        for (given, want) in cases {
            assert_eq!(parse_kube_version(given).unwrap(), want, "{given}");
        }
    }

    #[test]
    fn garbage_kube_versions_are_errors_naming_the_value() {
        for bad in [
            "",
            "banana",
            "1.x",
            "v",
            "1.2.3.4",
            "1.30+",
            "1.30+a..b",
            "-1.2",
        ] {
            let e = format!("{:#}", parse_kube_version(bad).unwrap_err());
            assert!(
                e.starts_with(&format!("invalid Kubernetes version `{bad}`")),
                "{bad}: {e}"
            );
            assert!(e.contains("hint:"), "{e}");
        }
    }

    #[test]
    fn kube_version_constraints_are_checked() {
        assert_eq!(check_kube_version("web", ">=1.27.0-0", "v1.30.0"), Ok(()));
        assert_eq!(check_kube_version("web", "", "v1.30.0"), Ok(()));
        let e = check_kube_version("web", ">=1.27.0-0", "v1.20.0").unwrap_err();
        assert!(
            e.contains("chart `web` requires Kubernetes `>=1.27.0-0` but the target is `v1.20.0`"),
            "{e}"
        );
        let e = check_kube_version("web", "banana", "v1.30.0").unwrap_err();
        assert!(
            e.contains("chart `web` has an invalid `kubeVersion` constraint `banana`"),
            "{e}"
        );
        let e = check_kube_version("web", ">=1.0", "latest").unwrap_err();
        assert!(e.contains("invalid Kubernetes version `latest`"), "{e}");
    }
}
