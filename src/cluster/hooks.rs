//! The cluster side of hooks that plain apply and delete do not cover: removing a hook's object and
//! waiting until it is really gone (so it can be created again), and what a hook's pods report (phase,
//! exit codes, the tail of their logs).

use super::apply::{delete, ApplyOptions, DeleteOutcome, Stats};
use super::resources::Resolver;
use super::retry::{retry, Budget};
use super::Cluster;
use crate::manifest::ObjectRef;
use anyhow::{bail, Result};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, LogParams};
use serde_json::Value;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Lines of log shown per container of a hook's pod.
const LOG_LINES: i64 = 20;

/// Delete `r` (when this release owns it) and wait up to `timeout` until it is gone. True when it existed.
pub async fn delete_and_wait(
    cluster: &Cluster,
    resolver: &Resolver,
    r: &ObjectRef,
    opts: &ApplyOptions,
    timeout: Duration,
    stats: &Stats,
) -> Result<bool> {
    // a hook's object is replaced on every run, whatever its resource policy says
    let opts = ApplyOptions {
        honour_keep: false,
        delete_crds: true,
        ..opts.clone()
    };
    let done = delete(cluster, resolver, std::slice::from_ref(r), &opts, stats).await?;
    match done.first().map(|(_, o)| o) {
        Some(DeleteOutcome::Deleted) => {}
        Some(DeleteOutcome::KeptNotOwned(owner)) => bail!(
            "{r} exists and is {owner}; a hook of this release cannot replace it\n\nhint: rename the hook, or delete the object by hand"
        ),
        _ => return Ok(false),
    }
    let start = Instant::now();
    let mut interval = Duration::from_millis(200);
    loop {
        let live =
            super::apply::read_live(cluster, resolver, std::slice::from_ref(r), stats).await?;
        if !live.contains_key(r) {
            return Ok(true);
        }
        if start.elapsed() >= timeout {
            bail!(
                "{r} was deleted but is still there after {}s (a finalizer may hold it)\n\nhint: `kubectl get -o yaml` shows its finalizers",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 3 / 2).min(Duration::from_secs(1));
    }
}

/// One line per pod of a hook (the Pod itself, or a Job's pods): its phase and the exit code of each
/// container that ended; with `logs`, the last lines of each container's log, or why there are none.
pub async fn pod_report(
    cluster: &Cluster,
    r: &ObjectRef,
    logs: bool,
    stats: &Stats,
) -> Vec<String> {
    let Some(ns) = r.namespace.as_deref() else {
        return Vec::new();
    };
    let api: Api<Pod> = Api::namespaced(cluster.client.clone(), ns);
    let pods: Vec<Value> = match r.kind.as_str() {
        "Pod" => {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            match retry(Budget::default(), || api.get_opt(&r.name)).await {
                Ok(Some(p)) => vec![serde_json::to_value(p).expect("pods serialize")],
                _ => return Vec::new(),
            }
        }
        "Job" => {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            let params = ListParams::default().labels(&format!("job-name={}", r.name));
            match retry(Budget::default(), || api.list(&params)).await {
                Ok(list) => list
                    .items
                    .into_iter()
                    .map(|p| serde_json::to_value(p).expect("pods serialize"))
                    .collect(),
                Err(_) => return Vec::new(),
            }
        }
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for pod in &pods {
        out.push(describe_pod(pod));
        if !logs {
            continue;
        }
        let name = pod["metadata"]["name"].as_str().unwrap_or_default();
        for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
            let container = c["name"].as_str().unwrap_or_default();
            let params = LogParams {
                container: Some(container.to_string()),
                tail_lines: Some(LOG_LINES),
                ..LogParams::default()
            };
            stats.reads.fetch_add(1, Ordering::Relaxed);
            let got = tokio::time::timeout(Duration::from_secs(5), api.logs(name, &params)).await;
            match got {
                Ok(Ok(text)) if !text.trim().is_empty() => {
                    out.push(format!(
                        "log of {name}/{container} (last {LOG_LINES} lines):"
                    ));
                    out.extend(text.lines().map(|l| format!("  | {l}")));
                }
                Ok(Ok(_)) => out.push(format!("log of {name}/{container}: empty")),
                Ok(Err(e)) => out.push(format!(
                    "log of {name}/{container}: not available ({})",
                    short_error(&e)
                )),
                Err(_) => out.push(format!(
                    "log of {name}/{container}: not available (timed out)"
                )),
            }
        }
    }
    out
}

fn short_error(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(s) => s.message.lines().next().unwrap_or_default().to_string(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// `pod migrate-x7k2q: Failed, container migrate exited 3 (Error)`.
pub fn describe_pod(pod: &Value) -> String {
    let name = pod["metadata"]["name"].as_str().unwrap_or("?");
    let phase = pod["status"]["phase"].as_str().unwrap_or("Unknown");
    let mut parts = vec![format!("pod {name}: {phase}")];
    for c in pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let t = &c["state"]["terminated"];
        if let Some(code) = t["exitCode"].as_i64() {
            let reason = t["reason"].as_str().unwrap_or("");
            let container = c["name"].as_str().unwrap_or("?");
            let mut s = format!("container {container} exited {code}");
            if !reason.is_empty() {
                s.push_str(&format!(" ({reason})"));
            }
            parts.push(s);
        }
    }
    if let Some(reason) = pod["status"]["reason"].as_str() {
        parts.push(reason.to_string());
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_pod_is_described_by_phase_and_exit_codes() {
        let pod = json!({"metadata": {"name": "migrate-abc"}, "status": {"phase": "Failed",
            "containerStatuses": [{"name": "migrate", "state": {"terminated": {"exitCode": 3, "reason": "Error"}}}]}});
        assert_eq!(
            describe_pod(&pod),
            "pod migrate-abc: Failed, container migrate exited 3 (Error)"
        );
        let pending = json!({"metadata": {"name": "p"}, "status": {"phase": "Pending"}});
        assert_eq!(describe_pod(&pending), "pod p: Pending");
    }
}
