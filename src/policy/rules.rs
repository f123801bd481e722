//! The catalog of every rule tack checks: its id, what it guards against and how to fix a violation.
//! Renderers (SARIF rule metadata), the docs and exemption validation all read this one table.

use super::Level;

/// What a rule belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleKind {
    /// A Pod Security Standards control, enforced from this level up.
    Pss(Level),
    /// A production check, switched on and off by the tier policy.
    Production,
    /// A problem with the policy input itself (a malformed exemption).
    Meta,
}

/// One rule of the catalog.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub id: &'static str,
    pub kind: RuleKind,
    pub title: &'static str,
    pub rationale: &'static str,
    pub fix: &'static str,
}

const fn pss(
    id: &'static str,
    level: Level,
    title: &'static str,
    rationale: &'static str,
    fix: &'static str,
) -> Rule {
    Rule {
        id,
        kind: RuleKind::Pss(level),
        title,
        rationale,
        fix,
    }
}

const fn prod(
    id: &'static str,
    title: &'static str,
    rationale: &'static str,
    fix: &'static str,
) -> Rule {
    Rule {
        id,
        kind: RuleKind::Production,
        title,
        rationale,
        fix,
    }
}

use Level::{Baseline, Restricted};

/// Every rule, Pod Security Standards controls first (baseline, then restricted), then production checks.
pub const RULES: &[Rule] = &[
    pss("host-namespaces", Baseline, "Host namespaces",
        "sharing the node's network, PID or IPC namespace lets a pod see and reach everything on the node",
        "remove hostNetwork, hostPID and hostIPC from the pod spec (or set them to false)"),
    pss("privileged", Baseline, "Privileged containers",
        "a privileged container has every capability and access to all host devices: it is root on the node",
        "remove securityContext.privileged or set it to false"),
    pss("capabilities-baseline", Baseline, "Capabilities",
        "only the container runtime's default capabilities may be added; anything else widens the kernel attack surface",
        "add only AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID or SYS_CHROOT to securityContext.capabilities.add"),
    pss("host-path-volumes", Baseline, "HostPath volumes",
        "a hostPath volume exposes the node's filesystem to the pod",
        "use an emptyDir, configMap, secret or persistentVolumeClaim volume instead of hostPath"),
    pss("host-ports", Baseline, "Host ports",
        "a hostPort binds the node's own network interface and bypasses network policy",
        "remove ports[].hostPort (or set it to 0) and expose the port through a Service"),
    pss("apparmor", Baseline, "AppArmor",
        "overriding or disabling the default AppArmor profile removes a layer of confinement",
        "leave appArmorProfile unset or set its type to RuntimeDefault or Localhost; annotations container.apparmor.security.beta.kubernetes.io/* may only be runtime/default or localhost/*"),
    pss("selinux", Baseline, "SELinux",
        "custom SELinux users, roles or types can escape the container's SELinux confinement",
        "leave seLinuxOptions.user and .role unset and use type container_t, container_init_t, container_kvm_t or container_engine_t (or none)"),
    pss("proc-mount", Baseline, "/proc mount type",
        "an unmasked /proc exposes kernel interfaces the runtime normally hides",
        "remove securityContext.procMount or set it to Default"),
    pss("seccomp-baseline", Baseline, "Seccomp",
        "an Unconfined seccomp profile lets the container make every system call",
        "set seccompProfile.type to RuntimeDefault or Localhost, or leave it unset"),
    pss("sysctls", Baseline, "Sysctls",
        "only namespaced sysctls known to be safe may be set; others affect the whole node",
        "set only kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start, net.ipv4.tcp_keepalive_time, net.ipv4.tcp_fin_timeout, net.ipv4.tcp_keepalive_intvl, net.ipv4.tcp_keepalive_probes, net.ipv4.tcp_rmem or net.ipv4.tcp_wmem in securityContext.sysctls"),
    pss("host-process", Baseline, "HostProcess",
        "a Windows HostProcess container runs directly on the host with full access",
        "remove securityContext.windowsOptions.hostProcess or set it to false"),
    pss("volume-types", Restricted, "Volume types",
        "restricted pods may only use volume types that do not reach outside the pod's own storage",
        "use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes"),
    pss("privilege-escalation", Restricted, "Privilege escalation",
        "without allowPrivilegeEscalation=false a process can gain more privileges than its parent (setuid binaries)",
        "set securityContext.allowPrivilegeEscalation: false on every container"),
    pss("run-as-non-root", Restricted, "Running as non-root",
        "a container running as root owns the container's filesystem and is one kernel bug away from the node",
        "set securityContext.runAsNonRoot: true on the pod (or on every container) and use an image with a non-root USER"),
    pss("run-as-user", Restricted, "Running as non-root user",
        "runAsUser: 0 runs the process as root whatever the image says",
        "remove runAsUser: 0 from the pod and containers, or set a non-zero user id"),
    pss("seccomp-restricted", Restricted, "Seccomp (restricted)",
        "restricted pods must run under a seccomp profile that filters system calls",
        "set securityContext.seccompProfile.type: RuntimeDefault on the pod (or Localhost with a profile)"),
    pss("capabilities-restricted", Restricted, "Capabilities (restricted)",
        "restricted containers drop every capability and may only add back NET_BIND_SERVICE",
        "set securityContext.capabilities.drop: [\"ALL\"] on every container and add at most NET_BIND_SERVICE"),
    prod("probes", "Liveness and readiness probes",
        "without a readiness probe traffic reaches pods that are not ready; without a liveness probe a hung process is never restarted",
        "add livenessProbe and readinessProbe to every container of long-running workloads"),
    prod("resources", "Resource requests and limits",
        "without requests the scheduler overcommits nodes; without a memory limit one pod can push its neighbours out of memory (a CPU limit is not required: CPU is compressible and a limit only throttles)",
        "set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container"),
    prod("pdb", "PodDisruptionBudget for replicated workloads",
        "a workload that runs more than one replica is meant to stay up; without a PodDisruptionBudget a node drain can evict every replica at once",
        "add a PodDisruptionBudget whose selector matches the workload's pod labels (minAvailable or maxUnavailable)"),
    prod("image-pinned", "Pinned images",
        "an image without a tag, or tagged latest, changes under the release: a rollback does not bring the old code back",
        "name an explicit version tag (app:1.4.2) or a digest (app@sha256:...)"),
    prod("image-digest", "Images by digest",
        "a tag can be moved to other content; only a digest names exactly the image that was reviewed",
        "reference the image by digest: registry/app:1.4.2@sha256:<digest>"),
    prod("secret-literal", "No secrets as literals in pod specs",
        "a secret written into env or args is stored in plain text in the object, the release record and every diff",
        "move the value into a Secret and use env[].valueFrom.secretKeyRef (or envFrom.secretRef); pass it to args as $(VAR)"),
    prod("network-policy", "NetworkPolicy for every workload",
        "without a NetworkPolicy selecting it a pod accepts traffic from anywhere in the cluster",
        "add a NetworkPolicy whose podSelector matches the workload's pod labels (an empty podSelector selects every pod of the namespace)"),
    prod("sa-token-automount", "ServiceAccount token automount off",
        "a mounted ServiceAccount token lets anyone who compromises the pod call the Kubernetes API",
        "set automountServiceAccountToken: false on the pod spec or on its ServiceAccount; if the pod needs the API, exempt it with a reason"),
    prod("host-access", "No host filesystem or network",
        "hostPath volumes and host namespaces tie the pod to its node and reach outside the container",
        "remove hostPath volumes and hostNetwork/hostPID/hostIPC, or exempt the object with a reason"),
    Rule {
        id: "exemption",
        kind: RuleKind::Meta,
        title: "Well-formed exemptions",
        rationale: "an exemption is an accepted risk and must say why, so it stays reviewable",
        fix: "write the annotation as `tack.dev/policy-exempt: \"RULE[, RULE]: reason\"` naming known rules and a reason",
    },
];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// Ids of the production checks, in catalog order.
pub fn production_ids() -> impl Iterator<Item = &'static str> {
    RULES
        .iter()
        .filter(|r| r.kind == RuleKind::Production)
        .map(|r| r.id)
}
