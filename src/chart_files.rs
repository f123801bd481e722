//! Read every file of a chart folder into memory: the folder is walked once (symlinks that leave the chart,
//! oversized files and too deep nesting refused), then the files are read on every core, since a large
//! chart is thousands of small files and reading them one after another is most of the time it takes to load.

use super::{ChartFile, MAX_CHART_BYTES, MAX_FILE_BYTES};
use anyhow::{bail, Context, Result};
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

/// Fewer files than this are read on the calling thread: a thread costs more than it saves.
const MIN_PARALLEL_FILES: usize = 64;

/// A file found by the walk, to be read.
struct Found {
    /// Chart-relative path with `/` separators.
    rel: String,
    path: PathBuf,
}

/// Every file below `root` (chart-relative paths in sorted order), counted against `budget` bytes.
/// `shown_root` is how the chart folder is named in errors.
pub(super) fn read_all(root: &Path, shown_root: &Path, budget: &mut u64) -> Result<Vec<ChartFile>> {
    let mut found = Vec::new();
    walk(root, root, shown_root, 0, &mut found)?;
    let left = AtomicU64::new(*budget);
    let read = |f: &Found| read(f, shown_root, &left);
    let cores = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let files = if cores < 2 || found.len() < MIN_PARALLEL_FILES {
        found.iter().map(read).collect::<Result<Vec<_>>>()?
    } else {
        let per = found.len().div_ceil(cores);
        let mut chunks = found.chunks(per);
        let first = chunks.next().unwrap_or_default();
        thread::scope(|s| {
            let read = &read;
            let handles: Vec<_> = chunks
                .map(|chunk| s.spawn(move || chunk.iter().map(read).collect::<Vec<_>>()))
                .collect();
            let mut out = Vec::with_capacity(found.len());
            for f in first {
                out.push(read(f)?);
            }
            for h in handles {
                let files = match h.join() {
                    Ok(files) => files,
                    Err(panic) => std::panic::resume_unwind(panic),
                };
                for f in files {
                    out.push(f?);
                }
            }
            Ok::<_, anyhow::Error>(out)
        })?
    };
    *budget = left.into_inner();
    Ok(files)
}

/// Read one file, refusing it when it is larger than one chart file may be or than what is `left` of the
/// chart's budget (taken from it).
fn read(f: &Found, shown_root: &Path, left: &AtomicU64) -> Result<ChartFile> {
    let shown = || shown_root.join(&f.rel);
    let failed = || format!("failed to read `{}`", shown().display());
    let file = File::open(&f.path).with_context(failed)?;
    let len = file.metadata().with_context(failed)?.len();
    let too_big = |len: u64| {
        anyhow::anyhow!(
            "`{}` is {} bytes, over the limit of {} bytes for one chart file\n\nhint: keep large data out of charts",
            shown().display(),
            len,
            MAX_FILE_BYTES
        )
    };
    if len > MAX_FILE_BYTES {
        return Err(too_big(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // a file that grows while it is read is still read only up to the limit
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(failed)?;
    let len = bytes.len() as u64;
    if len > MAX_FILE_BYTES {
        return Err(too_big(len));
    }
    if left
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |l| l.checked_sub(len))
        .is_err()
    {
        bail!(
            "chart `{}` is larger than {} bytes in total\n\nhint: keep large data out of charts",
            shown_root.display(),
            MAX_CHART_BYTES
        );
    }
    Ok(ChartFile {
        path: f.rel.clone(),
        bytes,
    })
}

/// Collect every file below `dir` (chart-relative paths in sorted order), refusing symlinks that leave the
/// chart. Only symlinks cost a call to the file system beyond listing each folder.
fn walk(
    root: &Path,
    dir: &Path,
    shown_root: &Path,
    depth: usize,
    out: &mut Vec<Found>,
) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to list `{}`", dir.display()))?
        .collect::<std::io::Result<_>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap_or(&path);
        let rel_str = rel
            .to_str()
            .with_context(|| format!("file name `{}` is not UTF-8", path.display()))?
            .replace('\\', "/");
        let shown = || shown_root.join(&rel_str);
        if depth > 32 {
            bail!(
                "`{}` is nested too deeply (a symlink loop?)",
                shown().display()
            );
        }
        let kind = entry
            .file_type()
            .with_context(|| format!("failed to read `{}`", shown().display()))?;
        let (is_dir, is_file) = if kind.is_symlink() {
            let target = path
                .canonicalize()
                .with_context(|| format!("symlink `{}` points to nothing", shown().display()))?;
            if !target.starts_with(root) {
                bail!(
                    "symlink `{}` points outside the chart (to `{}`)\n\nhint: copy the file into the chart instead",
                    shown().display(),
                    target.display()
                );
            }
            let real = std::fs::metadata(&target)?;
            (real.is_dir(), real.is_file())
        } else {
            (kind.is_dir(), kind.is_file())
        };
        if is_dir {
            if rel_str.starts_with("charts/")
                && rel_str.matches('/').count() == 1
                && path.join("Chart.yaml").is_file()
            {
                // subchart directories are loaded as charts of their own
                continue;
            }
            walk(root, &path, shown_root, depth + 1, out)?;
        } else if is_file {
            out.push(Found { rel: rel_str, path });
        }
    }
    Ok(())
}
