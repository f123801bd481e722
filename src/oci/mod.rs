//! OCI registries: chart references (`oci://HOST/PATH/NAME`, with a tag, `--version` (a semver range) or an
//! `@sha256:` digest), and push and pull of chart packages through `oci-client`. Every manifest and blob is
//! size-capped and digest-verified before use, and kept in the local cache keyed by its digest.

pub mod auth;
mod push;
pub mod reference;
mod registry;

pub use push::{check_login, push, Pushed};
pub use reference::ChartRef;
pub use registry::Pulled;

use anyhow::{Context, Result};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock, RwLock};

/// Media types of tack's own chart artifacts (see docs/packaging.md).
pub mod media {
    /// The artifact type of a tack chart.
    pub const ARTIFACT: &str = "application/vnd.tack.chart.v1";
    /// Config blob: Chart.yaml as JSON.
    pub const CONFIG: &str = "application/vnd.tack.chart.config.v1+json";
    /// The one layer: the chart package (`tack package`).
    pub const CONTENT: &str = "application/vnd.tack.chart.content.v1.tar+gzip";
    /// Helm's chart config, read when pulling Helm charts.
    pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
    /// Helm's chart layer.
    pub const HELM_CONTENT: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
    /// The OCI image manifest.
    pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
}

/// How registries are reached: extra CA certificates and plain HTTP (only when asked).
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    /// A PEM file of CA certificates trusted besides the system's.
    pub ca_file: Option<PathBuf>,
    /// Speak plain HTTP instead of HTTPS (never chosen silently).
    pub plain_http: bool,
}

static OPTIONS: RwLock<Option<RegistryOptions>> = RwLock::new(None);

/// Set how registries are reached for this process (from `--ca-file` and `--plain-http`).
pub fn set_options(o: RegistryOptions) {
    *OPTIONS.write().unwrap_or_else(|e| e.into_inner()) = Some(o);
}

/// How registries are reached (the defaults unless [`set_options`] was called).
pub fn options() -> RegistryOptions {
    OPTIONS
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
        .unwrap_or_default()
}

/// Whether a chart argument names a registry chart.
pub fn is_oci(s: &str) -> bool {
    s.starts_with("oci://")
}

/// Run `fut` to completion on a runtime of its own, on a thread of its own (so callers may already be
/// inside a runtime).
pub fn block<T: Send>(fut: impl std::future::Future<Output = Result<T>> + Send) -> Result<T> {
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .context("failed to start the network runtime")?;
            rt.block_on(fut)
        })
        .join()
        .unwrap_or_else(|_| Err(anyhow::anyhow!("the registry client stopped unexpectedly")))
    })
}

/// A registry chart resolved to a local, digest-verified copy.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The unpacked chart folder in the cache.
    pub dir: PathBuf,
    /// `oci://HOST/PATH/NAME:VERSION@sha256:...`: what was deployed, for the release record.
    pub source: String,
}

/// Charts resolved by this process, by reference and `--version`.
type Memo = Mutex<HashMap<(String, Option<String>), Resolved>>;

static RESOLVED: OnceLock<Memo> = OnceLock::new();

/// Resolve `chart` (an `oci://` reference) with `version` (exact, a semver range, or none for the highest
/// version) to a cached chart folder. Each reference is resolved once per process.
pub fn resolve_chart(chart: &str, version: Option<&str>) -> Result<Resolved> {
    let key = (chart.to_string(), version.map(str::to_string));
    let memo = RESOLVED.get_or_init(Default::default);
    if let Some(r) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(r.clone());
    }
    let r = ChartRef::parse(chart)?;
    let opts = options();
    let pulled = block(registry::pull(&r, version, &opts))?;
    let dir = crate::package::cache::unpacked_chart(&pulled.archive, &pulled.describe())?;
    let resolved = Resolved {
        dir,
        source: pulled.describe(),
    };
    memo.lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, resolved.clone());
    Ok(resolved)
}

/// Pull `chart` with `version` (see [`resolve_chart`]) and hand back the package and where it came from.
pub fn pull(chart: &str, version: Option<&str>) -> Result<Pulled> {
    let r = ChartRef::parse(chart)?;
    let opts = options();
    block(registry::pull(&r, version, &opts))
}
