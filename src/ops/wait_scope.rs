//! Which objects `--wait` waits on: every object of the revision, less the Services of type LoadBalancer
//! when `--wait-skip-load-balancers` is given (a cluster without a load balancer controller never gives
//! them an address, so waiting on them can only time out).

use crate::release::ObjectId;
use serde_json::Value;

/// (waited on, skipped) of `ids` (the identities of `objects`, in the same order).
pub fn wait_targets(
    objects: &[Value],
    ids: &[ObjectId],
    skip_load_balancers: bool,
) -> (Vec<ObjectId>, Vec<ObjectId>) {
    ids.iter()
        .zip(objects)
        .map(|(id, obj)| (id.clone(), skip_load_balancers && is_load_balancer(obj)))
        .fold((Vec::new(), Vec::new()), |(mut wait, mut skip), (id, s)| {
            if s {
                skip.push(id);
            } else {
                wait.push(id);
            }
            (wait, skip)
        })
}

/// Whether `obj` is a core Service of type LoadBalancer.
pub fn is_load_balancer(obj: &Value) -> bool {
    obj["apiVersion"] == "v1" && obj["kind"] == "Service" && obj["spec"]["type"] == "LoadBalancer"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::core::object_id;
    use serde_json::json;

    #[test]
    fn only_load_balancer_services_are_skipped_and_only_when_asked() {
        let objects = vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "lb"}, "spec": {"type": "LoadBalancer"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "plain"}, "spec": {"type": "ClusterIP"}}),
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"}}),
        ];
        let ids: Vec<ObjectId> = objects.iter().map(object_id).collect();
        let names = |v: &[ObjectId]| v.iter().map(|i| i.name.clone()).collect::<Vec<_>>();
        let (wait, skip) = wait_targets(&objects, &ids, true);
        assert_eq!(names(&wait), ["plain", "web"]);
        assert_eq!(names(&skip), ["lb"]);
        let (wait, skip) = wait_targets(&objects, &ids, false);
        assert_eq!(names(&wait), ["lb", "plain", "web"]);
        assert!(skip.is_empty());
    }
}
