//! What an operation prunes: the objects of the previous revision the new one no longer has (an object is
//! the same whatever version of its API group names it), and the one object it must never prune, the
//! Namespace holding the release records.

use super::core::DeployOptions;
use crate::release::{ObjectId, Release};
use anyhow::{bail, Result};
use std::collections::BTreeSet;

/// Objects of the earlier revisions (the deployed one, and failed ones after it) that the new one no longer
/// has, each once. An object is the same whatever version of its API group names it (a Widget moved from
/// `example.com/v1` to `example.com/v2` is one object).
pub(super) fn prune_list<'a>(
    earlier: impl IntoIterator<Item = &'a Release>,
    ids: &[ObjectId],
) -> Vec<ObjectId> {
    let mut out: Vec<ObjectId> = Vec::new();
    for r in earlier {
        let seen = out.clone();
        out.extend(not_in(&not_in(&r.objects, ids), &seen));
    }
    out
}

/// The objects of `from` that `ids` do not have, compared by API group (not version), kind, namespace and
/// name.
pub(super) fn not_in(from: &[ObjectId], ids: &[ObjectId]) -> Vec<ObjectId> {
    let key = |o: &ObjectId| {
        let group = o.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        (
            group.to_string(),
            o.kind.clone(),
            o.namespace.clone(),
            o.name.clone(),
        )
    };
    let keep: BTreeSet<_> = ids.iter().map(key).collect();
    from.iter()
        .filter(|o| !keep.contains(&key(o)))
        .cloned()
        .collect()
}

/// Refuse to prune the Namespace that holds the release records (they would go with it).
pub(super) fn guard_namespace(to_prune: &[ObjectId], opts: &DeployOptions) -> Result<()> {
    if opts.allow_namespace_prune {
        return Ok(());
    }
    if to_prune
        .iter()
        .any(|o| o.kind == "Namespace" && o.name == opts.namespace)
    {
        bail!(
            "the chart no longer renders Namespace `{}`, which holds the records of release `{}`; pruning it would delete the release history\n\nhint: keep rendering the Namespace, or pass --allow-namespace-delete if that is really what you want",
            opts.namespace,
            opts.name
        );
    }
    Ok(())
}
