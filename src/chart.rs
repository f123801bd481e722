//! Load a chart directory into memory with guards against escaping symlinks, oversized and non-UTF-8 files.
//!
//! A chart is `Chart.yaml`, `values.yaml`, an optional `values.schema.json`, `templates/` (files ending in
//! `.j2` are templates, `_*` files are partials, anything else passes through verbatim), optional `crds/`,
//! and local subcharts under `charts/`. Everything is read up front so that rendering never touches the disk.

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

pub use crate::limits::{MAX_CHART_BYTES, MAX_FILE_BYTES};
/// Deepest nesting of subcharts.
const MAX_SUBCHART_DEPTH: usize = 8;

/// `Chart.yaml` as tack understands it. Unknown keys are kept in [`Chart::raw`] for templates.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ChartMeta {
    #[serde(default)]
    pub api_version: Option<String>,
    pub name: String,
    pub version: String,
    #[serde(default)]
    pub app_version: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub kube_version: Option<String>,
    #[serde(default, rename = "type")]
    pub chart_type: Option<String>,
    #[serde(default)]
    pub dependencies: Vec<Dependency>,
}

/// A dependency on a local subchart under `charts/`.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct Dependency {
    pub name: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub repository: Option<String>,
    #[serde(default)]
    pub condition: Option<String>,
    #[serde(default)]
    pub alias: Option<String>,
    /// Tags that switch it on or off together with others: `tags.<tag>` in the top chart's values.
    #[serde(default)]
    pub tags: Vec<String>,
}

impl Dependency {
    /// The key under which the parent passes values to this subchart.
    pub fn values_key(&self) -> &str {
        self.alias.as_deref().unwrap_or(&self.name)
    }
}

/// A file of the chart, read into memory. `path` is relative to the chart root, with `/` separators.
#[derive(Debug, Clone)]
pub struct ChartFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl ChartFile {
    /// The file as text; charts are UTF-8 (a BOM is dropped).
    pub fn text(&self) -> Result<&str> {
        let bytes = self
            .bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&self.bytes);
        std::str::from_utf8(bytes).map_err(|e| {
            anyhow::anyhow!(
                "`{}` is not valid UTF-8 (first bad byte at offset {})\n\nhint: save the file as UTF-8",
                self.path,
                e.valid_up_to()
            )
        })
    }
}

/// A loaded chart with its subcharts.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The directory it was loaded from.
    pub dir: PathBuf,
    pub meta: ChartMeta,
    /// `Chart.yaml` as written, for the `chart` template variable.
    pub raw: serde_json::Value,
    /// Path of `values.yaml`, if the chart has one.
    pub values_file: Option<PathBuf>,
    /// `values.schema.json`, parsed.
    pub schema: Option<(PathBuf, serde_json::Value)>,
    /// Files under `templates/`, path relative to the chart root (`templates/deployment.yaml.j2`).
    pub templates: Vec<ChartFile>,
    /// Files under `crds/`.
    pub crds: Vec<ChartFile>,
    /// Every other file (for the `files` object), excluding templates, subcharts and Chart.yaml.
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/`, by directory name.
    pub subcharts: Vec<Chart>,
    /// Digest over every file of the chart (subcharts included), stable across machines.
    pub digest: String,
    /// Where a registry chart came from (`oci://HOST/PATH/NAME:VERSION@sha256:...`); `None` for folders.
    pub source: Option<String>,
}

impl Chart {
    /// Load the chart at `dir`.
    pub fn load(dir: &Path) -> Result<Chart> {
        let mut budget = MAX_CHART_BYTES;
        if dir.is_file() && is_package(dir) {
            let unpacked = crate::package::cache::unpacked_file(dir)?;
            return load_chart(&unpacked, &mut budget, 0);
        }
        load_chart(dir, &mut budget, 0)
    }

    /// True for library charts, which provide helpers but render nothing.
    pub fn is_library(&self) -> bool {
        self.meta.chart_type.as_deref() == Some("library")
    }

    /// The subchart that a dependency refers to.
    pub fn subchart(&self, dep: &Dependency) -> Option<&Chart> {
        self.subcharts.iter().find(|c| c.meta.name == dep.name)
    }

    /// Dependencies with their subcharts: declared ones first, then undeclared subcharts (enabled, no alias).
    pub fn dependencies(&self) -> Vec<(Dependency, &Chart)> {
        let mut out: Vec<(Dependency, &Chart)> = Vec::new();
        for dep in &self.meta.dependencies {
            if let Some(sub) = self.subchart(dep) {
                out.push((dep.clone(), sub));
            }
        }
        for sub in &self.subcharts {
            if !self
                .meta
                .dependencies
                .iter()
                .any(|d| d.name == sub.meta.name)
            {
                let dep = Dependency {
                    name: sub.meta.name.clone(),
                    ..Default::default()
                };
                out.push((dep, sub));
            }
        }
        out
    }
}

fn load_chart(dir: &Path, budget: &mut u64, depth: usize) -> Result<Chart> {
    if depth > MAX_SUBCHART_DEPTH {
        bail!(
            "subcharts nest deeper than {MAX_SUBCHART_DEPTH} levels at `{}`",
            dir.display()
        );
    }
    let meta_path = dir.join("Chart.yaml");
    if !dir.is_dir() {
        bail!(
            "chart directory `{}` does not exist\n\nhint: pass the path of a folder that holds Chart.yaml, e.g. `charts/webapp`",
            dir.display()
        );
    }
    if !meta_path.is_file() {
        bail!(
            "`{}` is not a chart: it has no Chart.yaml\n\nhint: a chart folder holds Chart.yaml, values.yaml and templates/",
            dir.display()
        );
    }
    let root = dir
        .canonicalize()
        .with_context(|| format!("failed to resolve chart directory `{}`", dir.display()))?;

    let all = files::read_all(&root, dir, budget)?;

    let meta_file = all
        .iter()
        .find(|f| f.path == "Chart.yaml")
        .context("Chart.yaml vanished while loading")?;
    let meta_text = meta_file.text()?;
    let display_meta = dir.join("Chart.yaml");
    let meta: ChartMeta = serde_yaml::from_str(meta_text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        anyhow::anyhow!(
            "invalid chart metadata in `{}{loc}`: {e}\n\nhint: Chart.yaml needs at least `name` and `version` (semver)",
            display_meta.display()
        )
    })?;
    meta::validate_meta(&meta, meta_text, &display_meta)?;
    let raw: serde_json::Value = serde_yaml::from_str(meta_text)
        .with_context(|| format!("failed to read `{}`", display_meta.display()))?;

    let mut hasher = Sha256::new();
    let mut templates = Vec::new();
    let mut crds = Vec::new();
    let mut files = Vec::new();
    let mut schema = None;
    for f in all {
        hasher.update(f.path.as_bytes());
        hasher.update([0]);
        hasher.update((f.bytes.len() as u64).to_le_bytes());
        hasher.update(&f.bytes);
        if f.path.starts_with("charts/") {
            continue;
        } else if f.path.starts_with("templates/") {
            templates.push(f);
        } else if f.path.starts_with("crds/") {
            crds.push(f);
        } else if f.path == "values.schema.json" {
            let path = dir.join(&f.path);
            let value: serde_json::Value = serde_json::from_str(f.text()?).map_err(|e| {
                anyhow::anyhow!(
                    "invalid JSON in `{}:{}:{}`: {e}",
                    path.display(),
                    e.line(),
                    e.column()
                )
            })?;
            schema = Some((path, value));
        } else if f.path != "Chart.yaml" {
            files.push(f);
        }
    }

    let mut subcharts = Vec::new();
    let charts_dir = dir.join("charts");
    lock::check(dir, &meta, &charts_dir)?;
    if charts_dir.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(&charts_dir)
            .with_context(|| format!("failed to list `{}`", charts_dir.display()))?
            .collect::<std::io::Result<_>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let p = entry.path();
            if p.is_dir() {
                let sub = load_chart(&p, budget, depth + 1)?;
                hasher.update(sub.digest.as_bytes());
                subcharts.push(sub);
            } else if is_package(&p) {
                let unpacked = crate::package::cache::unpacked_file(&p)
                    .with_context(|| format!("cannot read subchart `{}`", p.display()))?;
                let sub = load_chart(&unpacked, budget, depth + 1)
                    .with_context(|| format!("cannot load subchart `{}`", p.display()))?;
                hasher.update(sub.digest.as_bytes());
                subcharts.push(sub);
            }
        }
    }
    for dep in &meta.dependencies {
        if !subcharts.iter().any(|c| c.meta.name == dep.name) {
            if let Some(repo) = dep.repository.as_deref().filter(|r| !r.is_empty()) {
                bail!(
                    "`{}` declares dependency `{}` from `{repo}` but `{}` does not hold it\n\nhint: run `tack dependency build {}` (or `tack dependency update {}` to resolve it again)",
                    display_meta.display(),
                    dep.name,
                    charts_dir.display(),
                    dir.display(),
                    dir.display()
                );
            }
            bail!(
                "`{}` declares dependency `{}` but `{}` holds no chart of that name\n\nhint: put the subchart in `{}/{}/`",
                display_meta.display(),
                dep.name,
                charts_dir.display(),
                charts_dir.display(),
                dep.name
            );
        }
    }

    let values_file = dir.join("values.yaml");
    Ok(Chart {
        dir: dir.to_path_buf(),
        meta,
        raw,
        values_file: values_file.is_file().then_some(values_file),
        schema,
        templates,
        crds,
        files,
        subcharts,
        digest: format!("sha256:{}", hex::encode(hasher.finalize())),
        source: None,
    })
}

/// Whether `path` names a chart package (`.tgz`).
pub fn is_package(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "tgz")
}

#[path = "chart_files.rs"]
mod files;

#[path = "chart_meta.rs"]
mod meta;

#[path = "chart_lock.rs"]
pub mod lock;

#[cfg(test)]
#[path = "chart_tests.rs"]
mod tests;
