//! Helm 3/4 release records (`sh.helm.release.v1.NAME.vN`): their payload encoding (base64 of gzip of JSON),
//! the subset of the JSON tack reads, and the translation of one Helm revision into a tack release record.
//! Pure: reading the records from the cluster lives in `cluster::helm_records`, the import in `ops::import`.

use crate::release::{ChartInfo, HookRecord, Layers, ObjectId, Release, Status};
use anyhow::{bail, Context, Result};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;

/// Every description of an imported revision starts with this; a tack history made only of such revisions
/// is the result of an earlier import (which may be run again).
pub const IMPORT_MARK: &str = "imported from Helm revision";

/// Largest decoded Helm payload accepted (guards against decompression bombs in corrupt records).
const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// The parts of a Helm release record tack reads.
#[derive(Debug, Clone, Deserialize)]
pub struct HelmRelease {
    pub name: String,
    #[serde(default)]
    pub namespace: String,
    pub version: u64,
    pub info: HelmInfo,
    #[serde(default)]
    pub chart: Option<HelmChart>,
    /// The values given with `-f`/`--set` (Helm calls them the release's config).
    #[serde(default)]
    pub config: Option<Value>,
    #[serde(default)]
    pub manifest: String,
    #[serde(default)]
    pub hooks: Vec<HelmHook>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HelmInfo {
    #[serde(default)]
    pub first_deployed: Option<String>,
    #[serde(default)]
    pub last_deployed: Option<String>,
    #[serde(default)]
    pub deleted: Option<String>,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub notes: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HelmChart {
    #[serde(default)]
    pub metadata: HelmChartMeta,
    /// The chart's default values (`values.yaml`).
    #[serde(default)]
    pub values: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct HelmChartMeta {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default, rename = "appVersion")]
    pub app_version: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HelmHook {
    #[serde(default)]
    pub path: String,
    #[serde(default)]
    pub manifest: String,
}

/// Decode a record's `release` field as stored (a Secret's data after the API's own base64, or a ConfigMap's
/// string): base64, then gzip (or plain JSON, which old Helm versions wrote), then JSON. Errors never quote
/// the payload, which holds the release's values.
pub fn decode(stored: &[u8], what: &str) -> Result<HelmRelease> {
    let text: Vec<u8> = stored
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(&text)
        .map_err(|_| anyhow::anyhow!("Helm record {what} is corrupt: its payload is not base64"))?;
    let json = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(raw.as_slice())
            .take(MAX_DECODED_BYTES)
            .read_to_end(&mut out)
            .map_err(|_| {
                anyhow::anyhow!("Helm record {what} is corrupt: its payload is not gzip")
            })?;
        out
    } else {
        raw
    };
    serde_json::from_slice(&json).map_err(|e| {
        // the message of a serde error may quote a value: give only where it failed
        anyhow::anyhow!(
            "Helm record {what} is corrupt: its payload is not a Helm release (JSON {:?} error at line {}, column {})",
            e.classify(),
            e.line(),
            e.column()
        )
    })
}

/// What a Helm status becomes in tack; `Err` for a Helm operation in progress (or one that died), which an
/// import must not take over.
pub fn map_status(helm: &str) -> Result<Status, String> {
    Ok(match helm {
        "deployed" => Status::Deployed,
        "superseded" => Status::Superseded,
        "failed" => Status::Failed,
        "uninstalled" => Status::Uninstalled,
        // Helm writes `unknown` only when it could not tell: nothing tack could resume, so a failure
        "unknown" | "" => Status::Failed,
        "pending-install" | "pending-upgrade" | "pending-rollback" | "uninstalling" => {
            return Err(helm.to_string())
        }
        other => return Err(other.to_string()),
    })
}

/// Helm's merged values: the chart's defaults with the release's config over them (maps merge key by key,
/// a `null` in the config removes the key, anything else replaces).
pub fn merged_values(h: &HelmRelease) -> Value {
    let defaults = h
        .chart
        .as_ref()
        .and_then(|c| c.values.clone())
        .unwrap_or(Value::Object(Default::default()));
    let config = h.config.clone().unwrap_or(Value::Null);
    coalesce(defaults, config)
}

fn coalesce(base: Value, over: Value) -> Value {
    match (base, over) {
        (Value::Object(mut b), Value::Object(o)) => {
            for (k, v) in o {
                if v.is_null() {
                    b.remove(&k);
                    continue;
                }
                let merged = match b.remove(&k) {
                    Some(old) => coalesce(old, v),
                    None => v,
                };
                b.insert(k, merged);
            }
            Value::Object(b)
        }
        (base, Value::Null) => base,
        (_, over) => over,
    }
}

/// A Helm timestamp (RFC 3339, nanoseconds); Go's zero time and empty strings are `None`.
fn timestamp(s: Option<&str>) -> Option<jiff::Timestamp> {
    let t: jiff::Timestamp = s.filter(|s| !s.is_empty())?.parse().ok()?;
    (t > jiff::Timestamp::UNIX_EPOCH).then_some(t)
}

/// Parse a manifest (YAML stream) into objects; `what` names it in errors.
fn objects_of(text: &str, what: &str) -> Result<Vec<Value>> {
    let mut problems = Vec::new();
    let docs = crate::manifest::parse_rendered("manifest", "manifest", text, &mut problems);
    if let Some(p) = problems.first() {
        bail!("the manifest of {what} is unreadable: {p}");
    }
    let mut docs = docs;
    crate::manifest::sort_install_order(&mut docs);
    Ok(docs.into_iter().map(|d| d.into_object()).collect())
}

/// The identity of an object, with the release namespace for namespaced kinds that name none.
/// `namespaced(apiVersion, kind)` says whether a kind is namespaced.
pub fn object_id(obj: &Value, ns: &str, namespaced: &dyn Fn(&str, &str) -> bool) -> ObjectId {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let (api_version, kind) = (s(&obj["apiVersion"]), s(&obj["kind"]));
    let namespace = if namespaced(&api_version, &kind) {
        Some(
            obj["metadata"]["namespace"]
                .as_str()
                .filter(|n| !n.is_empty())
                .unwrap_or(ns)
                .to_string(),
        )
    } else {
        None
    };
    ObjectId {
        api_version,
        kind,
        namespace,
        name: s(&obj["metadata"]["name"]),
    }
}

/// The objects of a Helm revision's manifest (hooks are not in it), in install order.
pub fn manifest_objects(h: &HelmRelease) -> Result<Vec<Value>> {
    objects_of(
        &h.manifest,
        &format!("Helm release `{}` revision {}", h.name, h.version),
    )
}

/// The kinds (apiVersion, kind) of a revision's objects and hooks, for resolving their scope.
pub fn kinds(h: &HelmRelease) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let hooks: Vec<Value> = h
        .hooks
        .iter()
        .map(|k| objects_of(&k.manifest, &format!("hook `{}`", k.path)))
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    for o in manifest_objects(h)?.iter().chain(&hooks) {
        let pair = (
            o["apiVersion"].as_str().unwrap_or_default().to_string(),
            o["kind"].as_str().unwrap_or_default().to_string(),
        );
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    Ok(out)
}

/// One Helm revision as a tack release record of release `name` in `ns`. Hooks go into the manifest (as tack
/// keeps them) and the hook list, without their last runs.
pub fn to_release(
    h: &HelmRelease,
    ns: &str,
    namespaced: &dyn Fn(&str, &str) -> bool,
) -> Result<Release> {
    let what = format!("Helm release `{}` revision {}", h.name, h.version);
    let status = map_status(&h.info.status)
        .map_err(|s| anyhow::anyhow!("{what} is `{s}`: a Helm operation is in progress"))?;
    let objects = manifest_objects(h)?;
    let mut manifest = h.manifest.trim_end().to_string();
    let mut hooks = Vec::new();
    for hook in &h.hooks {
        for obj in objects_of(&hook.manifest, &format!("hook `{}` of {what}", hook.path))? {
            let spec = crate::manifest::hooks::spec(&obj)
                .map_err(|e| anyhow::anyhow!("hook `{}` of {what}: {e}", hook.path))?
                .with_context(|| {
                    format!("hook `{}` of {what} has no hook annotation", hook.path)
                })?;
            hooks.push(HookRecord {
                object: object_id(&obj, ns, namespaced),
                spec,
                last_run: None,
            });
        }
        manifest.push_str(&format!(
            "\n---\n# Source: {}\n{}",
            hook.path,
            hook.manifest.trim_end()
        ));
    }
    manifest.push('\n');
    let meta = h
        .chart
        .as_ref()
        .map(|c| c.metadata.clone())
        .unwrap_or_default();
    let chart_json = h
        .chart
        .as_ref()
        .map(|c| serde_json::json!({"meta": [&c.metadata.name, &c.metadata.version], "values": c.values}))
        .unwrap_or(Value::Null);
    let digest = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(chart_json.to_string().as_bytes()))
    );
    let last = timestamp(h.info.last_deployed.as_deref()).unwrap_or_else(jiff::Timestamp::now);
    let first = timestamp(h.info.first_deployed.as_deref()).unwrap_or(last);
    let config = h
        .config
        .clone()
        .filter(|c| c.as_object().is_some_and(|m| !m.is_empty()));
    Ok(Release {
        name: h.name.clone(),
        namespace: ns.to_string(),
        revision: h.version,
        status,
        chart: ChartInfo {
            name: meta.name,
            version: meta.version,
            app_version: Some(meta.app_version).filter(|a| !a.is_empty()),
            digest,
            source: None,
        },
        manifest,
        objects: objects
            .iter()
            .map(|o| object_id(o, ns, namespaced))
            .collect(),
        values: merged_values(h),
        layers: Layers {
            overrides: config,
            ..Layers::default()
        },
        notes: Some(h.info.notes.clone()).filter(|n| !n.trim().is_empty()),
        description: description(h),
        first_deployed: first,
        last_deployed: last,
        deleted: timestamp(h.info.deleted.as_deref()),
        hooks,
        // Helm keeps a release's own labels on its storage object, not in the payload
        labels: Default::default(),
    })
}

/// The description of an imported revision: the mark, the revision, and Helm's own description.
pub fn description(h: &HelmRelease) -> String {
    let mut d = format!("{IMPORT_MARK} {}", h.version);
    if !h.info.description.is_empty() {
        d.push_str(": ");
        d.push_str(&h.info.description);
    }
    d
}

#[cfg(test)]
#[path = "helm_record_tests.rs"]
mod tests;
