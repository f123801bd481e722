//! First deploy as the guides run it: lint, template, a server dry run into a namespace that does not exist
//! yet, `install --wait`, then `status` with every object ready.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lint_template_server_dry_run_install_wait_status() {
    let client = client().await;
    let ns = fresh_name("wf-first");

    let out = ok(&mut tack_in_fixture(&[
        "lint",
        "charts/shop",
        "--env",
        "prod",
        "--tier",
        "public",
    ]));
    assert!(out.is_empty() || !out.contains("error"), "{out}");
    let stream = ok(&mut tack_in_fixture(&[
        "template",
        "charts/shop",
        "--env",
        "prod",
        "--tier",
        "public",
        "--name",
        "shop",
        "-n",
        &ns,
    ]));
    let kinds: Vec<String> = parse_stream(&stream)
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect();
    for kind in [
        "Deployment",
        "StatefulSet",
        "Ingress",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
    ] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} in {kinds:?}");
    }
    assert!(
        !kinds.iter().any(|k| k == "ServiceMonitor"),
        "off by default"
    );

    // the server dry run before the first install, into a namespace that does not exist yet
    let (o, out, err) = run(&mut shop(
        "install",
        &ns,
        &["--create-namespace", "--dry-run=server"],
    ));
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains(&format!("namespace `{ns}` does not exist yet; --create-namespace would create it with labels pod-security.kubernetes.io/enforce=restricted")),
        "{out}"
    );
    assert!(
        out.contains("validated by the server: the creation of namespace")
            && out.contains(&format!(
                "the {} objects for it, in the stand-in namespace `default`",
                kinds.len()
            )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "not validated by the server: admission inside `{ns}` (Pod Security `restricted`"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("created (dry) Deployment {ns}/shop-api")),
        "{out}"
    );
    assert!(
        !namespace_exists(&client, &ns).await,
        "a dry run creates no namespace"
    );
    let deployments: Api<k8s_openapi::api::apps::v1::Deployment> =
        Api::namespaced(client.clone(), "default");
    assert!(
        deployments.get_opt("shop-api").await.unwrap().is_none(),
        "nothing was written to the stand-in namespace"
    );

    // the server still refuses what is invalid, naming where it checked
    let (o, _, err) = run(&mut shop(
        "install",
        &ns,
        &[
            "--create-namespace",
            "--dry-run=server",
            "--set",
            "api.port=70000",
        ],
    ));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("stand-in namespace `default`") && err.contains("containerPort"),
        "{err}"
    );
    assert!(!namespace_exists(&client, &ns).await);

    // the install itself, waiting for every object, then status
    let out = ok(&mut shop(
        "install",
        &ns,
        &["--create-namespace", "--wait", "--timeout", "120s"],
    ));
    assert!(out.contains("revision 1 deployed"), "{out}");
    let status = ok(&mut tack_in_fixture(&["status", "shop", "-n", &ns]));
    assert!(status.contains("STATUS: deployed"), "{status}");
    let n = kinds.len();
    assert!(status.contains(&format!("({n} of {n} ready)")), "{status}");
    for line in status
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains(&ns))
    {
        assert!(line.ends_with(": ready"), "{line}\n{status}");
    }
    delete_namespace(&client, &ns).await;
}
