//! `tack import helm`: take over a release that Helm manages. Every Helm revision becomes a tack record
//! (status, values, manifest, chart, notes, timestamps), and the deployed revision's live objects become
//! tack's (annotations and field ownership) without their specs changing. All or nothing as far as the API
//! allows: objects are taken over first, records written after, and a failure gives back what was done.

use super::lock;
use super::records::read_history;
use crate::cluster::helm_records::{self, HelmRecord};
use crate::cluster::resources::{is_unknown_kind, Resolver};
use crate::cluster::takeover::{self, Action, Takeover};
use crate::cluster::Cluster;
use crate::events;
use crate::helm_record::{self, HelmRelease, IMPORT_MARK};
use crate::manifest::{is_cluster_scoped, ObjectRef};
use crate::release::{Release, Status, Summary};
use crate::storage::secrets::SecretStore;
use crate::storage::{ReleaseStore, StoreError};
use anyhow::{anyhow, bail, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Duration;

/// What to import and how.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub namespace: String,
    pub name: String,
    /// Show what would happen; write nothing (the object patches go to the server as a dry run).
    pub dry_run: bool,
    /// Delete Helm's records once the import succeeded.
    pub remove_helm_records: bool,
    /// Field managers whose fields tack takes over (Helm's is the name of its binary: `helm`).
    pub helm_managers: Vec<String>,
    pub wait_for_lock: Option<Duration>,
}

/// One imported revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedRevision {
    pub revision: u64,
    pub helm_status: String,
    pub status: Status,
    pub chart: String,
    pub updated: String,
    pub description: String,
    /// What happens to its tack record: `create`, `update` (status), `keep` (already imported).
    pub record: &'static str,
}

/// One object of the deployed revision.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedObject {
    pub object: String,
    /// `take`, `already-taken` or `missing`.
    pub action: &'static str,
    pub managers_before: Vec<String>,
    pub managers_after: Vec<String>,
}

/// What an import did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub name: String,
    pub namespace: String,
    pub dry_run: bool,
    /// A tack release from an earlier import of this release existed.
    pub again: bool,
    pub deployed: u64,
    pub revisions: Vec<ImportedRevision>,
    pub objects: Vec<ImportedObject>,
    pub objects_taken: usize,
    pub records_written: usize,
    /// Helm's records, by location.
    pub helm_records: Vec<String>,
    pub helm_records_removed: usize,
    /// `--remove-helm-records` was given.
    pub remove_helm_records: bool,
}

/// Import Helm release `opts.name` of `opts.namespace`.
pub async fn import_helm(c: &Cluster, opts: &ImportOptions) -> Result<ImportReport> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    crate::release::validate_name(name)?;
    let records = helm_records::read(c, ns, name).await?;
    let helm = decode_all(&records, ns, name)?;
    let deployed = helm
        .iter()
        .rev()
        .find(|h| h.info.status == "deployed")
        .ok_or_else(|| {
            anyhow!(
                "Helm release `{name}` in namespace `{ns}` has no deployed revision (latest: revision {} `{}`): there are no live objects to take over\n\nhint: deploy it with Helm first, or install the converted chart with tack",
                helm.last().map_or(0, |h| h.version),
                helm.last().map_or("", |h| h.info.status.as_str())
            )
        })?
        .clone();

    if let Some(later) = helm.iter().rev().find(|h| h.version > deployed.version) {
        events::warn(format!(
            "revision {} (`{}`) came after the deployed revision {}: only the deployed revision's objects are taken over; objects that revision {} alone created keep Helm's annotations",
            later.version, later.info.status, deployed.version, later.version
        ));
    }
    let resolver = Resolver::for_cluster(c);
    let scopes = scopes(&resolver, &helm).await?;
    let namespaced = |av: &str, kind: &str| {
        scopes
            .get(&(av.to_string(), kind.to_string()))
            .copied()
            .unwrap_or(true)
    };
    let releases: Vec<Release> = helm
        .iter()
        .map(|h| helm_record::to_release(h, ns, &namespaced))
        .collect::<Result<_>>()?;

    // a record too large to store is refused before any object is touched
    for r in &releases {
        crate::release::encode(r)?;
    }

    let store = SecretStore::new(c.client.clone());
    let existing = read_history(&store, ns, name).await?;
    let again = check_existing(&existing, &releases, ns, name)?;

    let current = releases
        .iter()
        .find(|r| r.revision == deployed.version)
        .ok_or_else(|| {
            anyhow!(
                "revision {} of `{name}` was not converted",
                deployed.version
            )
        })?;
    let refs: Vec<ObjectRef> = current
        .objects
        .iter()
        .map(crate::cluster::apply::to_ref)
        .collect();
    let plans = takeover::plan(c, &resolver, &refs, (name, ns), &opts.helm_managers).await?;
    for t in plans.iter().filter(|t| t.action == Action::Missing) {
        events::warn(format!(
            "{} of revision {} is not in the cluster: there is nothing to take over (the next `tack upgrade` creates it)",
            t.object, deployed.version
        ));
    }
    let mut report = ImportReport {
        name: name.to_string(),
        namespace: ns.to_string(),
        dry_run: opts.dry_run,
        again,
        deployed: deployed.version,
        revisions: revisions(&helm, &releases, &existing),
        objects: plans.iter().map(object_view).collect(),
        objects_taken: 0,
        records_written: 0,
        helm_records: records.iter().map(HelmRecord::location).collect(),
        helm_records_removed: 0,
        remove_helm_records: opts.remove_helm_records,
    };
    if opts.dry_run {
        // the server checks every patch (managedFields included) and persists nothing
        report.objects_taken = takeover::take(c, &resolver, &plans, true).await?;
        return Ok(report);
    }

    let held = lock::acquire(&store, ns, name, "tack import helm", opts.wait_for_lock).await?;
    let result = held
        .guard(&store, async {
            held.fence(&store, "taking over the objects").await?;
            let taken = takeover::take(c, &resolver, &plans, false).await?;
            held.fence(&store, "writing the release records").await?;
            match write_records(&store, &releases, &existing).await {
                Ok(written) => Ok((taken, written)),
                Err(e) => {
                    let taken: Vec<&Takeover> =
                        plans.iter().filter(|t| t.action == Action::Take).collect();
                    let restored = takeover::restore(c, &resolver, &taken).await;
                    Err(e.context(restored))
                }
            }
        })
        .await;
    held.release_or_warn(&store).await;
    let (taken, written) = result?;
    report.objects_taken = taken;
    report.records_written = written;

    if opts.remove_helm_records {
        match helm_records::delete(c, &records).await {
            Ok(n) => report.helm_records_removed = n,
            Err(e) => events::warn(format!(
                "the import succeeded, but removing Helm's records failed: {e:#}\n\nhint: delete the rest with `kubectl delete secret,configmap -n {ns} -l owner=helm,name={name}`"
            )),
        }
    }
    Ok(report)
}

/// Decode every record, oldest first; refuse while a Helm operation is in progress.
fn decode_all(records: &[HelmRecord], ns: &str, name: &str) -> Result<Vec<HelmRelease>> {
    if records.is_empty() {
        bail!(
            "Helm release `{name}` not found in namespace `{ns}` (no Secret or ConfigMap labelled owner=helm,name={name})\n\nhint: `helm list -n {ns}` lists Helm's releases there"
        );
    }
    let mut out: Vec<HelmRelease> = Vec::with_capacity(records.len());
    for r in records {
        let h = helm_record::decode(&r.payload, &r.location())?;
        if h.name != name {
            bail!(
                "Helm record {} is corrupt: it holds release `{}`, not `{name}`",
                r.location(),
                h.name
            );
        }
        if let Some(other) = out.iter().find(|o| o.version == h.version) {
            bail!(
                "Helm release `{name}` has two records of revision {} (Secret and ConfigMap drivers?): {} and another\n\nhint: delete the stale one, then import",
                other.version,
                r.location()
            );
        }
        out.push(h);
    }
    out.sort_by_key(|h| h.version);
    if let Some(p) = out
        .iter()
        .find(|h| helm_record::map_status(&h.info.status).is_err())
    {
        bail!(
            "Helm release `{name}` in namespace `{ns}` is `{}` at revision {}: a Helm operation is in progress, or died\n\nnothing was changed\n\nhint: wait for it to finish; if it died, recover with `helm rollback {name} -n {ns}`, then import",
            p.info.status,
            p.version
        );
    }
    Ok(out)
}

/// Whether each (apiVersion, kind) of every revision is namespaced; kinds the cluster no longer serves are
/// judged by tack's list of built-in cluster-scoped kinds.
async fn scopes(
    resolver: &Resolver,
    helm: &[HelmRelease],
) -> Result<BTreeMap<(String, String), bool>> {
    let mut out = BTreeMap::new();
    for h in helm {
        for (av, kind) in helm_record::kinds(h)? {
            if out.contains_key(&(av.clone(), kind.clone())) {
                continue;
            }
            let namespaced = match resolver.resolve(&av, &kind).await {
                Ok((_, n)) => n,
                Err(e) if is_unknown_kind(&e) => !is_cluster_scoped(&kind),
                Err(e) => return Err(e),
            };
            out.insert((av, kind), namespaced);
        }
    }
    Ok(out)
}

/// `true` when a tack release of this name exists from an earlier import of these Helm revisions; an error
/// when it exists otherwise.
fn check_existing(
    existing: &[Summary],
    releases: &[Release],
    ns: &str,
    name: &str,
) -> Result<bool> {
    if existing.is_empty() {
        return Ok(false);
    }
    let foreign = existing.iter().find(|s| {
        !s.description.starts_with(IMPORT_MARK)
            || !releases.iter().any(|r| r.revision == s.revision)
    });
    if let Some(s) = foreign {
        bail!(
            "a tack release `{name}` already exists in namespace `{ns}` (revision {}: {}), and it is not an earlier import of this Helm release\n\nnothing was changed\n\nhint: `tack history {name} -n {ns}` shows it: either tack already manages this release since an earlier import (nothing left to import), or the name is taken by another tack release",
            s.revision,
            s.description
        );
    }
    Ok(true)
}

fn record_action(r: &Release, existing: &[Summary]) -> &'static str {
    match existing.iter().find(|s| s.revision == r.revision) {
        None => "create",
        Some(s) if s.status != r.status => "update",
        Some(_) => "keep",
    }
}

fn revisions(
    helm: &[HelmRelease],
    releases: &[Release],
    existing: &[Summary],
) -> Vec<ImportedRevision> {
    helm.iter()
        .zip(releases)
        .map(|(h, r)| ImportedRevision {
            revision: r.revision,
            helm_status: h.info.status.clone(),
            status: r.status,
            chart: format!("{}-{}", r.chart.name, r.chart.version),
            updated: r.last_deployed.to_string(),
            description: r.description.clone(),
            record: record_action(r, existing),
        })
        .collect()
}

fn object_view(t: &Takeover) -> ImportedObject {
    ImportedObject {
        object: t.object.to_string(),
        action: match t.action {
            Action::Take => "take",
            Action::AlreadyTaken => "already-taken",
            Action::Missing => "missing",
        },
        managers_before: t.managers_before.clone(),
        managers_after: t.managers_after.clone(),
    }
}

/// Write the records: create the missing revisions, correct the status of those an earlier import wrote.
/// On a failure the records created here are deleted again. Returns how many records were written.
pub async fn write_records<S: ReleaseStore>(
    store: &S,
    releases: &[Release],
    existing: &[Summary],
) -> Result<usize> {
    let mut created: Vec<u64> = Vec::new();
    let mut written = 0;
    for r in releases {
        let step = match record_action(r, existing) {
            "create" => store.create(r).await.map(|_| created.push(r.revision)),
            "update" => match store.get(&r.namespace, &r.name, r.revision).await {
                Ok(Some(stored)) => store.update(r, &stored.version).await.map(|_| ()),
                Ok(None) => Err(StoreError::NotFound(format!("revision {}", r.revision))),
                Err(e) => Err(StoreError::Other(e)),
            },
            _ => continue,
        };
        if let Err(e) = step {
            let mut undone = Vec::new();
            for rev in created.iter().rev() {
                if let Err(d) = store.delete(&r.namespace, &r.name, *rev).await {
                    undone.push(format!("revision {rev}: {d:#}"));
                }
            }
            let cleanup = if undone.is_empty() {
                format!(
                    "the {} record(s) written before were deleted",
                    created.len()
                )
            } else {
                format!(
                    "deleting the records written before failed ({})",
                    undone.join("; ")
                )
            };
            bail!(
                "writing the tack record of revision {} of `{}` failed: {e}; {cleanup}",
                r.revision,
                r.name
            );
        }
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
#[path = "import_tests.rs"]
mod tests;
