//! Readiness of each supported kind, including the failure cases, on hand-written status JSON.

use super::readiness::{readiness, Readiness};
use serde_json::{json, Value};

fn is_ready(v: &Value) -> bool {
    readiness(v) == Readiness::Ready
}

fn in_progress(v: &Value) -> String {
    match readiness(v) {
        Readiness::InProgress(why) => why,
        other => panic!("expected in progress, got {other:?}"),
    }
}

fn failed(v: &Value) -> String {
    match readiness(v) {
        Readiness::Failed(why) => why,
        other => panic!("expected failed, got {other:?}"),
    }
}

fn deployment(status: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "generation": 2}, "spec": {"replicas": 3}, "status": status})
}

#[test]
fn deployment_ready_when_rolled_out_and_available() {
    let ok = deployment(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
        "readyReplicas": 3, "availableReplicas": 3,
        "conditions": [{"type": "Available", "status": "True"},
                       {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}),
    );
    assert!(is_ready(&ok));
}

#[test]
fn deployment_in_progress_cases() {
    let stale =
        deployment(json!({"observedGeneration": 1, "updatedReplicas": 3, "availableReplicas": 3}));
    assert!(in_progress(&stale).contains("generation 2"));
    assert!(in_progress(&deployment(json!({}))).contains("report status"));
    let updating =
        deployment(json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 1}));
    assert_eq!(in_progress(&updating), "1 of 3 replicas updated");
    let old = deployment(json!({"observedGeneration": 2, "replicas": 4, "updatedReplicas": 3}));
    assert!(in_progress(&old).contains("old replicas"));
    let unavailable = deployment(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
        "availableReplicas": 2}),
    );
    assert_eq!(in_progress(&unavailable), "2 of 3 replicas available");
    let no_condition = deployment(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
        "availableReplicas": 3, "conditions": [{"type": "Available", "status": "False"}]}),
    );
    assert!(in_progress(&no_condition).contains("Available"));
}

#[test]
fn deployment_past_its_progress_deadline_failed() {
    let stuck = deployment(
        json!({"observedGeneration": 2, "replicas": 3, "updatedReplicas": 3,
        "availableReplicas": 0, "conditions": [{"type": "Progressing", "status": "False",
        "reason": "ProgressDeadlineExceeded", "message": "ReplicaSet \"web-1\" has timed out progressing."}]}),
    );
    let why = failed(&stuck);
    assert!(
        why.contains("progress deadline exceeded") && why.contains("timed out"),
        "{why}"
    );
}

#[test]
fn deployment_scaled_to_zero_is_ready() {
    let zero = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"generation": 1},
        "spec": {"replicas": 0}, "status": {"observedGeneration": 1}});
    assert!(is_ready(&zero));
}

#[test]
fn stateful_set_readiness() {
    let sts = |status: Value, strategy: Value| {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"generation": 1}, "spec": {"replicas": 2, "updateStrategy": strategy}, "status": status})
    };
    let rolling = json!({"type": "RollingUpdate"});
    assert!(is_ready(&sts(
        json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
        "currentRevision": "a", "updateRevision": "a"}),
        rolling.clone()
    )));
    assert_eq!(
        in_progress(&sts(
            json!({"observedGeneration": 1, "readyReplicas": 1}),
            rolling.clone()
        )),
        "1 of 2 replicas ready"
    );
    assert!(in_progress(&sts(
        json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 2,
        "currentRevision": "a", "updateRevision": "b"}),
        rolling.clone()
    ))
    .contains("revision"));
    assert!(in_progress(&sts(
        json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 1}),
        rolling
    ))
    .contains("updated"));
    // a partition keeps old pods on purpose
    let partitioned = json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 1}});
    assert!(is_ready(&sts(
        json!({"observedGeneration": 1, "readyReplicas": 2, "updatedReplicas": 1,
        "currentRevision": "a", "updateRevision": "b"}),
        partitioned
    )));
    assert!(is_ready(&sts(
        json!({"observedGeneration": 1, "readyReplicas": 2}),
        json!({"type": "OnDelete"})
    )));
}

#[test]
fn daemon_set_readiness() {
    let ds = |status: Value| {
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"generation": 3}, "status": status})
    };
    assert!(is_ready(&ds(
        json!({"observedGeneration": 3, "desiredNumberScheduled": 2,
        "updatedNumberScheduled": 2, "numberAvailable": 2})
    )));
    assert!(in_progress(&ds(json!({"observedGeneration": 3}))).contains("schedule"));
    assert_eq!(
        in_progress(&ds(
            json!({"observedGeneration": 3, "desiredNumberScheduled": 2,
        "updatedNumberScheduled": 2, "numberAvailable": 1})
        )),
        "1 of 2 pods available"
    );
    assert!(in_progress(&ds(
        json!({"observedGeneration": 2, "desiredNumberScheduled": 2})
    ))
    .contains("generation"));
}

#[test]
fn replica_set_readiness() {
    let rs = |status: Value| {
        json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
        "metadata": {"generation": 1}, "spec": {"replicas": 2}, "status": status})
    };
    assert!(is_ready(&rs(
        json!({"observedGeneration": 1, "availableReplicas": 2})
    )));
    let quota = rs(
        json!({"observedGeneration": 1, "availableReplicas": 0, "conditions": [
        {"type": "ReplicaFailure", "status": "True", "reason": "FailedCreate", "message": "exceeded quota"}]}),
    );
    assert!(in_progress(&quota).contains("exceeded quota"));
}

#[test]
fn job_readiness() {
    let job = |status: Value| {
        json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"completions": 1},
        "status": status})
    };
    assert!(is_ready(&job(
        json!({"succeeded": 1, "conditions": [{"type": "Complete", "status": "True"}]})
    )));
    assert!(in_progress(&job(json!({"active": 1}))).contains("1 active"));
    let why = failed(&job(
        json!({"failed": 1, "conditions": [{"type": "Failed", "status": "True",
        "reason": "BackoffLimitExceeded", "message": "Job has reached the specified backoff limit"}]}),
    ));
    assert!(why.contains("BackoffLimitExceeded"), "{why}");
    let why = failed(&job(
        json!({"conditions": [{"type": "FailureTarget", "status": "True",
        "reason": "DeadlineExceeded", "message": "Job was active longer than specified deadline"}]}),
    ));
    assert!(why.contains("DeadlineExceeded"), "{why}");
    let suspended =
        json!({"apiVersion": "batch/v1", "kind": "Job", "spec": {"suspend": true}, "status": {}});
    assert_eq!(in_progress(&suspended), "suspended");
}

#[test]
fn pvc_readiness() {
    let pvc = |phase: &str| json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "status": {"phase": phase}});
    assert!(is_ready(&pvc("Bound")));
    assert_eq!(in_progress(&pvc("Pending")), "phase Pending");
    assert!(failed(&pvc("Lost")).contains("lost"));
}

#[test]
fn load_balancer_services_wait_for_an_address() {
    let svc = |t: &str, status: Value| {
        json!({"apiVersion": "v1", "kind": "Service",
        "spec": {"type": t}, "status": status})
    };
    assert!(is_ready(&svc("ClusterIP", json!({}))));
    assert!(
        in_progress(&svc("LoadBalancer", json!({"loadBalancer": {}}))).contains("load balancer")
    );
    assert!(is_ready(&svc(
        "LoadBalancer",
        json!({"loadBalancer": {"ingress": [{"ip": "10.0.0.9"}]}})
    )));
}

#[test]
fn crd_readiness() {
    let crd = |conditions: Value| {
        json!({"apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition", "status": {"conditions": conditions}})
    };
    assert!(is_ready(&crd(
        json!([{"type": "Established", "status": "True"}])
    )));
    assert!(in_progress(&crd(json!([]))).contains("established"));
    let clash = crd(
        json!([{"type": "NamesAccepted", "status": "False", "reason": "ListKindConflict",
        "message": "\"WidgetList\" is already in use"}]),
    );
    assert!(failed(&clash).contains("already in use"));
}

#[test]
fn pod_readiness() {
    let pod = |status: Value| json!({"apiVersion": "v1", "kind": "Pod", "status": status});
    assert!(is_ready(&pod(
        json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]})
    )));
    assert!(is_ready(&pod(json!({"phase": "Succeeded"}))));
    assert!(in_progress(&pod(
        json!({"phase": "Pending", "conditions": [{"type": "PodScheduled",
        "status": "False", "reason": "Unschedulable", "message": "0/1 nodes are available"}]})
    ))
    .contains("0/1 nodes"));
    let crash = pod(
        json!({"phase": "Running", "containerStatuses": [{"name": "app",
        "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}}]}),
    );
    assert!(failed(&crash).contains("`app`: CrashLoopBackOff"));
    let pull = pod(
        json!({"phase": "Pending", "initContainerStatuses": [{"name": "init",
        "state": {"waiting": {"reason": "ImagePullBackOff"}}}]}),
    );
    assert!(failed(&pull).contains("ImagePullBackOff"));
    assert!(failed(&pod(json!({"phase": "Failed", "reason": "Evicted"}))).contains("Evicted"));
}

#[test]
fn generic_objects_use_ready_stalled_and_reconciling_conditions() {
    let cr = |status: Value| {
        json!({"apiVersion": "example.com/v1", "kind": "Widget",
        "metadata": {"generation": 2}, "status": status})
    };
    assert!(is_ready(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "data": {}})
    ));
    assert!(is_ready(&cr(
        json!({"conditions": [{"type": "Ready", "status": "True"}]})
    )));
    assert!(in_progress(&cr(
        json!({"conditions": [{"type": "Ready", "status": "False",
        "reason": "Waiting", "message": "for db"}]})
    ))
    .contains("Waiting: for db"));
    assert!(failed(&cr(
        json!({"conditions": [{"type": "Stalled", "status": "True",
        "reason": "BadSpec"}]})
    ))
    .contains("BadSpec"));
    assert!(in_progress(&cr(json!({"observedGeneration": 1}))).contains("generation"));
    let deleting = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"deletionTimestamp": "2024-01-01T00:00:00Z"}});
    assert_eq!(in_progress(&deleting), "being deleted");
}
