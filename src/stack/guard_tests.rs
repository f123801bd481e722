//! Tests of the isolation guard on hand-written documents.

use super::*;
use std::path::PathBuf;

fn inst(name: &str, ns: &str) -> Instance {
    Instance {
        policy: None,
        name: name.into(),
        namespace: ns.into(),
        chart: PathBuf::from("charts/app"),
        values_dir: PathBuf::from("values"),
        env: None,
        tier: None,
        values: vec![],
        set: vec![],
        free_labels: Default::default(),
        allow_cluster_scoped: vec![],
        allow_shared_namespace: false,
        file: "tack.yaml".into(),
        line: 3,
        cluster: None,
    }
}

fn docs(text: &str) -> Vec<Document> {
    let mut problems = Vec::new();
    let d = manifest::parse_rendered(
        "templates/t.yaml.j2",
        "app/templates/t.yaml",
        text,
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    d
}

fn run(cases: &[(&Instance, &[Document], bool)]) -> Vec<Violation> {
    let rendered: Vec<Rendered> = cases
        .iter()
        .map(|(i, d, s)| Rendered {
            instance: i,
            docs: d,
            selected: *s,
        })
        .collect();
    let ns: Vec<(&Instance, bool)> = cases.iter().map(|(i, _, s)| (*i, *s)).collect();
    let all_docs: Vec<&Document> = cases.iter().flat_map(|(_, d, _)| d.iter()).collect();
    check(&rendered, &ns, &Scopes::from_docs(all_docs))
}

const CM: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";

#[test]
fn isolated_instances_pass() {
    let (a, b) = (inst("a", "ns-a"), inst("b", "ns-b"));
    let d = docs(&format!(
        "{CM}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-a\n"
    ));
    let e = docs(CM);
    assert_eq!(run(&[(&a, &d, true), (&b, &e, true)]), vec![]);
}

#[test]
fn foreign_namespace_names_both_instances_and_the_object() {
    let (a, b) = (inst("a", "ns-a"), inst("b", "ns-b"));
    let d = docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n  namespace: ns-b\n");
    let v = run(&[(&a, &d, true), (&b, &[], false)]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        v[0].instances,
        vec!["a"],
        "only the instance at fault fails"
    );
    let m = &v[0].message;
    assert!(
        m.contains("instance `a` (tack.yaml:3, namespace `ns-a`) renders ConfigMap ns-b/leak from templates/t.yaml.j2 (rendered line 1) into namespace `ns-b`, the namespace of instance `b`"),
        "{m}"
    );
    assert!(m.contains("hint: leave metadata.namespace out"), "{m}");
    // a namespace that belongs to no instance
    let d = docs(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\n  namespace: kube-system\n",
    );
    let v = run(&[(&a, &d, true)]);
    assert!(
        v[0].message
            .contains("into namespace `kube-system`, not its own"),
        "{v:?}"
    );
    // an unselected instance is not checked itself
    assert_eq!(run(&[(&a, &d, false)]), vec![]);
}

#[test]
fn cluster_scoped_objects_need_the_allow_list() {
    let mut a = inst("a", "ns-a");
    let d = docs("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: a-reader\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: ns-b\n");
    let v = run(&[(&a, &d, true)]);
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v[0].message.contains("renders cluster-scoped ClusterRole a-reader from templates/t.yaml.j2 (rendered line 1), and the stack file does not allow ClusterRole"), "{v:?}");
    assert!(
        v[0].message
            .contains("add `allowClusterScoped: [ClusterRole]` to instance `a` in tack.yaml"),
        "{v:?}"
    );
    assert!(
        v[1].message
            .contains("cluster-scoped Namespace ns-b, a namespace other than its own"),
        "{v:?}"
    );
    a.allow_cluster_scoped = vec!["ClusterRole".into(), "Namespace".into()];
    assert_eq!(run(&[(&a, &d, true)]), vec![]);
    // a custom resource whose CRD says it is cluster-scoped
    let crd = docs("apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n  scope: Cluster\n  names:\n    kind: Widget\n---\napiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n");
    let b = inst("b", "ns-b");
    let v = run(&[(&b, &crd, true)]);
    let kinds: Vec<bool> = ["CustomResourceDefinition", "Widget"]
        .iter()
        .map(|k| {
            v.iter()
                .any(|x| x.message.contains(&format!("does not allow {k} ")))
        })
        .collect();
    assert_eq!(kinds, vec![true, true], "{v:?}");
}

#[test]
fn two_instances_rendering_one_cluster_scoped_object_collide() {
    let mut a = inst("a", "ns-a");
    let mut b = inst("b", "ns-b");
    a.allow_cluster_scoped = vec!["IngressClass".into()];
    b.allow_cluster_scoped = vec!["*".into()];
    let d =
        docs("apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata:\n  name: shared\n");
    let v = run(&[(&a, &d, false), (&b, &d, true)]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].instances, vec!["a", "b"]);
    assert!(v[0].message.contains("instances `a` (tack.yaml:3) and `b` (tack.yaml:3) both render cluster-scoped IngressClass shared: `a` in IngressClass shared templates/t.yaml.j2 (rendered line 1), `b` in IngressClass shared"), "{v:?}");
    // neither selected: not this run's business
    assert_eq!(run(&[(&a, &d, false), (&b, &d, false)]), vec![]);
}

#[test]
fn same_ingress_host_and_path_collide() {
    let (a, b) = (inst("a", "ns-a"), inst("b", "ns-b"));
    let ing = |name: &str, host: &str, path: &str| {
        docs(&format!("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: {name}\nspec:\n  rules:\n    - host: {host}\n      http:\n        paths:\n          - path: {path}\n            pathType: Prefix\n            backend: {{service: {{name: s, port: {{number: 80}}}}}}\n"))
    };
    let v = run(&[
        (&a, &ing("a-web", "web.example.com", "/"), true),
        (&b, &ing("b-web", "web.example.com", "/"), true),
    ]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].message
            .contains("both render host `web.example.com` path `/`: `a` in Ingress a-web"),
        "{v:?}"
    );
    assert!(v[0].message.contains("`b` in Ingress b-web"), "{v:?}");
    assert!(
        v[0].message
            .contains("hint: give each instance its own host"),
        "{v:?}"
    );
    let v = run(&[
        (&a, &ing("a-web", "web.example.com", "/"), true),
        (&b, &ing("b-web", "web.example.com", "/api"), true),
    ]);
    assert_eq!(v, vec![]);
}

#[test]
fn shared_namespaces_need_both_to_allow_it() {
    let (mut a, mut b) = (inst("a", "shared"), inst("b", "shared"));
    b.line = 9;
    let (da, db) = (
        docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a-cfg\n"),
        docs("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b-cfg\n"),
    );
    let v = run(&[(&a, &da, true), (&b, &db, false)]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].message.contains(
            "instances `a` (tack.yaml:3) and `b` (tack.yaml:9) both use namespace `shared`"
        ),
        "{v:?}"
    );
    assert!(
        v[0].message
            .contains("`allowSharedNamespace: true` on both"),
        "{v:?}"
    );
    a.allow_shared_namespace = true;
    assert_eq!(run(&[(&a, &da, true), (&b, &db, true)]).len(), 1);
    b.allow_shared_namespace = true;
    assert_eq!(run(&[(&a, &da, true), (&b, &db, true)]), vec![]);
    // sharing a namespace, the same object name still collides
    let v = run(&[(&a, &da, true), (&b, &da, true)]);
    assert_eq!(v.len(), 1, "{v:?}");
    assert!(
        v[0].message.contains("both render ConfigMap shared/a-cfg"),
        "{v:?}"
    );
}

fn in_cluster(name: &str, ns: &str, cluster: &str) -> Instance {
    Instance {
        cluster: Some(crate::stack::ClusterRef {
            name: cluster.into(),
            context: Some(cluster.into()),
            kubeconfig: None,
        }),
        ..inst(name, ns)
    }
}

fn run_clusters(cases: &[(&Instance, &[Document], bool)]) -> (Vec<Violation>, Vec<String>) {
    let rendered: Vec<Rendered> = cases
        .iter()
        .map(|(i, d, s)| Rendered {
            instance: i,
            docs: d,
            selected: *s,
        })
        .collect();
    let ns: Vec<(&Instance, bool)> = cases.iter().map(|(i, _, s)| (*i, *s)).collect();
    check_clusters(&rendered, &ns, &Scopes::default())
}

const INGRESS: &str = "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: web\nspec:\n  rules:\n    - host: shop.example.com\n";
const CLUSTER_ROLE: &str =
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: reader\n";

#[test]
fn the_same_namespace_and_cluster_scoped_name_in_two_clusters_is_fine() {
    let (mut a, mut b) = (
        in_cluster("a", "shop", "east"),
        in_cluster("b", "shop", "west"),
    );
    a.allow_cluster_scoped = vec!["ClusterRole".into()];
    b.allow_cluster_scoped = vec!["ClusterRole".into()];
    let d = docs(&format!("{CM}---\n{CLUSTER_ROLE}"));
    let (v, w) = run_clusters(&[(&a, &d, true), (&b, &d, true)]);
    assert_eq!(v, vec![]);
    assert_eq!(w, Vec::<String>::new());
    // in one cluster the same stack breaks three rules
    let c = in_cluster("c", "shop", "east");
    let mut c = c;
    c.allow_cluster_scoped = vec!["ClusterRole".into()];
    let (v, _) = run_clusters(&[(&a, &d, true), (&b, &d, true), (&c, &d, true)]);
    let pairs: Vec<Vec<String>> = v.iter().map(|v| v.instances.clone()).collect();
    assert!(!pairs.is_empty());
    assert!(
        pairs.iter().all(|p| p == &["a", "c"]),
        "only a and c share cluster east: {pairs:?}"
    );
}

#[test]
fn the_same_ingress_host_in_two_clusters_is_a_warning() {
    let (a, b) = (
        in_cluster("a", "shop-a", "east"),
        in_cluster("b", "shop-b", "west"),
    );
    let d = docs(INGRESS);
    let (v, w) = run_clusters(&[(&a, &d, true), (&b, &d, false)]);
    assert_eq!(v, vec![]);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("instances `a` (tack.yaml:3, cluster `east`) and `b` (tack.yaml:3, cluster `west`) both serve host `shop.example.com` path `/`"),
        "{}",
        w[0]
    );
    // neither selected: not this command's business
    let (_, w) = run_clusters(&[(&a, &d, false), (&b, &d, false)]);
    assert!(w.is_empty());
}
