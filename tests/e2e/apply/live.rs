//! Reading and deleting live objects: one LIST per type and namespace, and deletes that spare what
//! another owner holds.

use super::{cluster, cm, get_cm, prepared, run};
use crate::harness::*;
use serde_json::json;
use tack::cluster::apply::{self, ApplyOptions, DeleteOutcome, Stats};
use tack::cluster::resources::Resolver;
use tack::manifest::ObjectRef;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_removes_only_owned_objects_in_reverse_order() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-delete").await;
    let opts = ApplyOptions::new("shop", &ns);
    let objects = prepared(&c, &opts, vec![cm("a", json!({})), cm("b", json!({}))]).await;
    run(&c, &opts, &objects).await.0.expect("apply");
    apply(&c.client, &ns, &cm("c", json!({"x": "1"}))).await;

    let refs: Vec<ObjectRef> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| ObjectRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some(ns.clone()),
            name: n.to_string(),
        })
        .collect();
    let stats = Stats::default();
    let resolver = Resolver::for_cluster(&c);
    let done = apply::delete(&c, &resolver, &refs, &opts, &stats)
        .await
        .expect("delete");
    let names: Vec<&str> = done.iter().map(|(r, _)| r.name.as_str()).collect();
    assert_eq!(names, vec!["d", "c", "b", "a"]);
    assert_eq!(done[0].1, DeleteOutcome::AlreadyGone);
    assert!(
        matches!(&done[1].1, DeleteOutcome::KeptNotOwned(who) if who.contains("not managed by tack"))
    );
    assert_eq!(done[2].1, DeleteOutcome::Deleted);
    assert_eq!(done[3].1, DeleteOutcome::Deleted);
    assert!(get_cm(&c, &ns, "a").await.is_none());
    assert!(get_cm(&c, &ns, "c").await.is_some(), "not ours: kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_live_lists_once_per_type_and_namespace() {
    let c = cluster().await;
    let ns1 = namespace(&c.client, "e2e-live-a").await;
    let ns2 = namespace(&c.client, "e2e-live-b").await;
    let mut refs = Vec::new();
    for (ns, n) in [(&ns1, 3), (&ns2, 2)] {
        for i in 0..n {
            let name = format!("cm-{i}");
            apply(&c.client, ns, &cm(&name, json!({}))).await;
            refs.push(ObjectRef {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some(ns.clone()),
                name,
            });
        }
    }
    refs.push(ObjectRef {
        api_version: "v1".into(),
        kind: "ConfigMap".into(),
        namespace: Some(ns1.clone()),
        name: "missing".into(),
    });
    apply(
        &c.client,
        &ns1,
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
    )
    .await;
    refs.push(ObjectRef {
        api_version: "v1".into(),
        kind: "Secret".into(),
        namespace: Some(ns1.clone()),
        name: "s".into(),
    });
    let stats = Stats::default();
    let live = apply::read_live(&c, &Resolver::for_cluster(&c), &refs, &stats)
        .await
        .expect("read_live");
    assert_eq!(live.len(), 6);
    assert!(!live.contains_key(&refs[5]), "missing is absent");
    assert_eq!(live[&refs[0]]["kind"], "ConfigMap");
    assert_eq!(
        stats.snapshot(),
        (3, 0),
        "ConfigMaps in two namespaces, one Secret"
    );
}
