//! `Chart.lock`: the versions and digests `tack dependency update` resolved for a chart's dependencies, and
//! the check that `charts/` holds exactly what the lock names before a chart renders.

use super::{ChartMeta, Dependency};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The lock file's name, beside Chart.yaml.
pub const LOCK_FILE: &str = "Chart.lock";

/// `Chart.lock`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Lock {
    pub dependencies: Vec<Locked>,
    /// Digest of the dependencies declared in Chart.yaml when the lock was written.
    pub digest: String,
}

/// One resolved dependency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Locked {
    pub name: String,
    pub repository: String,
    pub version: String,
    /// The manifest digest in the registry (`oci://` dependencies).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Digest of the package in `charts/`.
    pub archive: String,
}

impl Locked {
    /// The file `charts/` holds for this dependency.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

/// Digest of what Chart.yaml declares (name, repository, version constraint), to tell a stale lock.
pub fn declared_digest(deps: &[Dependency]) -> String {
    let mut h = Sha256::new();
    for d in deps.iter().filter(|d| d.repository.is_some()) {
        for part in [
            Some(d.name.as_str()),
            d.repository.as_deref(),
            d.version.as_deref(),
        ] {
            h.update(part.unwrap_or("").as_bytes());
            h.update([0]);
        }
    }
    format!("sha256:{}", hex::encode(h.finalize()))
}

/// Read `dir/Chart.lock`, if there is one.
pub fn read(dir: &Path) -> Result<Option<Lock>> {
    let path = dir.join(LOCK_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = crate::limits::read_capped(&path, 1 << 20, "lock file")?;
    let lock: Lock = serde_yaml::from_str(&text).map_err(|e| {
        let loc = e
            .location()
            .map(|l| format!(":{}:{}", l.line(), l.column()))
            .unwrap_or_default();
        anyhow::anyhow!(
            "invalid lock file `{}{loc}`: {e}\n\nhint: write it again with `tack dependency update`",
            path.display()
        )
    })?;
    Ok(Some(lock))
}

/// The text of a lock file.
pub fn to_text(lock: &Lock) -> Result<String> {
    let body = serde_yaml::to_string(lock).context("failed to write the lock file")?;
    Ok(format!(
        "# Written by `tack dependency update`; `tack dependency build` installs exactly this.\n{body}"
    ))
}

/// Refuse a chart whose `charts/` disagrees with its lock: a stale lock, or a locked dependency whose package
/// is missing, of another version or with other bytes, is an error naming the dependency.
pub(super) fn check(dir: &Path, meta: &ChartMeta, charts_dir: &Path) -> Result<()> {
    let Some(lock) = read(dir)? else {
        return Ok(());
    };
    let lock_path = dir.join(LOCK_FILE);
    if lock.digest != declared_digest(&meta.dependencies) {
        bail!(
            "`{}` is out of date: the dependencies in `{}` changed since it was written\n\nhint: run `tack dependency update {}`",
            lock_path.display(),
            dir.join("Chart.yaml").display(),
            dir.display()
        );
    }
    for locked in &lock.dependencies {
        let file = charts_dir.join(locked.file_name());
        let why = match std::fs::read(&file) {
            Ok(bytes) => {
                let got = crate::package::digest_of(&bytes);
                if got == locked.archive {
                    continue;
                }
                format!(
                    "`{}` has digest {got}, the lock pins {}",
                    file.display(),
                    locked.archive
                )
            }
            Err(_) => {
                let others = other_versions(charts_dir, &locked.name);
                if others.is_empty() {
                    format!("`{}` is missing", file.display())
                } else {
                    format!(
                        "`{}` holds {} instead of `{}`",
                        charts_dir.display(),
                        others.join(", "),
                        locked.file_name()
                    )
                }
            }
        };
        bail!(
            "dependency `{}` disagrees with `{}` (version {}): {why}\n\nhint: run `tack dependency build {}` to install exactly the lock, or `tack dependency update {}` to resolve it again",
            locked.name,
            lock_path.display(),
            locked.version,
            dir.display(),
            dir.display()
        );
    }
    Ok(())
}

/// Entries of `charts/` that look like another copy of dependency `name`.
fn other_versions(charts_dir: &Path, name: &str) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(charts_dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n == name
                || n.strip_prefix(name)
                    .and_then(|r| r.strip_prefix('-'))
                    .is_some_and(|r| {
                        r.ends_with(".tgz") && r.starts_with(|c: char| c.is_ascii_digit())
                    })
        })
        .map(|n| format!("`{n}`"))
        .collect();
    out.sort();
    out
}
