//! The daily commands a Helm user reaches for, against the real API server: `--description` and `--labels`
//! recorded with revisions and selected on by `list -l`, `-o json|yaml` results of install, upgrade and
//! rollback, and `get all|values|metadata` showing what a revision holds (secrets masked).

use crate::harness::*;

fn shop(cmd: &str, ns: &str, extra: &[&str]) -> std::process::Command {
    let mut c = tack();
    c.args([cmd, "shop", "charts/webapp", "-n", ns]);
    c.args(extra);
    c
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[tokio::test]
async fn descriptions_and_labels_are_recorded_and_selected_on() {
    let client = client().await;
    let ns = namespace(&client, "daily-labels").await;

    let out = json(&ok(&mut shop(
        "install",
        &ns,
        &[
            "--env",
            "prod",
            "--tier",
            "public",
            "--labels",
            "team=shop,owner=payments",
            "--description",
            "first cut for the spring sale",
            "-o",
            "json",
        ],
    )));
    assert_eq!(out["revision"], 1);
    assert_eq!(out["status"], "deployed");
    assert_eq!(out["description"], "first cut for the spring sale");
    assert_eq!(out["labels"]["team"], "shop");
    let objects = out["objects"].as_array().unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o["kind"] == "Deployment" && o["action"] == "created"),
        "{out}"
    );

    // an upgrade keeps earlier labels, adds new ones and removes `KEY=null`; YAML output parses the same
    let yaml = ok(&mut shop(
        "upgrade",
        &ns,
        &["--labels", "owner=null,release-train=42", "-o", "yaml"],
    ));
    let out: serde_json::Value = serde_yaml::from_str(&yaml).unwrap();
    assert_eq!(out["revision"], 2);
    assert_eq!(out["description"], "upgrade complete");
    assert_eq!(
        out["labels"],
        serde_json::json!({"team": "shop", "release-train": "42"})
    );

    // history shows the custom description of revision 1
    let h = ok(tack().args(["history", "shop", "-n", &ns]));
    assert!(h.contains("first cut for the spring sale"), "{h}");

    // list -l selects on the labels, without reading any payload
    let other = namespace(&client, "daily-labels-b").await;
    ok(&mut shop("install", &other, &["--labels", "team=search"]));
    let names = |sel: &str| ok(tack().args(["list", "-A", "--short", "-l", sel]));
    let shop_list = names("team=shop");
    assert!(shop_list.lines().any(|l| l == "shop"), "{shop_list}");
    let both = json(&ok(tack().args([
        "list",
        "-A",
        "-o",
        "json",
        "-l",
        "team in (shop,search)",
    ])));
    let namespaces: Vec<&str> = both
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["namespace"].as_str().unwrap())
        .collect();
    assert!(
        namespaces.contains(&ns.as_str()) && namespaces.contains(&other.as_str()),
        "{both}"
    );
    let none = ok(tack().args(["list", "-n", &ns, "--short", "-l", "team=search"]));
    assert!(none.trim().is_empty(), "{none}");

    // a rollback with -o json: the target revision's labels come back, and the description says so
    let out = json(&ok(
        tack().args(["rollback", "shop", "1", "-n", &ns, "-o", "json"])
    ));
    assert_eq!(out["revision"], 3);
    assert_eq!(out["labels"]["owner"], "payments");
    assert_eq!(out["description"], "rollback to revision 1 complete");
}

#[tokio::test]
async fn get_shows_what_was_given_what_was_computed_and_the_metadata() {
    let client = client().await;
    let ns = namespace(&client, "daily-get").await;
    let password = "s3cret-Db-pass-123";
    ok(&mut shop(
        "install",
        &ns,
        &[
            "--env",
            "prod",
            "--tier",
            "work",
            "--set",
            "replicaCount=4",
            "--set",
            &format!("secret.data.DB_PASSWORD={password}"),
        ],
    ));

    // given: only what -f/--set gave, with a comment naming the layers; secrets masked
    let given = ok(tack().args(["get", "values", "shop", "-n", &ns]));
    assert!(given.starts_with("# values given to revision 1 (env prod, tier work, --set replicaCount, --set secret.data.DB_PASSWORD)"), "{given}");
    let v: serde_json::Value = serde_yaml::from_str(&given).unwrap();
    assert_eq!(v["replicaCount"], 4);
    assert!(
        v.get("image").is_none(),
        "chart defaults are not given values: {given}"
    );
    assert!(!given.contains(password), "{given}");

    // computed: every layer merged (the prod layer's and the chart's keys are there)
    let all =
        json(&ok(tack().args([
            "get", "values", "shop", "-n", &ns, "--all", "-o", "json",
        ])));
    assert_eq!(all["replicaCount"], 4);
    assert!(all["image"]["repository"].is_string(), "{all}");
    assert!(!all.to_string().contains(password));
    let shown = json(&ok(tack().args([
        "get",
        "values",
        "shop",
        "-n",
        &ns,
        "-o",
        "json",
        "--show-secrets",
    ])));
    assert_eq!(shown["secret"]["data"]["DB_PASSWORD"], password);

    let meta = json(&ok(
        tack().args(["get", "metadata", "shop", "-n", &ns, "-o", "json"])
    ));
    assert_eq!(meta["env"], "prod");
    assert_eq!(meta["tier"], "work");
    assert_eq!(meta["revision"], 1);
    assert_eq!(meta["chart"], "webapp");

    // get all: every section, nothing secret
    let text = ok(tack().args(["get", "all", "shop", "-n", &ns]));
    for heading in [
        "NAME: shop",
        "LAYERS: env prod, tier work",
        "USER-SUPPLIED VALUES:",
        "COMPUTED VALUES:",
        "MANIFEST:",
        "kind: Deployment",
    ] {
        assert!(text.contains(heading), "missing {heading}: {text}");
    }
    assert!(!text.contains(password), "{text}");
}
