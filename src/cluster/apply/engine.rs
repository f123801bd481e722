//! The apply run itself: resolve every kind and check ownership before the first write, then send
//! server-side apply patches kind group by kind group, skipping objects that are already in place.

use super::error::{parse_conflict, ApplyError};
use super::live::{owner, ownership_violation, read_live, Owner};
use super::subset::{managed_fields_still_desired, object_is_subset};
use super::{groups, is_crd, Applied, ApplyOptions, BatchKinds, Outcome, Stats};
use crate::cluster::resources::{api_for, is_unknown_kind, Resolver};
use crate::cluster::retry::{api_message, describe, Budget};
use crate::cluster::Cluster;
use crate::manifest::{redact, ObjectRef, FIELD_MANAGER};
use futures::{stream, StreamExt};
use kube::api::{Patch, PatchParams};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// How long to wait for applied CustomResourceDefinitions to be served.
const CRD_ESTABLISHED_TIMEOUT: Duration = Duration::from_secs(30);

/// Preflight, then apply `objects` (prepared, in install order). Nothing is written when a kind cannot be
/// resolved or an existing object is not ours (unless `adopt`).
pub async fn apply(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[Value],
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<Vec<Applied>, ApplyError> {
    let refs: Vec<ObjectRef> = objects.iter().map(ObjectRef::of).collect();
    if let Some(bad) = refs
        .iter()
        .find(|r| r.api_version.is_empty() || r.kind.is_empty() || r.name.is_empty())
    {
        return Err(ApplyError::Other(anyhow::anyhow!(
            "an object lacks apiVersion, kind or metadata.name (`{}` `{}` `{}`)",
            bad.api_version,
            bad.kind,
            bad.name
        )));
    }

    // every kind must be known, or defined by a CRD of this batch
    let batch = BatchKinds::of(objects);
    let mut unknown = Vec::new();
    let mut from_batch: BTreeSet<(String, String)> = BTreeSet::new();
    let kinds: BTreeSet<(&str, &str)> = refs
        .iter()
        .map(|r| (r.api_version.as_str(), r.kind.as_str()))
        .collect();
    for (api_version, kind) in kinds {
        match resolver.resolve(api_version, kind).await {
            Ok(_) => {}
            Err(e) if is_unknown_kind(&e) => match batch.scope(api_version, kind) {
                Some(_) => {
                    from_batch.insert((api_version.to_string(), kind.to_string()));
                }
                None => unknown.push(e.to_string()),
            },
            Err(e) => return Err(ApplyError::Other(e)),
        }
    }
    if !unknown.is_empty() {
        return Err(ApplyError::Other(anyhow::anyhow!(
            "cannot apply: {}\n\nno object was changed\n\nhint: install the CRDs first, or fix apiVersion and kind in the chart",
            unknown.join("; ")
        )));
    }

    // ownership of what exists, all violations at once
    let known: Vec<ObjectRef> = refs
        .iter()
        .filter(|r| !from_batch.contains(&(r.api_version.clone(), r.kind.clone())))
        .cloned()
        .collect();
    let mut live = read_live(cluster, resolver, &known, stats)
        .await
        .map_err(ApplyError::Other)?;
    if !opts.adopt {
        let violations: Vec<String> = refs
            .iter()
            .filter_map(|r| live.get(r).map(|l| (r, owner(l, opts))))
            .filter(|(_, who)| *who != Owner::This)
            .map(|(r, who)| ownership_violation(r, &who))
            .collect();
        if !violations.is_empty() {
            return Err(ApplyError::Ownership(violations));
        }
    }

    let mut applied: Vec<Applied> = Vec::with_capacity(objects.len());
    let kinds: Vec<&str> = refs.iter().map(|r| r.kind.as_str()).collect();
    for range in groups(&kinds) {
        let mut done: Vec<(usize, Result<Applied, ApplyError>)> = stream::iter(range.clone())
            .map(|i| {
                let live = live.get(&refs[i]);
                async move {
                    let r = apply_one(cluster, resolver, &objects[i], live, opts, stats).await;
                    (i, r)
                }
            })
            .buffer_unordered(cluster.writes.max())
            .collect()
            .await;
        done.sort_by_key(|(i, _)| *i);
        for (_, result) in done {
            applied.push(result?);
        }
        let crds: Vec<&str> = range
            .clone()
            .filter(|&i| is_crd(&objects[i]) && applied[i].outcome != Outcome::Unchanged)
            .map(|i| refs[i].name.as_str())
            .collect();
        if !crds.is_empty() && !opts.dry_run {
            wait_established(cluster, &crds, stats)
                .await
                .map_err(ApplyError::Other)?;
        }
        if range.clone().any(|i| is_crd(&objects[i])) {
            resolver.invalidate();
        }
        if !crds.is_empty() && !opts.dry_run {
            let changed: Vec<&Value> = range
                .clone()
                .filter(|&i| is_crd(&objects[i]) && applied[i].outcome != Outcome::Unchanged)
                .map(|i| &objects[i])
                .collect();
            super::crds::wait_served(resolver, &changed)
                .await
                .map_err(ApplyError::Other)?;
            let defined: Vec<ObjectRef> = refs[range.end..]
                .iter()
                .filter(|r| from_batch.contains(&(r.api_version.clone(), r.kind.clone())))
                .cloned()
                .collect();
            live.extend(super::crds::read_defined(cluster, resolver, &defined, opts, stats).await?);
        }
    }
    Ok(applied)
}

async fn apply_one(
    cluster: &Cluster,
    resolver: &Resolver,
    obj: &Value,
    live: Option<&Value>,
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<Applied, ApplyError> {
    let r = ObjectRef::of(obj);
    let (resource, namespaced) = match resolver.resolve(&r.api_version, &r.kind).await {
        Ok(found) => found,
        // a dry run does not install the CRD that defines this kind, so the server cannot check it
        Err(e) if opts.dry_run && is_unknown_kind(&e) => {
            return Ok(Applied {
                object: r,
                outcome: Outcome::Created,
                result: None,
            })
        }
        Err(error) => return Err(ApplyError::Failed { object: r, error }),
    };
    let ours = live.is_none_or(|l| owner(l, opts) == Owner::This);
    if let Some(live) = live {
        if ours
            && object_is_subset(obj, live)
            && managed_fields_still_desired(live, obj, FIELD_MANAGER)
        {
            return Ok(Applied {
                object: r,
                outcome: Outcome::Unchanged,
                result: Some(live.clone()),
            });
        }
    }
    let api = api_for(
        &cluster.client,
        &resource,
        namespaced,
        r.namespace.as_deref(),
    );
    let mut params = PatchParams::apply(FIELD_MANAGER);
    // adopting an object means taking its fields over from whoever managed it
    if opts.force_conflicts || (opts.adopt && !ours) {
        params = params.force();
    }
    if opts.dry_run {
        params = params.dry_run();
    }
    let patch = Patch::Apply(obj);
    let sent = cluster
        .writes
        .send(Budget::default(), || {
            stats.writes.fetch_add(1, Ordering::Relaxed);
            api.patch(&r.name, &params, &patch)
        })
        .await;
    match sent {
        Ok(returned) => {
            let returned = serde_json::to_value(returned).expect("objects serialize");
            let outcome = match live {
                None => Outcome::Created,
                Some(live) if unchanged_by(live, &returned, opts.dry_run) => Outcome::Unchanged,
                Some(_) => Outcome::Configured,
            };
            Ok(Applied {
                object: r,
                outcome,
                result: Some(returned),
            })
        }
        Err(kube::Error::Api(status)) if status.code == 409 => {
            let (managers, fields) = parse_conflict(&status);
            Err(ApplyError::Conflict {
                object: r,
                managers,
                fields,
                message: redact(&status.message, obj),
            })
        }
        Err(e) => {
            let hint = match &e {
                kube::Error::Api(s) if s.code == 422 => {
                    "\n\nhint: fix the field named above in the chart"
                }
                kube::Error::Api(s) if s.code == 404 && r.namespace.is_some() => {
                    "\n\nhint: does the namespace exist? create it first, or render it before this object"
                }
                _ => "",
            };
            let mut error = match &e {
                kube::Error::Api(s) if s.code != 401 && s.code != 403 => {
                    anyhow::anyhow!("{}{hint}", api_message(&e))
                }
                _ => describe(e, "send the patch", &cluster.server),
            };
            if obj["kind"] == "Secret" {
                error = anyhow::anyhow!("{}", redact(&format!("{error:#}"), obj));
            }
            Err(ApplyError::Failed { object: r, error })
        }
    }
}

/// Whether the server's answer shows that the apply changed nothing.
fn unchanged_by(live: &Value, returned: &Value, dry_run: bool) -> bool {
    let rv = |v: &Value| {
        v["metadata"]["resourceVersion"]
            .as_str()
            .map(str::to_string)
    };
    if !dry_run {
        return rv(live).is_some() && rv(live) == rv(returned);
    }
    // a dry run never bumps the resourceVersion: compare content instead
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(meta) = v["metadata"].as_object_mut() {
            for k in ["managedFields", "resourceVersion", "generation"] {
                meta.remove(k);
            }
        }
        v
    };
    strip(live) == strip(returned)
}

/// Wait until the named CRDs report Established, so their kinds can be used by later groups.
async fn wait_established(cluster: &Cluster, names: &[&str], stats: &Stats) -> anyhow::Result<()> {
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    let api: kube::Api<CustomResourceDefinition> = kube::Api::all(cluster.client.clone());
    let start = Instant::now();
    let mut waiting: BTreeMap<&str, String> = names
        .iter()
        .map(|n| (*n, "not yet observed".to_string()))
        .collect();
    loop {
        for (name, why) in waiting.iter_mut() {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            match api.get(name).await {
                Ok(crd) => {
                    let conditions = crd.status.and_then(|s| s.conditions).unwrap_or_default();
                    let established = conditions
                        .iter()
                        .any(|c| c.type_ == "Established" && c.status == "True");
                    *why = if established {
                        String::new()
                    } else {
                        conditions
                            .iter()
                            .find(|c| c.type_ == "NamesAccepted" && c.status == "False")
                            .map(|c| c.message.clone().unwrap_or_default())
                            .unwrap_or_else(|| "not established yet".into())
                    };
                }
                Err(e) => *why = api_message(&e),
            }
        }
        waiting.retain(|_, why| !why.is_empty());
        if waiting.is_empty() {
            return Ok(());
        }
        if start.elapsed() > CRD_ESTABLISHED_TIMEOUT {
            let list: Vec<String> = waiting
                .iter()
                .map(|(n, why)| format!("CustomResourceDefinition {n}: {why}"))
                .collect();
            anyhow::bail!(
                "applied CRDs did not become established within {}s: {}\n\nhint: check the CRDs with `kubectl get crd`; objects after them were not applied",
                CRD_ESTABLISHED_TIMEOUT.as_secs(),
                list.join("; ")
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_means_same_resource_version_or_same_content_in_a_dry_run() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "5", "managedFields": [1]}, "data": {"k": "v"}});
        let same = json!({"metadata": {"name": "a", "resourceVersion": "5", "managedFields": [2]}, "data": {"k": "v"}});
        let bumped = json!({"metadata": {"name": "a", "resourceVersion": "6"}, "data": {"k": "w"}});
        assert!(unchanged_by(&live, &same, false));
        assert!(!unchanged_by(&live, &bumped, false));
        assert!(unchanged_by(&live, &same, true));
        let dry_changed =
            json!({"metadata": {"name": "a", "resourceVersion": "5"}, "data": {"k": "w"}});
        assert!(!unchanged_by(&live, &dry_changed, true));
    }
}
