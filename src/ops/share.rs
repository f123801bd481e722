//! Sharing charts: package a folder, push a package to a registry, pull one back (as a package or
//! unpacked), and log in to a registry. Options in, results out; nothing here prints.

use crate::oci::{self, Pulled, Pushed};
use crate::package::{self, cache, unpack, Package};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// Package the chart folder `dir`: it must load as a chart (which also gives its name, version and digest).
pub fn pack(dir: &Path) -> Result<Package> {
    let chart = crate::chart::Chart::load(dir)?;
    package::pack(dir, (&chart.meta.name, &chart.meta.version, &chart.digest))
}

/// `tack package`: the package and where it was written.
pub fn package(chart: &Path, dest: &Path) -> Result<(Package, PathBuf)> {
    let pkg = pack(chart)?;
    let path = package::write(&pkg, dest)?;
    Ok((pkg, path))
}

/// `tack push`: push the package file at `path` to `remote` (`oci://HOST/PATH`).
pub fn push(path: &Path, remote: &str) -> Result<(Package, Pushed)> {
    if !oci::is_oci(remote) {
        bail!("`{remote}` is not a registry: push to `oci://HOST/PATH`");
    }
    let len = std::fs::metadata(path)
        .with_context(|| format!("failed to read package `{}`", path.display()))?
        .len();
    if len > crate::limits::MAX_CHART_BYTES {
        bail!(
            "package `{}` is {len} bytes, over the limit of a chart",
            path.display()
        );
    }
    let bytes = std::fs::read(path)
        .with_context(|| format!("failed to read package `{}`", path.display()))?;
    let dir = cache::unpacked_chart(&bytes, &path.display().to_string())?;
    let chart = crate::chart::Chart::load(&dir)
        .with_context(|| format!("package `{}` does not hold a valid chart", path.display()))?;
    let pkg = Package {
        name: chart.meta.name.clone(),
        version: chart.meta.version.clone(),
        digest: package::digest_of(&bytes),
        chart_digest: chart.digest.clone(),
        files: Vec::new(),
        bytes,
    };
    let pushed = oci::block(oci::push(&pkg, &chart.raw, remote, &oci::options()))?;
    Ok((pkg, pushed))
}

/// What `tack pull` wrote.
#[derive(Debug)]
pub struct PullOutcome {
    pub pulled: Pulled,
    pub path: PathBuf,
    /// The chart's name and version, from its Chart.yaml.
    pub name: String,
    pub version: String,
}

/// `tack pull`: pull `chart` at `version` into `dest`, as `NAME-VERSION.tgz` or unpacked (`untar`) into
/// `dest/NAME`, which must not exist. The package is checked whole before anything is written.
pub fn pull(chart: &str, version: Option<&str>, untar: bool, dest: &Path) -> Result<PullOutcome> {
    let pulled = oci::pull(chart, version)?;
    let what = pulled.describe();
    let unpacked = unpack::read(&pulled.archive, &what)?;
    let meta_text = unpacked
        .file("Chart.yaml")
        .with_context(|| format!("`{what}` holds no Chart.yaml"))?;
    #[derive(serde::Deserialize)]
    struct Meta {
        name: String,
        version: String,
    }
    let meta: Meta = serde_yaml::from_slice(meta_text)
        .with_context(|| format!("the Chart.yaml of `{what}` is invalid"))?;
    let name_ok = !meta.name.is_empty()
        && meta
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.');
    if !name_ok || meta.name.starts_with('.') || semver::Version::parse(&meta.version).is_err() {
        bail!("`{what}` has an invalid chart name or version in its Chart.yaml");
    }
    std::fs::create_dir_all(dest)
        .with_context(|| format!("failed to create `{}`", dest.display()))?;
    let path = if untar {
        let out = crate::limits::safe_join(dest, &meta.name)?;
        if out.exists() {
            bail!(
                "`{}` already exists\n\nhint: remove it or pull into another folder with -d DIR",
                out.display()
            );
        }
        unpack::write_tree(&unpacked, &out)?;
        out
    } else {
        let out = crate::limits::safe_join(dest, &format!("{}-{}.tgz", meta.name, meta.version))?;
        package::write_atomic(&out, &pulled.archive)?;
        out
    };
    Ok(PullOutcome {
        pulled,
        path,
        name: meta.name,
        version: meta.version,
    })
}

/// `tack registry login`: check the credentials against the registry, then store them; returns where.
pub fn login(host: &str, user: &str, secret: &str) -> Result<String> {
    if host.contains("://") || host.contains('/') || host.is_empty() {
        bail!("`{host}` is not a registry host\n\nhint: give the host (and port) only, e.g. `registry.example.com` or `127.0.0.1:5000`");
    }
    oci::block(oci::check_login(host, user, secret, &oci::options()))?;
    oci::auth::store(host, user, secret)
}
