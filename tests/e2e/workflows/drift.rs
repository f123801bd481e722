//! Drift made by hand between upgrades (`kubectl scale`, `kubectl rollout restart`, `kubectl edit` of a
//! ConfigMap, and an HPA resizing the API): `diff` reports each change tack's fields went through as drift
//! with the field manager that made it; as docs/diff.md says, a plain `upgrade` refuses to take fields back
//! from those managers (naming them) and `upgrade --force-conflicts` restores the fields tack sets while
//! leaving the fields it never set (the restart annotation, the replicas the HPA owns) alone.

use super::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::ConfigMap;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scale_restart_and_edit_are_drift_and_a_forced_upgrade_restores_only_what_tack_sets() {
    let client = client().await;
    let ns = namespace(&client, "wf-drift").await;
    create_secret(&client, &ns, "shop-secrets").await;
    ok(&mut shop("install", &ns, &["--wait"]));
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);

    // kubectl scale deploy shop-worker --replicas=5 (prod renders 2)
    kubectl_patch(
        &deployments,
        "shop-worker",
        "kubectl-scale",
        serde_json::json!({"spec": {"replicas": 5}}),
    )
    .await;
    // kubectl rollout restart deploy shop-api
    kubectl_patch(
        &deployments,
        "shop-api",
        "kubectl-rollout",
        serde_json::json!({"spec": {"template": {"metadata": {"annotations": {
            "kubectl.kubernetes.io/restartedAt": "2026-01-01T00:00:00Z"}}}}}),
    )
    .await;
    // kubectl edit cm shop-config (LOG_LEVEL warn -> debug)
    kubectl_patch(
        &cms,
        "shop-config",
        "kubectl-edit",
        serde_json::json!({"data": {"LOG_LEVEL": "debug"}}),
    )
    .await;
    // the HPA resizes the API (tack renders no replicas when autoscaling is on)
    kubectl_patch(
        &deployments,
        "shop-api",
        "horizontal-pod-autoscaler",
        serde_json::json!({"spec": {"replicas": 4}}),
    )
    .await;

    let (o, out, err) = run(&mut shop("diff", &ns, &["--exit-code"]));
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    let drift = out
        .split_once("drift")
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| panic!("a drift section: {out}"));
    assert!(
        drift.contains("Deployment") && drift.contains("shop-worker"),
        "{out}"
    );
    assert!(
        drift.contains("kubectl-scale"),
        "who scaled the worker: {out}"
    );
    assert!(
        drift.contains("ConfigMap") && drift.contains("shop-config"),
        "{out}"
    );
    assert!(
        drift.contains("kubectl-edit"),
        "who edited the ConfigMap: {out}"
    );
    assert!(
        !out.contains("restartedAt"),
        "tack never set the restart annotation: {out}"
    );
    assert!(
        !out.contains("horizontal-pod-autoscaler"),
        "tack never set the API's replicas: {out}"
    );

    assert!(
        out.contains("field manager `kubectl-edit` owns .data.LOG_LEVEL"),
        "the diff warns of the conflict: {out}"
    );

    let (o, _, err) = run(&mut shop("upgrade", &ns, &["--wait"]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("field manager `kubectl-edit` owns fields that tack sets")
            && err.contains(".data.LOG_LEVEL"),
        "{err}"
    );
    assert!(err.contains("--force-conflicts"), "{err}");
    let cm = cms.get("shop-config").await.unwrap();
    assert_eq!(
        cm.data.unwrap()["LOG_LEVEL"],
        "debug",
        "nothing taken back without the flag"
    );

    let out = ok(&mut shop("upgrade", &ns, &["--wait", "--force-conflicts"]));
    assert!(out.contains("revision 3 deployed"), "{out}");
    let worker = deployments.get("shop-worker").await.unwrap();
    assert_eq!(
        worker.spec.unwrap().replicas,
        Some(2),
        "tack's replicas restored"
    );
    let cm = cms.get("shop-config").await.unwrap();
    assert_eq!(
        cm.data.unwrap()["LOG_LEVEL"],
        "warn",
        "tack's value restored"
    );
    let api = deployments.get("shop-api").await.unwrap();
    let spec = api.spec.unwrap();
    assert_eq!(
        spec.replicas,
        Some(4),
        "the HPA's replicas are not fought over"
    );
    let annotations = spec
        .template
        .metadata
        .unwrap()
        .annotations
        .unwrap_or_default();
    assert_eq!(
        annotations
            .get("kubectl.kubernetes.io/restartedAt")
            .map(String::as_str),
        Some("2026-01-01T00:00:00Z"),
        "the restart annotation is left alone"
    );

    // after the upgrade nothing has drifted
    let (o, out, _) = run(&mut shop("diff", &ns, &["--exit-code"]));
    assert_eq!(o.status.code(), Some(0), "{out}");
    delete_namespace(&client, &ns).await;
}
