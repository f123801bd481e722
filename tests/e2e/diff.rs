//! `tack diff` end to end against the real API server: upgrade changes (image, ConfigMap key, added and removed
//! templates), drift made by another field manager, Secret values that never appear in any output format,
//! exit codes, `diff rollback`, `diff revisions`, objects owned by others, and `--offline` without a cluster.
//! This file holds the shared helpers; the tests are in `diff/`.

mod live;
mod offline;
mod records;

use crate::harness::*;
use base64::Engine;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams};
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

pub const FORMATS: [&str; 4] = ["diff", "summary", "markdown", "json"];

pub fn web_args(cmd: &[&str], ns: &str, extra: &[&str]) -> Command {
    let mut c = tack();
    c.args(cmd);
    c.args([
        "web",
        "charts/webapp",
        "--env",
        "dev",
        "--tier",
        "private",
        "-n",
        ns,
    ]);
    c.args(extra);
    c
}

pub fn diff(ns: &str, extra: &[&str]) -> Command {
    web_args(&["diff"], ns, extra)
}

pub fn code(cmd: &mut Command) -> (i32, String, String) {
    let (out, stdout, stderr) = run(cmd);
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Fail if `text` holds `secret` in plain or base64 form.
pub fn assert_hidden(text: &str, secret: &str, what: &str) {
    assert!(
        !text.contains(secret),
        "{what} prints the secret value:\n{text}"
    );
    assert!(
        !text.contains(&b64(secret)),
        "{what} prints the secret value in base64:\n{text}"
    );
}

/// resourceVersion of ConfigMaps and Secrets, generation of Deployments: what a write would change.
pub async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let lp = ListParams::default();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for o in cms.list(&lp).await.unwrap().items {
        out.insert(
            format!("cm/{}", o.metadata.name.unwrap()),
            o.metadata.resource_version.unwrap(),
        );
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    for o in secrets.list(&lp).await.unwrap().items {
        out.insert(
            format!("secret/{}", o.metadata.name.unwrap()),
            o.metadata.resource_version.unwrap(),
        );
    }
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    for o in deps.list(&lp).await.unwrap().items {
        out.insert(
            format!("deploy/{}", o.metadata.name.unwrap()),
            o.metadata.generation.unwrap().to_string(),
        );
    }
    out
}

pub fn json_of(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

pub fn object<'a>(doc: &'a Value, kind: &str) -> &'a Value {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {doc:#}"))
}
