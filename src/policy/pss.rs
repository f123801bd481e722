//! Pod Security Standards (policy version v1.32): every baseline and restricted control, evaluated
//! offline on a pod template exactly as the API server's PodSecurity admission evaluates a pod.
//!
//! Level `restricted` runs all baseline controls too, except three that a stricter restricted control
//! replaces (capabilities, hostPath volumes, seccomp), as the specification does.

use super::pod::PodTemplate;
use super::{Level, Violation};

#[path = "pss_baseline.rs"]
mod baseline;
#[path = "pss_restricted.rs"]
mod restricted;

pub(super) use baseline::host_path_volume_paths;
use baseline::{seccomp_explicit, seccomp_type_ok};
pub use baseline::{BASELINE_CAPABILITIES, SAFE_SYSCTLS, SELINUX_TYPES};
pub use restricted::ALLOWED_VOLUME_TYPES;

/// The policy version these controls implement (the `-version` label tack writes).
pub const POLICY_VERSION: &str = "v1.32";

type Control = fn(&PodTemplate) -> Vec<Violation>;

/// (rule id, level, check, ids of baseline controls it replaces at restricted).
const CONTROLS: &[(&str, Level, Control, &[&str])] = &[
    (
        "host-namespaces",
        Level::Baseline,
        baseline::host_namespaces,
        &[],
    ),
    ("privileged", Level::Baseline, baseline::privileged, &[]),
    (
        "capabilities-baseline",
        Level::Baseline,
        baseline::capabilities_baseline,
        &[],
    ),
    (
        "host-path-volumes",
        Level::Baseline,
        baseline::host_path_volumes,
        &[],
    ),
    ("host-ports", Level::Baseline, baseline::host_ports, &[]),
    ("apparmor", Level::Baseline, baseline::apparmor, &[]),
    ("selinux", Level::Baseline, baseline::selinux, &[]),
    ("proc-mount", Level::Baseline, baseline::proc_mount, &[]),
    (
        "seccomp-baseline",
        Level::Baseline,
        baseline::seccomp_baseline,
        &[],
    ),
    ("sysctls", Level::Baseline, baseline::sysctls, &[]),
    ("host-process", Level::Baseline, baseline::host_process, &[]),
    (
        "volume-types",
        Level::Restricted,
        restricted::volume_types,
        &["host-path-volumes"],
    ),
    (
        "privilege-escalation",
        Level::Restricted,
        restricted::privilege_escalation,
        &[],
    ),
    (
        "run-as-non-root",
        Level::Restricted,
        restricted::run_as_non_root,
        &[],
    ),
    (
        "run-as-user",
        Level::Restricted,
        restricted::run_as_user,
        &[],
    ),
    (
        "seccomp-restricted",
        Level::Restricted,
        restricted::seccomp_restricted,
        &["seccomp-baseline"],
    ),
    (
        "capabilities-restricted",
        Level::Restricted,
        restricted::capabilities_restricted,
        &["capabilities-baseline"],
    ),
];

/// Ids of the controls that make up `level`, in evaluation order.
pub fn controls(level: Level) -> Vec<&'static str> {
    active(level).map(|(id, _)| id).collect()
}

fn active(level: Level) -> impl Iterator<Item = (&'static str, Control)> {
    let replaced: Vec<&str> = CONTROLS
        .iter()
        .filter(|c| c.1 <= level)
        .flat_map(|c| c.3.iter().copied())
        .collect();
    CONTROLS
        .iter()
        .filter(move |c| c.1 <= level && !replaced.contains(&c.0))
        .map(|c| (c.0, c.2))
}

/// Every violation of `level` in the pod template. Empty means the API server admits the pod.
pub fn check(level: Level, pod: &PodTemplate) -> Vec<Violation> {
    active(level)
        .flat_map(|(_, control)| control(pod))
        .collect()
}

pub(super) fn v(rule: &'static str, path: String, message: String) -> Violation {
    Violation {
        rule,
        path,
        message,
    }
}
