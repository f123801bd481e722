//! The baseline-level Pod Security Standards controls (v1.32), and the helpers the restricted
//! controls and production checks share with them.

use super::v;
use crate::policy::pod::{field, flag, Container, PodTemplate};
use crate::policy::Violation;
use serde_json::Value;

pub(super) fn host_namespaces(pod: &PodTemplate) -> Vec<Violation> {
    ["hostNetwork", "hostPID", "hostIPC"]
        .into_iter()
        .filter(|k| flag(pod.get(k)) == Some(true))
        .map(|k| {
            v(
                "host-namespaces",
                format!("{}.{k}", pod.spec_path),
                format!("{k}=true shares the node's namespace"),
            )
        })
        .collect()
}

pub(super) fn privileged(pod: &PodTemplate) -> Vec<Violation> {
    pod.containers()
        .into_iter()
        .filter(|c| flag(c.sc("privileged")) == Some(true))
        .map(|c| {
            v(
                "privileged",
                format!("{}.securityContext.privileged", c.path(pod)),
                format!(
                    "container \"{}\" sets securityContext.privileged=true",
                    c.name()
                ),
            )
        })
        .collect()
}

/// Capabilities a baseline container may add (the container runtime defaults).
pub const BASELINE_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn added_capabilities<'a>(c: &Container<'a>) -> Vec<&'a str> {
    c.sc("capabilities")
        .and_then(|caps| field(caps, "add"))
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|x| x.as_str().unwrap_or("")).collect())
        .unwrap_or_default()
}

pub(super) fn capabilities_baseline(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let bad: Vec<&str> = added_capabilities(&c)
            .into_iter()
            .filter(|cap| !BASELINE_CAPABILITIES.contains(cap))
            .collect();
        if !bad.is_empty() {
            out.push(v(
                "capabilities-baseline",
                format!("{}.securityContext.capabilities.add", c.path(pod)),
                format!(
                    "container \"{}\" adds non-default capabilities {}",
                    c.name(),
                    bad.join(", ")
                ),
            ));
        }
    }
    out
}

fn volumes<'a>(pod: &PodTemplate<'a>) -> impl Iterator<Item = (usize, &'a Value)> {
    pod.get("volumes")
        .and_then(Value::as_array)
        .map(|a| a.iter().enumerate().collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
}

pub(crate) fn host_path_volume_paths(pod: &PodTemplate) -> Vec<(String, String)> {
    volumes(pod)
        .filter(|(_, vol)| field(vol, "hostPath").is_some())
        .map(|(i, vol)| {
            (
                format!("{}.volumes[{i}].hostPath", pod.spec_path),
                vol["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

pub(super) fn host_path_volumes(pod: &PodTemplate) -> Vec<Violation> {
    host_path_volume_paths(pod)
        .into_iter()
        .map(|(path, name)| {
            v(
                "host-path-volumes",
                path,
                format!("volume \"{name}\" is a hostPath volume"),
            )
        })
        .collect()
}

pub(super) fn host_ports(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    for c in pod.containers() {
        let Some(ports) = field(c.value, "ports").and_then(Value::as_array) else {
            continue;
        };
        for (i, port) in ports.iter().enumerate() {
            let host_port = field(port, "hostPort").and_then(Value::as_i64).unwrap_or(0);
            if host_port != 0 {
                out.push(v(
                    "host-ports",
                    format!("{}.ports[{i}].hostPort", c.path(pod)),
                    format!("container \"{}\" uses hostPort {host_port}", c.name()),
                ));
            }
        }
    }
    out
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn apparmor_type_ok(profile: &Value) -> bool {
    matches!(
        field(profile, "type").and_then(Value::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

pub(super) fn apparmor(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(p) = pod.sc("appArmorProfile") {
        if !apparmor_type_ok(p) {
            out.push(v(
                "apparmor",
                format!("{}.securityContext.appArmorProfile.type", pod.spec_path),
                format!(
                    "the pod sets AppArmor profile type {}",
                    type_text(field(p, "type"))
                ),
            ));
        }
    }
    for c in pod.containers() {
        if let Some(p) = c.sc("appArmorProfile") {
            if !apparmor_type_ok(p) {
                out.push(v(
                    "apparmor",
                    format!("{}.securityContext.appArmorProfile.type", c.path(pod)),
                    format!(
                        "container \"{}\" sets AppArmor profile type {}",
                        c.name(),
                        type_text(field(p, "type"))
                    ),
                ));
            }
        }
    }
    let mut annotations = pod.annotations();
    annotations.sort();
    for (key, value) in annotations {
        if key.starts_with(APPARMOR_ANNOTATION_PREFIX)
            && !(value.is_empty() || value == "runtime/default" || value.starts_with("localhost/"))
        {
            out.push(v(
                "apparmor",
                format!("{}.annotations.\"{key}\"", pod.meta_path),
                format!("annotation {key}=\"{value}\" sets a forbidden AppArmor profile"),
            ));
        }
    }
    out
}

fn type_text(t: Option<&Value>) -> String {
    match t.and_then(Value::as_str) {
        Some(s) => format!("\"{s}\""),
        None => "(none)".into(),
    }
}

/// SELinux types a pod or container may request.
pub const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn selinux_problems(opts: &Value) -> Vec<String> {
    let mut bad = Vec::new();
    let t = field(opts, "type").and_then(Value::as_str).unwrap_or("");
    if !SELINUX_TYPES.contains(&t) {
        bad.push(format!("type \"{t}\" is not allowed"));
    }
    for key in ["user", "role"] {
        if !field(opts, key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            bad.push(format!("{key} may not be set"));
        }
    }
    bad
}

pub(super) fn selinux(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(opts) = pod.sc("seLinuxOptions") {
        let bad = selinux_problems(opts);
        if !bad.is_empty() {
            out.push(v(
                "selinux",
                format!("{}.securityContext.seLinuxOptions", pod.spec_path),
                format!("the pod's seLinuxOptions: {}", bad.join("; ")),
            ));
        }
    }
    for c in pod.containers() {
        if let Some(opts) = c.sc("seLinuxOptions") {
            let bad = selinux_problems(opts);
            if !bad.is_empty() {
                out.push(v(
                    "selinux",
                    format!("{}.securityContext.seLinuxOptions", c.path(pod)),
                    format!(
                        "container \"{}\" seLinuxOptions: {}",
                        c.name(),
                        bad.join("; ")
                    ),
                ));
            }
        }
    }
    out
}

pub(super) fn proc_mount(pod: &PodTemplate) -> Vec<Violation> {
    pod.containers()
        .into_iter()
        .filter_map(|c| {
            let pm = c.sc("procMount")?.as_str().unwrap_or("");
            (pm != "Default").then(|| {
                v(
                    "proc-mount",
                    format!("{}.securityContext.procMount", c.path(pod)),
                    format!("container \"{}\" sets procMount \"{pm}\"", c.name()),
                )
            })
        })
        .collect()
}

pub(crate) fn seccomp_type_ok(profile: &Value) -> bool {
    matches!(
        field(profile, "type").and_then(Value::as_str),
        Some("RuntimeDefault" | "Localhost")
    )
}

/// Explicitly bad seccomp profiles (pod and containers), shared by both seccomp controls.
pub(crate) fn seccomp_explicit(rule: &'static str, pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    if let Some(p) = pod.sc("seccompProfile") {
        if !seccomp_type_ok(p) {
            out.push(v(
                rule,
                format!("{}.securityContext.seccompProfile.type", pod.spec_path),
                format!(
                    "the pod sets seccomp profile type {}",
                    type_text(field(p, "type"))
                ),
            ));
        }
    }
    for c in pod.containers() {
        if let Some(p) = c.sc("seccompProfile") {
            if !seccomp_type_ok(p) {
                out.push(v(
                    rule,
                    format!("{}.securityContext.seccompProfile.type", c.path(pod)),
                    format!(
                        "container \"{}\" sets seccomp profile type {}",
                        c.name(),
                        type_text(field(p, "type"))
                    ),
                ));
            }
        }
    }
    out
}

pub(super) fn seccomp_baseline(pod: &PodTemplate) -> Vec<Violation> {
    seccomp_explicit("seccomp-baseline", pod)
}

/// Sysctls a pod may set (the v1.32 list).
pub const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];

pub(super) fn sysctls(pod: &PodTemplate) -> Vec<Violation> {
    let Some(list) = pod.sc("sysctls").and_then(Value::as_array) else {
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let name = s["name"].as_str().unwrap_or("");
            (!SAFE_SYSCTLS.contains(&name)).then(|| {
                v(
                    "sysctls",
                    format!("{}.securityContext.sysctls[{i}].name", pod.spec_path),
                    format!("sysctl \"{name}\" is not in the safe set"),
                )
            })
        })
        .collect()
}

fn host_process_set(sc_windows: Option<&Value>) -> bool {
    flag(sc_windows.and_then(|w| field(w, "hostProcess"))) == Some(true)
}

pub(super) fn host_process(pod: &PodTemplate) -> Vec<Violation> {
    let mut out = Vec::new();
    if host_process_set(pod.sc("windowsOptions")) {
        out.push(v(
            "host-process",
            format!(
                "{}.securityContext.windowsOptions.hostProcess",
                pod.spec_path
            ),
            "the pod sets windowsOptions.hostProcess=true".into(),
        ));
    }
    for c in pod.containers() {
        if host_process_set(c.sc("windowsOptions")) {
            out.push(v(
                "host-process",
                format!("{}.securityContext.windowsOptions.hostProcess", c.path(pod)),
                format!(
                    "container \"{}\" sets windowsOptions.hostProcess=true",
                    c.name()
                ),
            ));
        }
    }
    out
}
