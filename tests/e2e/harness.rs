//! Shared e2e plumbing: the kubeconfig of the test control plane, a fresh namespace per test, running the
//! `tack` binary, and applying objects the way a controller-free harness would.

#![allow(dead_code)]

use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::GroupVersionKind;
use kube::Client;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// The kubeconfig of the test control plane. Panics (fails the test) when it is missing: e2e tests never skip.
pub fn kubeconfig() -> PathBuf {
    let path = std::env::var_os("KUBECONFIG").unwrap_or_else(|| {
        panic!(
            "KUBECONFIG is not set: e2e tests need the test control plane.\n\
             Run `bash tests/run-all.sh`, or `tests/testenv/testenv.sh up` then `eval \"$(tests/testenv/testenv.sh env)\"`."
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "KUBECONFIG `{}` does not exist: is the test control plane up? (tests/testenv/testenv.sh status)",
        path.display()
    );
    path
}

/// The repository root (where `charts/` and `values/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `tack` command run from the repository root with the test kubeconfig.
pub fn tack() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tack"));
    cmd.current_dir(repo())
        .env("KUBECONFIG", kubeconfig())
        .env("NO_COLOR", "1");
    cmd
}

/// Run a command and return its output, with stdout and stderr as text.
pub fn run(cmd: &mut Command) -> (Output, String, String) {
    let out = cmd.output().expect("failed to start tack");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out, stdout, stderr)
}

/// Run and require success, returning stdout.
pub fn ok(cmd: &mut Command) -> String {
    let (out, stdout, stderr) = run(cmd);
    assert!(
        out.status.success(),
        "command failed ({:?}): {cmd:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    stdout
}

/// A kube client for the test control plane.
pub async fn client() -> Client {
    let kc = Kubeconfig::read_from(kubeconfig()).expect("read kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("load kubeconfig");
    Client::try_from(config).expect("client")
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Create a fresh namespace named after the test; it is deleted when the test's guard drops.
pub async fn namespace(client: &Client, prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 1_000_000;
    let name = format!("{prefix}-{stamp}-{n}");
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let ns: k8s_openapi::api::core::v1::Namespace =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
    api.create(&PostParams::default(), &ns)
        .await
        .expect("create namespace");
    name
}

/// Server-side apply a parsed object (as the harness, not as tack).
pub async fn apply(client: &Client, namespace: &str, obj: &serde_json::Value) {
    let api_version = obj["apiVersion"].as_str().unwrap();
    let kind = obj["kind"].as_str().unwrap();
    let name = obj["metadata"]["name"].as_str().unwrap();
    let (group, version) = match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let (ar, caps) = kube::discovery::pinned_kind(client, &gvk)
        .await
        .unwrap_or_else(|e| panic!("discover {api_version} {kind}: {e}"));
    let api: Api<DynamicObject> = if caps.scope == kube::discovery::Scope::Namespaced {
        Api::namespaced_with(client.clone(), namespace, &ar)
    } else {
        Api::all_with(client.clone(), &ar)
    };
    api.patch(name, &PatchParams::apply("e2e-harness"), &Patch::Apply(obj))
        .await
        .unwrap_or_else(|e| panic!("apply {kind} {name}: {e}"));
}

/// Poll `check` every 250 ms until it returns true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    loop {
        if check().await {
            return;
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Parse a YAML stream printed by `tack template` into objects.
pub fn parse_stream(stream: &str) -> Vec<serde_json::Value> {
    stream
        .split("\n---\n")
        .flat_map(|d| d.strip_prefix("---\n").or(Some(d)))
        .filter(|d| {
            d.lines()
                .any(|l| !l.trim().is_empty() && !l.starts_with('#'))
        })
        .map(|d| serde_yaml::from_str::<serde_json::Value>(d).expect("valid YAML document"))
        .collect()
}

/// `tack CMD web charts/webapp --env dev --tier private -n NS EXTRA...`: the release most e2e tests use.
pub fn webapp(cmd: &str, ns: &str, extra: &[&str]) -> Command {
    let mut c = tack();
    c.args([
        cmd,
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

/// (revision, status) of every revision of release `web` in `ns`, oldest first.
pub fn history(ns: &str) -> Vec<(u64, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&ok(tack().args(["history", "web", "-n", ns, "-o", "json"]))).unwrap();
    json.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["revision"].as_u64().unwrap(),
                s["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}
