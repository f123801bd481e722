//! Whether one object is ready, judged kstatus-style from its own status and conditions only (no
//! ReplicaSet or Pod lookups), so the answer is cheap and testable on plain JSON.

use serde_json::Value;
use std::fmt;

/// The readiness of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    Ready,
    /// Not there yet; the text says what is missing.
    InProgress(String),
    /// Will not get there without a change; the text says why.
    Failed(String),
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Readiness::Ready => f.write_str("ready"),
            Readiness::InProgress(why) => write!(f, "in progress: {why}"),
            Readiness::Failed(why) => write!(f, "failed: {why}"),
        }
    }
}

use Readiness::{Failed, InProgress, Ready};

/// Pod waiting reasons that will not resolve by themselves.
const POD_FAILURES: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "InvalidImageName",
    "ErrImageNeverPull",
    "CreateContainerError",
];

/// The readiness of `obj`.
pub fn readiness(obj: &Value) -> Readiness {
    if obj["metadata"]["deletionTimestamp"].is_string() {
        return InProgress("being deleted".into());
    }
    let group = obj["apiVersion"]
        .as_str()
        .and_then(|a| a.rsplit_once('/'))
        .map(|(g, _)| g)
        .unwrap_or("");
    match (group, obj["kind"].as_str().unwrap_or("")) {
        ("apps", "Deployment") => deployment(obj),
        ("apps", "StatefulSet") => stateful_set(obj),
        ("apps", "DaemonSet") => daemon_set(obj),
        ("apps", "ReplicaSet") => replica_set(obj),
        ("batch", "Job") => job(obj),
        ("", "PersistentVolumeClaim") => pvc(obj),
        ("", "Service") => service(obj),
        ("", "Pod") => pod(obj),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd(obj),
        _ => generic(obj),
    }
}

/// Whether a hook finished: a Pod must have succeeded (running is not done), everything else is judged
/// by [`readiness`] (a Job is complete).
pub fn hook_readiness(obj: &Value) -> Readiness {
    if obj["kind"] == "Pod" && obj["apiVersion"] == "v1" {
        if let Failed(why) = pod(obj) {
            return Failed(why);
        }
        return match obj["status"]["phase"].as_str() {
            Some("Succeeded") => Ready,
            Some("Failed") => pod(obj),
            Some(p) => InProgress(format!("pod {}", p.to_lowercase())),
            None => InProgress("pod not started".into()),
        };
    }
    readiness(obj)
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn condition<'a>(obj: &'a Value, kind: &str) -> Option<&'a Value> {
    obj["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
}

fn is_true(obj: &Value, kind: &str) -> bool {
    condition(obj, kind).is_some_and(|c| c["status"] == "True")
}

/// "Reason: message" of a condition, or just what exists.
fn explain(c: &Value) -> String {
    let reason = c["reason"].as_str().unwrap_or("");
    let message = c["message"].as_str().unwrap_or("");
    match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_string(),
        (true, false) => message.to_string(),
        (true, true) => format!("condition {} is {}", c["type"], c["status"]),
    }
}

/// InProgress while the controller has not seen the latest spec.
fn generation_observed(obj: &Value) -> Option<Readiness> {
    let generation = int(&obj["metadata"]["generation"]);
    let observed = &obj["status"]["observedGeneration"];
    if observed.is_null() {
        return Some(InProgress(
            "waiting for the controller to report status".into(),
        ));
    }
    (int(observed) < generation).then(|| {
        InProgress(format!(
            "waiting for the controller to observe generation {generation}"
        ))
    })
}

fn replicas(obj: &Value) -> i64 {
    obj["spec"]["replicas"].as_i64().unwrap_or(1)
}

fn deployment(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "Progressing") {
        if c["reason"] == "ProgressDeadlineExceeded" {
            let message = c["message"].as_str().unwrap_or("no progress");
            return Failed(format!("progress deadline exceeded: {message}"));
        }
    }
    if let Some(r) = generation_observed(obj) {
        return r;
    }
    let want = replicas(obj);
    let status = &obj["status"];
    let updated = int(&status["updatedReplicas"]);
    let available = int(&status["availableReplicas"]);
    if updated < want {
        return InProgress(format!("{updated} of {want} replicas updated"));
    }
    if int(&status["replicas"]) > updated {
        let old = int(&status["replicas"]) - updated;
        return InProgress(format!("{old} old replicas pending termination"));
    }
    if available < want {
        return InProgress(format!("{available} of {want} replicas available"));
    }
    if want > 0 && !is_true(obj, "Available") {
        return InProgress("waiting for the Available condition".into());
    }
    Ready
}

fn stateful_set(obj: &Value) -> Readiness {
    if let Some(r) = generation_observed(obj) {
        return r;
    }
    let want = replicas(obj);
    let status = &obj["status"];
    let ready = int(&status["readyReplicas"]);
    if ready < want {
        return InProgress(format!("{ready} of {want} replicas ready"));
    }
    let strategy = &obj["spec"]["updateStrategy"];
    if strategy["type"] == "OnDelete" {
        return Ready;
    }
    let partition = int(&strategy["rollingUpdate"]["partition"]);
    let updated = int(&status["updatedReplicas"]);
    if updated < want - partition {
        return InProgress(format!(
            "{updated} of {} replicas updated",
            want - partition
        ));
    }
    if partition == 0 && status["currentRevision"] != status["updateRevision"] {
        return InProgress("rolling out the update revision".into());
    }
    Ready
}

fn daemon_set(obj: &Value) -> Readiness {
    if let Some(r) = generation_observed(obj) {
        return r;
    }
    let status = &obj["status"];
    if status["desiredNumberScheduled"].is_null() {
        return InProgress("waiting for the controller to schedule pods".into());
    }
    let want = int(&status["desiredNumberScheduled"]);
    let updated = int(&status["updatedNumberScheduled"]);
    let available = int(&status["numberAvailable"]);
    if updated < want {
        return InProgress(format!("{updated} of {want} pods updated"));
    }
    if available < want {
        return InProgress(format!("{available} of {want} pods available"));
    }
    Ready
}

fn replica_set(obj: &Value) -> Readiness {
    if let Some(r) = generation_observed(obj) {
        return r;
    }
    let want = replicas(obj);
    let available = int(&obj["status"]["availableReplicas"]);
    if available < want {
        let mut why = format!("{available} of {want} replicas available");
        if let Some(c) = condition(obj, "ReplicaFailure").filter(|c| c["status"] == "True") {
            why = format!("{why} ({})", explain(c));
        }
        return InProgress(why);
    }
    Ready
}

fn job(obj: &Value) -> Readiness {
    for failed in ["Failed", "FailureTarget"] {
        if let Some(c) = condition(obj, failed).filter(|c| c["status"] == "True") {
            return Failed(format!("job failed: {}", explain(c)));
        }
    }
    if is_true(obj, "Complete") {
        return Ready;
    }
    if obj["spec"]["suspend"] == true {
        return InProgress("suspended".into());
    }
    let status = &obj["status"];
    let completions = obj["spec"]["completions"].as_i64().unwrap_or(1);
    InProgress(format!(
        "{} active, {} of {completions} succeeded, {} failed",
        int(&status["active"]),
        int(&status["succeeded"]),
        int(&status["failed"])
    ))
}

fn pvc(obj: &Value) -> Readiness {
    match obj["status"]["phase"].as_str() {
        Some("Bound") => Ready,
        Some("Lost") => Failed("the bound volume was lost".into()),
        Some(p) => InProgress(format!("phase {p}")),
        None => InProgress("not bound yet".into()),
    }
}

fn service(obj: &Value) -> Readiness {
    if obj["spec"]["type"] != "LoadBalancer" {
        return Ready;
    }
    let ingress = obj["status"]["loadBalancer"]["ingress"].as_array();
    if ingress.is_some_and(|i| !i.is_empty()) {
        Ready
    } else {
        InProgress("waiting for a load balancer address".into())
    }
}

fn crd(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "NamesAccepted").filter(|c| c["status"] == "False") {
        return Failed(format!("names not accepted: {}", explain(c)));
    }
    if is_true(obj, "Established") {
        Ready
    } else {
        InProgress("not established yet".into())
    }
}

fn pod(obj: &Value) -> Readiness {
    let status = &obj["status"];
    match status["phase"].as_str() {
        Some("Succeeded") => return Ready,
        Some("Failed") => {
            let why = status["message"]
                .as_str()
                .or(status["reason"].as_str())
                .unwrap_or("the pod failed");
            return Failed(why.to_string());
        }
        _ => {}
    }
    for list in ["initContainerStatuses", "containerStatuses"] {
        for c in status[list].as_array().into_iter().flatten() {
            let waiting = &c["state"]["waiting"];
            let reason = waiting["reason"].as_str().unwrap_or("");
            if POD_FAILURES.contains(&reason) {
                let message = waiting["message"].as_str().unwrap_or("");
                let name = c["name"].as_str().unwrap_or("?");
                return Failed(
                    format!("container `{name}`: {reason} {message}")
                        .trim()
                        .to_string(),
                );
            }
        }
    }
    if is_true(obj, "Ready") {
        return Ready;
    }
    if let Some(c) = condition(obj, "PodScheduled").filter(|c| c["status"] == "False") {
        return InProgress(format!("not scheduled: {}", explain(c)));
    }
    InProgress(format!(
        "phase {}, not ready",
        status["phase"].as_str().unwrap_or("unknown")
    ))
}

/// Any other kind: kstatus's conventions (`Stalled`, `Reconciling`, `Ready`), else ready on existence.
fn generic(obj: &Value) -> Readiness {
    if let Some(c) = condition(obj, "Stalled").filter(|c| c["status"] == "True") {
        return Failed(explain(c));
    }
    if let Some(c) = condition(obj, "Reconciling").filter(|c| c["status"] == "True") {
        return InProgress(explain(c));
    }
    let observed = &obj["status"]["observedGeneration"];
    if observed.is_i64() && int(observed) < int(&obj["metadata"]["generation"]) {
        return InProgress("waiting for the controller to observe the latest generation".into());
    }
    match condition(obj, "Ready") {
        Some(c) if c["status"] == "True" => Ready,
        Some(c) => InProgress(explain(c)),
        None => Ready,
    }
}
