//! Reading live objects in bulk (one request per resource type and namespace), deciding who owns them,
//! and deleting only what this release owns.

use super::{groups, ApplyOptions, Stats};
use crate::cluster::resources::{api_for, is_unknown_kind, request_for, Resolver};
use crate::cluster::retry::{describe, retry, status_code, Budget};
use crate::cluster::Cluster;
use crate::manifest::{ObjectRef, RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION};
use anyhow::Result;
use futures::{stream, StreamExt, TryStreamExt};
use kube::api::{DeleteParams, ListParams, Preconditions};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;

/// Objects per LIST page: large enough that a release's objects of one type usually fit in one request.
const PAGE_SIZE: u32 = 1000;

/// One page of a LIST, its items read straight into JSON (not into typed objects first).
#[derive(serde::Deserialize)]
struct Page {
    #[serde(default)]
    items: Vec<Value>,
    #[serde(default)]
    metadata: PageMeta,
}

#[derive(serde::Deserialize, Default)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    next: Option<String>,
}

/// Who an existing object belongs to, by its tack annotations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// This release.
    This,
    /// Another tack release.
    Release { name: String, namespace: String },
    /// Nobody we know of (created by hand, by another tool, or by Helm).
    Unmanaged { helm_release: Option<String> },
}

/// The owner of `live` as seen from the release in `opts`.
pub fn owner(live: &Value, opts: &ApplyOptions) -> Owner {
    let ann = &live["metadata"]["annotations"];
    let name = ann[RELEASE_NAME_ANNOTATION].as_str();
    let namespace = ann[RELEASE_NAMESPACE_ANNOTATION].as_str();
    match (name, namespace) {
        (Some(n), Some(ns)) if n == opts.release_name && ns == opts.release_namespace => {
            Owner::This
        }
        (Some(n), ns) => Owner::Release {
            name: n.to_string(),
            namespace: ns.unwrap_or("").to_string(),
        },
        (None, _) => Owner::Unmanaged {
            helm_release: ann["meta.helm.sh/release-name"]
                .as_str()
                .map(str::to_string),
        },
    }
}

/// A short description of an owner, e.g. "release `db` in namespace `data`" or "not managed by tack".
pub fn describe_owner(owner: &Owner) -> String {
    match owner {
        Owner::This => "this release".into(),
        Owner::Release { name, namespace } => {
            format!("release `{name}` in namespace `{namespace}`")
        }
        Owner::Unmanaged {
            helm_release: Some(h),
        } => format!("managed by Helm release `{h}`, not tack"),
        Owner::Unmanaged { helm_release: None } => "not managed by tack".into(),
    }
}

/// Why applying over `r` needs `--adopt`, e.g. "ConfigMap a/x exists and is not managed by tack".
pub fn ownership_violation(r: &ObjectRef, owner: &Owner) -> String {
    match owner {
        Owner::Release { .. } | Owner::This => {
            format!("{r} belongs to {}", describe_owner(owner))
        }
        Owner::Unmanaged { .. } => format!("{r} exists and is {}", describe_owner(owner)),
    }
}

/// Live objects keyed by reference; absent keys do not exist (or their kind is not served).
pub async fn read_live(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[ObjectRef],
    stats: &Stats,
) -> Result<BTreeMap<ObjectRef, Value>> {
    // group by type and namespace, each object once (the result is keyed by reference)
    let mut unique: Vec<&ObjectRef> = objects.iter().collect();
    unique.sort();
    unique.dedup();
    let mut by_type: BTreeMap<(String, String, Option<String>), Vec<&ObjectRef>> = BTreeMap::new();
    for r in unique {
        by_type
            .entry((r.api_version.clone(), r.kind.clone(), r.namespace.clone()))
            .or_default()
            .push(r);
    }
    let found: Vec<Vec<(ObjectRef, Value)>> = stream::iter(by_type)
        .map(|((api_version, kind, namespace), refs)| async move {
            read_type(
                cluster,
                resolver,
                &api_version,
                &kind,
                namespace.as_deref(),
                &refs,
                stats,
            )
            .await
        })
        .buffer_unordered(8)
        .try_collect()
        .await?;
    Ok(found.into_iter().flatten().collect())
}

async fn read_type(
    cluster: &Cluster,
    resolver: &Resolver,
    api_version: &str,
    kind: &str,
    namespace: Option<&str>,
    refs: &[&ObjectRef],
    stats: &Stats,
) -> Result<Vec<(ObjectRef, Value)>> {
    let (resource, namespaced) = match resolver.resolve(api_version, kind).await {
        Ok(found) => found,
        Err(e) if is_unknown_kind(&e) => return Ok(vec![]),
        Err(e) => return Err(e),
    };
    let api = api_for(&cluster.client, &resource, namespaced, namespace);
    let place = match (namespaced, namespace) {
        (true, Some(ns)) => format!(" in namespace `{ns}`"),
        _ => String::new(),
    };
    let mut items: Vec<Value> = Vec::new();
    if refs.len() == 1 {
        // one object: a GET is as cheap as a LIST and reads less
        let what = format!("read {}", refs[0]);
        let got = retry(Budget::default(), || {
            stats.reads.fetch_add(1, Ordering::Relaxed);
            api.get_opt(&refs[0].name)
        })
        .await
        .map_err(|e| describe(e, &what, &cluster.server))?;
        items.extend(got.map(|o| serde_json::to_value(o).expect("objects serialize")));
    } else {
        let what = format!("list {}{place}", resource.plural);
        let request = request_for(&cluster.client, &resource, namespaced, namespace);
        let mut params = ListParams::default().limit(PAGE_SIZE);
        loop {
            let page: Page = retry(Budget::default(), || {
                stats.reads.fetch_add(1, Ordering::Relaxed);
                let request = request.list(&params);
                async move {
                    let request = request.map_err(kube::Error::BuildRequest)?;
                    cluster.client.request::<Page>(request).await
                }
            })
            .await
            .map_err(|e| describe(e, &what, &cluster.server))?;
            items.extend(page.items);
            match page.metadata.next.filter(|c| !c.is_empty()) {
                Some(token) => params = params.continue_token(&token),
                None => break,
            }
        }
    }
    let mut by_name: BTreeMap<String, Value> = BTreeMap::new();
    for mut item in items {
        let Some(name) = item["metadata"]["name"].as_str().map(str::to_string) else {
            continue;
        };
        // list items may omit their type
        item["apiVersion"] = Value::String(api_version.to_string());
        item["kind"] = Value::String(kind.to_string());
        by_name.insert(name, item);
    }
    // names are unique within a type and namespace (read_live drops repeated references): moved, not copied
    Ok(refs
        .iter()
        .filter_map(|r| by_name.remove(&r.name).map(|v| ((*r).clone(), v)))
        .collect())
}

/// What [`delete`] did with one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeleteOutcome {
    Deleted,
    AlreadyGone,
    /// Kept because it belongs to someone else (the description says whom).
    KeptNotOwned(String),
    /// Kept although this release owns it: a CRD without `--delete-crds`, or marked
    /// `helm.sh/resource-policy: keep` (the text says which).
    Kept(String),
}

/// Delete `objects` (given in install order) in reverse order, kind group by kind group; only objects
/// annotated as this release's are deleted, and of those not the ones [`super::kept_reason`] keeps.
pub async fn delete(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[ObjectRef],
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<Vec<(ObjectRef, DeleteOutcome)>> {
    let live = read_live(cluster, resolver, objects, stats).await?;
    let reversed: Vec<&ObjectRef> = objects.iter().rev().collect();
    let kinds: Vec<&str> = reversed.iter().map(|r| r.kind.as_str()).collect();
    let mut out = Vec::with_capacity(objects.len());
    for range in groups(&kinds) {
        let done: Vec<(usize, ObjectRef, DeleteOutcome)> = stream::iter(range)
            .map(|i| {
                let r = reversed[i];
                let live = live.get(r);
                async move {
                    let outcome = delete_one(cluster, resolver, r, live, opts, stats).await?;
                    Ok::<_, anyhow::Error>((i, r.clone(), outcome))
                }
            })
            .buffer_unordered(cluster.writes.max())
            .try_collect()
            .await?;
        let mut done = done;
        done.sort_by_key(|(i, _, _)| *i);
        out.extend(done.into_iter().map(|(_, r, o)| (r, o)));
    }
    Ok(out)
}

async fn delete_one(
    cluster: &Cluster,
    resolver: &Resolver,
    r: &ObjectRef,
    live: Option<&Value>,
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<DeleteOutcome> {
    let Some(live) = live else {
        return Ok(DeleteOutcome::AlreadyGone);
    };
    let who = owner(live, opts);
    if who != Owner::This {
        return Ok(DeleteOutcome::KeptNotOwned(describe_owner(&who)));
    }
    if let Some(why) = super::keep::kept_reason(live, opts) {
        return Ok(DeleteOutcome::Kept(why));
    }
    let (resource, namespaced) = match resolver.resolve(&r.api_version, &r.kind).await {
        Ok(found) => found,
        Err(e) if is_unknown_kind(&e) => return Ok(DeleteOutcome::AlreadyGone),
        Err(e) => return Err(e),
    };
    let api = api_for(
        &cluster.client,
        &resource,
        namespaced,
        r.namespace.as_deref(),
    );
    let mut params = DeleteParams::background();
    // delete the object we inspected, not a namesake created since
    params = params.preconditions(Preconditions {
        uid: live["metadata"]["uid"].as_str().map(str::to_string),
        resource_version: None,
    });
    if opts.dry_run {
        params = params.dry_run();
    }
    let what = format!("delete {r}");
    match cluster
        .writes
        .send(Budget::default(), || {
            stats.writes.fetch_add(1, Ordering::Relaxed);
            api.delete(&r.name, &params)
        })
        .await
    {
        Ok(_) => Ok(DeleteOutcome::Deleted),
        Err(e) if status_code(&e) == Some(404) => Ok(DeleteOutcome::AlreadyGone),
        Err(e) if status_code(&e) == Some(409) => Err(describe(e, &what, &cluster.server).context(format!(
            "{r} was replaced by another object of the same name while deleting; it was kept\n\nhint: inspect it and delete it by hand if it is stale"
        ))),
        Err(e) => Err(describe(e, &what, &cluster.server)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn opts() -> ApplyOptions {
        ApplyOptions::new("web", "shop")
    }

    fn bare_cm() -> Value {
        json!({"metadata": {"name": "x"}})
    }

    #[test]
    fn owner_comes_from_the_annotations() {
        let ours = json!({"metadata": {"annotations": {
            RELEASE_NAME_ANNOTATION: "web", RELEASE_NAMESPACE_ANNOTATION: "shop"}}});
        assert_eq!(owner(&ours, &opts()), Owner::This);
        let other_ns = json!({"metadata": {"annotations": {
            RELEASE_NAME_ANNOTATION: "web", RELEASE_NAMESPACE_ANNOTATION: "staging"}}});
        assert_eq!(
            describe_owner(&owner(&other_ns, &opts())),
            "release `web` in namespace `staging`"
        );
        let helm = json!({"metadata": {"annotations": {"meta.helm.sh/release-name": "old"}}});
        assert!(describe_owner(&owner(&helm, &opts())).contains("Helm release `old`"));
        let r = ObjectRef::of(
            &json!({"kind": "ConfigMap", "metadata": {"name": "x", "namespace": "a"}}),
        );
        assert_eq!(
            ownership_violation(&r, &owner(&bare_cm(), &opts())),
            "ConfigMap a/x exists and is not managed by tack"
        );
        assert_eq!(
            ownership_violation(&r, &owner(&other_ns, &opts())),
            "ConfigMap a/x belongs to release `web` in namespace `staging`"
        );
        let bare = json!({"metadata": {"name": "x"}});
        assert_eq!(
            owner(&bare, &opts()),
            Owner::Unmanaged { helm_release: None }
        );
    }
}
