//! One chart as private, work and public instances from `tack.yaml`, each in its own namespace with its own
//! Secret: installed together, then an upgrade of one tier leaves the others untouched.

use super::*;
use k8s_openapi::api::networking::v1::Ingress;

/// The fixture's tack.yaml with namespaces no other run shares and the chart and values by absolute path.
fn stack_for_run(suffix: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let text = std::fs::read_to_string(fixture().join("tack.yaml")).unwrap();
    let text = text
        .replace("namespace: shop-", &format!("namespace: wf{suffix}-"))
        .replace(
            "chart: charts/shop",
            "chart: {repo}/tests/fixtures/workflows/charts/shop",
        )
        .replace(
            "valuesDir: values",
            "valuesDir: {repo}/tests/fixtures/workflows/values",
        );
    crate::stack::stack_file(&text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_work_and_public_instances_and_an_upgrade_of_one_tier() {
    let client = client().await;
    let suffix = crate::stack::stamp();
    let (_dir, file) = stack_for_run(&suffix);
    let nss: Vec<String> = ["private", "work", "public"]
        .iter()
        .map(|t| format!("wf{suffix}-{t}"))
        .collect();
    let stack = |args: &[&str]| crate::stack::stack_cmd(&file, args);

    ok(&mut stack(&["lint", "--all"]));
    // each instance's Secret exists before its install, as the guide does it
    for (ns, tier) in nss.iter().zip(["private", "work", "public"]) {
        let api: Api<Namespace> = Api::all(client.clone());
        let obj: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).unwrap();
        api.create(&PostParams::default(), &obj).await.unwrap();
        create_secret(&client, ns, &format!("shop-secrets-{tier}")).await;
    }
    let out = ok(&mut stack(&["install", "--all", "--wait"]));
    for name in ["shop-private", "shop-work", "shop-public"] {
        assert!(out.contains(name), "{out}");
    }
    // each tier as its layer makes it
    let ingresses = |ns: &str| Api::<Ingress>::namespaced(client.clone(), ns);
    assert!(ingresses(&nss[0])
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .is_empty());
    let work = ingresses(&nss[1]).get("shop-work-api").await.unwrap();
    assert_eq!(
        work.spec.unwrap().ingress_class_name.as_deref(),
        Some("internal")
    );
    let public = ingresses(&nss[2]).get("shop-public-api").await.unwrap();
    assert_eq!(
        public.spec.unwrap().ingress_class_name.as_deref(),
        Some("nginx")
    );

    let others = [(&nss[0], "shop-private"), (&nss[1], "shop-work")];
    let mut before = Vec::new();
    for (ns, name) in others {
        before.push((
            object_versions(&client, ns).await,
            records(&client, ns, name).await,
        ));
    }
    let out = ok(&mut stack(&[
        "upgrade",
        "--instance",
        "shop-public",
        "--set",
        "image.tag=1.5.0",
    ]));
    assert!(
        out.contains("shop-public") && out.contains("upgraded"),
        "{out}"
    );
    assert!(
        !out.contains("shop-private") && !out.contains("shop-work"),
        "{out}"
    );
    for ((ns, name), before) in others.iter().zip(&before) {
        let now = (
            object_versions(&client, ns).await,
            records(&client, ns, name).await,
        );
        assert_eq!(&now, before, "instance {name} untouched");
    }
    assert_eq!(records(&client, &nss[2], "shop-public").await, 2);
    let d: Api<k8s_openapi::api::apps::v1::Deployment> = Api::namespaced(client.clone(), &nss[2]);
    let api = d.get("shop-public-api").await.unwrap();
    assert!(api.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .as_deref()
        .unwrap()
        .ends_with(":1.5.0"));
    for ns in &nss {
        delete_namespace(&client, ns).await;
    }
}
