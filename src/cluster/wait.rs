//! Waiting for applied objects to become ready: poll their status in bulk, report progress, fail fast on a
//! failure that will not heal, and explain what is stuck with the objects' recent Warning events.

mod load_balancer;
mod readiness;
#[cfg(test)]
mod readiness_tests;

pub use readiness::{hook_readiness, readiness, Readiness};

use super::apply::{read_live, Stats};
use super::resources::Resolver;
use super::retry::{describe, retry, Budget};
use super::Cluster;
use crate::manifest::ObjectRef;
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Warning events shown per object.
const EVENTS_PER_OBJECT: usize = 5;

/// The callback of [`wait_ready`]: the state of every object, whenever one of them changed.
pub type OnProgress<'a> = dyn FnMut(&[(ObjectRef, Readiness)]) + Send + 'a;

/// Why waiting did not end with everything ready.
#[derive(Debug)]
pub struct WaitError {
    /// True when the time ran out; false when an object failed.
    pub timed_out: bool,
    pub timeout: Duration,
    /// Objects not ready at the end, failed ones first.
    pub not_ready: Vec<(ObjectRef, Readiness)>,
    /// Recent Warning events per object, already formatted.
    pub events: BTreeMap<ObjectRef, Vec<String>>,
    /// The last error reading the cluster, if any.
    pub last_error: Option<String>,
    /// Some objects not ready are Services of type LoadBalancer (`--wait-skip-load-balancers` helps).
    pub load_balancers: bool,
}

impl fmt::Display for WaitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.not_ready.len();
        let s = if n == 1 { "" } else { "s" };
        if self.timed_out {
            writeln!(
                f,
                "timed out after {}s waiting for {n} object{s} to become ready:",
                self.timeout.as_secs()
            )?;
        } else {
            let failed = self
                .not_ready
                .iter()
                .filter(|(_, r)| matches!(r, Readiness::Failed(_)))
                .count();
            writeln!(
                f,
                "{failed} object{} failed to become ready:",
                if failed == 1 { "" } else { "s" }
            )?;
        }
        for (object, state) in &self.not_ready {
            let why = match state {
                Readiness::Failed(why) => format!("failed: {why}"),
                Readiness::InProgress(why) => why.clone(),
                Readiness::Ready => "ready".into(),
            };
            writeln!(f, "  - {object}: {why}")?;
            for event in self.events.get(object).into_iter().flatten() {
                writeln!(f, "      warning: {event}")?;
            }
        }
        if let Some(e) = &self.last_error {
            writeln!(f, "\nthe last attempt to read the objects failed: {e}")?;
        }
        if self.load_balancers {
            writeln!(
                f,
                "\nhint: --wait-skip-load-balancers does not wait for Services of type LoadBalancer (they are still applied); without a load balancer controller, type NodePort or ClusterIP fits better"
            )?;
        }
        if self.timed_out {
            write!(
                f,
                "\nhint: raise --timeout if the rollout is just slow; `kubectl describe` shows more"
            )
        } else {
            write!(
                f,
                "\nhint: fix the cause above and upgrade again; `kubectl describe` shows more"
            )
        }
    }
}

impl std::error::Error for WaitError {}

/// Poll until every object is ready, one has failed, or `timeout` passes. `on_progress` gets the full
/// state whenever any object's readiness changes.
pub async fn wait_ready(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[ObjectRef],
    timeout: Duration,
    on_progress: &mut OnProgress<'_>,
    stats: &Stats,
) -> Result<(), WaitError> {
    wait_with(
        cluster,
        resolver,
        objects,
        (timeout, readiness),
        on_progress,
        stats,
    )
    .await
}

/// Poll until a hook finished: a Job complete, a Pod succeeded (a running Pod is not done), anything else
/// ready.
pub async fn wait_hook(
    cluster: &Cluster,
    resolver: &Resolver,
    object: &ObjectRef,
    timeout: Duration,
    stats: &Stats,
) -> Result<(), WaitError> {
    wait_with(
        cluster,
        resolver,
        std::slice::from_ref(object),
        (timeout, hook_readiness),
        &mut |_| {},
        stats,
    )
    .await
}

/// [`wait_ready`] with the readiness rule given. An object seen ready stays ready if it vanishes, and a Job
/// that vanished before it was seen (removed by its `ttlSecondsAfterFinished`) is judged by the events
/// the Job controller left about it.
async fn wait_with(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[ObjectRef],
    (timeout, judge): (Duration, fn(&Value) -> Readiness),
    on_progress: &mut OnProgress<'_>,
    stats: &Stats,
) -> Result<(), WaitError> {
    let start = Instant::now();
    let since = jiff::Timestamp::now();
    let mut interval = Duration::from_millis(500);
    let mut last: Option<Vec<(ObjectRef, Readiness)>> = None;
    let mut last_error: Option<String>;
    let mut seen: BTreeMap<ObjectRef, (String, bool)> = BTreeMap::new();
    let mut load_balancers: BTreeMap<ObjectRef, Option<String>> = BTreeMap::new();
    loop {
        match read_live(cluster, resolver, objects, stats).await {
            Ok(live) => {
                last_error = None;
                let mut now: Vec<(ObjectRef, Readiness)> = Vec::with_capacity(objects.len());
                for r in objects {
                    let state = match live.get(r) {
                        Some(obj) => {
                            let state = judge(obj);
                            if let Some(class) = load_balancer::class_of(obj) {
                                load_balancers.insert(r.clone(), class);
                            }
                            let uid = obj["metadata"]["uid"].as_str().unwrap_or("").to_string();
                            let ready = state == Readiness::Ready
                                || seen.get(r).is_some_and(|(u, ready)| *u == uid && *ready);
                            seen.insert(r.clone(), (uid, ready));
                            state
                        }
                        None => match seen.get(r) {
                            Some((_, true)) => Readiness::Ready,
                            _ if r.kind == "Job" => {
                                let uid = seen.get(r).map(|(u, _)| u.as_str());
                                vanished_job(cluster, r, uid, since, stats).await
                            }
                            _ => Readiness::InProgress("not found".into()),
                        },
                    };
                    now.push((r.clone(), state));
                }
                if last.as_ref() != Some(&now) {
                    on_progress(&now);
                }
                let done = now.iter().all(|(_, s)| *s == Readiness::Ready);
                let failed = now.iter().any(|(_, s)| matches!(s, Readiness::Failed(_)));
                last = Some(now);
                if done {
                    return Ok(());
                }
                if failed {
                    break;
                }
            }
            Err(e) => last_error = Some(format!("{e:#}")),
        }
        let elapsed = start.elapsed();
        if elapsed >= timeout {
            break;
        }
        tokio::time::sleep(interval.min(timeout - elapsed)).await;
        interval = (interval * 3 / 2).min(Duration::from_secs(2));
    }
    let mut not_ready: Vec<(ObjectRef, Readiness)> = last
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, s)| *s != Readiness::Ready)
        .collect();
    let timed_out = !not_ready
        .iter()
        .any(|(_, s)| matches!(s, Readiness::Failed(_)));
    not_ready.sort_by_key(|(_, s)| !matches!(s, Readiness::Failed(_)));
    load_balancer::explain(cluster, &load_balancers, &mut not_ready, stats).await;
    let any_load_balancer = not_ready
        .iter()
        .any(|(r, _)| load_balancers.contains_key(r));
    let (events, events_error) = warning_events(cluster, &not_ready, stats).await;
    Err(WaitError {
        timed_out,
        timeout,
        not_ready,
        load_balancers: any_load_balancer,
        events,
        last_error: last_error.or(events_error),
    })
}

/// The readiness of a Job that is gone: complete or failed by the events its controller recorded about it
/// (of this incarnation: its uid when it was seen, else events since the wait began); not found otherwise.
async fn vanished_job(
    cluster: &Cluster,
    r: &ObjectRef,
    uid: Option<&str>,
    since: jiff::Timestamp,
    stats: &Stats,
) -> Readiness {
    let not_found = Readiness::InProgress("not found".into());
    let Some(ns) = r.namespace.as_deref() else {
        return not_found;
    };
    let api: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(cluster.client.clone(), ns);
    let params = ListParams::default().fields(&format!(
        "involvedObject.kind=Job,involvedObject.name={}",
        r.name
    ));
    let listed = retry(Budget::default(), || {
        stats.reads.fetch_add(1, Ordering::Relaxed);
        api.list(&params)
    })
    .await;
    let Ok(list) = listed else {
        return not_found;
    };
    let events: Vec<Value> = list
        .items
        .iter()
        .map(|e| serde_json::to_value(e).expect("events serialize"))
        .collect();
    job_outcome_from_events(&events, uid, since).unwrap_or(not_found)
}

/// Whether a vanished Job finished, from the events about it: `Completed` is ready, `BackoffLimitExceeded`
/// or `DeadlineExceeded` failed. Only events of the given uid count, or (uid unknown) those not older than
/// `since` (events carry whole seconds).
pub fn job_outcome_from_events(
    events: &[Value],
    uid: Option<&str>,
    since: jiff::Timestamp,
) -> Option<Readiness> {
    let floor = since.as_second();
    let mut outcome = None;
    for e in events {
        let ours = match uid.filter(|u| !u.is_empty()) {
            Some(u) => e["involvedObject"]["uid"].as_str() == Some(u),
            None => e["lastTimestamp"]
                .as_str()
                .or(e["eventTime"].as_str())
                .and_then(|t| t.parse::<jiff::Timestamp>().ok())
                .is_some_and(|t| t.as_second() >= floor),
        };
        if !ours {
            continue;
        }
        let message = e["message"].as_str().unwrap_or("").trim();
        match e["reason"].as_str().unwrap_or("") {
            "Completed" => outcome = Some(Readiness::Ready),
            reason @ ("BackoffLimitExceeded" | "DeadlineExceeded") => {
                return Some(Readiness::Failed(format!(
                    "job failed: {reason}: {message} (the Job was removed since)"
                )))
            }
            _ => {}
        }
    }
    outcome
}

/// Recent Warning events of the objects (and of the Pods and ReplicaSets named after them), with one
/// events LIST per namespace.
async fn warning_events(
    cluster: &Cluster,
    objects: &[(ObjectRef, Readiness)],
    stats: &Stats,
) -> (BTreeMap<ObjectRef, Vec<String>>, Option<String>) {
    let namespaces: BTreeSet<&str> = objects
        .iter()
        .filter_map(|(r, _)| r.namespace.as_deref())
        .collect();
    let mut out: BTreeMap<ObjectRef, Vec<String>> = BTreeMap::new();
    let mut error = None;
    for ns in namespaces {
        let api: Api<k8s_openapi::api::core::v1::Event> =
            Api::namespaced(cluster.client.clone(), ns);
        let params = ListParams::default().fields("type=Warning");
        let listed = retry(Budget::default(), || {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            api.list(&params)
        })
        .await;
        let events: Vec<Value> = match listed {
            Ok(list) => list
                .items
                .iter()
                .map(|e| serde_json::to_value(e).expect("events serialize"))
                .collect(),
            Err(e) => {
                let what = format!("list the events of namespace `{ns}`");
                error = Some(format!("{:#}", describe(e, &what, &cluster.server)));
                continue;
            }
        };
        for (r, _) in objects
            .iter()
            .filter(|(r, _)| r.namespace.as_deref() == Some(ns))
        {
            let lines = events_of(r, &events);
            if !lines.is_empty() {
                out.insert(r.clone(), lines);
            }
        }
    }
    (out, error)
}

/// The last few Warning events about `r` or the Pods and ReplicaSets its controller made, oldest first.
pub fn events_of(r: &ObjectRef, events: &[Value]) -> Vec<String> {
    let owns_children = matches!(
        r.kind.as_str(),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job"
    );
    let prefix = format!("{}-", r.name);
    let mut matching: Vec<(&str, String)> = events
        .iter()
        .filter(|e| {
            let involved = &e["involvedObject"];
            let kind = involved["kind"].as_str().unwrap_or("");
            let name = involved["name"].as_str().unwrap_or("");
            (kind == r.kind && name == r.name)
                || (owns_children
                    && matches!(kind, "Pod" | "ReplicaSet")
                    && name.starts_with(&prefix))
        })
        .map(|e| {
            let when = e["lastTimestamp"]
                .as_str()
                .or(e["eventTime"].as_str())
                .or(e["metadata"]["creationTimestamp"].as_str())
                .unwrap_or("");
            let involved = &e["involvedObject"];
            let mut line = format!(
                "{} {}: {}: {}",
                involved["kind"].as_str().unwrap_or(""),
                involved["name"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("").trim()
            );
            if let Some(count) = e["count"].as_i64().filter(|c| *c > 1) {
                line.push_str(&format!(" (x{count})"));
            }
            (when, line)
        })
        .collect();
    matching.sort_by(|a, b| a.0.cmp(b.0));
    let skip = matching.len().saturating_sub(EVENTS_PER_OBJECT);
    matching.into_iter().skip(skip).map(|(_, l)| l).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> ObjectRef {
        ObjectRef {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: Some("shop".into()),
            name: "web".into(),
        }
    }

    #[test]
    fn events_of_an_object_include_its_pods_newest_last() {
        let ev = |kind: &str, name: &str, reason: &str, when: &str| {
            json!({"involvedObject": {"kind": kind,
            "name": name}, "reason": reason, "message": "m", "lastTimestamp": when, "count": 2})
        };
        let events = vec![
            ev(
                "Pod",
                "web-5d9c-abcde",
                "FailedScheduling",
                "2024-01-01T00:00:02Z",
            ),
            ev("Deployment", "web", "Stuck", "2024-01-01T00:00:01Z"),
            ev("Pod", "webshop-1", "Other", "2024-01-01T00:00:03Z"),
            ev("ConfigMap", "web", "Other", "2024-01-01T00:00:03Z"),
        ];
        let lines = events_of(&deployment(), &events);
        assert_eq!(
            lines,
            vec![
                "Deployment web: Stuck: m (x2)",
                "Pod web-5d9c-abcde: FailedScheduling: m (x2)"
            ]
        );
    }

    #[test]
    fn wait_error_lists_objects_reasons_and_events() {
        let mut events = BTreeMap::new();
        events.insert(
            deployment(),
            vec!["Pod web-1: FailedScheduling: no nodes".to_string()],
        );
        let e = WaitError {
            timed_out: false,
            timeout: Duration::from_secs(60),
            not_ready: vec![
                (
                    deployment(),
                    Readiness::Failed("progress deadline exceeded".into()),
                ),
                (
                    ObjectRef {
                        api_version: "batch/v1".into(),
                        kind: "Job".into(),
                        namespace: Some("shop".into()),
                        name: "migrate".into(),
                    },
                    Readiness::InProgress("1 active".into()),
                ),
            ],
            events,
            last_error: None,
            load_balancers: false,
        };
        let text = e.to_string();
        assert!(
            text.starts_with("1 object failed to become ready:"),
            "{text}"
        );
        assert!(
            text.contains("Deployment shop/web: failed: progress deadline exceeded"),
            "{text}"
        );
        assert!(
            text.contains("warning: Pod web-1: FailedScheduling"),
            "{text}"
        );
        assert!(text.contains("Job shop/migrate: 1 active"), "{text}");
        let timed = WaitError {
            timed_out: true,
            ..e
        };
        assert!(timed
            .to_string()
            .starts_with("timed out after 60s waiting for 2 objects"));
        assert!(!timed.to_string().contains("--wait-skip-load-balancers"));
        let lb = WaitError {
            load_balancers: true,
            ..timed
        };
        assert!(
            lb.to_string().contains("hint: --wait-skip-load-balancers"),
            "{lb}"
        );
    }
}
