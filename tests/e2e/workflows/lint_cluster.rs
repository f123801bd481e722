//! `lint --cluster` before a first deploy, read only: a kind the cluster does not serve is named with its
//! template and switch, a Secret the chart expects from outside (`--external`) must exist, and once both are
//! in order the same lint passes; nothing is written.

use super::*;

fn lint(ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack_in_fixture(&[
        "lint",
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_with_cluster_access_names_unserved_kinds_and_missing_external_secrets() {
    let client = client().await;
    let ns = namespace(&client, "wf-lint").await;

    // offline, the Secret the chart does not render is a warning that says how to declare it
    let (o, _, err) = run(&mut lint(&ns, &[]));
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("references Secret `shop-secrets`, which the chart does not render")
            && err.contains("--external Secret/shop-secrets"),
        "{err}"
    );

    // with the cluster: the ServiceMonitor's kind is not served, the declared Secret does not exist
    let (o, _, err) = run(&mut lint(
        &ns,
        &[
            "--cluster",
            "--external",
            "Secret/shop-secrets",
            "--set",
            "metrics.serviceMonitor.enabled=true",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("ServiceMonitor release-name-api")
            && err.contains("metrics.serviceMonitor.enabled=true"),
        "{err}"
    );
    assert!(
        err.contains("Secret `shop-secrets` is declared external (--external Secret/shop-secrets) but does not exist in namespace"),
        "{err}"
    );
    assert!(
        !err.contains("references Secret `shop-secrets`"),
        "declared: no warning: {err}"
    );

    // the Secret created as `kubectl create secret` would, the monitor off: clean, and nothing was written
    create_secret(&client, &ns, "shop-secrets").await;
    let (o, _, err) = run(&mut lint(
        &ns,
        &["--cluster", "--external", "Secret/shop-secrets", "--strict"],
    ));
    assert!(o.status.success(), "{err}");
    assert_eq!(records(&client, &ns, "shop").await, 0);
    assert!(object_versions(&client, &ns)
        .await
        .keys()
        .all(|k| k == "Secret/shop-secrets"));
    delete_namespace(&client, &ns).await;
}
