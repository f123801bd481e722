//! The example chart, rendered by tack and applied by the harness, really rolls out on the test cluster.

use crate::harness::*;
use kube::api::Api;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendered_example_deployment_becomes_available() {
    let client = client().await;
    let ns = namespace(&client, "e2e-rollout").await;
    let stream = ok(tack().args([
        "template",
        "charts/webapp",
        "--env",
        "dev",
        "--tier",
        "private",
        "--name",
        "shop",
        "-n",
        &ns,
    ]));
    let objects = parse_stream(&stream);
    assert!(objects.iter().any(|o| o["kind"] == "Deployment"));
    for obj in &objects {
        apply(&client, &ns, obj).await;
    }
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), &ns);
    eventually(
        Duration::from_secs(90),
        "Deployment shop-webapp Available",
        || {
            let deployments = deployments.clone();
            async move {
                let Ok(d) = deployments.get("shop-webapp").await else {
                    return false;
                };
                let status = d.status.unwrap_or_default();
                status.ready_replicas == Some(1)
                    && status
                        .conditions
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.type_ == "Available" && c.status == "True")
            }
        },
    )
    .await;
}
