//! Taking live objects over from Helm for `tack import helm`, without touching their specs: one merge patch
//! per object swaps Helm's ownership annotations for tack's and rewrites `metadata.managedFields` so that
//! every field Helm's field manager owned (through client-side `Update`s in Helm 3, server-side `Apply` in
//! Helm 4) is owned by tack's server-side apply manager. tack's next apply then neither conflicts with Helm
//! nor leaves behind fields that Helm set and the chart no longer renders. See docs/coming-from-helm.md.

use super::apply::{read_live, Stats};
use super::resources::{api_for, Resolver};
use super::retry::{describe, retry, Budget};
use super::Cluster;
use crate::manifest::{
    ObjectRef, FIELD_MANAGER, RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION,
};
use anyhow::Result;
use futures::{stream, StreamExt};
use kube::api::{Patch, PatchParams};
use serde_json::{json, Map, Value};

/// Helm's annotations naming the release that owns an object.
pub const HELM_NAME_ANNOTATION: &str = "meta.helm.sh/release-name";
pub const HELM_NAMESPACE_ANNOTATION: &str = "meta.helm.sh/release-namespace";

/// What the import does with one object of the release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Annotations and field ownership change.
    Take,
    /// Already tack's (an earlier import): nothing to write.
    AlreadyTaken,
    /// Not in the cluster: nothing to take over.
    Missing,
}

/// One object: what it is, who manages its fields now and after, and the patch that makes it tack's.
#[derive(Debug, Clone)]
pub struct Takeover {
    pub object: ObjectRef,
    pub action: Action,
    /// Field managers before, as `name (Operation)` (subresources as `name (Operation /status)`).
    pub managers_before: Vec<String>,
    /// Field managers after.
    pub managers_after: Vec<String>,
    patch: Value,
    revert: Value,
    /// The manager the revert is sent as: Helm's, so that the annotations it puts back are Helm's again.
    revert_manager: String,
}

/// An entry's manager as shown to people.
fn describe_entry(e: &Value) -> String {
    let name = e["manager"].as_str().unwrap_or("?");
    let op = e["operation"].as_str().unwrap_or("?");
    match e["subresource"].as_str().filter(|s| !s.is_empty()) {
        Some(sub) => format!("{name} ({op} /{sub})"),
        None => format!("{name} ({op})"),
    }
}

fn is_helm(e: &Value, helm_managers: &[String]) -> bool {
    e["manager"]
        .as_str()
        .is_some_and(|m| helm_managers.iter().any(|h| h == m))
        && e["subresource"].as_str().unwrap_or("").is_empty()
}

/// Union of two `fieldsV1` sets.
fn union(a: &mut Value, b: &Value) {
    match (a.as_object_mut(), b.as_object()) {
        (Some(a), Some(b)) => {
            for (k, v) in b {
                match a.get_mut(k) {
                    Some(existing) => union(existing, v),
                    None => {
                        a.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (None, Some(_)) => *a = b.clone(),
        _ => {}
    }
}

/// `managedFields` with the entries of Helm's managers (not of subresources) merged into tack's server-side
/// apply entry (created when missing), minus Helm's ownership annotations, which the import removes.
/// `api_version` is the object's, used when tack has no entry yet.
pub fn hand_over(entries: &[Value], helm_managers: &[String], api_version: &str) -> Vec<Value> {
    let is_tack_apply = |e: &Value| {
        e["manager"] == FIELD_MANAGER
            && e["operation"] == "Apply"
            && e["subresource"].as_str().unwrap_or("").is_empty()
    };
    let moved: Vec<&Value> = entries
        .iter()
        .filter(|e| is_helm(e, helm_managers))
        .collect();
    if moved.is_empty() {
        return entries.to_vec();
    }
    let mut tack = entries
        .iter()
        .find(|e| is_tack_apply(e))
        .cloned()
        .unwrap_or_else(|| {
            json!({"manager": FIELD_MANAGER, "operation": "Apply", "apiVersion": api_version,
                   "fieldsType": "FieldsV1", "fieldsV1": {}})
        });
    for e in &moved {
        union(&mut tack["fieldsV1"], &e["fieldsV1"]);
        if tack["time"].is_null() || e["time"].as_str() > tack["time"].as_str() {
            tack["time"] = e["time"].clone();
        }
    }
    if let Some(ann) = tack
        .pointer_mut("/fieldsV1/f:metadata/f:annotations")
        .and_then(Value::as_object_mut)
    {
        ann.remove(&format!("f:{HELM_NAME_ANNOTATION}"));
        ann.remove(&format!("f:{HELM_NAMESPACE_ANNOTATION}"));
    }
    let mut out: Vec<Value> = Vec::with_capacity(entries.len());
    let mut placed = false;
    for e in entries {
        if is_helm(e, helm_managers) || is_tack_apply(e) {
            // tack's entry takes the place of the first entry it replaces
            if !placed {
                out.push(tack.clone());
                placed = true;
            }
        } else {
            out.push(e.clone());
        }
    }
    out
}

/// Decide what to do with one object. `Err` names why it cannot be taken over: it belongs to another Helm
/// release or another tack release.
pub fn plan_one(
    object: &ObjectRef,
    live: Option<&Value>,
    (release, ns): (&str, &str),
    helm_managers: &[String],
) -> Result<Takeover, String> {
    let Some(live) = live else {
        return Ok(Takeover {
            object: object.clone(),
            action: Action::Missing,
            managers_before: vec![],
            managers_after: vec![],
            patch: Value::Null,
            revert: Value::Null,
            revert_manager: String::new(),
        });
    };
    let ann = &live["metadata"]["annotations"];
    let text = |k: &str| ann[k].as_str().map(str::to_string);
    match (
        text(RELEASE_NAME_ANNOTATION),
        text(RELEASE_NAMESPACE_ANNOTATION),
    ) {
        (Some(n), Some(s)) if n == release && s == ns => {}
        (Some(n), s) => {
            return Err(format!(
                "{object} belongs to tack release `{n}` in namespace `{}`",
                s.unwrap_or_default()
            ))
        }
        _ => {}
    }
    if let Some(n) = text(HELM_NAME_ANNOTATION) {
        let s = text(HELM_NAMESPACE_ANNOTATION).unwrap_or_else(|| ns.to_string());
        if n != release || s != ns {
            return Err(format!(
                "{object} belongs to Helm release `{n}` in namespace `{s}`"
            ));
        }
    }
    let entries = live["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let after = hand_over(
        &entries,
        helm_managers,
        live["apiVersion"].as_str().unwrap_or_default(),
    );
    let ours = text(RELEASE_NAME_ANNOTATION).is_some();
    let helm_marked =
        text(HELM_NAME_ANNOTATION).is_some() || text(HELM_NAMESPACE_ANNOTATION).is_some();
    let action = if ours && !helm_marked && after == entries {
        Action::AlreadyTaken
    } else {
        Action::Take
    };
    let patch = json!({"metadata": {
        "resourceVersion": live["metadata"]["resourceVersion"],
        "managedFields": after,
        "annotations": {
            RELEASE_NAME_ANNOTATION: release,
            RELEASE_NAMESPACE_ANNOTATION: ns,
            HELM_NAME_ANNOTATION: null,
            HELM_NAMESPACE_ANNOTATION: null,
        },
    }});
    let mut restore = Map::new();
    for k in [
        RELEASE_NAME_ANNOTATION,
        RELEASE_NAMESPACE_ANNOTATION,
        HELM_NAME_ANNOTATION,
        HELM_NAMESPACE_ANNOTATION,
    ] {
        restore.insert(k.to_string(), ann[k].clone());
    }
    let revert = json!({"metadata": {"managedFields": entries, "annotations": restore}});
    let revert_manager = entries
        .iter()
        .find(|e| is_helm(e, helm_managers))
        .and_then(|e| e["manager"].as_str())
        .or(helm_managers.first().map(String::as_str))
        .unwrap_or("helm")
        .to_string();
    Ok(Takeover {
        object: object.clone(),
        action,
        managers_before: entries.iter().map(describe_entry).collect(),
        managers_after: after.iter().map(describe_entry).collect(),
        patch,
        revert,
        revert_manager,
    })
}

/// Read the live objects and plan each one; all refusals at once in one error.
pub async fn plan(
    c: &Cluster,
    resolver: &Resolver,
    objects: &[ObjectRef],
    owner: (&str, &str),
    helm_managers: &[String],
) -> Result<Vec<Takeover>> {
    let live = read_live(c, resolver, objects, &Stats::default()).await?;
    let mut out = Vec::with_capacity(objects.len());
    let mut refused = Vec::new();
    for r in objects {
        match plan_one(r, live.get(r), owner, helm_managers) {
            Ok(t) => out.push(t),
            Err(why) => refused.push(why),
        }
    }
    if !refused.is_empty() {
        anyhow::bail!(
            "cannot take over the objects of release `{}`: {}\n\nnothing was changed\n\nhint: an object that another release owns cannot be imported; remove it from that release first",
            owner.0,
            refused.join("; ")
        );
    }
    Ok(out)
}

async fn patch(
    c: &Cluster,
    resolver: &Resolver,
    object: &ObjectRef,
    (body, manager): (&Value, &str),
    dry_run: bool,
) -> Result<()> {
    let (resource, namespaced) = resolver.resolve(&object.api_version, &object.kind).await?;
    let api = api_for(
        &c.client,
        &resource,
        namespaced,
        object.namespace.as_deref(),
    );
    let mut params = PatchParams {
        field_manager: Some(manager.to_string()),
        ..PatchParams::default()
    };
    if dry_run {
        params = params.dry_run();
    }
    let what = if manager == FIELD_MANAGER {
        format!("take over {object}")
    } else {
        format!("give {object} back to Helm")
    };
    let body = Patch::Merge(body);
    retry(Budget::default(), || {
        api.patch(&object.name, &params, &body)
    })
    .await
    .map_err(|e| describe(e, &what, &c.server))?;
    Ok(())
}

/// Objects patched at once.
const CONCURRENCY: usize = 8;

/// Send the patch of every object to take, a few at once (with `dry_run`, as a server-side dry run that
/// writes nothing). When one fails, the objects patched are restored (their managers and annotations as
/// they were) and the error says whether that worked. Returns how many objects were patched.
pub async fn take(
    c: &Cluster,
    resolver: &Resolver,
    plans: &[Takeover],
    dry_run: bool,
) -> Result<usize> {
    let todo: Vec<&Takeover> = plans.iter().filter(|t| t.action == Action::Take).collect();
    let results: Vec<(&Takeover, Result<()>)> = stream::iter(todo)
        .map(|t| async move {
            (
                t,
                patch(c, resolver, &t.object, (&t.patch, FIELD_MANAGER), dry_run).await,
            )
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut done = Vec::new();
    let mut first_error = None;
    for (t, r) in results {
        match r {
            Ok(()) => done.push(t),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        None => Ok(done.len()),
        Some(e) if dry_run => Err(e),
        Some(e) => {
            let restored = restore(c, resolver, &done).await;
            Err(e.context(restored))
        }
    }
}

/// Put back the managers and annotations of objects taken over (after a later step failed). Returns a
/// sentence saying what was restored, for the error.
pub async fn restore(c: &Cluster, resolver: &Resolver, taken: &[&Takeover]) -> String {
    let mut failed = Vec::new();
    for t in taken {
        if let Err(e) = patch(
            c,
            resolver,
            &t.object,
            (&t.revert, &t.revert_manager),
            false,
        )
        .await
        {
            failed.push(format!("{}: {e:#}", t.object));
        }
    }
    if failed.is_empty() {
        format!(
            "the {} object(s) already taken over were given back to Helm",
            taken.len()
        )
    } else {
        format!(
            "giving objects back to Helm failed for {}; re-run the import to finish taking them over",
            failed.join("; ")
        )
    }
}

#[cfg(test)]
#[path = "takeover_tests.rs"]
mod tests;
