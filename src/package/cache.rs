//! The local cache of charts: blobs keyed by their digest and packages unpacked once per digest, so a
//! packaged or pulled chart renders like a folder and a digest-pinned chart needs no network.

use super::{digest_of, unpack};
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};

/// The cache folder: `$TACK_CACHE_DIR`, else `$XDG_CACHE_HOME/tack`, else `~/.cache/tack`.
pub fn root() -> PathBuf {
    if let Some(d) = std::env::var_os("TACK_CACHE_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("tack");
    }
    match std::env::var_os("HOME") {
        Some(h) => PathBuf::from(h).join(".cache").join("tack"),
        None => std::env::temp_dir().join("tack-cache"),
    }
}

/// The hex part of a `sha256:` digest, refusing anything else (it becomes a file name).
pub fn digest_hex(digest: &str) -> Result<&str> {
    let hex = digest.strip_prefix("sha256:").unwrap_or("");
    if hex.len() != 64
        || !hex
            .chars()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase())
    {
        bail!("`{digest}` is not a sha256 digest\n\nhint: digests look like `sha256:` and 64 lower-case hex digits");
    }
    Ok(hex)
}

/// Where the blob of `digest` is kept.
pub fn blob_path(digest: &str) -> Result<PathBuf> {
    Ok(root()
        .join("blobs")
        .join("sha256")
        .join(digest_hex(digest)?))
}

/// A cached blob, read back only if its bytes still have its digest.
pub fn read_blob(digest: &str) -> Result<Option<Vec<u8>>> {
    let path = blob_path(digest)?;
    match std::fs::read(&path) {
        Ok(bytes) if digest_of(&bytes) == digest => Ok(Some(bytes)),
        Ok(_) => {
            let _ = std::fs::remove_file(&path);
            Ok(None)
        }
        Err(_) => Ok(None),
    }
}

/// Keep a blob whose digest has been verified.
pub fn store_blob(digest: &str, bytes: &[u8]) -> Result<PathBuf> {
    if digest_of(bytes) != digest {
        bail!("refusing to cache a blob whose bytes do not have digest `{digest}`");
    }
    let path = blob_path(digest)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create the cache folder `{}`", dir.display()))?;
    }
    super::write_atomic(&path, bytes)?;
    Ok(path)
}

/// The chart folder of a package: unpacked (checked, size-capped) into the cache once per digest.
/// `what` names the package in errors.
pub fn unpacked_chart(bytes: &[u8], what: &str) -> Result<PathBuf> {
    let digest = digest_of(bytes);
    let dir = root().join("charts").join(digest_hex(&digest)?);
    if dir.join("Chart.yaml").is_file() {
        return Ok(dir);
    }
    let unpacked = unpack::read(bytes, what)?;
    if unpacked.file("Chart.yaml").is_none() {
        bail!(
            "package `{what}` holds no `{}/Chart.yaml`\n\nhint: a chart package is made with `tack package CHART`",
            unpacked.top
        );
    }
    unpack::write_tree(&unpacked, &dir)?;
    Ok(dir)
}

/// The chart folder of the package file at `path` (see [`unpacked_chart`]).
pub fn unpacked_file(path: &Path) -> Result<PathBuf> {
    let len = std::fs::metadata(path)
        .with_context(|| format!("failed to read `{}`", path.display()))?
        .len();
    if len > crate::limits::MAX_CHART_BYTES {
        bail!(
            "package `{}` is {len} bytes, over the limit of {} bytes for a chart",
            path.display(),
            crate::limits::MAX_CHART_BYTES
        );
    }
    let bytes =
        std::fs::read(path).with_context(|| format!("failed to read `{}`", path.display()))?;
    unpacked_chart(&bytes, &path.display().to_string())
}
