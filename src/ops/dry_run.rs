//! The server-side dry run of an install or upgrade (`--dry-run=server`): every object is sent with
//! `dryRun=All` and nothing is written. A first install into a namespace that does not exist yet cannot be
//! checked inside it (the server refuses objects for a missing namespace), so the namespace's creation is
//! validated on its own and its objects are checked in a stand-in namespace; the result says which checks
//! that leaves to the real install.

use super::core::{Change, DeployOptions, Deployer};
use super::deployer::ClusterDeployer;
use crate::cluster::{self, namespace::NamespaceState};
use anyhow::{Context, Result};
use serde_json::Value;
use std::collections::BTreeMap;

/// What a server-side dry run found.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// Every object with what the server said would happen to it, in install order.
    pub changes: Vec<Change>,
    /// Set when the release namespace does not exist yet.
    pub new_namespace: Option<NewNamespace>,
}

/// A release namespace that `--create-namespace` would create.
#[derive(Debug, Clone)]
pub struct NewNamespace {
    pub name: String,
    /// The labels it would get (Pod Security admission of the release's tier).
    pub labels: BTreeMap<String, String>,
    /// Where the server checked the objects meant for it.
    pub stand_in: String,
    /// How many objects were meant for it (all checked in the stand-in namespace).
    pub objects: usize,
}

/// Dry-run `objects` (rendered, hooks included: they are not sent) as release `dopts.name`. `state` is what
/// the namespace check found; `labels` are those a new namespace would get.
pub async fn server_dry_run(
    c: &cluster::Cluster,
    objects: Vec<Value>,
    dopts: &DeployOptions,
    state: NamespaceState,
    labels: &BTreeMap<String, String>,
) -> Result<DryRun> {
    let mut deployer = ClusterDeployer::new(c.clone());
    deployer.dry_run = true;
    // hooks are not objects of the release: a dry run does not create them
    let (plain, _) = super::hooks::split(objects)?;
    let objects = deployer.prepare(plain, dopts).await?;
    // refusals the server would not make (a CRD dropping a stored version) come first, as in a real deploy
    deployer.preflight(&objects, dopts).await?;
    if state != NamespaceState::WouldCreate {
        let changes = deployer.apply(&objects, dopts).await?;
        return Ok(DryRun {
            changes,
            new_namespace: None,
        });
    }

    let ns = dopts.namespace.as_str();
    let (inside, outside): (Vec<usize>, Vec<usize>) =
        (0..objects.len()).partition(|&i| objects[i]["metadata"]["namespace"] == ns);
    let mut changes: Vec<Option<Change>> = vec![None; objects.len()];

    // cluster-scoped objects and those of other namespaces: checked as usual
    let others: Vec<Value> = outside.iter().map(|&i| objects[i].clone()).collect();
    if !others.is_empty() {
        let done = deployer.apply(&others, dopts).await?;
        for (&i, change) in outside.iter().zip(done) {
            changes[i] = Some(change);
        }
    }

    // the objects for the new namespace, in the stand-in one; the batch's CRDs go along so that the kinds
    // they define are known there too
    let crds: Vec<Value> = others
        .iter()
        .filter(|o| cluster::apply::is_crd(o))
        .cloned()
        .collect();
    let mut batch = crds.clone();
    for &i in &inside {
        let mut obj = objects[i].clone();
        obj["metadata"]["namespace"] = Value::String(cluster::namespace::STAND_IN.into());
        batch.push(obj);
    }
    // whatever has the same name in the stand-in namespace is not this release's: checking over it is fine
    // since nothing is written
    let mut stand_in_opts = dopts.clone();
    stand_in_opts.adopt = true;
    if !inside.is_empty() {
        let done = deployer
            .apply(&batch, &stand_in_opts)
            .await
            .with_context(|| {
                format!(
                    "namespace `{ns}` does not exist yet, so its objects were checked in the stand-in namespace `{}`, and the server refused one",
                    cluster::namespace::STAND_IN
                )
            })?;
        for (&i, mut change) in inside.iter().zip(done.into_iter().skip(crds.len())) {
            change.object.namespace = Some(ns.to_string());
            // nothing exists in a namespace that does not exist
            change.action = "created".into();
            changes[i] = Some(change);
        }
    }
    Ok(DryRun {
        changes: changes.into_iter().flatten().collect(),
        new_namespace: Some(NewNamespace {
            name: ns.to_string(),
            labels: labels.clone(),
            stand_in: cluster::namespace::STAND_IN.to_string(),
            objects: inside.len(),
        }),
    })
}
