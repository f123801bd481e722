//! The workflows teams run today (lint, template, server dry run, install --wait, status; diff before
//! upgrade; history and rollback; drift made by hand; Secrets created outside the chart; a kind the cluster
//! does not serve; CI's upgrade --install; one chart as private, work and public instances), one test per
//! workflow, run the way a runbook runs them against `tests/fixtures/workflows`.

mod ci;
mod drift;
mod external_secret;
mod first_deploy;
mod lint_cluster;
mod tiers;
mod unserved_kind;
mod upgrade_rollback;

use crate::harness::*;
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use std::collections::BTreeMap;
use std::process::Command;

/// The folder a runbook runs in: the shop chart, its values layers and its stack file.
pub(crate) fn fixture() -> std::path::PathBuf {
    repo().join("tests/fixtures/workflows")
}

/// `tack ARGS` run from the fixture folder.
pub(crate) fn tack_in_fixture(args: &[&str]) -> Command {
    let mut c = tack();
    c.current_dir(fixture()).args(args);
    c
}

/// `tack CMD shop charts/shop --env prod --tier public -n NS EXTRA...`.
pub(crate) fn shop(cmd: &str, ns: &str, extra: &[&str]) -> Command {
    let mut c = tack_in_fixture(&[
        cmd,
        "shop",
        "charts/shop",
        "--env",
        "prod",
        "--tier",
        "public",
        "-n",
        ns,
    ]);
    c.args(extra);
    c
}

/// A namespace name no other run shares, not created.
pub(crate) fn fresh_name(prefix: &str) -> String {
    format!("{prefix}-{}", crate::stack::stamp())
}

/// `kubectl create secret generic NAME -n NS --from-literal=secret-key=... --from-literal=db-password=...`:
/// the Secret the chart references by name, written with kubectl's field manager.
pub(crate) async fn create_secret(client: &kube::Client, ns: &str, name: &str) {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "type": "Opaque",
        "stringData": {"secret-key": "s3cr3t-k3y-value", "db-password": "db-pa55-value"}
    }))
    .unwrap();
    let pp = PostParams {
        field_manager: Some("kubectl-create".into()),
        ..Default::default()
    };
    api.create(&pp, &secret).await.expect("create secret");
}

/// Whether namespace `ns` exists.
pub(crate) async fn namespace_exists(client: &kube::Client, ns: &str) -> bool {
    let api: Api<Namespace> = Api::all(client.clone());
    api.get_opt(ns).await.unwrap().is_some()
}

/// Delete a namespace a workflow created (tests that create their own clean up after themselves).
pub(crate) async fn delete_namespace(client: &kube::Client, ns: &str) {
    let api: Api<Namespace> = Api::all(client.clone());
    let _ = api.delete(ns, &Default::default()).await;
}

/// Release record Secrets of release `name` in `ns`.
pub(crate) async fn records(client: &kube::Client, ns: &str, name: &str) -> usize {
    let api: Api<Secret> = Api::namespaced(client.clone(), ns);
    api.list(
        &ListParams::default().labels(&format!("tack.dev/release={name},tack.dev/record=index")),
    )
    .await
    .unwrap()
    .items
    .len()
}

/// resourceVersion of every object of the kinds the shop chart renders in `ns` (release records and
/// locks excluded): what any object write would change. Deployments and StatefulSets by generation (their
/// status keeps changing under the controllers).
pub(crate) async fn object_versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    use kube::api::DynamicObject;
    use kube::discovery::ApiResource;
    let mut out = BTreeMap::new();
    let kinds: [(&str, &str, &str, &str); 9] = [
        ("", "v1", "ConfigMap", "configmaps"),
        ("", "v1", "Service", "services"),
        ("apps", "v1", "Deployment", "deployments"),
        ("apps", "v1", "StatefulSet", "statefulsets"),
        (
            "networking.k8s.io",
            "v1",
            "NetworkPolicy",
            "networkpolicies",
        ),
        ("networking.k8s.io", "v1", "Ingress", "ingresses"),
        (
            "policy",
            "v1",
            "PodDisruptionBudget",
            "poddisruptionbudgets",
        ),
        (
            "autoscaling",
            "v2",
            "HorizontalPodAutoscaler",
            "horizontalpodautoscalers",
        ),
        ("", "v1", "Secret", "secrets"),
    ];
    for (group, version, kind, plural) in kinds {
        let ar = ApiResource {
            group: group.into(),
            version: version.into(),
            api_version: if group.is_empty() {
                version.into()
            } else {
                format!("{group}/{version}")
            },
            kind: kind.into(),
            plural: plural.into(),
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), ns, &ar);
        for o in api.list(&ListParams::default()).await.unwrap().items {
            let name = o.metadata.name.clone().unwrap();
            let labels = o.metadata.labels.clone().unwrap_or_default();
            if labels.contains_key("tack.dev/record") || name == "kube-root-ca.crt" {
                continue;
            }
            let v = match kind {
                "Deployment" | "StatefulSet" | "HorizontalPodAutoscaler" => {
                    format!("gen {}", o.metadata.generation.unwrap_or_default())
                }
                _ => o.metadata.resource_version.clone().unwrap(),
            };
            out.insert(format!("{kind}/{name}"), v);
        }
    }
    out
}

/// A merge patch as a kubectl command would send it, with that command's field manager.
pub(crate) async fn kubectl_patch<K>(
    api: &Api<K>,
    name: &str,
    manager: &str,
    patch: serde_json::Value,
) where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    api.patch(
        name,
        &PatchParams {
            field_manager: Some(manager.into()),
            ..Default::default()
        },
        &Patch::Merge(&patch),
    )
    .await
    .unwrap_or_else(|e| panic!("{manager} patch of {name}: {e}"));
}
