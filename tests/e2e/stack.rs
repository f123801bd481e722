//! Stacks end to end: the real binary deploys every instance of a stack file, upgrades and rolls back a
//! selection without touching the others, keeps going (or stops with --fail-fast) when one fails, and
//! refuses isolation violations before any write.

use crate::harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::api::rbac::v1::ClusterRole;
use kube::api::{Api, ListParams};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// A suffix no other run shares.
pub(crate) fn stamp() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        % 1_000_000;
    format!("{ms}-{}", std::process::id() % 10_000)
}

/// Write `text` as tack.yaml in a temp dir (`{repo}` replaced by the repository root).
pub(crate) fn stack_file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tack.yaml");
    std::fs::write(&path, text.replace("{repo}", &repo().display().to_string())).unwrap();
    (dir, path)
}

pub(crate) fn stack_cmd(file: &PathBuf, args: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args(args).arg("--stack").arg(file);
    c
}

/// resourceVersion of every ConfigMap and Secret (release records included) and generation of every
/// Deployment in `ns`: what any write to the instance would change.
async fn versions(client: &kube::Client, ns: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    for o in cms.list(&ListParams::default()).await.unwrap().items {
        let v = o.metadata.resource_version.unwrap();
        out.insert(format!("cm/{}", o.metadata.name.unwrap()), v);
    }
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    for o in secrets.list(&ListParams::default()).await.unwrap().items {
        let v = o.metadata.resource_version.unwrap();
        out.insert(format!("secret/{}", o.metadata.name.unwrap()), v);
    }
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    for o in deps.list(&ListParams::default()).await.unwrap().items {
        let g = o.metadata.generation.unwrap().to_string();
        out.insert(format!("deploy/{}", o.metadata.name.unwrap()), g);
    }
    out
}

/// Release records and locks tack left in `ns`.
async fn tack_state(client: &kube::Client, ns: &str) -> (usize, usize) {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let records = secrets
        .list(&ListParams::default().labels("tack.dev/record=index"))
        .await
        .unwrap()
        .items
        .len();
    let leases: Api<Lease> = Api::namespaced(client.clone(), ns);
    let locks = leases
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .len();
    (records, locks)
}

async fn log_level(client: &kube::Client, ns: &str, name: &str) -> String {
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
    let cm = cms.get(&format!("{name}-webapp")).await.unwrap();
    cm.data.unwrap()["LOG_LEVEL"].clone()
}

fn revisions(file: &PathBuf) -> BTreeMap<String, u64> {
    let out = ok(&mut stack_cmd(file, &["status", "--all", "-o", "json"]));
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let rev = i["release"]["revision"].as_u64().unwrap();
            (i["instance"].as_str().unwrap().to_string(), rev)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deploy_all_then_upgrade_and_roll_back_a_selection_only() {
    let client = client().await;
    let s = stamp();
    let ns = |t: &str| format!("e2e-stk-{s}-{t}");
    let (_dir, file) = stack_file(&format!(
        "defaults:\n  chart: {{repo}}/charts/webapp\n  valuesDir: {{repo}}/values\n  env: prod\ninstances:\n  - name: private\n    namespace: {}\n    tier: private\n  - name: work\n    namespace: {}\n    tier: work\n    set: [ingress.host=webapp.work.example.internal]\n  - name: public\n    namespace: {}\n    tier: public\n  - name: dev\n    namespace: {}\n    env: dev\n    tier: work\n",
        ns("private"),
        ns("work"),
        ns("public"),
        ns("dev")
    ));

    let out = ok(&mut stack_cmd(
        &file,
        &["install", "--all", "--create-namespace"],
    ));
    for name in ["private", "work", "public", "dev"] {
        assert!(
            out.contains(&format!("==> instance `{name}` (namespace `{}`)", ns(name))),
            "{out}"
        );
        assert!(
            out.contains(&format!(
                "installed release `{name}` in namespace `{}`: revision 1 deployed",
                ns(name)
            )),
            "{out}"
        );
        let deps: Api<Deployment> = Api::namespaced(client.clone(), &ns(name));
        assert!(deps
            .get_opt(&format!("{name}-webapp"))
            .await
            .unwrap()
            .is_some());
    }
    assert!(out.contains("INSTANCE  NAMESPACE"), "summary table: {out}");
    assert_eq!(log_level(&client, &ns("public"), "public").await, "warn");

    let others = ["private", "work", "dev"];
    let mut before = BTreeMap::new();
    for name in others {
        before.insert(name, versions(&client, &ns(name)).await);
    }

    // upgrade only the public tier
    let out = ok(&mut stack_cmd(
        &file,
        &["upgrade", "-l", "tier=public", "--set", "logLevel=debug"],
    ));
    assert!(out.contains("upgraded release `public`"), "{out}");
    assert!(
        !out.contains("instance `work`") && !out.contains("instance `private`"),
        "{out}"
    );
    assert_eq!(log_level(&client, &ns("public"), "public").await, "debug");
    let revs = revisions(&file);
    assert_eq!(revs["public"], 2);
    for name in others {
        assert_eq!(revs[name], 1, "{name} keeps revision 1");
        assert_eq!(
            versions(&client, &ns(name)).await,
            before[name],
            "{name} untouched"
        );
    }

    // roll back the one instance
    let out = ok(&mut stack_cmd(&file, &["rollback", "--instance", "public"]));
    assert!(
        out.contains("rolled back to revision 1: release `public`"),
        "{out}"
    );
    assert_eq!(log_level(&client, &ns("public"), "public").await, "warn");
    assert_eq!(revisions(&file)["public"], 3);
    for name in others {
        assert_eq!(
            versions(&client, &ns(name)).await,
            before[name],
            "{name} untouched"
        );
    }

    let out = ok(&mut stack_cmd(&file, &["uninstall", "--all"]));
    assert_eq!(out.matches("uninstalled release").count(), 4, "{out}");
    for name in ["private", "work", "public", "dev"] {
        assert_eq!(tack_state(&client, &ns(name)).await, (0, 0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn isolation_violations_are_refused_before_any_write() {
    let client = client().await;
    let (na, nb) = (
        namespace(&client, "e2e-stk-blue").await,
        namespace(&client, "e2e-stk-green").await,
    );
    let cms = |ns: &str| Api::<ConfigMap>::namespaced(client.clone(), ns);
    let only_root_ca = |list: Vec<ConfigMap>| {
        list.iter()
            .all(|c| c.metadata.name.as_deref() == Some("kube-root-ca.crt"))
    };

    // green renders its ConfigMap into blue's namespace
    let (_dir, file) = stack_file(&format!(
        "defaults:\n  chart: {{repo}}/tests/fixtures/charts/tenant\ninstances:\n  - name: blue\n    namespace: {na}\n  - name: green\n    namespace: {nb}\n    set: [namespaceOverride={na}]\n"
    ));
    let (o, out, err) = run(&mut stack_cmd(&file, &["install", "--all"]));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(
        err.contains("instance `green`")
            && err.contains(&format!(
                "into namespace `{na}`, the namespace of instance `blue`"
            )),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    for ns in [&na, &nb] {
        let list = cms(ns).list(&ListParams::default()).await.unwrap().items;
        assert!(only_root_ca(list), "no ConfigMap written in {ns}");
        assert_eq!(
            tack_state(&client, ns).await,
            (0, 0),
            "no records or locks in {ns}"
        );
    }

    // both render the same ClusterRole, allowed for each: a collision
    let role = format!("e2e-stk-shared-{}", stamp());
    let (_dir, file) = stack_file(&format!(
        "defaults:\n  chart: {{repo}}/tests/fixtures/charts/tenant\ninstances:\n  - name: blue\n    namespace: {na}\n    set: [clusterRole.create=true, clusterRole.name={role}]\n    allowClusterScoped: [ClusterRole]\n  - name: green\n    namespace: {nb}\n    set: [clusterRole.create=true, clusterRole.name={role}]\n    allowClusterScoped: [ClusterRole]\n"
    ));
    let (o, _, err) = run(&mut stack_cmd(&file, &["install", "--all"]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("instances `blue`")
            && err.contains("and `green`")
            && err.contains(&format!("both render cluster-scoped ClusterRole {role}")),
        "{err}"
    );
    let roles: Api<ClusterRole> = Api::all(client.clone());
    assert!(
        roles.get_opt(&role).await.unwrap().is_none(),
        "no ClusterRole written"
    );
    for ns in [&na, &nb] {
        let list = cms(ns).list(&ListParams::default()).await.unwrap().items;
        assert!(only_root_ca(list), "no ConfigMap written in {ns}");
        assert_eq!(
            tack_state(&client, ns).await,
            (0, 0),
            "no records or locks in {ns}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_failing_instance_does_not_stop_the_others_unless_fail_fast() {
    let client = client().await;
    let good = namespace(&client, "e2e-stk-good").await;
    let missing = format!("e2e-stk-missing-{}", stamp());
    let (_dir, file) = stack_file(&format!(
        "defaults:\n  chart: {{repo}}/tests/fixtures/charts/tenant\ninstances:\n  - name: lost\n    namespace: {missing}\n  - name: fine\n    namespace: {good}\n"
    ));
    // --fail-fast, one at a time: `lost` fails (its namespace does not exist), `fine` never starts
    let (o, out, err) = run(&mut stack_cmd(
        &file,
        &["install", "--all", "--fail-fast", "--concurrency", "1"],
    ));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        out.contains(&format!("namespace `{missing}` does not exist")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("fine") && l.contains("skipped")),
        "{out}"
    );
    assert!(
        err.contains("2 of 2 instances did not succeed: lost, fine"),
        "{err}"
    );
    assert_eq!(tack_state(&client, &good).await, (0, 0));

    // without it, `fine` is installed and the exit code still reports the failure
    let (o, out, err) = run(&mut stack_cmd(&file, &["install", "--all"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(out.contains("installed release `fine`"), "{out}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("lost") && l.contains("failed")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("fine") && l.contains("1") && l.contains("installed")),
        "{out}"
    );
    assert!(
        err.contains("1 of 2 instances did not succeed: lost"),
        "{err}"
    );
    assert_eq!(tack_state(&client, &good).await.0, 1, "one record");
}
