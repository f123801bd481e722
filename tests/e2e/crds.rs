//! CustomResourceDefinitions and what a release keeps, against the real control plane: a CRD (from `crds/`
//! and from `templates/`) and custom resources of it in one install, CRDs and objects marked
//! `helm.sh/resource-policy: keep` outliving uninstall and prune unless `--delete-crds`, an upgrade that
//! would drop a stored CRD version refused before any write, and LoadBalancer Services under `--wait`.
//!
//! CRDs are cluster-scoped, so each test writes its chart to a temporary directory with an API group of its
//! own (named after its namespace) and deletes what it kept at the end.

use crate::harness::*;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DeleteParams, DynamicObject};
use kube::core::{ApiResource, GroupVersionKind};
use kube::Client;
use std::path::Path;
use std::time::Duration;

/// A CRD of kind `kind` in `group`, with the versions given (the first one stored).
fn crd(group: &str, kind: &str, versions: &[&str]) -> String {
    let plural = format!("{}s", kind.to_lowercase());
    let mut out = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: {plural}.{group}\nspec:\n  group: {group}\n  scope: Namespaced\n  names:\n    kind: {kind}\n    plural: {plural}\n    singular: {}\n    listKind: {kind}List\n  versions:\n",
        kind.to_lowercase()
    );
    for (i, v) in versions.iter().enumerate() {
        out.push_str(&format!(
            "    - name: {v}\n      served: true\n      storage: {}\n      schema:\n        openAPIV3Schema:\n          type: object\n          x-kubernetes-preserve-unknown-fields: true\n",
            i == 0
        ));
    }
    out
}

/// What a test chart holds.
struct Chart<'a> {
    group: &'a str,
    /// Versions of the Widget CRD in `crds/` (the first one stored); Widget `w1` uses the first.
    widget_versions: &'a [&'a str],
    /// A Gadget CRD in `templates/` and Gadget `g1`.
    gadgets: bool,
    /// ConfigMap `kept`, marked `helm.sh/resource-policy: keep`.
    kept: bool,
    /// A Service `lb` of type LoadBalancer.
    load_balancer: bool,
}

impl Chart<'_> {
    fn new(group: &str) -> Chart<'_> {
        Chart {
            group,
            widget_versions: &["v1"],
            gadgets: true,
            kept: true,
            load_balancer: false,
        }
    }

    fn write(&self, dir: &Path) {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir.join("crds")).unwrap();
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(
            dir.join("Chart.yaml"),
            "apiVersion: v2\nname: crdapp\nversion: 0.1.0\n",
        )
        .unwrap();
        let g = self.group;
        std::fs::write(
            dir.join("crds/widgets.yaml"),
            crd(g, "Widget", self.widget_versions),
        )
        .unwrap();
        let mut t = format!(
            "apiVersion: {g}/{}\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: \"1\"\n",
            self.widget_versions[0]
        );
        if self.gadgets {
            t.push_str(&format!(
                "---\n{}---\napiVersion: {g}/v1\nkind: Gadget\nmetadata:\n  name: g1\nspec:\n  on: true\n",
                crd(g, "Gadget", &["v1"])
            ));
        }
        if self.kept {
            t.push_str("---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: kept\n  annotations:\n    helm.sh/resource-policy: keep\ndata:\n  a: \"1\"\n");
        }
        if self.load_balancer {
            t.push_str("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  selector:\n    app: none\n  ports:\n    - port: 80\n");
        }
        std::fs::write(dir.join("templates/all.yaml"), t).unwrap();
    }
}

fn tack_in(ns: &str, args: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args(args).args(["-n", ns]);
    c
}

fn custom(client: &Client, ns: &str, group: &str, version: &str, kind: &str) -> Api<DynamicObject> {
    let ar = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(group, version, kind),
        &format!("{}s", kind.to_lowercase()),
    );
    Api::namespaced_with(client.clone(), ns, &ar)
}

async fn crd_exists(client: &Client, name: &str) -> bool {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    crds.get_opt(name).await.unwrap().is_some()
}

/// Delete the CRDs a test kept (they are cluster-scoped and outlive its namespace).
async fn cleanup(client: &Client, group: &str) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for plural in ["widgets", "gadgets"] {
        let _ = crds
            .delete(&format!("{plural}.{group}"), &DeleteParams::default())
            .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crds_and_their_custom_resources_install_together_and_crds_outlive_uninstall() {
    let client = client().await;
    let ns = namespace(&client, "e2e-crds").await;
    let group = format!("{ns}.example.com");
    let dir = tempfile::tempdir().unwrap();
    let chart = dir.path().join("crdapp");
    Chart::new(&group).write(&chart);
    let chart = chart.to_str().unwrap();
    let widgets = custom(&client, &ns, &group, "v1", "Widget");
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);

    // a server-side dry run cannot check objects of CRDs it does not install, and says so
    let (out, stdout, stderr) = run(&mut tack_in(
        &ns,
        &["install", "c", chart, "--dry-run=server"],
    ));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    for obj in [format!("Widget {ns}/w1"), format!("Gadget {ns}/g1")] {
        assert!(
            stdout.contains(&format!(
                "created (dry) {obj}: not validated: its CustomResourceDefinition is part of this release"
            )),
            "{stdout}"
        );
    }
    assert!(!crd_exists(&client, &format!("widgets.{group}")).await);

    // one install: CRDs (crds/ and templates/) established first, then their custom resources
    let out = ok(&mut tack_in(&ns, &["install", "c", chart, "--wait"]));
    assert!(
        out.contains(&format!("created      Widget {ns}/w1")),
        "{out}"
    );
    assert!(
        out.contains(&format!("created      Gadget {ns}/g1")),
        "{out}"
    );
    assert_eq!(
        widgets.get("w1").await.unwrap().data["spec"]["size"],
        3,
        "the custom resource is live"
    );
    // a Widget made by someone else, outside the release
    apply(
        &client,
        &ns,
        &serde_json::json!({"apiVersion": format!("{group}/v1"), "kind": "Widget",
            "metadata": {"name": "by-hand", "namespace": ns}, "spec": {"size": 1}}),
    )
    .await;

    // uninstall keeps the CRDs (and so every custom resource of them) and what is marked keep
    let out = ok(&mut tack_in(&ns, &["uninstall", "c"]));
    assert!(
        out.contains(&format!(
            "kept         CustomResourceDefinition widgets.{group}: a CRD: deleting it would delete every Widget in every namespace; --delete-crds deletes it"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "kept         CustomResourceDefinition gadgets.{group}"
        )),
        "a CRD from templates/ too: {out}"
    );
    assert!(
        out.contains(&format!(
            "kept         ConfigMap {ns}/kept: helm.sh/resource-policy: keep"
        )),
        "{out}"
    );
    assert!(crd_exists(&client, &format!("widgets.{group}")).await);
    assert!(crd_exists(&client, &format!("gadgets.{group}")).await);
    assert!(widgets.get_opt("by-hand").await.unwrap().is_some());
    assert!(configs.get_opt("kept").await.unwrap().is_some());
    assert!(configs.get_opt("plain").await.unwrap().is_none());
    // the release's own custom resources went with it
    eventually(Duration::from_secs(10), "w1 deleted", || async {
        widgets.get_opt("w1").await.unwrap().is_none()
    })
    .await;

    // installed again, the kept objects are the release's again; --delete-crds removes the CRDs and so
    // every custom resource of them, but never an object marked keep
    ok(&mut tack_in(&ns, &["install", "c", chart]));
    let out = ok(&mut tack_in(&ns, &["uninstall", "c", "--delete-crds"]));
    assert!(
        out.contains(&format!(
            "deleted      CustomResourceDefinition widgets.{group}"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("kept         ConfigMap {ns}/kept")),
        "{out}"
    );
    eventually(Duration::from_secs(30), "the CRDs gone", || async {
        !crd_exists(&client, &format!("widgets.{group}")).await
            && !crd_exists(&client, &format!("gadgets.{group}")).await
    })
    .await;
    assert!(configs.get_opt("kept").await.unwrap().is_some());
    cleanup(&client, &group).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_prunes_crds_and_kept_objects_only_when_told() {
    let client = client().await;
    let ns = namespace(&client, "e2e-crdprune").await;
    let group = format!("{ns}.example.com");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crdapp");
    let chart = path.to_str().unwrap();
    let configs: Api<ConfigMap> = Api::namespaced(client.clone(), &ns);
    Chart::new(&group).write(&path);
    ok(&mut tack_in(&ns, &["install", "c", chart]));

    // the chart drops the Gadget CRD and the kept ConfigMap: both stay, said so
    Chart {
        gadgets: false,
        kept: false,
        ..Chart::new(&group)
    }
    .write(&path);
    // the diff says so first, and does not count them as deletions
    let (_, diff, stderr) = run(&mut tack_in(&ns, &["diff", "c", chart, "-o", "json"]));
    let plan: serde_json::Value =
        serde_json::from_str(&diff).unwrap_or_else(|e| panic!("{e}: {diff}\n{stderr}"));
    let text = plan.to_string();
    assert!(
        text.contains(&format!(
            "CustomResourceDefinition gadgets.{group} is no longer rendered but is kept: a CRD"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "ConfigMap {ns}/kept is no longer rendered but is kept: helm.sh/resource-policy: keep"
        )),
        "{text}"
    );
    let out = ok(&mut tack_in(&ns, &["upgrade", "c", chart]));
    assert!(
        out.contains(&format!(
            "kept         CustomResourceDefinition gadgets.{group}: a CRD"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "kept         ConfigMap {ns}/kept: helm.sh/resource-policy: keep"
        )),
        "{out}"
    );
    assert!(crd_exists(&client, &format!("gadgets.{group}")).await);
    assert!(configs.get_opt("kept").await.unwrap().is_some());

    // back, then dropped again with --delete-crds: pruned
    Chart::new(&group).write(&path);
    ok(&mut tack_in(&ns, &["upgrade", "c", chart]));
    Chart {
        gadgets: false,
        ..Chart::new(&group)
    }
    .write(&path);
    let out = ok(&mut tack_in(&ns, &["upgrade", "c", chart, "--delete-crds"]));
    assert!(
        out.contains(&format!(
            "deleted      CustomResourceDefinition gadgets.{group}"
        )),
        "{out}"
    );
    eventually(Duration::from_secs(30), "the Gadget CRD gone", || async {
        !crd_exists(&client, &format!("gadgets.{group}")).await
    })
    .await;
    assert!(crd_exists(&client, &format!("widgets.{group}")).await);
    ok(&mut tack_in(&ns, &["uninstall", "c", "--delete-crds"]));
    cleanup(&client, &group).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_dropping_a_stored_crd_version_is_refused_before_any_write() {
    let client = client().await;
    let ns = namespace(&client, "e2e-crdstored").await;
    let group = format!("{ns}.example.com");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crdapp");
    let chart = path.to_str().unwrap();
    Chart {
        widget_versions: &["v1", "v2"],
        ..Chart::new(&group)
    }
    .write(&path);
    ok(&mut tack_in(&ns, &["install", "c", chart]));
    let history = |ns: &str| {
        let json: serde_json::Value =
            serde_json::from_str(&ok(&mut tack_in(ns, &["history", "c", "-o", "json"]))).unwrap();
        json.as_array().unwrap().len()
    };
    assert_eq!(history(&ns), 1);

    // the CRD gains v3 (now stored) and w1 moves to it in the same upgrade: it waits until v3 is served
    Chart {
        widget_versions: &["v3", "v1", "v2"],
        ..Chart::new(&group)
    }
    .write(&path);
    let out = ok(&mut tack_in(&ns, &["upgrade", "c", chart]));
    // the same object, named by another version: neither created again nor pruned
    assert!(
        !out.contains(&format!("Widget {ns}/w1")),
        "unchanged: {out}"
    );
    let w1 = custom(&client, &ns, &group, "v3", "Widget").get("w1").await;
    assert_eq!(w1.unwrap().data["spec"]["size"], 3);

    // v3 becomes the only version, but the cluster still stores Widgets as v1
    Chart {
        widget_versions: &["v3"],
        ..Chart::new(&group)
    }
    .write(&path);
    // the diff shows it first
    let (_, diff, _) = run(&mut tack_in(&ns, &["diff", "c", chart, "-o", "json"]));
    assert!(
        diff.contains(&format!(
            "CustomResourceDefinition widgets.{group} would drop version v1"
        )) && diff.contains("refuses it before any write"),
        "{diff}"
    );
    for extra in [&[][..], &["--dry-run=server"][..]] {
        let mut cmd = tack_in(&ns, &["upgrade", "c", chart]);
        cmd.args(extra);
        let (out, stdout, stderr) = run(&mut cmd);
        assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "CustomResourceDefinition widgets.{group} would drop version v1, which the cluster still lists in status.storedVersions"
            )),
            "{stderr}"
        );
        assert!(stderr.contains("no object was changed"), "{stderr}");
        assert!(stderr.contains("storedVersions"), "{stderr}");
    }
    assert_eq!(history(&ns), 2, "no revision was recorded");
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let live = crds.get(&format!("widgets.{group}")).await.unwrap();
    let served: Vec<String> = live.spec.versions.iter().map(|v| v.name.clone()).collect();
    assert_eq!(served, ["v3", "v1", "v2"], "the CRD was not changed");
    ok(&mut tack_in(&ns, &["uninstall", "c", "--delete-crds"]));
    cleanup(&client, &group).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_explains_a_load_balancer_without_controller_and_can_skip_it() {
    let client = client().await;
    let ns = namespace(&client, "e2e-lb").await;
    let group = format!("{ns}.example.com");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crdapp");
    let chart = path.to_str().unwrap();
    Chart {
        load_balancer: true,
        ..Chart::new(&group)
    }
    .write(&path);

    // the test control plane has no load balancer controller
    let (out, stdout, stderr) = run(&mut tack_in(
        &ns,
        &["install", "c", chart, "--wait", "--timeout", "8s"],
    ));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "Service {ns}/lb: type LoadBalancer and still no address: no load balancer controller acted on it (the Service has no events), so this cluster may have none"
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "hint: --wait-skip-load-balancers does not wait for Services of type LoadBalancer"
        ),
        "{stderr}"
    );

    let (out, stdout, stderr) = run(&mut tack_in(
        &ns,
        &[
            "upgrade",
            "c",
            chart,
            "--install",
            "--wait",
            "--wait-skip-load-balancers",
            "--timeout",
            "30s",
        ],
    ));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stderr.contains(&format!(
            "not waiting for Service {ns}/lb (type LoadBalancer, --wait-skip-load-balancers)"
        )),
        "{stderr}"
    );
    ok(&mut tack_in(&ns, &["uninstall", "c", "--delete-crds"]));
    cleanup(&client, &group).await;
}
