//! A ServiceMonitor switched on in a cluster without the Prometheus operator's CRDs: every deploy command
//! (and the server dry run) names the kind, the template and the value that switches it on, and writes
//! nothing, not even the namespace.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kind_the_cluster_does_not_serve_is_named_before_any_write() {
    let client = client().await;
    let ns = fresh_name("wf-unserved");
    let on = "metrics.serviceMonitor.enabled=true";
    let runs: Vec<(&str, Vec<&str>)> = vec![
        ("install", vec!["--create-namespace", "--set", on]),
        (
            "install",
            vec!["--create-namespace", "--dry-run=server", "--set", on],
        ),
        (
            "upgrade",
            vec!["--install", "--create-namespace", "--set", on],
        ),
        ("diff", vec!["--set", on]),
    ];
    for (cmd, extra) in runs {
        let (o, out, err) = run(&mut shop(cmd, &ns, &extra));
        assert_eq!(o.status.code(), Some(1), "{cmd} {extra:?}: {out}\n{err}");
        assert!(
            err.contains("ServiceMonitor shop-api (`monitoring.coreos.com/v1`, from templates/servicemonitor.yaml.j2, switched on by metrics.serviceMonitor.enabled=true)"),
            "{cmd}: {err}"
        );
        assert!(
            err.contains("--set metrics.serviceMonitor.enabled=false"),
            "{cmd}: {err}"
        );
        assert!(!namespace_exists(&client, &ns).await, "{cmd} wrote nothing");
    }

    // into an existing namespace: no object and no release record
    let ns = namespace(&client, "wf-unserved").await;
    create_secret(&client, &ns, "shop-secrets").await;
    let (o, _, err) = run(&mut shop("upgrade", &ns, &["--install", "--set", on]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(records(&client, &ns, "shop").await, 0);
    assert!(object_versions(&client, &ns)
        .await
        .keys()
        .all(|k| k == "Secret/shop-secrets"));

    // switched off, the same chart installs
    ok(&mut shop("upgrade", &ns, &["--install"]));
    delete_namespace(&client, &ns).await;
}
