//! A stack across two real control planes (the one of KUBECONFIG and a second one, TACK_E2E_KUBECONFIG_B,
//! that tests/run-all.sh starts with its own TACK_TESTENV_DIR): one install deploys instances to both, with
//! the same namespace in each; an upgrade selected by `-l cluster=...` touches one cluster only; one markdown
//! preview covers both; and a third cluster that cannot be reached fails its own instance while the others
//! run.

use crate::harness::*;
use crate::stack::{stack_cmd, stack_file, stamp};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;

/// The kubeconfig of the second control plane. Panics (fails the test) when it is missing.
fn kubeconfig_b() -> PathBuf {
    let path = std::env::var_os("TACK_E2E_KUBECONFIG_B").unwrap_or_else(|| {
        panic!(
            "TACK_E2E_KUBECONFIG_B is not set: the multi-cluster tests need a second control plane.\n\
             Run `bash tests/run-all.sh`, or `TACK_TESTENV_DIR=/tmp/tack-testenv-b tests/testenv/testenv.sh up` \
             and export TACK_E2E_KUBECONFIG_B=/tmp/tack-testenv-b/kubeconfig."
        )
    });
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "TACK_E2E_KUBECONFIG_B `{}` does not exist",
        path.display()
    );
    assert_ne!(
        std::fs::read_to_string(&path).unwrap(),
        std::fs::read_to_string(kubeconfig()).unwrap(),
        "the second control plane must be another one than KUBECONFIG's"
    );
    path
}

async fn client_of(path: &PathBuf) -> kube::Client {
    let kc = Kubeconfig::read_from(path).expect("read kubeconfig");
    let config = kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
        .await
        .expect("load kubeconfig");
    kube::Client::try_from(config).expect("client")
}

/// The ConfigMap `name` in `ns`: (greeting, resourceVersion), or None.
async fn settings(client: &kube::Client, ns: &str, name: &str) -> Option<(String, String)> {
    let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm = api.get_opt(name).await.unwrap()?;
    let greeting = cm
        .data
        .unwrap_or_default()
        .remove("greeting")
        .unwrap_or_default();
    Some((greeting, cm.metadata.resource_version.unwrap()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stack_across_two_clusters_and_one_that_is_down() {
    let (a_path, b_path) = (kubeconfig(), kubeconfig_b());
    let (a, b) = (client_of(&a_path).await, client_of(&b_path).await);
    let ns = format!("multi-{}", stamp());
    let unreachable = repo().join("tests/fixtures/kubeconfig/unreachable.yaml");
    let (_dir, file) = stack_file(&format!(
        "clusters:
  east: {{kubeconfig: {a}}}
  west: {{kubeconfig: {b}}}
  gone: {{kubeconfig: {gone}}}
defaults:
  chart: {{repo}}/tests/fixtures/charts/tenant
  cluster: east
instances:
  - name: shop-east
    namespace: {ns}
    set: [ingress.enabled=true, ingress.host=shop.example.com]
  - name: shop-west
    namespace: {ns}
    cluster: west
    set: [ingress.enabled=true, ingress.host=shop.example.com]
  - name: shop-gone
    namespace: {ns}
    cluster: gone
",
        a = a_path.display(),
        b = b_path.display(),
        gone = unreachable.display(),
    ));

    // one install across both clusters: the same namespace in each is fine, the shared host is a warning,
    // and the cluster that is down fails only its own instance
    let (out, stdout, stderr) = run(&mut stack_cmd(
        &file,
        &[
            "install",
            "--all",
            "--create-namespace",
            "--concurrency",
            "1",
        ],
    ));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("cluster `gone` cannot be reached, so nothing was done here"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 of 3 instances did not succeed: shop-gone")
            || stderr.contains("1 of 3 instances did not succeed: shop-gone"),
        "{stdout}\n{stderr}"
    );
    assert!(
        stderr.contains("both serve host `shop.example.com` path `/`")
            || stdout.contains("both serve host `shop.example.com` path `/`"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("INSTANCE   CLUSTER  NAMESPACE"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("shop-gone") && l.contains(" gone ") && l.contains("failed")),
        "{stdout}"
    );
    let (east0, _) = settings(&a, &ns, "shop-east-settings")
        .await
        .expect("east deployed");
    let (west0, west_rv) = settings(&b, &ns, "shop-west-settings")
        .await
        .expect("west deployed");
    assert_eq!((east0.as_str(), west0.as_str()), ("hello", "hello"));
    assert!(
        settings(&b, &ns, "shop-east-settings").await.is_none(),
        "east's object stays in east"
    );
    assert!(
        settings(&a, &ns, "shop-west-settings").await.is_none(),
        "west's object stays in west"
    );

    // upgrade one cluster only
    ok(&mut stack_cmd(
        &file,
        &["upgrade", "-l", "cluster=east", "--set", "greeting=bye"],
    ));
    let (east1, _) = settings(&a, &ns, "shop-east-settings").await.unwrap();
    let (west1, west_rv1) = settings(&b, &ns, "shop-west-settings").await.unwrap();
    assert_eq!(east1, "bye");
    assert_eq!(
        (west1, west_rv1),
        ("hello".to_string(), west_rv.clone()),
        "west untouched"
    );

    // one markdown preview for both clusters, with a cluster column and a section per cluster
    let (out, md, stderr) = run(&mut stack_cmd(
        &file,
        &[
            "diff",
            "-l",
            "cluster in (east,west)",
            "--set",
            "greeting=third",
            "-o",
            "markdown",
            "--exit-code",
        ],
    ));
    assert_eq!(out.status.code(), Some(2), "{md}\n{stderr}");
    assert_eq!(md.matches("### tack diff:").count(), 1, "one comment: {md}");
    assert!(md.contains("| Cluster | Instance |"), "{md}");
    assert!(md.contains("| `east` | `shop-east` |"), "{md}");
    assert!(md.contains("| `west` | `shop-west` |"), "{md}");
    let east_at = md.find("### Cluster `east`").expect("east section");
    let west_at = md.find("### Cluster `west`").expect("west section");
    assert!(east_at < md.find("#### `shop-east`").unwrap());
    assert!(west_at < md.find("#### `shop-west`").unwrap());
    let (out, json, stderr) = run(&mut stack_cmd(
        &file,
        &["diff", "-l", "cluster in (east,west)", "-o", "json"],
    ));
    assert!(out.status.success(), "{stderr}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    let clusters: Vec<(&str, &str)> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["cluster"].as_str().unwrap()))
        .collect();
    assert_eq!(clusters, [("shop-east", "east"), ("shop-west", "west")]);
    // east was upgraded with greeting=bye, which the stack file does not set: only east would change
    let states: Vec<&str> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["changed", "unchanged"], "{json}");

    // diff --all with the third cluster down: the others are still compared
    let (out, md, _) = run(&mut stack_cmd(&file, &["diff", "--all", "-o", "markdown"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(md.contains("### Cluster `gone`: 1 instance"), "{md}");
    assert!(md.contains("cluster `gone` cannot be reached"), "{md}");
    assert!(
        md.contains("| `east` | `shop-east` |") && md.contains("no changes"),
        "{md}"
    );

    ok(&mut stack_cmd(
        &file,
        &["uninstall", "-l", "cluster in (east,west)"],
    ));
    assert!(settings(&a, &ns, "shop-east-settings").await.is_none());
    assert!(settings(&b, &ns, "shop-west-settings").await.is_none());
}
