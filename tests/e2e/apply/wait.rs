//! Waiting for readiness on the real cluster: a Deployment that rolls out (kwok makes its pods ready), a
//! Deployment past its progress deadline, a failed Job and a Job that times out.

use super::{cluster, cm, prepared, run};
use crate::harness::*;
use serde_json::{json, Value};
use std::time::Duration;
use tack::cluster::apply::{ApplyOptions, Stats};
use tack::cluster::resources::Resolver;
use tack::cluster::wait::{self, Readiness};
use tack::cluster::Cluster;
use tack::manifest::ObjectRef;

fn deployment(name: &str, spec_extra: Value) -> Value {
    let mut d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/app:1"}]}}}});
    if let (Some(spec), Some(extra)) = (d["spec"].as_object_mut(), spec_extra.as_object()) {
        for (k, v) in extra {
            spec.insert(k.clone(), v.clone());
        }
    }
    d
}

async fn apply_and_wait(
    c: &Cluster,
    ns: &str,
    objects: Vec<Value>,
    timeout: Duration,
) -> (Result<(), wait::WaitError>, usize) {
    let opts = ApplyOptions::new("shop", ns);
    let objects = prepared(c, &opts, objects).await;
    run(c, &opts, &objects).await.0.expect("apply");
    let refs: Vec<ObjectRef> = objects.iter().map(ObjectRef::of).collect();
    let mut calls = 0;
    let mut progress = |_: &[(ObjectRef, Readiness)]| calls += 1;
    let stats = Stats::default();
    let got = wait::wait_ready(
        c,
        &Resolver::for_cluster(c),
        &refs,
        timeout,
        &mut progress,
        &stats,
    )
    .await;
    (got, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_ready_sees_a_deployment_roll_out() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-wait-ok").await;
    let objects = vec![cm("cfg", json!({})), deployment("web", json!({}))];
    let (got, calls) = apply_and_wait(&c, &ns, objects, Duration::from_secs(90)).await;
    got.expect("deployment becomes ready");
    assert!(calls >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_ready_fails_fast_on_a_progress_deadline() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-wait-deadline").await;
    // no node matches: pods stay Pending and the controller gives up after the deadline
    let stuck = deployment(
        "stuck",
        json!({"progressDeadlineSeconds": 2,
        "template": {"metadata": {"labels": {"app": "stuck"}}, "spec": {
            "nodeSelector": {"tack.dev/no-such-node": "true"},
            "containers": [{"name": "app", "image": "example.invalid/app:1"}]}}}),
    );
    let start = std::time::Instant::now();
    let (got, _) = apply_and_wait(&c, &ns, vec![stuck], Duration::from_secs(120)).await;
    let err = got.expect_err("progress deadline exceeded");
    assert!(!err.timed_out, "failed fast, not timed out: {err}");
    assert!(start.elapsed() < Duration::from_secs(100));
    let text = err.to_string();
    eprintln!("{text}");
    assert!(
        text.contains(&format!(
            "Deployment {ns}/stuck: failed: progress deadline exceeded"
        )),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_ready_reports_a_failed_job_and_times_out_on_a_pending_one() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-wait-job").await;
    let job = |name: &str, extra: Value| {
        let mut spec = json!({"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never",
            "nodeSelector": {"tack.dev/no-such-node": "true"},
            "containers": [{"name": "job", "image": "example.invalid/job:1"}]}}});
        for (k, v) in extra.as_object().unwrap() {
            spec[k] = v.clone();
        }
        json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name}, "spec": spec})
    };
    let (got, _) = apply_and_wait(
        &c,
        &ns,
        vec![job("doomed", json!({"activeDeadlineSeconds": 2}))],
        Duration::from_secs(90),
    )
    .await;
    let err = got.expect_err("job fails");
    eprintln!("{err}");
    assert!(!err.timed_out, "{err}");
    assert!(
        matches!(&err.not_ready[0].1, Readiness::Failed(why) if why.contains("DeadlineExceeded")),
        "{err}"
    );

    let (got, _) = apply_and_wait(
        &c,
        &ns,
        vec![job("pending", json!({}))],
        Duration::from_secs(4),
    )
    .await;
    let err = got.expect_err("job stays pending");
    eprintln!("{err}");
    assert!(err.timed_out);
    let text = err.to_string();
    assert!(text.contains(&format!("Job {ns}/pending:")), "{text}");
    assert!(text.contains("timed out after 4s"), "{text}");
}
