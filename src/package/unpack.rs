//! Reading chart packages safely: decompression is capped, and every entry is checked (regular files
//! only; no absolute paths, `..`, links or devices; one top-level folder) before anything is written.

use crate::limits::{MAX_CHART_BYTES, MAX_FILE_BYTES};
use anyhow::{anyhow, bail, Context, Result};
use std::io::Read;
use std::path::{Component, Path};

/// Most entries one package may hold.
pub const MAX_ENTRIES: usize = 10_000;

/// The files of a package, read into memory and checked.
#[derive(Debug)]
pub struct Unpacked {
    /// The top-level folder every entry sits in (the chart name, by convention).
    pub top: String,
    /// Paths relative to the top folder, with their bytes, in archive order.
    pub files: Vec<(String, Vec<u8>)>,
}

impl Unpacked {
    /// The bytes of one file, by its path below the top folder.
    pub fn file(&self, rel: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|(p, _)| p == rel)
            .map(|(_, b)| b.as_slice())
    }
}

/// A reader that fails with a clear error once more than `limit` bytes come out of it.
struct Capped<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "the package expands to more than {} bytes (the limit of a chart)",
                self.limit
            )));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

/// Read the gzip tar `bytes` (named `what` in errors) into memory, refusing anything unsafe.
pub fn read(bytes: &[u8], what: &str) -> Result<Unpacked> {
    read_limited(bytes, what, MAX_CHART_BYTES)
}

/// [`read`] with an explicit limit on the decompressed size (tar headers included).
pub fn read_limited(bytes: &[u8], what: &str, limit: u64) -> Result<Unpacked> {
    let refuse = |why: String| {
        anyhow!(
            "refusing package `{what}`: {why}\n\nhint: a chart package holds regular files below one folder; \
             re-create it with `tack package`"
        )
    };
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err(refuse("it is not a gzip-compressed tar archive".into()));
    }
    let gz = flate2::read::GzDecoder::new(bytes);
    let capped = Capped {
        inner: gz,
        left: limit,
        limit,
    };
    let mut archive = tar::Archive::new(capped);
    let mut top: Option<String> = None;
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let entries = archive
        .entries()
        .map_err(|e| refuse(format!("it cannot be read ({e})")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| refuse(format!("it cannot be read ({e})")))?;
        let raw = entry.path_bytes().into_owned();
        let path =
            String::from_utf8(raw).map_err(|_| refuse("an entry's path is not UTF-8".into()))?;
        let kind = entry.header().entry_type();
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {}
            tar::EntryType::Directory => {
                check_path(&path).map_err(|why| refuse(format!("entry `{path}` {why}")))?;
                continue;
            }
            tar::EntryType::XGlobalHeader => continue,
            tar::EntryType::Symlink | tar::EntryType::Link => {
                return Err(refuse(format!("entry `{path}` is a link")))
            }
            other => {
                return Err(refuse(format!(
                    "entry `{path}` is not a regular file ({other:?})"
                )))
            }
        }
        let parts = check_path(&path).map_err(|why| refuse(format!("entry `{path}` {why}")))?;
        if parts.len() < 2 {
            return Err(refuse(format!(
                "entry `{path}` is not inside the package's top-level folder"
            )));
        }
        match &top {
            None => top = Some(parts[0].clone()),
            Some(t) if *t != parts[0] => {
                return Err(refuse(format!(
                    "entries sit in more than one top-level folder (`{t}` and `{}`)",
                    parts[0]
                )))
            }
            Some(_) => {}
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_FILE_BYTES {
            return Err(refuse(format!(
                "entry `{path}` is {size} bytes, over the limit of {MAX_FILE_BYTES} bytes for one chart file"
            )));
        }
        if files.len() >= MAX_ENTRIES {
            return Err(refuse(format!("it holds more than {MAX_ENTRIES} files")));
        }
        let rel = parts[1..].join("/");
        if files.iter().any(|(p, _)| *p == rel) {
            return Err(refuse(format!("entry `{path}` appears twice")));
        }
        let mut data = Vec::with_capacity(size as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| refuse(format!("entry `{path}` cannot be read ({e})")))?;
        files.push((rel, data));
    }
    let Some(top) = top else {
        return Err(refuse("it holds no files".into()));
    };
    Ok(Unpacked { top, files })
}

/// The normal components of an entry path, or why it is refused.
fn check_path(path: &str) -> std::result::Result<Vec<String>, &'static str> {
    if path.contains('\0') || path.contains('\\') {
        return Err("has a NUL byte or backslash in its path");
    }
    if path.starts_with('/') {
        return Err("has an absolute path");
    }
    let mut parts = Vec::new();
    for c in Path::new(path).components() {
        match c {
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => return Err("has `..` in its path"),
            Component::RootDir | Component::Prefix(_) => return Err("has an absolute path"),
        }
    }
    if parts.is_empty() {
        return Err("has an empty path");
    }
    Ok(parts)
}

/// Write checked files below `dest` (which must not exist yet): written to a temporary sibling first and
/// renamed into place, so `dest` appears whole or not at all.
pub fn write_tree(unpacked: &Unpacked, dest: &Path) -> Result<()> {
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent)
        .with_context(|| format!("failed to create `{}`", parent.display()))?;
    let tmp = parent.join(format!(
        ".{}.tmp-{}-{}",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("chart"),
        std::process::id(),
        rand::random::<u32>()
    ));
    let result = (|| -> Result<()> {
        for (rel, bytes) in &unpacked.files {
            let path = crate::limits::safe_join(&tmp, rel)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("failed to create `{}`", dir.display()))?;
            }
            std::fs::write(&path, bytes)
                .with_context(|| format!("failed to write `{}`", path.display()))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if let Err(e) = std::fs::rename(&tmp, dest) {
        let _ = std::fs::remove_dir_all(&tmp);
        if dest.is_dir() {
            // another process unpacked the same package first
            return Ok(());
        }
        bail!("failed to write `{}`: {e}", dest.display());
    }
    Ok(())
}
