//! Chart packages: a chart folder as one reproducible `NAME-VERSION.tgz` (sorted entries, fixed times,
//! owners and modes, so the same input gives the same bytes and digest), `.tackignore`, and the safe
//! reading of packages (see [`unpack`]) for packaged charts, subcharts and pulled artifacts.

pub mod cache;
pub mod unpack;

use anyhow::{bail, Context, Result};
use flate2::{write::GzEncoder, Compression, GzBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file listing what a package leaves out, in gitignore syntax.
pub const IGNORE_FILE: &str = ".tackignore";

/// A packaged chart.
#[derive(Debug, Clone)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// The `.tgz` bytes.
    pub bytes: Vec<u8>,
    /// `sha256:` digest of the bytes: what a registry stores and a lock file pins.
    pub digest: String,
    /// The chart's content digest (as releases record it).
    pub chart_digest: String,
    /// Chart-relative paths of the files in the package, in archive order.
    pub files: Vec<String>,
}

impl Package {
    /// `NAME-VERSION.tgz`.
    pub fn file_name(&self) -> String {
        format!("{}-{}.tgz", self.name, self.version)
    }
}

/// `sha256:` and the hex digest of `bytes`.
pub fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Package the chart folder `dir` of chart `name` `version` (whose digest is `chart_digest`; the caller
/// loaded it, see `ops::share::pack`): files matched by `.tackignore` and hidden files are left out. Entries
/// are `NAME/...` in sorted order with mtime 0, owner 0:0 and mode 0644.
pub fn pack(dir: &Path, (name, version, chart_digest): (&str, &str, &str)) -> Result<Package> {
    let ignore = ignore_rules(dir)?;
    let mut files = Vec::new();
    collect(dir, dir, &ignore, &mut files)?;
    files.sort();
    if !files.iter().any(|f| f == "Chart.yaml") {
        bail!(
            "`{}/Chart.yaml` is excluded by `{IGNORE_FILE}`\n\nhint: a package needs its Chart.yaml; remove the pattern that matches it",
            dir.display()
        );
    }
    let name = name.to_string();
    let gz = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::best());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    for rel in &files {
        let path = dir.join(rel);
        let bytes =
            std::fs::read(&path).with_context(|| format!("failed to read `{}`", path.display()))?;
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_uid(0);
        header.set_gid(0);
        header
            .set_username("")
            .and_then(|_| header.set_groupname(""))
            .context("failed to build a tar header")?;
        tar.append_data(&mut header, format!("{name}/{rel}"), bytes.as_slice())
            .with_context(|| format!("failed to add `{rel}` to the package"))?;
    }
    let gz: GzEncoder<Vec<u8>> = tar.into_inner().context("failed to finish the archive")?;
    let bytes = gz.finish().context("failed to compress the archive")?;
    Ok(Package {
        name,
        version: version.to_string(),
        digest: digest_of(&bytes),
        chart_digest: chart_digest.to_string(),
        bytes,
        files,
    })
}

/// Write `pkg` into `out_dir` (created if missing) as `NAME-VERSION.tgz`; returns the path.
pub fn write(pkg: &Package, out_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("failed to create `{}`", out_dir.display()))?;
    let path = out_dir.join(pkg.file_name());
    write_atomic(&path, &pkg.bytes)?;
    Ok(path)
}

/// Write `bytes` to `path` through a temporary file in the same folder, so readers never see half a file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("out"),
        std::process::id()
    ));
    let mut f = std::fs::File::create(&tmp)
        .with_context(|| format!("failed to write `{}`", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("failed to write `{}`", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("failed to write `{}`", path.display()))
}

/// The `.tackignore` rules of a chart folder (none when it has no such file).
fn ignore_rules(dir: &Path) -> Result<Gitignore> {
    let mut b = GitignoreBuilder::new(dir);
    let file = dir.join(IGNORE_FILE);
    if file.is_file() {
        let text = crate::limits::read_capped(&file, 1 << 20, "ignore file")?;
        for (i, line) in text.lines().enumerate() {
            b.add_line(Some(file.clone()), line).map_err(|e| {
                anyhow::anyhow!(
                    "invalid pattern `{line}` in `{}:{}`: {e}\n\nhint: `{IGNORE_FILE}` uses gitignore syntax",
                    file.display(),
                    i + 1
                )
            })?;
        }
    }
    b.build()
        .with_context(|| format!("failed to read `{}`", file.display()))
}

/// Chart-relative paths of the files to package below `dir`: hidden files and ignored paths left out,
/// symlinks followed only inside the chart (the loader already refused others).
fn collect(root: &Path, dir: &Path, ignore: &Gitignore, out: &mut Vec<String>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to list `{}`", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let meta = std::fs::metadata(&path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        let rel = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_str()
            .with_context(|| format!("file name `{}` is not UTF-8", path.display()))?
            .replace('\\', "/");
        if ignore
            .matched_path_or_any_parents(Path::new(&rel), meta.is_dir())
            .is_ignore()
        {
            continue;
        }
        if rel.matches('/').count() > 32 {
            bail!(
                "`{}` is nested too deeply (a symlink loop?)",
                path.display()
            );
        }
        if meta.is_dir() {
            collect(root, &path, ignore, out)?;
        } else if meta.is_file() {
            out.push(rel);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
