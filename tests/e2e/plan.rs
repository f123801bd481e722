//! Plan approval (RELIABILITY scenario 11): `tack diff --save-plan` records what it showed; `tack upgrade
//! --plan` applies exactly that, and refuses, naming the object, when another field manager changed an
//! object since, or when the values or the deployed revision changed.

use crate::harness::*;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams};

fn save(ns: &str, plan: &std::path::Path) -> serde_json::Value {
    let p = plan.to_str().unwrap();
    let (o, out, err) = run(&mut webapp(
        "diff",
        ns,
        &["--set", "replicaCount=2", "--save-plan", p],
    ));
    assert!(o.status.success(), "{out}{err}");
    assert!(err.contains("saved the plan"), "{err}");
    serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approved_plan_is_applied_only_while_nothing_it_showed_changed() {
    let client = client().await;
    let ns = namespace(&client, "e2e-plan").await;
    ok(&mut webapp("install", &ns, &[]));
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.json");
    let saved = save(&ns, &plan);
    assert_eq!(saved["apiVersion"], "tack.dev/plan/v1");
    assert_eq!(saved["revision"], 1);
    let objects = saved["objects"].as_array().unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o["kind"] == "Deployment" && o["action"] == "change"),
        "{saved}"
    );
    assert!(
        objects.iter().all(|o| o["resourceVersion"].is_string()),
        "every object exists with a version: {saved}"
    );
    let text = std::fs::read_to_string(&plan).unwrap();
    assert!(!text.contains("c2VjcmV0"), "no Secret data in the plan");

    // someone else changes a planned object: the plan is refused, naming it, and nothing is written
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    let patch = serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "web-webapp", "annotations": {"reviewed-by": "ops"}}
    });
    cms.patch(
        "web-webapp",
        &PatchParams::apply("someone-else"),
        &Patch::Apply(&patch),
    )
    .await
    .unwrap();
    let p = plan.to_str().unwrap();
    let (o, out, err) = run(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "replicaCount=2", "--plan", p],
    ));
    assert_eq!(o.status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("no longer matches")
            && err.contains(&format!(
                "ConfigMap {ns}/web-webapp changed since the plan was saved"
            )),
        "{err}"
    );
    assert_eq!(
        history(&ns),
        [(1, "deployed".to_string())],
        "nothing written"
    );

    // other values than the approved ones are refused too
    save(&ns, &plan);
    let (o, _, err) = run(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "replicaCount=3", "--plan", p],
    ));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the values changed"), "{err}");
    assert_eq!(history(&ns), [(1, "deployed".to_string())]);

    // untouched: the plan is applied
    let out = ok(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "replicaCount=2", "--plan", p],
    ));
    assert!(out.contains("upgraded"), "{out}");
    assert_eq!(
        history(&ns),
        [(1, "superseded".to_string()), (2, "deployed".to_string())]
    );
    // and cannot be applied twice: the deployed revision changed
    let (o, _, err) = run(&mut webapp(
        "upgrade",
        &ns,
        &["--set", "replicaCount=2", "--plan", p],
    ));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("the deployed revision changed"), "{err}");
}
