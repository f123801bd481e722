//! Why a Service of type LoadBalancer has no address when `--wait` gives up on it: without a load balancer
//! controller (common on bare metal, kind, kwok) nothing ever acts on it, which the Service's events show.

use super::Readiness;
use crate::cluster::apply::Stats;
use crate::cluster::retry::{retry, Budget};
use crate::cluster::Cluster;
use crate::manifest::ObjectRef;
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// The `spec.loadBalancerClass` of `obj` when it is a LoadBalancer Service (`Some(None)` for the default
/// class); `None` for anything else.
pub fn class_of(obj: &Value) -> Option<Option<String>> {
    let lb = obj["apiVersion"] == "v1"
        && obj["kind"] == "Service"
        && obj["spec"]["type"] == "LoadBalancer";
    lb.then(|| {
        obj["spec"]["loadBalancerClass"]
            .as_str()
            .map(str::to_string)
    })
}

/// Replace the state of each LoadBalancer Service still waiting with why it is waiting, read from the events
/// about it. Best effort: a Service whose events cannot be read keeps its state.
pub async fn explain(
    cluster: &Cluster,
    classes: &BTreeMap<ObjectRef, Option<String>>,
    not_ready: &mut [(ObjectRef, Readiness)],
    stats: &Stats,
) {
    for (r, state) in not_ready.iter_mut() {
        let (Some(class), Readiness::InProgress(_), Some(ns)) =
            (classes.get(r), &state, r.namespace.as_deref())
        else {
            continue;
        };
        let api: Api<k8s_openapi::api::core::v1::Event> =
            Api::namespaced(cluster.client.clone(), ns);
        let params = ListParams::default().fields(&format!(
            "involvedObject.kind=Service,involvedObject.name={}",
            r.name
        ));
        let listed = retry(Budget::default(), || {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            api.list(&params)
        })
        .await;
        if let Ok(list) = listed {
            let events: Vec<Value> = list
                .items
                .iter()
                .map(|e| serde_json::to_value(e).expect("events serialize"))
                .collect();
            *state = Readiness::InProgress(why_no_address(class.as_deref(), &events));
        }
    }
}

/// Why a LoadBalancer Service has no address, from the events about it (any type): none means no
/// controller acted on it.
pub fn why_no_address(class: Option<&str>, events: &[Value]) -> String {
    let controller = match class {
        Some(c) => format!("no controller of loadBalancerClass `{c}`"),
        None => "no load balancer controller".to_string(),
    };
    let last = events.iter().max_by_key(|e| {
        e["lastTimestamp"]
            .as_str()
            .or(e["eventTime"].as_str())
            .unwrap_or("")
            .to_string()
    });
    match last {
        None => format!(
            "type LoadBalancer and still no address: {controller} acted on it (the Service has no events), so this cluster may have none"
        ),
        Some(e) => format!(
            "type LoadBalancer and still no address; the last event about it: {}: {}",
            e["reason"].as_str().unwrap_or(""),
            e["message"].as_str().unwrap_or("").trim()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn load_balancer_services_and_their_class() {
        let svc = |spec: Value| json!({"apiVersion": "v1", "kind": "Service", "spec": spec});
        assert_eq!(class_of(&svc(json!({"type": "LoadBalancer"}))), Some(None));
        assert_eq!(
            class_of(&svc(
                json!({"type": "LoadBalancer", "loadBalancerClass": "x.io/lb"})
            )),
            Some(Some("x.io/lb".into()))
        );
        assert_eq!(class_of(&svc(json!({"type": "NodePort"}))), None);
    }

    #[test]
    fn no_events_means_no_controller_acted() {
        let why = why_no_address(None, &[]);
        assert!(
            why.contains("no load balancer controller acted on it"),
            "{why}"
        );
        let why = why_no_address(Some("x.io/lb"), &[]);
        assert!(
            why.contains("no controller of loadBalancerClass `x.io/lb`"),
            "{why}"
        );
        let events = vec![
            json!({"reason": "EnsuringLoadBalancer", "message": "Ensuring load balancer", "lastTimestamp": "2024-01-01T00:00:01Z"}),
            json!({"reason": "SyncLoadBalancerFailed", "message": "quota exceeded ", "lastTimestamp": "2024-01-01T00:00:02Z"}),
        ];
        let why = why_no_address(None, &events);
        assert!(
            why.ends_with("the last event about it: SyncLoadBalancerFailed: quota exceeded"),
            "{why}"
        );
    }
}
