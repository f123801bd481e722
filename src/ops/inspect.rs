//! The read operations: history, status, list, a stored revision (with its Secret values masked unless
//! asked), and removing a lock. They return data; the commands print it.

use super::{deploy, lock};
use crate::cluster::Cluster;
use crate::events;
use crate::release::{Release, Status, Summary};
use crate::storage::secrets::SecretStore;
use crate::storage::{latest_per_release, LockState, ReleaseStore};
use anyhow::Result;
use serde::Serialize;
use std::time::Duration;

fn not_found(name: &str, ns: &str) -> anyhow::Error {
    anyhow::anyhow!("release `{name}` not found in namespace `{ns}`\n\nhint: see `tack list -A`")
}

/// Every revision of a release, oldest first; an error when there is none.
pub async fn history(c: &Cluster, ns: &str, name: &str) -> Result<Vec<Summary>> {
    let store = SecretStore::new(c.client.clone());
    let h = deploy::read_history(&store, ns, name).await?;
    if h.is_empty() {
        return Err(not_found(name, ns));
    }
    Ok(h)
}

/// What `tack status` shows, also its JSON/YAML form.
#[derive(Serialize)]
pub struct StatusView {
    #[serde(flatten)]
    pub summary: Summary,
    pub objects: Vec<String>,
    /// The live readiness of each object of the deployed revision (`Deployment ns/x: ready`); empty for an
    /// older revision.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub live: Vec<String>,
    pub notes: Option<String>,
    pub lock: Option<String>,
    /// Each hook with its last run.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<String>,
    /// Set when the latest revision failed after the deployed one: live objects may be a mix of both.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warning: Option<String>,
}

/// Read a release's revision (default: the latest) and describe its lock.
pub async fn read_status<S: ReleaseStore>(
    store: &S,
    ns: &str,
    name: &str,
    revision: Option<u64>,
) -> Result<(Release, StatusView)> {
    let h = deploy::read_history(store, ns, name).await?;
    let Some(latest) = h.last() else {
        return Err(not_found(name, ns));
    };
    let rev = revision.unwrap_or(latest.revision);
    let release = deploy::load(store, ns, name, rev).await?;
    let lock = store.read_lock(ns, name).await?;
    let lock_text = lock.map(|l| {
        let stale = if l.holder.gone() {
            " (stale: its process is gone; `tack unlock` removes it)"
        } else if l.looks_expired(jiff::Timestamp::now()) {
            " (overdue by its holder's clock; `tack unlock` watches whether it is still renewed)"
        } else {
            ""
        };
        format!("held by {}{stale}", super::lock::describe(&l))
    });
    let deployed = h
        .iter()
        .rev()
        .find(|s| s.status == Status::Deployed)
        .map(|s| s.revision);
    let warning = match deployed {
        Some(d) if latest.status == Status::Failed && latest.revision > d && rev == latest.revision => {
            Some(format!(
                "revision {} failed part-way: live objects may be a mix of revision {d} (deployed) and revision {}\n\nhint: `tack rollback {name} -n {ns}` re-applies revision {d}; `tack diff rollback {name} -n {ns}` shows what it would change",
                latest.revision, latest.revision
            ))
        }
        _ => None,
    };
    let view = StatusView {
        summary: release.summary(),
        objects: release.objects.iter().map(|o| o.to_string()).collect(),
        live: Vec::new(),
        notes: release.notes.clone(),
        lock: lock_text,
        hooks: release.hooks.iter().map(hook_line).collect(),
        warning,
    };
    Ok((release, view))
}

/// `pre-upgrade Job migrate (weight -5, hook-succeeded): succeeded at T in 1.2s`.
pub fn hook_line(h: &crate::release::HookRecord) -> String {
    let events: Vec<&str> = h.spec.events.iter().map(|e| e.as_str()).collect();
    let policies: Vec<&str> = h.spec.delete_policies.iter().map(|p| p.as_str()).collect();
    let head = format!(
        "{} {} (weight {}, {})",
        events.join(","),
        super::hooks::show(&h.object),
        h.spec.weight,
        policies.join(",")
    );
    match &h.last_run {
        None => format!("{head}: not run"),
        Some(run) => {
            let secs = run.finished.duration_since(run.started).as_secs_f64();
            let outcome = if run.succeeded { "succeeded" } else { "failed" };
            format!(
                "{head}: {} {outcome} at {} in {secs:.1}s",
                run.event, run.finished
            )
        }
    }
}

/// The status of a release in the cluster.
pub async fn status(
    c: &Cluster,
    ns: &str,
    name: &str,
    revision: Option<u64>,
) -> Result<(Release, StatusView)> {
    let (rel, mut view) =
        read_status(&SecretStore::new(c.client.clone()), ns, name, revision).await?;
    if rel.status == Status::Deployed {
        view.live = live_readiness(c, &rel).await?;
    }
    Ok((rel, view))
}

/// `Kind ns/name: ready` (or `in progress: ...`, `failed: ...`, `missing`) for each object of `rel`, read
/// from the cluster once.
async fn live_readiness(c: &Cluster, rel: &Release) -> Result<Vec<String>> {
    use crate::cluster::apply::{read_live, to_ref, Stats};
    use crate::cluster::resources::Resolver;
    let refs: Vec<_> = rel.objects.iter().map(to_ref).collect();
    let resolver = Resolver::new(c.client.clone());
    let live = read_live(c, &resolver, &refs, &Stats::default()).await?;
    Ok(refs
        .iter()
        .map(|r| match live.get(r) {
            Some(obj) => format!("{r}: {}", crate::cluster::wait::readiness(obj)),
            None => format!("{r}: missing"),
        })
        .collect())
}

/// The latest revision of every release in `ns` (all namespaces with `None`), optionally of one status.
pub async fn list(c: &Cluster, ns: Option<&str>, status: Option<Status>) -> Result<Vec<Summary>> {
    let store = SecretStore::new(c.client.clone());
    let (all, warnings) = store.list(ns).await?;
    for w in warnings {
        events::warn(w);
    }
    Ok(latest_per_release(&all)
        .into_iter()
        .filter(|s| status.is_none_or(|w| s.status == w))
        .collect())
}

/// A stored revision (default: the latest).
pub async fn get(c: &Cluster, ns: &str, name: &str, revision: Option<u64>) -> Result<Release> {
    let store = SecretStore::new(c.client.clone());
    let rev = match revision {
        Some(r) => r,
        None => match deploy::read_history(&store, ns, name).await?.last() {
            Some(s) => s.revision,
            None => return Err(not_found(name, ns)),
        },
    };
    deploy::load(&store, ns, name, rev).await
}

/// What `tack get metadata` shows, also its JSON/YAML form.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub status: Status,
    pub chart: String,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values_files: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set_keys: Vec<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub first_deployed: String,
    pub last_deployed: String,
    pub description: String,
}

/// The metadata of a stored revision.
pub fn metadata(rel: &Release) -> Metadata {
    Metadata {
        name: rel.name.clone(),
        namespace: rel.namespace.clone(),
        revision: rel.revision,
        status: rel.status,
        chart: rel.chart.name.clone(),
        version: rel.chart.version.clone(),
        app_version: rel.chart.app_version.clone(),
        source: rel.chart.source.clone(),
        env: rel.layers.env.clone(),
        tier: rel.layers.tier.clone(),
        values_files: rel.layers.files.clone(),
        set_keys: rel.layers.set_keys.clone(),
        labels: rel.labels.clone(),
        first_deployed: rel.first_deployed.to_string(),
        last_deployed: rel.last_deployed.to_string(),
        description: rel.description.clone(),
    }
}

/// The values the user gave a revision: what its `-f` files and `--set*` flags merged to (the env and tier
/// layers are files of the chart; [`layers_line`] names them). Secret-looking values masked unless asked.
pub fn given_values(rel: &Release, show_secrets: bool) -> serde_json::Value {
    let v = rel
        .layers
        .overrides
        .clone()
        .unwrap_or_else(|| serde_json::json!({}));
    if show_secrets {
        v
    } else {
        crate::values::redacted(&v)
    }
}

/// The computed values of a revision: chart defaults and every layer merged.
pub fn computed_values(rel: &Release, show_secrets: bool) -> serde_json::Value {
    if show_secrets {
        rel.values.clone()
    } else {
        crate::values::redacted(&rel.values)
    }
}

/// One line naming a revision's layers: `env prod, tier public, -f a.yaml, --set image.tag`.
pub fn layers_line(rel: &Release) -> String {
    let l = &rel.layers;
    let mut parts = Vec::new();
    match &l.env {
        Some(e) => parts.push(format!("env {e}")),
        None => parts.push("no env".to_string()),
    }
    match &l.tier {
        Some(t) => parts.push(format!("tier {t}")),
        None => parts.push("no tier".to_string()),
    }
    for f in &l.files {
        parts.push(format!("-f {f}"));
    }
    for k in &l.set_keys {
        parts.push(format!("--set {k}"));
    }
    parts.join(", ")
}

/// A stored manifest with every Secret's values masked.
pub fn masked_manifest(rel: &Release) -> String {
    let mut problems = Vec::new();
    let docs =
        crate::manifest::parse_rendered("manifest", "manifest", &rel.manifest, &mut problems);
    let mut out = String::new();
    for d in &docs {
        let obj = crate::manifest::mask_secret(d.object());
        out.push_str("---\n");
        out.push_str(crate::render::filters::json_to_yaml(&obj).trim_end());
        out.push('\n');
    }
    out
}

/// The hooks of a stored revision: for each, a comment line with its events, weight, policies and last run,
/// then its object (Secret values masked unless `show_secrets`).
pub fn hooks_text(rel: &Release, show_secrets: bool) -> Result<String> {
    let hooks = super::hooks::of_manifest(crate::release::manifest_objects(rel)?)?;
    let mut out = String::new();
    for h in crate::manifest::hooks::order_all(&hooks) {
        let id = super::deploy::object_id(&h.object);
        let line = match rel
            .hooks
            .iter()
            .find(|r| r.object.kind == id.kind && r.object.name == id.name)
        {
            Some(r) => hook_line(r),
            None => super::hooks::show(&id),
        };
        let obj = if show_secrets {
            h.object.clone()
        } else {
            crate::manifest::mask_secret(&h.object)
        };
        out.push_str(&format!("# Hook: {line}\n---\n"));
        out.push_str(crate::render::filters::json_to_yaml(&obj).trim_end());
        out.push('\n');
    }
    Ok(out)
}

/// What `tack unlock` did.
#[derive(Debug)]
pub enum Unlocked {
    NotLocked,
    /// Removed; `live` when it was not judged stale (only with `force`).
    Removed {
        lock: LockState,
        live: bool,
    },
    /// Left in place: its holder still renews it (or may: its process is not known to be gone).
    Live(LockState),
}

/// Remove the lock of a release the cluster holds.
pub async fn unlock(c: &Cluster, ns: &str, name: &str, force: bool) -> Result<Unlocked> {
    unlock_in(&SecretStore::new(c.client.clone()), ns, name, force).await
}

/// Remove the lock of a release if it is stale (its process is gone, or nobody renewed it for its time to
/// live while watched here), or whatever its state with `force`.
pub async fn unlock_in<S: ReleaseStore>(
    store: &S,
    ns: &str,
    name: &str,
    force: bool,
) -> Result<Unlocked> {
    let Some(state) = store.read_lock(ns, name).await? else {
        return Ok(Unlocked::NotLocked);
    };
    if force {
        let live = !state.holder.gone();
        return Ok(if store.unlock(ns, name, None, None).await? {
            Unlocked::Removed { lock: state, live }
        } else {
            Unlocked::NotLocked
        });
    }
    if state.looks_expired(jiff::Timestamp::now()) && !state.holder.gone() {
        events::note(format!(
            "the lock of `{name}` is overdue by its holder's clock; watching it for {}s to see whether it is still renewed",
            state.ttl.as_secs()
        ));
    }
    let Some((state, stale)) = lock::judge(store, ns, name, state, Duration::ZERO).await? else {
        return Ok(Unlocked::NotLocked);
    };
    if !stale {
        return Ok(Unlocked::Live(state));
    }
    // removed only if nobody renewed or took it since it was judged
    if store.unlock(ns, name, None, Some(&state.version)).await? {
        Ok(Unlocked::Removed {
            lock: state,
            live: false,
        })
    } else {
        match store.read_lock(ns, name).await? {
            Some(now) => Ok(Unlocked::Live(now)),
            None => Ok(Unlocked::NotLocked),
        }
    }
}
