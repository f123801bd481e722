//! The tier policy stops a deploy before any write, its override is explicit and reported, and a namespace
//! tack creates carries the tier's Pod Security admission labels so the cluster enforces the same rule.

use crate::harness::*;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;

fn public(cmd: &str, ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args([
        cmd,
        "web",
        "charts/webapp",
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

#[tokio::test]
async fn the_public_tier_refuses_before_any_write_and_labels_the_namespace_it_creates() {
    let client = client().await;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 1_000_000;
    let ns = format!("policy-gate-{stamp}");
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let privileged = [
        "--set",
        "securityContext.privileged=true",
        "--create-namespace",
    ];

    // refused: nothing written, not even the namespace
    let (out, _, err) = run(&mut public("install", &ns, &privileged));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("policy `privileged` (tier public)"), "{err}");
    assert!(
        err.contains("web (tier `public`) breaks its tier policy"),
        "{err}"
    );
    assert!(err.contains("--allow-policy-violations"), "{err}");
    assert!(
        namespaces.get_opt(&ns).await.unwrap().is_none(),
        "nothing was written"
    );

    // a compliant install creates the namespace with the tier's enforce level
    ok(&mut public("install", &ns, &["--create-namespace"]));
    let created = namespaces.get(&ns).await.unwrap();
    let labels = created.metadata.labels.unwrap_or_default();
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce")
            .map(String::as_str),
        Some("restricted"),
        "{labels:?}"
    );
    assert_eq!(
        labels
            .get("pod-security.kubernetes.io/enforce-version")
            .map(String::as_str),
        Some("v1.32"),
        "{labels:?}"
    );

    // diff refuses a change that breaks `restricted`; the override deploys it and says so
    let as_root = ["--set", "podSecurityContext.runAsNonRoot=false"];
    let (out, _, err) = run(&mut public("diff", &ns, &as_root));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("policy `run-as-non-root`"), "{err}");
    assert!(err.contains("breaks its tier policy"), "{err}");
    let mut upgrade = public("upgrade", &ns, &as_root);
    upgrade.arg("--allow-policy-violations");
    let (out, stdout, err) = run(&mut upgrade);
    assert!(out.status.success(), "{stdout}{err}");
    assert!(
        err.contains("overridden by --allow-policy-violations"),
        "{err}"
    );
    assert!(stdout.contains("upgraded release `web`"), "{stdout}");
}
