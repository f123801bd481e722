//! The upgrade workflow: `diff` before the upgrade of an image tag, the upgrade, `history`, then `rollback`
//! to the previous revision and `rollback 2`.

use super::*;
use k8s_openapi::api::apps::v1::Deployment;

fn image(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diff_upgrade_history_rollback_previous_and_numbered() {
    let client = client().await;
    let ns = namespace(&client, "wf-upgrade").await;
    create_secret(&client, &ns, "shop-secrets").await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    ok(&mut shop("install", &ns, &["--wait"]));
    let tag = |t: &str| format!("registry.example.com/shop/api:{t}");
    assert_eq!(
        image(&deployments.get("shop-api").await.unwrap()),
        tag("1.4.0")
    );

    // review, then upgrade: the diff names the image change and exits 2 with --exit-code
    let (o, out, err) = run(&mut shop(
        "diff",
        &ns,
        &["--set", "image.tag=1.5.0", "--exit-code"],
    ));
    assert_eq!(o.status.code(), Some(2), "{out}\n{err}");
    assert!(
        out.contains("Deployment") && out.contains("shop-api"),
        "{out}"
    );
    assert!(
        out.contains("-") && out.contains("1.4.0") && out.contains("+") && out.contains("1.5.0"),
        "{out}"
    );
    assert!(
        !out.contains("s3cr3t") && !out.contains("db-pa55"),
        "no Secret value in a diff"
    );
    let out = ok(&mut shop(
        "upgrade",
        &ns,
        &["--set", "image.tag=1.5.0", "--wait"],
    ));
    assert!(out.contains("revision 2 deployed"), "{out}");
    assert_eq!(
        image(&deployments.get("shop-api").await.unwrap()),
        tag("1.5.0")
    );

    // after the upgrade, the same diff is quiet
    let (o, out, _) = run(&mut shop(
        "diff",
        &ns,
        &["--set", "image.tag=1.5.0", "--exit-code"],
    ));
    assert_eq!(o.status.code(), Some(0), "{out}");

    let hist = ok(&mut tack_in_fixture(&["history", "shop", "-n", &ns]));
    for (rev, status) in [("1", "superseded"), ("2", "deployed")] {
        assert!(
            hist.lines()
                .any(|l| l.starts_with(rev) && l.contains(status)),
            "revision {rev} {status}: {hist}"
        );
    }

    // rollback to the previous revision (1), then to a numbered one (2)
    let out = ok(&mut tack_in_fixture(&[
        "rollback", "shop", "-n", &ns, "--wait",
    ]));
    assert!(out.contains("revision 3"), "{out}");
    assert_eq!(
        image(&deployments.get("shop-api").await.unwrap()),
        tag("1.4.0")
    );
    let out = ok(&mut tack_in_fixture(&[
        "rollback", "shop", "2", "-n", &ns, "--wait",
    ]));
    assert!(out.contains("revision 4"), "{out}");
    assert_eq!(
        image(&deployments.get("shop-api").await.unwrap()),
        tag("1.5.0")
    );
    let hist = ok(&mut tack_in_fixture(&["history", "shop", "-n", &ns]));
    assert!(
        hist.lines()
            .any(|l| l.starts_with('4') && l.contains("deployed") && l.contains('2')),
        "{hist}"
    );
    delete_namespace(&client, &ns).await;
}
