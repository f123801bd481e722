//! Production checks: what a workload needs to run safely in production beyond the Pod Security
//! Standards (probes, resources, disruption budgets, pinned images, no literal secrets, network
//! policy, no ServiceAccount token by default, no host access). Pure functions over the manifest.

use super::pod::{field, flag, pod_template, PodTemplate};
use super::selector;
use super::Violation;
use crate::manifest::Document;
use serde_json::Value;

/// Settings the checks need from the policy.
#[derive(Debug, Clone, Copy)]
pub struct Options<'a> {
    pub require_digest: bool,
    pub require_network_policy: bool,
    /// Namespace that objects without `metadata.namespace` land in.
    pub release_namespace: Option<&'a str>,
}

fn v(rule: &'static str, path: String, message: String) -> Violation {
    Violation {
        rule,
        path,
        message,
    }
}

/// Every production-check violation of one document, given the whole manifest (for PDBs and
/// NetworkPolicies, which live in other documents).
pub fn check(doc: &Document, all: &[Document], opts: &Options) -> Vec<Violation> {
    let Some(pod) = pod_template(doc.object()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let kind = doc.kind();
    if !matches!(kind, "Job" | "CronJob") {
        probes(&pod, &mut out);
    }
    resources(&pod, &mut out);
    images(&pod, opts.require_digest, &mut out);
    secret_literals(&pod, &mut out);
    sa_token(&pod, doc, all, opts, &mut out);
    host_access(&pod, &mut out);
    pdb(&pod, doc, all, opts, &mut out);
    if opts.require_network_policy {
        network_policy(&pod, doc, all, opts, &mut out);
    }
    out
}

fn probes(pod: &PodTemplate, out: &mut Vec<Violation>) {
    for c in pod.containers_of(&["containers"]) {
        for probe in ["livenessProbe", "readinessProbe"] {
            if field(c.value, probe).is_none() {
                out.push(v(
                    "probes",
                    format!("{}.{probe}", c.path(pod)),
                    format!("container \"{}\" has no {probe}", c.name()),
                ));
            }
        }
    }
}

/// The resource fields every container must set.
pub const REQUIRED_RESOURCES: [(&str, &str); 3] = [
    ("requests", "cpu"),
    ("requests", "memory"),
    ("limits", "memory"),
];

fn resources(pod: &PodTemplate, out: &mut Vec<Violation>) {
    for c in pod.containers_of(&["initContainers", "containers"]) {
        let res = field(c.value, "resources");
        let mut missing = Vec::new();
        // a CPU limit is not required: CPU is compressible, and a limit throttles a pod that the
        // node could serve; memory is not, so its limit is
        for (group, key) in REQUIRED_RESOURCES {
            let set = res
                .and_then(|r| field(r, group))
                .and_then(|g| field(g, key))
                .is_some();
            if !set {
                missing.push(format!("{group}.{key}"));
            }
        }
        if !missing.is_empty() {
            out.push(v(
                "resources",
                format!("{}.resources", c.path(pod)),
                format!(
                    "container \"{}\" does not set resources {}",
                    c.name(),
                    missing.join(", ")
                ),
            ));
        }
    }
}

/// (tag, digest) of an image reference. The tag is looked for after the last `/` so that a
/// registry port (`registry:5000/app`) is not taken for a tag.
pub fn image_parts(image: &str) -> (Option<&str>, Option<&str>) {
    let (name, digest) = match image.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (image, None),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    let tag = last.split_once(':').map(|(_, t)| t);
    (tag, digest)
}

fn images(pod: &PodTemplate, require_digest: bool, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        let image = c.value["image"].as_str().unwrap_or("");
        let path = format!("{}.image", c.path(pod));
        let (tag, digest) = image_parts(image);
        let digest_ok = digest.is_some_and(|d| d.contains(':') && d.len() > 8);
        if !digest_ok && matches!(tag, None | Some("") | Some("latest")) {
            let what = match tag {
                Some("latest") => "is tagged latest",
                _ => "has neither tag nor digest",
            };
            out.push(v(
                "image-pinned",
                path.clone(),
                format!("container \"{}\" image \"{image}\" {what}", c.name()),
            ));
        }
        if require_digest && !digest_ok {
            out.push(v(
                "image-digest",
                path,
                format!(
                    "container \"{}\" image \"{image}\" is not referenced by digest",
                    c.name()
                ),
            ));
        }
    }
}

/// Whether an environment variable or flag name looks like it holds a secret.
pub fn secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PWD",
        "TOKEN",
        "SECRET",
        "KEY",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATEKEY",
    ];
    // names ending in these point at a secret rather than hold it (TOKEN_FILE, SECRET_NAME)
    const REFERENCES: &[&str] = &["FILE", "PATH", "DIR", "NAME", "REF", "URL", "ID"];
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.to_ascii_uppercase())
        .collect();
    if words
        .last()
        .is_some_and(|w| REFERENCES.contains(&w.as_str()))
    {
        return false;
    }
    words.iter().any(|w| WORDS.contains(&w.as_str()))
}

/// A value that is only a reference to another variable (`$(DB_PASSWORD)`) is not a literal.
fn is_literal(value: &str) -> bool {
    let t = value.trim();
    !(t.is_empty() || (t.starts_with("$(") && t.ends_with(')') && !t[2..].contains("$(")))
}

fn secret_literals(pod: &PodTemplate, out: &mut Vec<Violation>) {
    for c in pod.containers() {
        if let Some(env) = field(c.value, "env").and_then(Value::as_array) {
            for (i, e) in env.iter().enumerate() {
                let name = e["name"].as_str().unwrap_or("");
                let literal = match field(e, "value") {
                    Some(Value::String(s)) => is_literal(s),
                    Some(other) => !other.is_null(),
                    None => false,
                };
                if secret_name(name) && literal {
                    out.push(v(
                        "secret-literal",
                        format!("{}.env[{i}].value", c.path(pod)),
                        format!(
                            "container \"{}\" env {name} holds a literal value (not shown)",
                            c.name()
                        ),
                    ));
                }
            }
        }
        for list in ["command", "args"] {
            let Some(args) = field(c.value, list).and_then(Value::as_array) else {
                continue;
            };
            let args: Vec<&str> = args.iter().map(|a| a.as_str().unwrap_or("")).collect();
            for (i, arg) in args.iter().enumerate() {
                let hit = match arg.split_once('=') {
                    Some((flag, val)) => {
                        secret_name(flag.trim_start_matches('-')) && is_literal(val)
                    }
                    None => {
                        arg.starts_with('-')
                            && secret_name(arg.trim_start_matches('-'))
                            && args
                                .get(i + 1)
                                .is_some_and(|next| !next.starts_with('-') && is_literal(next))
                    }
                };
                if hit {
                    let flag = arg.split_once('=').map_or(*arg, |(f, _)| f);
                    out.push(v(
                        "secret-literal",
                        format!("{}.{list}[{i}]", c.path(pod)),
                        format!(
                            "container \"{}\" passes {flag} a literal value in {list} (not shown)",
                            c.name()
                        ),
                    ));
                }
            }
        }
    }
}

fn effective_ns<'a>(doc: &'a Document, opts: &Options<'a>) -> Option<&'a str> {
    doc.namespace().or(opts.release_namespace)
}

fn same_namespace(a: &Document, b: &Document, opts: &Options) -> bool {
    effective_ns(a, opts) == effective_ns(b, opts)
}

fn sa_token(
    pod: &PodTemplate,
    doc: &Document,
    all: &[Document],
    opts: &Options,
    out: &mut Vec<Violation>,
) {
    match flag(pod.get("automountServiceAccountToken")) {
        Some(false) => return,
        Some(true) => {
            out.push(v(
                "sa-token-automount",
                format!("{}.automountServiceAccountToken", pod.spec_path),
                "the pod mounts its ServiceAccount token (automountServiceAccountToken: true)"
                    .into(),
            ));
            return;
        }
        None => {}
    }
    let sa_name = pod
        .get("serviceAccountName")
        .and_then(Value::as_str)
        .unwrap_or("default");
    let sa_off = all.iter().any(|d| {
        d.kind() == "ServiceAccount"
            && d.name() == sa_name
            && same_namespace(d, doc, opts)
            && flag(field(d.object(), "automountServiceAccountToken")) == Some(false)
    });
    if !sa_off {
        out.push(v(
            "sa-token-automount",
            format!("{}.automountServiceAccountToken", pod.spec_path),
            format!(
                "neither the pod nor its ServiceAccount \"{sa_name}\" sets automountServiceAccountToken: false"
            ),
        ));
    }
}

fn host_access(pod: &PodTemplate, out: &mut Vec<Violation>) {
    for (path, name) in super::pss::host_path_volume_paths(pod) {
        out.push(v(
            "host-access",
            path,
            format!("volume \"{name}\" mounts a path of the node (hostPath)"),
        ));
    }
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if flag(pod.get(key)) == Some(true) {
            out.push(v(
                "host-access",
                format!("{}.{key}", pod.spec_path),
                format!("the pod sets {key}: true"),
            ));
        }
    }
}

/// The number of replicas a workload may run: `spec.replicas` (default 1), or the maxReplicas of a
/// HorizontalPodAutoscaler in the manifest that targets it. DaemonSets, Jobs and Pods are not counted.
fn replicas(doc: &Document, all: &[Document], opts: &Options) -> i64 {
    if !matches!(
        doc.kind(),
        "Deployment" | "StatefulSet" | "ReplicaSet" | "ReplicationController"
    ) {
        return 1;
    }
    let own = field(&doc.object()["spec"], "replicas")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let hpa = all
        .iter()
        .filter(|d| d.kind() == "HorizontalPodAutoscaler" && same_namespace(d, doc, opts))
        .filter(|d| {
            let t = &d.object()["spec"]["scaleTargetRef"];
            t["kind"].as_str() == Some(doc.kind()) && t["name"].as_str() == Some(doc.name())
        })
        .filter_map(|d| d.object()["spec"]["maxReplicas"].as_i64())
        .max()
        .unwrap_or(0);
    own.max(hpa)
}

fn pdb(
    pod: &PodTemplate,
    doc: &Document,
    all: &[Document],
    opts: &Options,
    out: &mut Vec<Violation>,
) {
    let n = replicas(doc, all, opts);
    if n <= 1 {
        return;
    }
    let labels = pod.labels();
    let covered = all.iter().any(|d| {
        d.kind() == "PodDisruptionBudget"
            && same_namespace(d, doc, opts)
            && selector::matches(field(&d.object()["spec"], "selector"), &labels)
    });
    if !covered {
        out.push(v(
            "pdb",
            "spec.replicas".into(),
            format!("{} runs up to {n} replicas and no PodDisruptionBudget in the manifest selects its pods", doc.kind()),
        ));
    }
}

fn network_policy(
    pod: &PodTemplate,
    doc: &Document,
    all: &[Document],
    opts: &Options,
    out: &mut Vec<Violation>,
) {
    let labels = pod.labels();
    let covered = all.iter().any(|d| {
        d.kind() == "NetworkPolicy"
            && same_namespace(d, doc, opts)
            && selector::matches(
                Some(field(&d.object()["spec"], "podSelector").unwrap_or(&EMPTY)),
                &labels,
            )
    });
    if !covered {
        out.push(v(
            "network-policy",
            format!("{}.labels", pod.meta_path),
            "no NetworkPolicy in the manifest selects this workload's pods".into(),
        ));
    }
}

static EMPTY: std::sync::LazyLock<Value> = std::sync::LazyLock::new(|| serde_json::json!({}));
