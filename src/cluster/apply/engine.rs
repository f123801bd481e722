//! The apply run itself: resolve every kind and check ownership before the first write, then send
//! server-side apply patches kind group by kind group, skipping objects that are already in place.

use super::error::{parse_conflict, ApplyError};
use super::live::{owner, ownership_violation, read_live, Owner};
use super::subset::{managed_fields_still_desired, object_is_subset};
use super::{groups, is_crd, Applied, ApplyOptions, BatchKinds, Outcome, Stats};
use crate::cluster::resources::{is_unknown_kind, request_for, Resolver};
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
                validated: false,
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
                validated: true,
            });
        }
    }
    let request = request_for(
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
    let send = || {
        stats.writes.fetch_add(1, Ordering::Relaxed);
        let request = request.patch(&r.name, &params, &patch);
        async move {
            let request = request.map_err(kube::Error::BuildRequest)?;
            cluster.client.request_text(request).await
        }
    };
    let answer = match cluster.writes.send(Budget::default(), send).await {
        Ok(text) => Answer::read(&text, opts.dry_run),
        Err(e) => return Err(failed(cluster, r, obj, e)),
    };
    let outcome = match (live, answer) {
        (None, _) => Outcome::Created,
        (Some(live), Ok(answer)) if answer.leaves_unchanged(live) => Outcome::Unchanged,
        (Some(_), _) => Outcome::Configured,
    };
    Ok(Applied {
        object: r,
        outcome,
        validated: true,
    })
}

/// What is read of the server's answer to an apply: the whole object in a dry run (whose resourceVersion
/// never moves, so only its content tells whether it would change), else only its resourceVersion; the rest
/// of a real apply's answer (the object again, with its managed fields) is skipped unparsed.
#[derive(Debug, PartialEq)]
enum Answer {
    Version(Option<String>),
    Whole(Value),
}

impl Answer {
    /// An answer that cannot be read counts as a change (`Configured`): the apply itself succeeded.
    fn read(text: &str, dry_run: bool) -> serde_json::Result<Answer> {
        #[derive(serde::Deserialize)]
        struct Versioned {
            #[serde(default)]
            metadata: Meta,
        }
        #[derive(serde::Deserialize, Default)]
        struct Meta {
            #[serde(default, rename = "resourceVersion")]
            resource_version: Option<String>,
        }
        if dry_run {
            return serde_json::from_str(text).map(Answer::Whole);
        }
        let v: Versioned = serde_json::from_str(text)?;
        Ok(Answer::Version(v.metadata.resource_version))
    }

    /// Whether this answer shows that the apply changed nothing of `live`.
    fn leaves_unchanged(&self, live: &Value) -> bool {
        match self {
            Answer::Version(returned) => {
                let rv = live["metadata"]["resourceVersion"].as_str();
                rv.is_some() && rv == returned.as_deref()
            }
            Answer::Whole(returned) => {
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
        }
    }
}

/// The error of a refused or failed apply of `obj`: conflicts name the other managers and fields, other
/// refusals keep the server's message with a hint; a Secret's values are masked out of every message.
fn failed(cluster: &Cluster, r: ObjectRef, obj: &Value, e: kube::Error) -> ApplyError {
    if let kube::Error::Api(status) = &e {
        if status.code == 409 {
            let (managers, fields) = parse_conflict(status);
            return ApplyError::Conflict {
                object: r,
                managers,
                fields,
                message: redact(&status.message, obj),
            };
        }
    }
    let hint = match &e {
        kube::Error::Api(s) if s.code == 422 => "\n\nhint: fix the field named above in the chart",
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
    ApplyError::Failed { object: r, error }
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
        let read = |v: &Value, dry_run| Answer::read(&v.to_string(), dry_run).unwrap();
        assert!(read(&same, false).leaves_unchanged(&live));
        assert!(!read(&bumped, false).leaves_unchanged(&live));
        assert!(read(&same, true).leaves_unchanged(&live));
        let dry_changed =
            json!({"metadata": {"name": "a", "resourceVersion": "5"}, "data": {"k": "w"}});
        assert!(!read(&dry_changed, true).leaves_unchanged(&live));
        // a live object without a version is never taken as unchanged by one
        let unversioned = json!({"metadata": {"name": "a"}});
        assert!(!Answer::Version(None).leaves_unchanged(&unversioned));
    }

    #[test]
    fn a_real_apply_reads_only_the_resource_version_of_the_answer() {
        let answer = r#"{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"n",
            "uid":"u","resourceVersion":"333321","creationTimestamp":"2026-12-03T12:16:26Z",
            "annotations":{"tack.dev/release-name":"a"},"managedFields":[{"manager":"tack",
            "operation":"Apply","apiVersion":"v1","fieldsType":"FieldsV1",
            "fieldsV1":{"f:data":{"f:index":{}}}}]},"data":{"index":"5"}}"#;
        assert_eq!(
            Answer::read(answer, false).unwrap(),
            Answer::Version(Some("333321".into()))
        );
        assert_eq!(
            Answer::read(r#"{"kind":"Status"}"#, false).unwrap(),
            Answer::Version(None)
        );
        let Answer::Whole(whole) = Answer::read(answer, true).unwrap() else {
            panic!("a dry run reads the whole answer")
        };
        assert_eq!(whole["data"]["index"], "5");
        assert!(Answer::read("{not json", false).is_err());
    }
}
