//! Releases remember their layers: an upgrade that names no --env/--tier keeps the recorded ones (it once
//! redeployed a production public release with the chart's defaults, deleting its Ingress, PDB and HPA),
//! naming another tier is shown as a change in upgrade and diff output (the markdown preview too), and the
//! values given with -f/--set are reused by Helm's rules.

use crate::harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::networking::v1::Ingress;
use kube::api::Api;

fn shop(cmd: &str, ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args([cmd, "shop", "charts/webapp", "-n", ns]);
    c.args(extra);
    c
}

async fn image(client: &kube::Client, ns: &str) -> String {
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    let d = deps.get("shop-webapp").await.unwrap();
    d.spec.unwrap().template.spec.unwrap().containers[0]
        .image
        .clone()
        .unwrap()
}

#[tokio::test]
async fn an_upgrade_without_env_and_tier_keeps_the_recorded_ones() {
    let client = client().await;
    let ns = namespace(&client, "layers").await;
    let ingresses: Api<Ingress> = Api::namespaced(client.clone(), &ns);

    ok(&mut shop(
        "install",
        &ns,
        &[
            "--env",
            "prod",
            "--tier",
            "public",
            "--set",
            "image.tag=2.7.4",
        ],
    ));
    assert!(ingresses.get_opt("shop-webapp").await.unwrap().is_some());

    // no --env/--tier, no values: env, tier and the values given before are all kept
    let (out, stdout, err) = run(&mut shop("upgrade", &ns, &[]));
    assert!(out.status.success(), "{stdout}{err}");
    assert!(
        err.contains("env `prod` and tier `public` as recorded with revision 1"),
        "{err}"
    );
    assert!(
        err.contains("reusing the values given to revision 1"),
        "{err}"
    );
    assert!(!stdout.contains("deleted"), "nothing pruned: {stdout}");
    assert!(ingresses.get_opt("shop-webapp").await.unwrap().is_some());
    assert!(image(&client, &ns).await.ends_with(":2.7.4"));

    // another tier is a change, shown in the diff (text and markdown) and in the upgrade output
    let diff = ok(&mut shop("diff", &ns, &["--tier", "private"]));
    assert!(
        diff.contains("layers changed: tier: public -> private"),
        "{diff}"
    );
    let md = ok(&mut shop(
        "diff",
        &ns,
        &["--tier", "private", "-o", "markdown"],
    ));
    assert!(
        md.contains("layers changed: tier: public -> private"),
        "{md}"
    );
    let (out, stdout, err) = run(&mut shop("upgrade", &ns, &["--tier", "private"]));
    assert!(out.status.success(), "{stdout}{err}");
    assert!(
        stdout.contains("layers changed: tier: public -> private"),
        "{stdout}"
    );
    assert!(
        err.contains("tier: public -> private (changed from revision 2)"),
        "{err}"
    );
    assert!(
        ingresses.get_opt("shop-webapp").await.unwrap().is_none(),
        "private exposes nothing"
    );

    // --reset-values forgets the values given before; the tier now recorded is private
    let (out, stdout, err) = run(&mut shop("upgrade", &ns, &["--reset-values"]));
    assert!(out.status.success(), "{stdout}{err}");
    assert!(
        err.contains("tier `private` as recorded with revision 3"),
        "{err}"
    );
    assert!(!image(&client, &ns).await.ends_with(":2.7.4"));

    // the daily read commands: the newest revisions only, names only, filtered
    let h = ok(tack().args(["history", "shop", "-n", &ns, "--max", "2"]));
    let revs: Vec<&str> = h
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(revs, ["3", "4"], "{h}");
    let names = ok(tack().args(["list", "-n", &ns, "--short", "--filter", "^sh"]));
    assert_eq!(names, "shop\n");
    let none = ok(tack().args(["list", "-n", &ns, "--short", "--filter", "^web"]));
    assert_eq!(none, "");
}

#[test]
fn an_install_without_env_warns_and_strict_refuses() {
    let (out, _, err) = run(tack().args([
        "install",
        "shop",
        "charts/webapp",
        "-n",
        "default",
        "--dry-run",
        "--strict",
    ]));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("names no env, but `values` has env layers"),
        "{err}"
    );
    assert!(err.contains("nothing was written"), "{err}");
    let (out, _, err) = run(tack().args(["install", "shop", "charts/webapp", "--dry-run"]));
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("warning: release `shop` names no env"),
        "{err}"
    );
}
