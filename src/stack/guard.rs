//! The isolation guard: before anything is written, check that every instance keeps to its own namespace,
//! renders cluster-scoped objects only when the stack file allows it, and shares no cluster-scoped object,
//! ingress host and path, or namespace with another instance. Pure: it looks at rendered documents only.

use super::file::Instance;
use crate::manifest::{self, Document};
use std::collections::BTreeMap;

/// One instance's rendered documents.
pub struct Rendered<'a> {
    pub instance: &'a Instance,
    pub docs: &'a [Document],
    /// Selected instances are checked themselves; the others only as neighbours of selected ones.
    pub selected: bool,
}

/// A broken isolation rule, naming the instances involved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub instances: Vec<String>,
    pub message: String,
}

/// Which kinds live outside namespaces: the built-in list, CustomResourceDefinitions in the rendered
/// documents, and whatever the caller learnt from the API server.
#[derive(Clone, Debug, Default)]
pub struct Scopes {
    known: BTreeMap<(String, String), bool>,
}

impl Scopes {
    /// Scopes of the kinds the CustomResourceDefinitions among `docs` define.
    pub fn from_docs<'a>(docs: impl IntoIterator<Item = &'a Document>) -> Scopes {
        let mut s = Scopes::default();
        for d in docs {
            if d.kind() == "CustomResourceDefinition" {
                let spec = &d.object()["spec"];
                if let (Some(group), Some(kind)) =
                    (spec["group"].as_str(), spec["names"]["kind"].as_str())
                {
                    s.set(group, kind, spec["scope"].as_str() == Some("Cluster"));
                }
            }
        }
        s
    }

    /// Record that `kind` of `group` is cluster-scoped (or namespaced).
    pub fn set(&mut self, group: &str, kind: &str, cluster_scoped: bool) {
        self.known
            .insert((group.to_string(), kind.to_string()), cluster_scoped);
    }

    /// Whether the scope of `kind` in `group` is known (learnt, or a built-in cluster-scoped kind).
    pub fn knows(&self, group: &str, kind: &str) -> bool {
        self.known
            .contains_key(&(group.to_string(), kind.to_string()))
            || manifest::is_cluster_scoped(kind)
    }

    /// Whether `doc` is cluster-scoped; unknown kinds count as namespaced.
    pub fn is_cluster_scoped(&self, doc: &Document) -> bool {
        match self
            .known
            .get(&(doc.group().to_string(), doc.kind().to_string()))
        {
            Some(c) => *c,
            None => manifest::is_cluster_scoped(doc.kind()),
        }
    }
}

fn place(d: &Document) -> String {
    format!("{} (rendered line {})", d.source, d.start_line)
}

/// Check every rule; an empty list means the instances are isolated.
pub fn check(
    all: &[Rendered],
    namespaces: &[(&Instance, bool)],
    scopes: &Scopes,
) -> Vec<Violation> {
    let mut out = Vec::new();
    check_namespaces(namespaces, &mut out);
    let owner_of = |ns: &str, me: &str| -> Option<&str> {
        namespaces
            .iter()
            .map(|(i, _)| *i)
            .find(|i| i.namespace == ns && i.name != me)
            .map(|i| i.name.as_str())
    };
    for r in all.iter().filter(|r| r.selected) {
        let inst = r.instance;
        for d in r.docs {
            let cluster = scopes.is_cluster_scoped(d);
            let own_namespace = d.kind() == "Namespace" && d.name() == inst.namespace;
            if cluster && !own_namespace && !inst.allows(d.kind()) {
                let detail = match (d.kind(), owner_of(d.name(), &inst.name)) {
                    ("Namespace", Some(o)) => format!(", the namespace of instance `{o}`"),
                    ("Namespace", None) => ", a namespace other than its own".to_string(),
                    _ => String::new(),
                };
                out.push(Violation {
                    instances: vec![inst.name.clone()],
                    message: format!(
                        "instance `{}` ({}) renders cluster-scoped {}{detail} from {}, and the stack file does not allow {} for it\n\nhint: if the instance really needs it, add `allowClusterScoped: [{}]` to instance `{}` in {}; otherwise stop rendering it (it would be shared by every instance)",
                        inst.name, inst.at(), d.id(), place(d), d.kind(), d.kind(), inst.name, inst.file
                    ),
                });
            }
            if cluster {
                continue;
            }
            let ns = d.namespace().unwrap_or(&inst.namespace);
            if ns != inst.namespace {
                let whose = match owner_of(ns, &inst.name) {
                    Some(o) => format!("the namespace of instance `{o}`"),
                    None => "not its own".to_string(),
                };
                out.push(Violation {
                    instances: vec![inst.name.clone()],
                    message: format!(
                        "instance `{}` ({}, namespace `{}`) renders {} from {} into namespace `{ns}`, {whose}\n\nhint: leave metadata.namespace out of the template (or set it to the release namespace) so the object lands in `{}`",
                        inst.name, inst.at(), inst.namespace, d.id(), place(d), inst.namespace
                    ),
                });
            }
        }
    }
    check_shared_objects(all, scopes, &mut out);
    out
}

/// The guard over instances spread across clusters: the rules of [`check`] within each cluster (two
/// instances in different clusters may use the same namespace and cluster-scoped names), and, across
/// clusters, warnings for an ingress host and path served by instances of two clusters (one of them selected).
pub fn check_clusters(
    all: &[Rendered],
    namespaces: &[(&Instance, bool)],
    scopes: &Scopes,
) -> (Vec<Violation>, Vec<String>) {
    let cluster_of = |i: &Instance| i.cluster.as_ref().map(|c| c.name.clone());
    let mut names: Vec<Option<String>> = namespaces.iter().map(|(i, _)| cluster_of(i)).collect();
    names.sort();
    names.dedup();
    let mut violations = Vec::new();
    for name in &names {
        let group: Vec<Rendered> = all
            .iter()
            .filter(|r| &cluster_of(r.instance) == name)
            .map(|r| Rendered {
                instance: r.instance,
                docs: r.docs,
                selected: r.selected,
            })
            .collect();
        let ns: Vec<(&Instance, bool)> = namespaces
            .iter()
            .filter(|(i, _)| &cluster_of(i) == name)
            .copied()
            .collect();
        violations.extend(check(&group, &ns, scopes));
    }
    let mut warnings = Vec::new();
    let mut hosts: BTreeMap<(String, String), Vec<&Rendered>> = BTreeMap::new();
    for r in all {
        for d in r.docs.iter().filter(|d| d.kind() == "Ingress") {
            for route in ingress_routes(d) {
                let users = hosts.entry(route).or_default();
                if !users.iter().any(|u| u.instance.name == r.instance.name) {
                    users.push(r);
                }
            }
        }
    }
    for ((host, path), users) in hosts {
        for (i, a) in users.iter().enumerate() {
            for b in &users[i + 1..] {
                let (ca, cb) = (cluster_of(a.instance), cluster_of(b.instance));
                if ca == cb || !(a.selected || b.selected) {
                    continue;
                }
                let shown = |c: Option<String>| {
                    c.map_or("the default cluster".into(), |c| format!("cluster `{c}`"))
                };
                warnings.push(format!(
                    "instances `{}` ({}, {}) and `{}` ({}, {}) both serve host `{host}` path `{path}`: whichever DNS points at gets the traffic",
                    a.instance.name, a.instance.at(), shown(ca), b.instance.name, b.instance.at(), shown(cb)
                ));
            }
        }
    }
    (violations, warnings)
}

/// Two instances in one namespace, unless both allow it.
fn check_namespaces(instances: &[(&Instance, bool)], out: &mut Vec<Violation>) {
    for (i, (a, sel_a)) in instances.iter().enumerate() {
        for (b, sel_b) in &instances[i + 1..] {
            if a.namespace != b.namespace || !(sel_a | sel_b) {
                continue;
            }
            if a.allow_shared_namespace && b.allow_shared_namespace {
                continue;
            }
            out.push(Violation {
                instances: vec![a.name.clone(), b.name.clone()],
                message: format!(
                    "instances `{}` ({}) and `{}` ({}) both use namespace `{}`\n\nhint: give each instance its own namespace, or set `allowSharedNamespace: true` on both if they must share it",
                    a.name, a.at(), b.name, b.at(), a.namespace
                ),
            });
        }
    }
}

/// An instance's claim on something only one instance may render: (index into the rendered list, the
/// document, what it is).
type Claim<'a> = (usize, &'a Document, String);

/// What two instances must not both render: a cluster-scoped object, an ingress host and path, or (when
/// they share a namespace) the same namespaced object.
fn check_shared_objects(all: &[Rendered], scopes: &Scopes, out: &mut Vec<Violation>) {
    // key → (index into `all`, document, what it is)
    let mut claims: BTreeMap<(u8, String), Vec<Claim>> = BTreeMap::new();
    for (i, r) in all.iter().enumerate() {
        for d in r.docs {
            if scopes.is_cluster_scoped(d) {
                let key = format!("{}/{}/{}", d.group(), d.kind(), d.name());
                claims.entry((0, key)).or_default().push((
                    i,
                    d,
                    format!("cluster-scoped {}", d.id()),
                ));
            } else {
                let ns = d.namespace().unwrap_or(&r.instance.namespace);
                let key = format!("{}/{}/{ns}/{}", d.group(), d.kind(), d.name());
                let what = format!("{} {ns}/{}", d.kind(), d.name());
                claims.entry((1, key)).or_default().push((i, d, what));
            }
            if d.kind() == "Ingress" {
                for (host, path) in ingress_routes(d) {
                    let what = format!("host `{host}` path `{path}`");
                    claims
                        .entry((2, format!("{host}\u{0}{path}")))
                        .or_default()
                        .push((i, d, what));
                }
            }
        }
    }
    for claimants in claims.values() {
        let Some((first, first_doc, what)) = claimants.first() else {
            continue;
        };
        let mut reported = vec![*first];
        for (other, doc, _) in &claimants[1..] {
            if reported.contains(other) || !(all[*first].selected || all[*other].selected) {
                continue;
            }
            reported.push(*other);
            let (a, b) = (all[*first].instance, all[*other].instance);
            let hint = if what.starts_with("host") {
                "give each instance its own host or path, e.g. with a `set: [ingress.host=...]` entry or a values file per instance in the stack file"
            } else if what.starts_with("cluster-scoped") {
                "include the release name in the object's name so each instance gets its own, or render it from one instance only"
            } else {
                "instances sharing a namespace must render objects with different names (include the release name)"
            };
            out.push(Violation {
                instances: vec![a.name.clone(), b.name.clone()],
                message: format!(
                    "instances `{}` ({}) and `{}` ({}) both render {what}: `{}` in {} {}, `{}` in {} {}\n\nhint: {hint}",
                    a.name, a.at(), b.name, b.at(),
                    a.name, first_doc.id(), place(first_doc),
                    b.name, doc.id(), place(doc),
                ),
            });
        }
    }
}

/// The (host, path) pairs an Ingress routes; a rule without a host is `*`, a path without a path is `/`.
pub fn ingress_routes(d: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for rule in d.object()["spec"]["rules"].as_array().into_iter().flatten() {
        let host = rule["host"].as_str().unwrap_or("*").to_string();
        let paths = rule["http"]["paths"].as_array();
        match paths {
            Some(paths) if !paths.is_empty() => {
                for p in paths {
                    out.push((host.clone(), p["path"].as_str().unwrap_or("/").to_string()));
                }
            }
            _ => out.push((host.clone(), "/".to_string())),
        }
    }
    out
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
