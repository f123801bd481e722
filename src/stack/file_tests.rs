//! Tests of the stack-file reader: a good file, and every kind of mistake with its line.

use super::*;

fn load(text: &str) -> Result<Stack> {
    parse(text, Path::new("stacks/tack.yaml"))
}

fn err(text: &str) -> String {
    format!("{:#}", load(text).unwrap_err())
}

const GOOD: &str = "\
defaults:
  chart: charts/webapp
  valuesDir: values
  env: prod
  labels:
    team: web
instances:
  - name: private
    namespace: webapp-private
    tier: private
  - name: public
    namespace: webapp-public
    tier: public
    env: staging
    chart: ../other
    values: [public-extra.yaml]
    set:
      - replicaCount=2
      - ingress.host=x.example.com
    labels:
      exposure: internet
      team: edge
    allowClusterScoped: [IngressClass]
";

#[test]
fn reads_defaults_instances_and_resolves_paths() {
    let s = load(GOOD).unwrap();
    assert_eq!(s.instances.len(), 2);
    let private = s.get("private").unwrap();
    assert_eq!(private.chart, PathBuf::from("stacks/charts/webapp"));
    assert_eq!(private.values_dir, PathBuf::from("stacks/values"));
    assert_eq!(private.env.as_deref(), Some("prod"));
    assert_eq!(private.line, 8);
    assert!(!private.allows("ClusterRole"));
    let labels = private.labels();
    assert_eq!(labels["tier"], "private");
    assert_eq!(labels["env"], "prod");
    assert_eq!(labels["namespace"], "webapp-private");
    assert_eq!(labels["name"], "private");
    assert_eq!(labels["chart"], "webapp");
    assert_eq!(labels["team"], "web");

    let public = s.get("public").unwrap();
    assert_eq!(public.chart, PathBuf::from("stacks/../other"));
    assert_eq!(public.env.as_deref(), Some("staging"));
    assert_eq!(
        public.values,
        vec![PathBuf::from("stacks/public-extra.yaml")]
    );
    assert_eq!(public.set.len(), 2);
    assert_eq!(public.set[1].expr, "ingress.host=x.example.com");
    assert_eq!((public.set[1].line, public.set[1].column), (19, 9));
    assert_eq!(public.labels()["team"], "edge", "instance labels win");
    assert_eq!(public.labels()["exposure"], "internet");
    assert!(public.allows("IngressClass"));
    assert_eq!(public.at(), "stacks/tack.yaml:11");
}

#[test]
fn unknown_keys_are_errors_with_their_line() {
    let e = err("instances:\n  - name: a\n    namespace: a\n    chart: c\n    tiers: public\n");
    assert!(e.starts_with("stacks/tack.yaml:5:5: "), "{e}");
    assert!(e.contains("unknown field `tiers`"), "{e}");
    assert!(e.contains("expected one of"), "{e}");
    assert!(e.contains("5 |     tiers: <redacted>"), "{e}");
    assert!(e.contains("hint: see docs/stacks.md"), "{e}");

    let e = err("defaults:\n  environment: prod\ninstances: []\n");
    assert!(
        e.starts_with("stacks/tack.yaml:2:3: ") && e.contains("unknown field `environment`"),
        "{e}"
    );
    let e = err("instances: []\nreleases: []\n");
    assert!(e.contains("unknown field `releases`"), "{e}");
}

#[test]
fn missing_fields_are_named() {
    let e = err("instances:\n  - name: a\n    chart: c\n");
    assert!(e.contains("missing field `namespace`"), "{e}");
    assert!(e.starts_with("stacks/tack.yaml:2:"), "{e}");
    let e = err("defaults: {}\n");
    assert!(e.contains("missing field `instances`"), "{e}");
    let e = err("instances:\n  - name: a\n    namespace: a\n");
    assert!(
        e.contains("stacks/tack.yaml:2:") && e.contains("instance `a` names no chart"),
        "{e}"
    );
    assert!(e.contains("hint: set `chart:`"), "{e}");
    let e = err("instances: []\n");
    assert!(e.contains("`instances` is empty"), "{e}");
}

#[test]
fn duplicate_names_point_at_both() {
    let e = err("defaults:\n  chart: c\ninstances:\n  - name: web\n    namespace: a\n  - name: web\n    namespace: b\n");
    assert!(e.starts_with("stacks/tack.yaml:6:5: "), "{e}");
    assert!(
        e.contains("instance name `web` is used twice (first at line 4)"),
        "{e}"
    );
}

#[test]
fn bad_values_are_reported_together() {
    let e = err("defaults:\n  chart: c\ninstances:\n  - name: Web_1\n    namespace: Bad_NS\n    set: [\"a[x=1\"]\n    labels:\n      tier: x\n");
    assert!(
        e.contains("stacks/tack.yaml:4:5: invalid release name `Web_1`"),
        "{e}"
    );
    assert!(
        e.contains("stacks/tack.yaml:5:5: instance `Web_1`: `Bad_NS` is not a valid namespace"),
        "{e}"
    );
    assert!(
        e.contains("stacks/tack.yaml:6:") && e.contains("bad `set` entry"),
        "{e}"
    );
    assert!(
        e.contains("stacks/tack.yaml:8:7: instance `Web_1`: label `tier` is implicit"),
        "{e}"
    );
    assert!(
        e.contains("4 problems in stack file `stacks/tack.yaml`"),
        "{e}"
    );
}

#[test]
fn wrong_types_and_syntax_are_located() {
    let e = err("instances:\n  - name: a\n    namespace: a\n    chart: c\n    allowSharedNamespace: maybe\n");
    assert!(e.starts_with("stacks/tack.yaml:5:"), "{e}");
    assert!(e.contains("expected a boolean"), "{e}");
    let e = err("instances:\n  - name: a\n   namespace: [\n");
    assert!(e.starts_with("stacks/tack.yaml:"), "{e}");
}

fn schema() -> serde_json::Value {
    serde_json::from_str(include_str!("../../docs/tack.schema.json")).unwrap()
}

fn as_json(yaml: &str) -> serde_json::Value {
    serde_yaml::from_str(yaml).unwrap()
}

#[test]
fn the_schema_accepts_the_example_and_rejects_unknown_keys() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    let example = include_str!("../../tack.yaml");
    assert!(validator.is_valid(&as_json(example)));
    assert!(load(example).is_ok(), "the parser accepts it too");
    assert!(validator.is_valid(&as_json(GOOD)));
    for bad in [
        "instances: [{name: a, namespace: a, tiers: x}]",
        "instances: [{name: a}]",
        "instances: []",
        "instances: [{name: A, namespace: a}]",
        "instances: [{name: a, namespace: a, labels: {tier: x}}]",
        "defaults: {environment: prod}\ninstances: [{name: a, namespace: a}]",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "{bad}");
    }
}

/// The keys the parser names in an unknown-field error.
fn parser_keys(yaml: &str) -> Vec<String> {
    let e = err(yaml);
    let list = e
        .split(", expected ")
        .nth(1)
        .unwrap()
        .lines()
        .next()
        .unwrap();
    let list = list.trim_start_matches("one of ").replace(" or ", ", ");
    let mut keys: Vec<String> = list
        .split(", ")
        .map(|k| k.trim_matches('`').to_string())
        .collect();
    keys.sort();
    keys
}

fn schema_keys(node: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = node["properties"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[test]
fn the_schema_names_exactly_the_keys_the_parser_accepts() {
    let s = schema();
    assert_eq!(parser_keys("bogus: 1\ninstances: []\n"), schema_keys(&s));
    assert_eq!(
        parser_keys("defaults: {bogus: 1}\ninstances: []\n"),
        schema_keys(&s["properties"]["defaults"])
    );
    assert_eq!(
        parser_keys("instances: [{name: a, namespace: a, bogus: 1}]\n"),
        schema_keys(&s["$defs"]["instance"])
    );
}

#[test]
fn registry_charts_stay_references() {
    let s = load(
        "instances:\n  - name: web\n    namespace: web\n    chart: oci://registry.example/team/webapp:1.4.0\n",
    )
    .unwrap();
    let web = s.get("web").unwrap();
    assert_eq!(
        web.chart,
        PathBuf::from("oci://registry.example/team/webapp:1.4.0")
    );
    assert_eq!(web.labels()["chart"], "webapp");
}

const CLUSTERS: &str = "\
clusters:
  east: {context: kind-east}
  west: {kubeconfig: kube/west.yaml, context: west-admin}
defaults:
  chart: c
  cluster: east
instances:
  - {name: a, namespace: shop}
  - {name: b, namespace: shop, cluster: west}
";

#[test]
fn instances_take_their_cluster_or_the_default_one() {
    let s = load(CLUSTERS).unwrap();
    let a = s.get("a").unwrap().cluster.clone().unwrap();
    assert_eq!(
        (a.name.as_str(), a.context.as_deref(), a.kubeconfig),
        ("east", Some("kind-east"), None)
    );
    let b = s.get("b").unwrap().cluster.clone().unwrap();
    assert_eq!(b.name, "west");
    assert_eq!(b.kubeconfig, Some(PathBuf::from("stacks/kube/west.yaml")));
    assert_eq!(s.get("b").unwrap().labels()["cluster"], "west");
    let none = load("instances: [{name: a, namespace: a, chart: c}]").unwrap();
    assert!(none.instances[0].cluster.is_none());
    assert!(!none.instances[0].labels().contains_key("cluster"));
}

#[test]
fn cluster_mistakes_are_located() {
    let e = err(&CLUSTERS.replace("cluster: west}", "cluster: wset}"));
    assert!(e.starts_with("stacks/tack.yaml:9:"), "{e}");
    assert!(
        e.contains("cluster `wset` is not declared in `clusters`")
            && e.contains("did you mean `west`?"),
        "{e}"
    );
    let e = err(&CLUSTERS.replace("  east: {context: kind-east}\n", "  east: {}\n"));
    assert!(e.starts_with("stacks/tack.yaml:2:"), "{e}");
    assert!(
        e.contains("cluster `east` names neither a `context` nor a `kubeconfig`"),
        "{e}"
    );
    let e = err(&CLUSTERS.replace("  cluster: east\n", "  cluster: north\n"));
    assert!(
        e.contains("stacks/tack.yaml:6:") && e.contains("cluster `north` is not declared"),
        "{e}"
    );
    let e = err("instances: [{name: a, namespace: a, chart: c, labels: {cluster: x}}]");
    assert!(e.contains("label `cluster` is implicit"), "{e}");
    let e = err(
        "clusters: {east: {context: a, server: b}}\ninstances: [{name: a, namespace: a, chart: c}]",
    );
    assert!(e.contains("unknown field `server`"), "{e}");
}

#[test]
fn the_schema_knows_clusters() {
    let validator = jsonschema::validator_for(&schema()).unwrap();
    assert!(validator.is_valid(&as_json(CLUSTERS)));
    for bad in [
        "clusters: {east: {}}\ninstances: [{name: a, namespace: a}]",
        "clusters: {east: {server: x}}\ninstances: [{name: a, namespace: a}]",
        "instances: [{name: a, namespace: a, labels: {cluster: x}}]",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "{bad}");
    }
    assert_eq!(
        parser_keys("clusters: {east: {bogus: 1}}\ninstances: []\n"),
        {
            let mut k: Vec<String> = schema()["properties"]["clusters"]["additionalProperties"]
                ["properties"]
                .as_object()
                .unwrap()
                .keys()
                .cloned()
                .collect();
            k.sort();
            k
        }
    );
}

#[test]
fn policies_chosen_by_label_come_between_defaults_and_the_instance() {
    use crate::policy::{Level, PolicySpec};
    let s = load(
        "defaults:\n  chart: c\n  policy: {requireDigest: true}\npolicies:\n  - selector: tier=public\n    policy: {level: restricted, requireNetworkPolicy: false}\n  - selector: tier in (public,work)\n    policy: {requireNetworkPolicy: true}\ninstances:\n  - {name: pub, namespace: a, tier: public, policy: {level: baseline}}\n  - {name: wrk, namespace: b, tier: work}\n  - {name: prv, namespace: c, tier: private}\n",
    )
    .unwrap();
    let p = |n: &str| s.get(n).unwrap().policy.clone().unwrap();
    assert_eq!(
        p("pub"),
        PolicySpec {
            level: Some(Level::Baseline),
            require_digest: Some(true),
            require_network_policy: Some(true),
            ..Default::default()
        },
        "the instance wins over the rules, later rules over earlier ones"
    );
    assert_eq!(p("wrk").require_network_policy, Some(true));
    assert_eq!(p("wrk").level, None);
    assert_eq!(p("prv").require_digest, Some(true));
    assert_eq!(p("prv").require_network_policy, None);
    let e = err("policies:\n  - selector: 'tier in (a'\n    policy: {}\ninstances: [{name: a, namespace: a, chart: c}]\n");
    assert!(
        e.contains("bad policy selector") && e.contains("hint:"),
        "{e}"
    );
}
