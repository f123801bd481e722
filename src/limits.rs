//! Limits on what hostile input can make tack read, build or write: capped file reads, the expanded size of
//! values, and output paths that cannot leave their directory. Each error names the limit and the flag
//! that raises it.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, bail, Context, Result};

/// Bytes a manifest file given on the command line (`--against-manifest`) may hold.
pub const DEFAULT_MAX_MANIFEST_BYTES: u64 = 64 * 1024 * 1024;
/// Bytes of strings (keys and scalars, counting what aliases repeat) one values file may expand to.
pub const DEFAULT_MAX_VALUES_BYTES: u64 = 64 * 1024 * 1024;

static MAX_VALUES_BYTES: AtomicU64 = AtomicU64::new(DEFAULT_MAX_VALUES_BYTES);

/// The expanded-size limit of one values file (`--max-values MiB` sets it).
pub fn max_values_bytes() -> u64 {
    MAX_VALUES_BYTES.load(Ordering::Relaxed)
}

/// Set the expanded-size limit of values files for this process.
pub fn set_max_values_bytes(bytes: u64) {
    MAX_VALUES_BYTES.store(bytes, Ordering::Relaxed);
}

/// `n` bytes as MiB for messages (`0.5`, `64`).
pub fn mib(n: u64) -> String {
    let m = n as f64 / (1024.0 * 1024.0);
    if m.fract() == 0.0 {
        format!("{m:.0}")
    } else {
        format!("{m:.1}")
    }
}

/// Read `path` as UTF-8 text, refusing more than `limit` bytes without reading past it (so `/dev/zero`
/// or a huge file stops at the limit). `what` names the file in errors (`manifest file`).
pub fn read_capped(path: &Path, limit: u64, what: &str) -> Result<String> {
    let shown = path.display();
    let file = File::open(path).with_context(|| format!("failed to read {what} `{shown}`"))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        bail!("{what} `{shown}` is a directory, not a file");
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .with_context(|| format!("failed to read {what} `{shown}`"))?;
    if bytes.len() as u64 > limit {
        bail!(
            "{what} `{shown}` is larger than the limit of {} MiB\n\nhint: is this the right file? raise the \
             limit with --max-manifest MiB",
            mib(limit)
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        anyhow!(
            "{what} `{shown}` is not valid UTF-8 (bad byte at offset {})",
            e.utf8_error().valid_up_to()
        )
    })
}

/// `dir` joined with the relative path `rel`, refusing anything that could leave `dir`: absolute paths,
/// `..`, drive prefixes, empty paths and NUL bytes. Nothing is resolved on disk.
pub fn safe_join(dir: &Path, rel: &str) -> Result<PathBuf> {
    let refuse = |why: &str| {
        anyhow!(
            "refusing to write `{rel}`: {why}\n\nhint: output paths come from chart, dependency (alias) and \
             template names; they must stay inside the output directory"
        )
    };
    if rel.is_empty() {
        return Err(refuse("the path is empty"));
    }
    if rel.contains('\0') {
        return Err(refuse("the path contains a NUL byte"));
    }
    if rel.contains('\\') {
        return Err(refuse("the path contains a backslash"));
    }
    let mut out = dir.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err(refuse("it contains `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(refuse("it is an absolute path"))
            }
        }
    }
    if out == dir {
        return Err(refuse("it names the output directory itself"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_join_keeps_paths_inside() {
        let d = Path::new("/out");
        assert_eq!(
            safe_join(d, "app/templates/a.yaml").unwrap(),
            Path::new("/out/app/templates/a.yaml")
        );
        assert_eq!(safe_join(d, "./a/./b").unwrap(), Path::new("/out/a/b"));
        for bad in [
            "../x",
            "app/charts/../../../etc/passwd",
            "/etc/passwd",
            "a/..",
            "",
            ".",
            "a\0b",
            "..\\x",
        ] {
            let e = safe_join(d, bad).unwrap_err().to_string();
            assert!(e.starts_with("refusing to write"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn read_capped_stops_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("m.yaml");
        std::fs::write(&p, "a: 1\n").unwrap();
        assert_eq!(read_capped(&p, 5, "manifest file").unwrap(), "a: 1\n");
        let e = read_capped(&p, 4, "manifest file").unwrap_err().to_string();
        assert!(e.contains("larger than the limit") && e.contains("--max-manifest"), "{e}");
        #[cfg(unix)]
        {
            let started = std::time::Instant::now();
            let e = read_capped(Path::new("/dev/zero"), 1024 * 1024, "manifest file")
                .unwrap_err()
                .to_string();
            assert!(e.contains("larger than the limit of 1 MiB"), "{e}");
            assert!(started.elapsed().as_secs() < 5);
        }
        assert!(read_capped(dir.path(), 10, "manifest file").is_err());
    }
}
