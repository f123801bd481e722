//! The restricted-level Pod Security Standards controls (v1.32), on top of baseline.

use super::v;
use crate::policy::pod::{field, flag, PodTemplate};
use crate::policy::Violation;
use serde_json::Value;

/// Volume sources a restricted pod may use.
pub const ALLOWED_VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

pub(super) fn volume_types(pod: &PodTemplate) -> Vec<Violation> {
    let Some(list) = pod.get("volumes").and_then(Value::as_array) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, vol) in list.iter().enumerate() {
        let sources: Vec<&str> = vol
            .as_object()
            .map(|m| {
                m.iter()
                    .filter(|(k, val)| k.as_str() != "name" && !val.is_null())
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        if sources.iter().any(|s| ALLOWED_VOLUME_TYPES.contains(s)) {
            continue;
        }
        let name = vol["name"].as_str().unwrap_or("");
        let kind = sources.first().copied().unwrap_or("unknown");
        out.push(v(
            "volume-types",
            format!("{}.volumes[{i}]", pod.spec_path),
            format!("volume \"{name}\" uses restricted volume type \"{kind}\""),
        ));
    }
    out
}

pub(super) fn privilege_escalation(pod: &PodTemplate) -> Vec<Violation> {
    if pod.is_windows() {
        return Vec::new();
    }
    pod.containers()
        .into_iter()
        .filter(|c| flag(c.sc("allowPrivilegeEscalation")) != Some(false))
        .map(|c| {
            v(
                "privilege-escalation",
                format!("{}.securityContext.allowPrivilegeEscalation", c.path(pod)),
                format!(
                    "container \"{}\" must set securityContext.allowPrivilegeEscalation=false",
                    c.name()
                ),
            )
        })
        .collect()
}

pub(super) fn run_as_non_root(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    let pod_value = flag(pod.sc("runAsNonRoot"));
    if pod_value == Some(false) {
        out.push(v(
            "run-as-non-root",
            format!("{}.securityContext.runAsNonRoot", pod.spec_path),
            "the pod sets securityContext.runAsNonRoot=false".into(),
        ));
    }
    for c in pod.containers() {
        match flag(c.sc("runAsNonRoot")) {
            Some(false) => out.push(v(
                "run-as-non-root",
                format!("{}.securityContext.runAsNonRoot", c.path(pod)),
                format!(
                    "container \"{}\" sets securityContext.runAsNonRoot=false",
                    c.name()
                ),
            )),
            Some(true) => {}
            None if pod_value == Some(true) => {}
            None => out.push(v(
                "run-as-non-root",
                format!("{}.securityContext.runAsNonRoot", c.path(pod)),
                format!(
                    "container \"{}\" does not set runAsNonRoot=true and neither does the pod",
                    c.name()
                ),
            )),
        }
    }
    out
}

fn is_root(value: Option<&Value>) -> bool {
    value.and_then(Value::as_i64) == Some(0)
}

pub(super) fn run_as_user(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    if is_root(pod.sc("runAsUser")) {
        out.push(v(
            "run-as-user",
            format!("{}.securityContext.runAsUser", pod.spec_path),
            "the pod sets runAsUser=0".into(),
        ));
    }
    for c in pod.containers() {
        if is_root(c.sc("runAsUser")) {
            out.push(v(
                "run-as-user",
                format!("{}.securityContext.runAsUser", c.path(pod)),
                format!("container \"{}\" sets runAsUser=0", c.name()),
            ));
        }
    }
    out
}

pub(super) fn seccomp_restricted(pod: &PodTemplate) -> Vec<Violation> {
    if pod.is_windows() {
        return Vec::new();
    }
    let mut out = super::seccomp_explicit("seccomp-restricted", pod);
    let pod_set = pod.sc("seccompProfile").is_some_and(super::seccomp_type_ok);
    if !pod_set {
        for c in pod.containers() {
            if c.sc("seccompProfile").is_none() {
                out.push(v(
                    "seccomp-restricted",
                    format!("{}.securityContext.seccompProfile.type", c.path(pod)),
                    format!(
                        "neither the pod nor container \"{}\" sets seccompProfile.type to RuntimeDefault or Localhost",
                        c.name()
                    ),
                ));
            }
        }
    }
    out
}

pub(super) fn capabilities_restricted(pod: &PodTemplate) -> Vec<Violation> {
    if pod.is_windows() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for c in pod.containers() {
        let caps = c.sc("capabilities");
        let list = |key: &str| -> Vec<&str> {
            caps.and_then(|x| field(x, key))
                .and_then(Value::as_array)
                .map(|a| a.iter().map(|x| x.as_str().unwrap_or("")).collect())
                .unwrap_or_default()
        };
        if !list("drop").contains(&"ALL") {
            out.push(v(
                "capabilities-restricted",
                format!("{}.securityContext.capabilities.drop", c.path(pod)),
                format!(
                    "container \"{}\" must set securityContext.capabilities.drop=[\"ALL\"]",
                    c.name()
                ),
            ));
        }
        let bad: Vec<&str> = list("add")
            .into_iter()
            .filter(|cap| *cap != "NET_BIND_SERVICE")
            .collect();
        if !bad.is_empty() {
            out.push(v(
                "capabilities-restricted",
                format!("{}.securityContext.capabilities.add", c.path(pod)),
                format!(
                    "container \"{}\" adds {}; only NET_BIND_SERVICE may be added",
                    c.name(),
                    bad.join(", ")
                ),
            ));
        }
    }
    out
}
