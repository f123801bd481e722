//! The release record: what one revision of a release was (manifest, values, chart, layers, status), and
//! its encoding as compressed JSON split into Secret-sized chunks. Pure: storage lives in `storage`.

use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};

/// Record format version, part of every record's Secret name and type.
pub const FORMAT: &str = "v1";
/// Largest payload kept in one Secret (the API server's limit is 1 MiB for the whole object).
pub const CHUNK_BYTES: usize = 900 * 1024;
/// Most chunks one record may have; larger records are refused before anything is written.
pub const MAX_CHUNKS: usize = 16;
/// Largest decoded record accepted (guards against decompression bombs in corrupt records).
pub const MAX_DECODED_BYTES: u64 = 256 * 1024 * 1024;

/// Where a revision is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    Deployed,
    Superseded,
    Failed,
    Uninstalling,
    Uninstalled,
}

impl Status {
    pub const ALL: [Status; 8] = [
        Status::PendingInstall,
        Status::PendingUpgrade,
        Status::PendingRollback,
        Status::Deployed,
        Status::Superseded,
        Status::Failed,
        Status::Uninstalling,
        Status::Uninstalled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::PendingInstall => "pending-install",
            Status::PendingUpgrade => "pending-upgrade",
            Status::PendingRollback => "pending-rollback",
            Status::Deployed => "deployed",
            Status::Superseded => "superseded",
            Status::Failed => "failed",
            Status::Uninstalling => "uninstalling",
            Status::Uninstalled => "uninstalled",
        }
    }

    /// True while an operation is (or was, if it died) in progress.
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            Status::PendingInstall
                | Status::PendingUpgrade
                | Status::PendingRollback
                | Status::Uninstalling
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Status {
    type Err = anyhow::Error;
    fn from_str(s: &str) -> Result<Status> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .with_context(|| {
                format!(
                    "unknown release status `{s}` (one of: {})",
                    Status::ALL.map(|s| s.as_str()).join(", ")
                )
            })
    }
}

/// The chart a revision was rendered from.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartInfo {
    pub name: String,
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    pub digest: String,
    /// The registry chart it was pulled from, with the manifest digest (`oci://...:1.2.0@sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Which values layers produced a revision (file names and flag keys, not flag values, which may be secret).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Layers {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
    /// Keys set on the command line (`--set image.tag`), values left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub set_keys: Vec<String>,
    /// What the `-f` files and `--set*` flags gave, merged: what `--reuse-values` reuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overrides: Option<serde_json::Value>,
}

/// An object a revision applied; used to prune objects a later revision no longer renders.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectId {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// One revision of a release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub status: Status,
    pub chart: ChartInfo,
    /// The rendered manifest (YAML stream) that this revision applies.
    pub manifest: String,
    /// The objects of the manifest, in install order.
    pub objects: Vec<ObjectId>,
    /// The merged values.
    pub values: serde_json::Value,
    pub layers: Layers,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// What happened, e.g. `install complete` or `upgrade failed: ...`.
    pub description: String,
    pub first_deployed: jiff::Timestamp,
    pub last_deployed: jiff::Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleted: Option<jiff::Timestamp>,
    /// The hooks of this revision (their objects are in the manifest, never in `objects`), with their last run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<HookRecord>,
    /// The user's labels of the release (`--labels`), kept from revision to revision; `tack list -l` selects on them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A hook of a revision: which object, when it runs, and how its last run went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRecord {
    pub object: ObjectId,
    #[serde(flatten)]
    pub spec: crate::manifest::hooks::HookSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run: Option<HookRun>,
}

/// One run of a hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookRun {
    pub event: crate::manifest::hooks::Event,
    pub started: jiff::Timestamp,
    pub finished: jiff::Timestamp,
    pub succeeded: bool,
    /// Why it failed, or what its pods reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// What `list` and `history` show, read from labels and annotations without decoding the payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub name: String,
    pub namespace: String,
    pub revision: u64,
    pub status: Status,
    pub chart: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    pub updated: String,
    pub description: String,
    /// The registry chart a revision was pulled from (`oci://...@sha256:...`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The release's labels (`--labels`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

impl Release {
    pub fn summary(&self) -> Summary {
        Summary {
            name: self.name.clone(),
            namespace: self.namespace.clone(),
            revision: self.revision,
            status: self.status,
            chart: format!("{}-{}", self.chart.name, self.chart.version),
            app_version: self.chart.app_version.clone(),
            updated: self.last_deployed.to_string(),
            description: self.description.clone(),
            source: self.chart.source.clone(),
            labels: self.labels.clone(),
        }
    }
}

/// One `--labels` change: set a label, or (`key=null`) remove it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelChange {
    pub key: String,
    /// `None` removes the label.
    pub value: Option<String>,
}

/// Parse `--labels` flags (`team=shop,tier=public`, repeatable; `key=null` removes a label kept from the previous
/// revision). Keys and values follow Kubernetes' label syntax; keys under `tack.dev/` are tack's own.
pub fn parse_labels(flags: &[String]) -> Result<Vec<LabelChange>> {
    let mut out = Vec::new();
    for item in flags.iter().flat_map(|f| f.split(',')).map(str::trim) {
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            bail!("invalid --labels `{item}`: expected KEY=VALUE\n\nhint: e.g. `--labels team=shop,owner=payments`; `KEY=null` removes a label");
        };
        let (key, value) = (key.trim(), value.trim());
        check_label_key(key).with_context(|| format!("invalid --labels key `{key}`"))?;
        if key.starts_with("tack.dev/") || key == "tack.dev" {
            bail!("invalid --labels key `{key}`: keys under `tack.dev/` are tack's own\n\nhint: pick another prefix, e.g. `example.com/{}`", key.trim_start_matches("tack.dev/"));
        }
        let value = (value != "null").then(|| value.to_string());
        if let Some(v) = value
            .as_deref()
            .filter(|v| !crate::names::is_label_value(v))
        {
            bail!("invalid --labels value `{v}` for `{key}`: a label value is at most 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit");
        }
        out.push(LabelChange {
            key: key.to_string(),
            value,
        });
    }
    Ok(out)
}

fn check_label_key(key: &str) -> Result<()> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if !crate::names::is_label_name(name) {
        bail!("a label name is 1 to 63 letters, digits, `-`, `_` or `.`, starting and ending with a letter or digit");
    }
    if prefix.is_some_and(|p| !crate::names::is_dns_subdomain(p)) {
        bail!("a label prefix is a DNS subdomain such as `example.com`");
    }
    Ok(())
}

/// Apply `--labels` changes to a release's labels.
pub fn apply_labels(
    mut labels: BTreeMap<String, String>,
    changes: &[LabelChange],
) -> BTreeMap<String, String> {
    for c in changes {
        match &c.value {
            Some(v) => {
                labels.insert(c.key.clone(), v.clone());
            }
            None => {
                labels.remove(&c.key);
            }
        }
    }
    labels
}

/// Check a release name: it becomes part of Secret names and labels.
pub fn validate_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 53
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name.ends_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !ok {
        bail!(
            "invalid release name `{name}`\n\nhint: use at most 53 lower-case letters, digits and `-`, starting and ending with a letter or digit"
        );
    }
    Ok(())
}

/// Encode a release: JSON, gzip, then split into chunks of at most [`CHUNK_BYTES`].
/// Fails (before anything is written) when the record needs more than [`MAX_CHUNKS`] chunks.
pub fn encode(release: &Release) -> Result<Encoded> {
    let json = serde_json::to_vec(release).context("failed to encode the release record")?;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&json)?;
    let payload = gz.finish()?;
    let chunks: Vec<Vec<u8>> = payload.chunks(CHUNK_BYTES).map(<[u8]>::to_vec).collect();
    if chunks.len() > MAX_CHUNKS {
        bail!(
            "the release record of `{}` revision {} is {} bytes compressed, over the limit of {} bytes ({} Secrets)\n\nhint: large data (dashboards, binaries) belongs in ConfigMaps the chart renders from files, not in values",
            release.name,
            release.revision,
            payload.len(),
            CHUNK_BYTES * MAX_CHUNKS,
            MAX_CHUNKS
        );
    }
    Ok(Encoded {
        digest: format!("sha256:{}", hex::encode(Sha256::digest(&payload))),
        chunks,
    })
}

/// A record ready to store: the payload in chunks and the digest of the whole payload.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub chunks: Vec<Vec<u8>>,
    pub digest: String,
}

/// The highest revision tack writes or accepts from a stored record; a label above it is crafted or corrupt
/// (and would make the next revision number wrap).
pub const MAX_REVISION: u64 = 1_000_000_000;

/// The revision after `last`, refusing to go past [`MAX_REVISION`] instead of wrapping.
pub fn next_revision(name: &str, last: u64) -> Result<u64> {
    match last.checked_add(1) {
        Some(next) if next <= MAX_REVISION => Ok(next),
        _ => bail!(
            "release `{name}` is at revision {last}, past the highest revision tack writes ({MAX_REVISION})\n\n\
             hint: a record with this revision was not written by tack; inspect it with `tack history {name}` \
             and delete the crafted record Secret"
        ),
    }
}

/// Check the chunk list of a chunked record before any chunk is read: 2 to [`MAX_CHUNKS`] names, each the
/// name tack gives chunk `i` of `record` with this `digest` (`<record>.<digest prefix>.c<i>`), in order.
pub fn check_chunk_names(names: &[String], record: &str, digest: &str, what: &str) -> Result<()> {
    if names.len() < 2 || names.len() > MAX_CHUNKS {
        bail!(
            "release record {what} is corrupt: it names {} chunks, expected 2 to {MAX_CHUNKS}",
            names.len()
        );
    }
    let short = digest
        .strip_prefix("sha256:")
        .filter(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(|h| &h[..12])
        .with_context(|| {
            format!("release record {what} is corrupt: its digest is not a sha256 digest")
        })?;
    for (i, n) in names.iter().enumerate() {
        if *n != format!("{record}.{short}.c{i}") {
            bail!("release record {what} is corrupt: chunk {i} is named `{}`, not `{record}.{short}.c{i}`", n.escape_debug());
        }
    }
    Ok(())
}

/// Decode a record from its chunks, checking the count, sizes and digest. `what` names the record in errors.
pub fn decode(chunks: &[Vec<u8>], digest: Option<&str>, what: &str) -> Result<Release> {
    if chunks.len() > MAX_CHUNKS {
        bail!(
            "release record {what} is corrupt: {} chunks, more than {MAX_CHUNKS}",
            chunks.len()
        );
    }
    if let Some(i) = chunks.iter().position(|c| c.len() > CHUNK_BYTES) {
        bail!("release record {what} is corrupt: chunk {i} is larger than {CHUNK_BYTES} bytes");
    }
    let payload: Vec<u8> = chunks.concat();
    if let Some(expected) = digest {
        let actual = format!("sha256:{}", hex::encode(Sha256::digest(&payload)));
        if actual != expected {
            bail!("release record {what} is corrupt: its payload digest is {actual}, expected {expected}");
        }
    }
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(payload.as_slice())
        .take(MAX_DECODED_BYTES)
        .read_to_end(&mut json)
        .with_context(|| format!("release record {what} is corrupt: its payload is not gzip"))?;
    let release: Release = serde_json::from_slice(&json).with_context(|| {
        format!("release record {what} is corrupt: its payload is not a release")
    })?;
    if release.revision > MAX_REVISION {
        bail!(
            "release record {what} is corrupt: revision {} is past the highest revision tack writes ({MAX_REVISION})",
            release.revision
        );
    }
    Ok(release)
}

/// The objects of a stored revision's manifest.
pub fn manifest_objects(rel: &Release) -> Result<Vec<serde_json::Value>> {
    let mut problems = Vec::new();
    let docs =
        crate::manifest::parse_rendered("manifest", "manifest", &rel.manifest, &mut problems);
    if let Some(p) = problems.first() {
        bail!(
            "the stored manifest of `{}` revision {} is unreadable: {p}",
            rel.name,
            rel.revision
        );
    }
    Ok(docs.into_iter().map(|d| d.into_object()).collect())
}

#[cfg(test)]
#[path = "release_tests.rs"]
mod tests;
