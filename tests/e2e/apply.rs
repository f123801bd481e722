//! The apply engine against the real API server: server-side apply, no-op upgrades without writes,
//! ownership refusal and adoption, field-manager conflicts, dry runs, CRDs and redacted Secret errors.
//! Reading and deleting live objects are in `apply/live.rs`, waiting for rollouts in `apply/wait.rs`.

mod live;
mod wait;

use crate::harness::*;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};
use serde_json::{json, Value};
use tack::cluster::apply::{self, ApplyError, ApplyOptions, Outcome, Stats};
use tack::cluster::resources::Resolver;
use tack::cluster::Cluster;
use tack::manifest::{RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION};

async fn cluster() -> Cluster {
    Cluster::new(client().await, "test control plane".into(), None)
}

fn cm(name: &str, data: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": data})
}

async fn prepared(c: &Cluster, opts: &ApplyOptions, objects: Vec<Value>) -> Vec<Value> {
    apply::prepare(&Resolver::new(c.client.clone()), objects, opts)
        .await
        .expect("prepare")
}

/// Apply with a fresh resolver and stats; returns the result and the stats.
async fn run(
    c: &Cluster,
    opts: &ApplyOptions,
    objects: &[Value],
) -> (Result<Vec<apply::Applied>, ApplyError>, Stats) {
    let stats = Stats::default();
    let resolver = Resolver::for_cluster(c);
    let got = apply::apply(c, &resolver, objects, opts, &stats).await;
    (got, stats)
}

async fn get_cm(c: &Cluster, ns: &str, name: &str) -> Option<ConfigMap> {
    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), ns);
    api.get_opt(name).await.expect("get configmap")
}

fn outcomes(applied: &[apply::Applied]) -> Vec<Outcome> {
    applied.iter().map(|a| a.outcome).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_and_a_second_apply_writes_nothing() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-noop").await;
    let opts = ApplyOptions::new("shop", &ns);
    let mut objects: Vec<Value> = (0..3)
        .map(|i| cm(&format!("cfg-{i}"), json!({"k": format!("v{i}"), "n": "1"})))
        .collect();
    objects.push(
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "creds"},
        "stringData": {"password": "hunter2-secret"}}),
    );
    objects.push(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                "spec": {"containers": [{"name": "app", "image": "example.invalid/web:1",
                    "ports": [{"containerPort": 8080}]}]}}}}),
    );
    let objects = prepared(&c, &opts, objects).await;
    assert_eq!(objects[0]["metadata"]["namespace"], ns.as_str());
    assert_eq!(
        objects[0]["metadata"]["annotations"][RELEASE_NAME_ANNOTATION],
        "shop"
    );

    let (first, stats) = run(&c, &opts, &objects).await;
    let first = first.expect("first apply");
    assert!(
        first.iter().all(|a| a.outcome == Outcome::Created),
        "{first:?}"
    );
    assert_eq!(stats.snapshot().1, 5, "one write per object");
    let mut versions: Vec<Value> = Vec::new();
    for a in first.iter().take(3) {
        let live = get_cm(&c, &ns, &a.object.name).await.unwrap();
        versions.push(Value::String(live.metadata.resource_version.unwrap()));
    }

    let (second, stats) = run(&c, &opts, &objects).await;
    let second = second.expect("second apply");
    assert_eq!(outcomes(&second), vec![Outcome::Unchanged; 5]);
    let (reads, writes) = stats.snapshot();
    assert_eq!(writes, 0, "a no-op apply sends no write");
    assert_eq!(
        reads, 3,
        "one read per type and namespace (ConfigMap, Secret, Deployment)"
    );
    for (i, a) in second.iter().enumerate().take(3) {
        let live = get_cm(&c, &ns, &a.object.name).await.unwrap();
        assert_eq!(
            Value::String(live.metadata.resource_version.unwrap()),
            versions[i],
            "resourceVersion kept"
        );
    }

    // a changed value is configured, the rest stay untouched
    let mut changed = objects.clone();
    changed[1]["data"]["k"] = json!("new");
    let (third, stats) = run(&c, &opts, &changed).await;
    let third = third.expect("third apply");
    assert_eq!(third[1].outcome, Outcome::Configured);
    assert_eq!(
        outcomes(&third)
            .iter()
            .filter(|o| **o == Outcome::Unchanged)
            .count(),
        4
    );
    assert_eq!(stats.snapshot().1, 1);

    // a key the chart stops setting is removed, although what remains is a subset of the live object
    let mut dropped = changed.clone();
    dropped[2]["data"].as_object_mut().unwrap().remove("n");
    let (fourth, stats) = run(&c, &opts, &dropped).await;
    assert_eq!(
        fourth.expect("fourth apply")[2].outcome,
        Outcome::Configured
    );
    assert_eq!(stats.snapshot().1, 1);
    let live = get_cm(&c, &ns, "cfg-2").await.unwrap().data.unwrap();
    assert!(!live.contains_key("n"), "{live:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_config_maps_upgrade_without_writes() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-500").await;
    let opts = ApplyOptions::new("bulk", &ns);
    let objects = (0..500)
        .map(|i| cm(&format!("cm-{i:03}"), json!({"i": i.to_string()})))
        .collect();
    let objects = prepared(&c, &opts, objects).await;
    let (first, _) = run(&c, &opts, &objects).await;
    assert_eq!(first.expect("first apply").len(), 500);
    let (second, stats) = run(&c, &opts, &objects).await;
    assert!(second
        .expect("second apply")
        .iter()
        .all(|a| a.outcome == Outcome::Unchanged));
    assert_eq!(stats.snapshot(), (1, 0), "one LIST, no writes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_of_others_are_refused_before_any_write_and_adopted_on_request() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-own").await;
    apply(&c.client, &ns, &cm("by-hand", json!({"a": "1"}))).await;
    let mut foreign = cm("other-release", json!({"a": "1"}));
    foreign["metadata"]["annotations"] = json!({RELEASE_NAME_ANNOTATION: "other",
        RELEASE_NAMESPACE_ANNOTATION: ns});
    apply(&c.client, &ns, &foreign).await;

    let opts = ApplyOptions::new("shop", &ns);
    let objects = prepared(
        &c,
        &opts,
        vec![
            cm("fresh", json!({"a": "1"})),
            cm("by-hand", json!({"a": "2"})),
            cm("other-release", json!({"a": "2"})),
        ],
    )
    .await;
    let (got, stats) = run(&c, &opts, &objects).await;
    if let Err(e) = &got {
        eprintln!("{e}");
    }
    match got {
        Err(ApplyError::Ownership(v)) => {
            assert_eq!(v.len(), 2, "{v:?}");
            assert!(
                v[0].contains("by-hand") && v[0].contains("not managed by tack"),
                "{v:?}"
            );
            assert!(v[1].contains("release `other`"), "{v:?}");
        }
        other => panic!("expected an ownership error, got {other:?}"),
    }
    assert_eq!(stats.snapshot().1, 0);
    assert!(
        get_cm(&c, &ns, "fresh").await.is_none(),
        "nothing was created"
    );
    assert_eq!(
        get_cm(&c, &ns, "by-hand").await.unwrap().data.unwrap()["a"],
        "1"
    );

    let adopt = ApplyOptions {
        adopt: true,
        ..opts.clone()
    };
    let (got, _) = run(&c, &adopt, &objects).await;
    let got = got.expect("adopt");
    assert_eq!(
        outcomes(&got),
        vec![Outcome::Created, Outcome::Configured, Outcome::Configured]
    );
    let taken = get_cm(&c, &ns, "by-hand").await.unwrap();
    assert_eq!(taken.data.unwrap()["a"], "2");
    assert_eq!(
        taken.metadata.annotations.unwrap()[RELEASE_NAME_ANNOTATION],
        "shop"
    );
    // now ours: a plain apply passes
    assert!(run(&c, &opts, &objects).await.0.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_owned_by_another_manager_conflicts_until_forced() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-conflict").await;
    let opts = ApplyOptions::new("shop", &ns);
    let objects = prepared(
        &c,
        &opts,
        vec![cm("cfg", json!({"key": "mine", "keep": "x"}))],
    )
    .await;
    run(&c, &opts, &objects).await.0.expect("first apply");

    let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), &ns);
    let theirs = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"},
        "data": {"key": "theirs"}});
    api.patch(
        "cfg",
        &PatchParams::apply("other").force(),
        &Patch::Apply(&theirs),
    )
    .await
    .expect("other manager takes .data.key");

    let (got, _) = run(&c, &opts, &objects).await;
    match got {
        Err(e @ ApplyError::Conflict { .. }) => {
            let text = e.to_string();
            eprintln!("{text}");
            let ApplyError::Conflict {
                managers,
                fields,
                object,
                ..
            } = e
            else {
                unreachable!()
            };
            assert_eq!(managers, vec!["other"]);
            assert_eq!(fields, vec![".data.key"]);
            assert_eq!(object.to_string(), format!("ConfigMap {ns}/cfg"));
            assert!(text.contains("--force-conflicts"), "{text}");
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        get_cm(&c, &ns, "cfg").await.unwrap().data.unwrap()["key"],
        "theirs"
    );

    let force = ApplyOptions {
        force_conflicts: true,
        ..opts.clone()
    };
    let got = run(&c, &force, &objects).await.0.expect("forced apply");
    assert_eq!(got[0].outcome, Outcome::Configured);
    assert_eq!(
        get_cm(&c, &ns, "cfg").await.unwrap().data.unwrap()["key"],
        "mine"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_creates_nothing_but_is_checked_by_the_server() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-dry").await;
    let opts = ApplyOptions {
        dry_run: true,
        ..ApplyOptions::new("shop", &ns)
    };
    let objects = prepared(&c, &opts, vec![cm("ghost", json!({"a": "1"}))]).await;
    let (got, stats) = run(&c, &opts, &objects).await;
    let got = got.expect("dry run");
    assert_eq!(got[0].outcome, Outcome::Created);
    assert!(got[0].validated, "the server checked it: {got:?}");
    assert_eq!(stats.snapshot().1, 1);
    assert!(get_cm(&c, &ns, "ghost").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_kind_fails_before_any_write() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-unknown").await;
    let opts = ApplyOptions::new("shop", &ns);
    let mut objects = vec![cm("first", json!({}))];
    objects[0]["metadata"]["namespace"] = json!(ns);
    objects.push(
        json!({"apiVersion": "nope.example.com/v1", "kind": "Widget",
        "metadata": {"name": "w", "namespace": ns}}),
    );
    let (got, stats) = run(&c, &opts, &objects).await;
    let err = got.expect_err("unknown kind");
    let text = err.to_string();
    assert!(
        text.contains("no kind `Widget` in `nope.example.com/v1`; is its CRD installed?"),
        "{text}"
    );
    assert_eq!(stats.snapshot().1, 0);
    assert!(get_cm(&c, &ns, "first").await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crd_and_its_objects_apply_in_one_run() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-crd").await;
    let group = format!("{ns}.example.com");
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("widgets.{group}")},
        "spec": {"group": group, "scope": "Namespaced",
            "names": {"kind": "Widget", "plural": "widgets", "singular": "widget", "listKind": "WidgetList"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let widget = json!({"apiVersion": format!("{group}/v1"), "kind": "Widget",
        "metadata": {"name": "w"}, "spec": {"size": 3}});
    let opts = ApplyOptions::new("shop", &ns);
    let objects = prepared(&c, &opts, vec![crd, widget]).await;
    assert_eq!(
        objects[1]["metadata"]["namespace"],
        ns.as_str(),
        "scoped by the CRD in the batch"
    );
    assert!(
        objects[0]["metadata"]["namespace"].is_null(),
        "CRDs are cluster-scoped"
    );
    let got = run(&c, &opts, &objects).await.0.expect("apply CRD and CR");
    assert_eq!(outcomes(&got), vec![Outcome::Created, Outcome::Created]);
    let again = run(&c, &opts, &objects).await.0.expect("again");
    assert_eq!(
        outcomes(&again),
        vec![Outcome::Unchanged, Outcome::Unchanged]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_secret_is_named_without_its_values() {
    let c = cluster().await;
    let ns = namespace(&c.client, "e2e-apply-secret").await;
    let opts = ApplyOptions::new("shop", &ns);
    // a TLS secret without tls.key is invalid
    let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
        "type": "kubernetes.io/tls", "stringData": {"tls.crt": "very-secret-certificate-text"}});
    let objects = prepared(&c, &opts, vec![secret]).await;
    let err = run(&c, &opts, &objects)
        .await
        .0
        .expect_err("invalid secret");
    let text = err.to_string();
    eprintln!("{text}");
    assert!(text.contains(&format!("Secret {ns}/tls")), "{text}");
    assert!(text.contains("tls.key"), "{text}");
    assert!(!text.contains("very-secret-certificate-text"), "{text}");
    assert!(!format!("{err:?}").contains("very-secret-certificate-text"));
}
