//! A Secret created outside the chart (`kubectl create secret generic`) and referenced by name: tack neither
//! adopts it (no ownership annotations, not in the release), nor prunes it on upgrade or uninstall, and its
//! values appear in no output.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_from_kubectl_is_never_adopted_nor_pruned() {
    let client = client().await;
    let ns = namespace(&client, "wf-secret").await;
    create_secret(&client, &ns, "shop-secrets").await;
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &ns);
    let before = secrets.get("shop-secrets").await.unwrap();

    let out = ok(&mut shop("install", &ns, &["--wait"]));
    assert!(
        !out.contains("Secret"),
        "the chart renders no Secret: {out}"
    );
    ok(&mut shop("upgrade", &ns, &["--set", "image.tag=1.5.0"]));
    let manifest = ok(&mut tack_in_fixture(&[
        "get", "manifest", "shop", "-n", &ns,
    ]));
    assert!(
        manifest.contains("name: shop-secrets"),
        "referenced by name: {manifest}"
    );
    assert!(!manifest.contains("kind: Secret"), "{manifest}");
    let status = ok(&mut tack_in_fixture(&["status", "shop", "-n", &ns]));
    assert!(
        !status.contains("Secret"),
        "not an object of the release: {status}"
    );

    let after = secrets.get("shop-secrets").await.unwrap();
    assert_eq!(
        after.metadata.resource_version, before.metadata.resource_version,
        "never written"
    );
    let annotations = after.metadata.annotations.unwrap_or_default();
    assert!(
        !annotations.keys().any(|k| k.starts_with("tack.dev/")),
        "not adopted: {annotations:?}"
    );

    let out = ok(&mut tack_in_fixture(&["uninstall", "shop", "-n", &ns]));
    assert!(!out.contains("shop-secrets"), "{out}");
    assert!(
        secrets.get_opt("shop-secrets").await.unwrap().is_some(),
        "kept after uninstall"
    );
    for text in [&out, &manifest, &status] {
        assert!(!text.contains("s3cr3t") && !text.contains("db-pa55"));
    }
    delete_namespace(&client, &ns).await;
}
