//! The `clusters:` of a stack file: which clusters instances deploy to (a kubeconfig context and/or a
//! kubeconfig file each), checked with their lines like the rest of the file.

use super::names::is_dns_label;
use crate::values::PathSeg;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct RawCluster {
    /// A context of the kubeconfig.
    pub context: Option<String>,
    /// A kubeconfig file, relative to the stack file.
    pub kubeconfig: Option<String>,
}

/// A cluster of the stack file: how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterRef {
    /// Its name in `clusters:`.
    pub name: String,
    /// A kubeconfig context (else the kubeconfig's current one).
    pub context: Option<String>,
    /// A kubeconfig file, resolved against the stack file's folder (else `--kubeconfig` or `KUBECONFIG`).
    pub kubeconfig: Option<PathBuf>,
}

/// Turns a path in the file, a message and a hint into a located error.
type ErrAt<'a> = dyn Fn(&[PathSeg], &str, &str) -> String + 'a;

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

/// The declared clusters, kubeconfig paths resolved against `dir`; problems are pushed to `errors`.
pub(super) fn read(
    raw: &BTreeMap<String, RawCluster>,
    dir: &Path,
    err_at: &ErrAt,
    errors: &mut Vec<String>,
) -> BTreeMap<String, ClusterRef> {
    let mut clusters = BTreeMap::new();
    for (name, c) in raw {
        let segs = [key("clusters"), key(name)];
        if !is_dns_label(name) {
            errors.push(err_at(
                &segs,
                &format!("`{name}` is not a valid cluster name"),
                "use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
            ));
        }
        if c.context.is_none() && c.kubeconfig.is_none() {
            errors.push(err_at(
                &segs,
                &format!("cluster `{name}` names neither a `context` nor a `kubeconfig`"),
                "give the kubeconfig context to use (`context: prod-east`), a kubeconfig file relative to the stack file (`kubeconfig: clusters/east.yaml`), or both",
            ));
        }
        clusters.insert(
            name.clone(),
            ClusterRef {
                name: name.clone(),
                context: c.context.clone(),
                kubeconfig: c.kubeconfig.as_ref().map(|k| dir.join(k)),
            },
        );
    }
    clusters
}

/// The cluster `name` written at `segs`, or an error (with a suggestion) when it is not declared.
pub(super) fn resolve(
    clusters: &BTreeMap<String, ClusterRef>,
    name: &str,
    segs: &[PathSeg],
    err_at: &ErrAt,
    errors: &mut Vec<String>,
) -> Option<ClusterRef> {
    if let Some(c) = clusters.get(name) {
        return Some(c.clone());
    }
    let known: Vec<&str> = clusters.keys().map(String::as_str).collect();
    let hint = match crate::suggest::closest(name, known.iter().copied()) {
        Some(best) => format!("did you mean `{best}`? clusters: {}", known.join(", ")),
        None if known.is_empty() => {
            "declare it under `clusters:` with its kubeconfig `context` and/or `kubeconfig` file"
                .to_string()
        }
        None => format!(
            "clusters: {}; declare it under `clusters:`",
            known.join(", ")
        ),
    };
    errors.push(err_at(
        segs,
        &format!("cluster `{name}` is not declared in `clusters`"),
        &hint,
    ));
    None
}
