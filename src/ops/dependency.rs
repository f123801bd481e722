//! Chart dependencies from registries (`repository: oci://HOST/PATH`) and folders (`file://PATH`): `update`
//! resolves version ranges, fills `charts/` with packages and writes `Chart.lock` (versions and digests);
//! `build` installs exactly what the lock names, verifying every digest.

use crate::chart::lock::{self, Lock, Locked};
use crate::chart::{ChartMeta, Dependency};
use crate::oci;
use crate::package;
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};

/// What `update` or `build` did.
#[derive(Debug)]
pub struct Outcome {
    pub lock: Lock,
    /// Packages written into `charts/`.
    pub written: Vec<PathBuf>,
    /// Old packages of the same dependencies removed from `charts/`.
    pub removed: Vec<PathBuf>,
}

fn read_meta(dir: &Path) -> Result<ChartMeta> {
    let path = dir.join("Chart.yaml");
    let text = crate::limits::read_capped(&path, crate::limits::MAX_FILE_BYTES, "chart metadata")?;
    serde_yaml::from_str(&text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        anyhow!("invalid chart metadata in `{}{loc}`: {e}", path.display())
    })
}

/// The package and lock entry of one dependency, resolved afresh.
fn resolve(dir: &Path, dep: &Dependency, repo: &str) -> Result<(Locked, Vec<u8>)> {
    if oci::is_oci(repo) {
        let base = oci::ChartRef::parse(repo)
            .with_context(|| format!("dependency `{}`: invalid repository", dep.name))?;
        if base.tag.is_some() || base.digest.is_some() {
            bail!("dependency `{}`: repository `{repo}` names a tag or digest; give the version in `version`", dep.name);
        }
        let child = base.child(&dep.name);
        let pulled = oci::pull(&child.base(), dep.version.as_deref())
            .with_context(|| format!("dependency `{}`", dep.name))?;
        let version = pulled
            .version
            .as_deref()
            .and_then(oci::reference::tag_version)
            .map(|v| v.to_string())
            .with_context(|| {
                format!(
                    "dependency `{}`: the registry tag is not a version",
                    dep.name
                )
            })?;
        let locked = Locked {
            name: dep.name.clone(),
            repository: repo.to_string(),
            version,
            digest: Some(pulled.digest.clone()),
            archive: pulled.archive_digest.clone(),
        };
        return Ok((locked, pulled.archive));
    }
    if let Some(rel) = repo.strip_prefix("file://") {
        let src = dir.join(rel);
        let pkg = super::share::pack(&src)
            .with_context(|| format!("dependency `{}` (`{repo}`)", dep.name))?;
        if pkg.name != dep.name {
            bail!(
                "dependency `{}`: `{}` holds chart `{}`\n\nhint: name the dependency after the chart it points to",
                dep.name,
                src.display(),
                pkg.name
            );
        }
        if let Some(req) = &dep.version {
            let v = semver::Version::parse(&pkg.version)?;
            let r = semver::VersionReq::parse(req).map_err(|e| {
                anyhow!(
                    "dependency `{}`: `{req}` is not a version range: {e}",
                    dep.name
                )
            })?;
            if !r.matches(&v) {
                bail!(
                    "dependency `{}`: `{}` is version {}, outside `{req}`",
                    dep.name,
                    src.display(),
                    pkg.version
                );
            }
        }
        let locked = Locked {
            name: dep.name.clone(),
            repository: repo.to_string(),
            version: pkg.version.clone(),
            digest: None,
            archive: pkg.digest.clone(),
        };
        return Ok((locked, pkg.bytes));
    }
    bail!(
        "dependency `{}`: repository `{repo}` is not supported\n\nhint: use `oci://HOST/PATH` for a registry or `file://PATH` for a folder",
        dep.name
    )
}

/// The dependencies of `meta` that come from a repository.
fn managed(meta: &ChartMeta) -> Vec<(&Dependency, &str)> {
    meta.dependencies
        .iter()
        .filter_map(|d| d.repository.as_deref().map(|r| (d, r)))
        .filter(|(_, r)| !r.is_empty())
        .collect()
}

/// Write packages into `charts/`, removing other versions of the same dependencies; nothing is removed
/// before every package is in hand.
fn install(dir: &Path, entries: Vec<(Locked, Vec<u8>)>, lock: Lock) -> Result<Outcome> {
    let charts = dir.join("charts");
    std::fs::create_dir_all(&charts)
        .with_context(|| format!("failed to create `{}`", charts.display()))?;
    let mut written = Vec::new();
    let mut removed = Vec::new();
    for (locked, bytes) in &entries {
        let keep = locked.file_name();
        if let Ok(rd) = std::fs::read_dir(&charts) {
            for e in rd.filter_map(|e| e.ok()) {
                let n = e.file_name().to_string_lossy().into_owned();
                let same_dep = n
                    .strip_prefix(&locked.name)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|r| {
                        r.ends_with(".tgz") && r.starts_with(|c: char| c.is_ascii_digit())
                    });
                if same_dep && n != keep {
                    std::fs::remove_file(e.path())
                        .with_context(|| format!("failed to remove `{}`", e.path().display()))?;
                    removed.push(e.path());
                }
            }
        }
        let path = charts.join(&keep);
        package::write_atomic(&path, bytes)?;
        written.push(path);
    }
    package::write_atomic(&dir.join(lock::LOCK_FILE), lock::to_text(&lock)?.as_bytes())?;
    Ok(Outcome {
        lock,
        written,
        removed,
    })
}

/// `tack dependency update`: resolve every dependency afresh, fill `charts/` and write `Chart.lock`.
pub fn update(dir: &Path) -> Result<Outcome> {
    let meta = read_meta(dir)?;
    let mut entries = Vec::new();
    for (dep, repo) in managed(&meta) {
        crate::events::note(format!("resolving dependency `{}` from {repo}", dep.name));
        entries.push(resolve(dir, dep, repo)?);
    }
    let lock = Lock {
        dependencies: entries.iter().map(|(l, _)| l.clone()).collect(),
        digest: lock::declared_digest(&meta.dependencies),
    };
    install(dir, entries, lock)
}

/// `tack dependency build`: install exactly what `Chart.lock` names, every package checked against its
/// locked digest.
pub fn build(dir: &Path) -> Result<Outcome> {
    let meta = read_meta(dir)?;
    let lock_path = dir.join(lock::LOCK_FILE);
    let Some(lock) = lock::read(dir)? else {
        bail!(
            "`{}` does not exist\n\nhint: run `tack dependency update {}` to resolve the dependencies and write it",
            lock_path.display(),
            dir.display()
        );
    };
    if lock.digest != lock::declared_digest(&meta.dependencies) {
        bail!(
            "`{}` is out of date: the dependencies in Chart.yaml changed since it was written\n\nhint: run `tack dependency update {}`",
            lock_path.display(),
            dir.display()
        );
    }
    let mut entries = Vec::new();
    for locked in &lock.dependencies {
        crate::events::note(format!(
            "fetching dependency `{}` {} from {}",
            locked.name, locked.version, locked.repository
        ));
        let bytes = if oci::is_oci(&locked.repository) {
            let digest = locked.digest.as_deref().with_context(|| {
                format!(
                    "`{}`: dependency `{}` has no manifest digest",
                    lock_path.display(),
                    locked.name
                )
            })?;
            let base = oci::ChartRef::parse(&locked.repository)?.child(&locked.name);
            let pulled = oci::pull(&format!("{}@{digest}", base.base()), None)
                .with_context(|| format!("dependency `{}`", locked.name))?;
            pulled.archive
        } else if let Some(rel) = locked.repository.strip_prefix("file://") {
            super::share::pack(&dir.join(rel))
                .with_context(|| format!("dependency `{}`", locked.name))?
                .bytes
        } else {
            bail!(
                "dependency `{}`: repository `{}` is not supported",
                locked.name,
                locked.repository
            );
        };
        let got = package::digest_of(&bytes);
        if got != locked.archive {
            bail!(
                "dependency `{}` {}: the package has digest {got}, `{}` pins {}\n\nhint: the source changed since the lock was written; run `tack dependency update {}` if that is intended",
                locked.name,
                locked.version,
                lock_path.display(),
                locked.archive,
                dir.display()
            );
        }
        entries.push((locked.clone(), bytes));
    }
    install(dir, entries, lock)
}

#[cfg(test)]
#[path = "dependency_tests.rs"]
mod tests;
