//! Limits on what hostile input can make tack read, build or write: capped file reads, the expanded size of
//! values, and output paths that cannot leave their directory. Each error names the limit and the flag
//! that raises it.

use std::fs::File;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{anyhow, bail, Context, Result};

/// Bytes a manifest file given on the command line (`--against-manifest`) may hold.
/// Largest single file a chart may contain.
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// Largest total size of all files of a chart, subcharts included.
pub const MAX_CHART_BYTES: u64 = 64 * 1024 * 1024;

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
        assert!(
            e.contains("larger than the limit") && e.contains("--max-manifest"),
            "{e}"
        );
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

/// Bytes of memory one render may add to what the process holds when it starts (`--max-render-memory`).
pub const DEFAULT_MAX_RENDER_MEMORY: u64 = 1024 * 1024 * 1024;

pub use memory::RenderMemory;

/// A process-wide allocation counter with a cap that is armed only while a chart renders, so a template
/// that builds ever larger strings (`s ~ s` in a loop, which fuel cannot see) ends tack with a clear error
/// instead of the machine running out of memory.
mod memory {
    use std::alloc::{GlobalAlloc, Layout, System};
    use std::cell::Cell;
    use std::io::Write;
    use std::sync::atomic::{AtomicIsize, Ordering};
    use std::sync::Mutex;

    static LIVE: AtomicIsize = AtomicIsize::new(0);
    static CAP: AtomicIsize = AtomicIsize::new(isize::MAX);
    /// (renders in progress, their budgets in bytes)
    static ARMED: Mutex<(usize, usize)> = Mutex::new((0, 0));

    /// Bytes a thread allocates (or frees) before it adds them to the shared count. Counting every
    /// allocation in one place had threads that render side by side take turns on one cache line.
    const BATCH: isize = 256 * 1024;

    thread_local! {
        /// What this thread allocated less what it freed since it last added to [`LIVE`].
        static PENDING: Cell<isize> = const { Cell::new(0) };
    }

    struct Counting;

    #[global_allocator]
    static GLOBAL: Counting = Counting;

    fn bytes(size: usize) -> isize {
        isize::try_from(size).unwrap_or(isize::MAX)
    }

    /// Count `size` more bytes; whether that takes the process past the cap (they are not counted then).
    fn over(size: usize) -> bool {
        let size = bytes(size);
        PENDING.with(|p| {
            let n = p.get().saturating_add(size);
            if n < BATCH {
                p.set(n);
                return false;
            }
            let live = LIVE.fetch_add(n, Ordering::Relaxed).saturating_add(n);
            if live > CAP.load(Ordering::Relaxed) {
                LIVE.fetch_sub(n, Ordering::Relaxed);
                p.set(n - size);
                return true;
            }
            p.set(0);
            false
        })
    }

    /// Count `size` bytes fewer.
    fn freed(size: usize) {
        let size = bytes(size);
        PENDING.with(|p| {
            let n = p.get().saturating_sub(size);
            if n > -BATCH {
                p.set(n);
            } else {
                LIVE.fetch_add(n, Ordering::Relaxed);
                p.set(0);
            }
        })
    }

    #[cold]
    fn stop() -> ! {
        let cap = CAP.swap(isize::MAX, Ordering::Relaxed);
        let budget = ARMED.try_lock().map(|a| a.1).unwrap_or(0);
        let mut msg = [0u8; 512];
        let mut w = &mut msg[..];
        let _ = write!(
            w,
            "error: rendering the chart needed more than {} MiB of memory (limit {} MiB in all); a template \
             builds ever larger values, e.g. `s ~ s` in a loop?\n\nhint: raise the limit with \
             --max-render-memory MiB\n",
            budget / (1024 * 1024),
            cap / (1024 * 1024)
        );
        let len = 512 - w.len();
        let _ = std::io::stderr().write_all(&msg[..len]);
        std::process::exit(1)
    }

    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            if over(layout.size()) {
                stop();
            }
            let p = unsafe { System.alloc(layout) };
            if p.is_null() {
                freed(layout.size());
            }
            p
        }
        unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
            if over(layout.size()) {
                stop();
            }
            let p = unsafe { System.alloc_zeroed(layout) };
            if p.is_null() {
                freed(layout.size());
            }
            p
        }
        unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
            unsafe { System.dealloc(ptr, layout) };
            freed(layout.size());
        }
        unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
            let old = layout.size();
            if new_size > old && over(new_size - old) {
                stop();
            }
            let p = unsafe { System.realloc(ptr, layout, new_size) };
            if p.is_null() {
                if new_size > old {
                    freed(new_size - old);
                }
            } else if new_size < old {
                freed(old - new_size);
            }
            p
        }
    }

    /// While alive, the process may hold at most what it held when the first render started plus the
    /// budgets of the renders in progress; past that, tack stops with an error naming the limit.
    pub struct RenderMemory {
        budget: usize,
    }

    impl RenderMemory {
        /// Arm the cap for one render of at most `budget` bytes; `None` leaves memory unlimited.
        pub fn arm(budget: Option<u64>) -> RenderMemory {
            let budget = budget.map_or(0, |b| usize::try_from(b).unwrap_or(usize::MAX));
            if budget > 0 {
                let add = bytes(budget);
                let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
                if armed.0 == 0 {
                    CAP.store(
                        LIVE.load(Ordering::Relaxed).saturating_add(add),
                        Ordering::Relaxed,
                    );
                } else {
                    let cap = CAP.load(Ordering::Relaxed).saturating_add(add);
                    CAP.store(cap, Ordering::Relaxed);
                }
                armed.0 += 1;
                armed.1 = armed.1.saturating_add(budget);
            }
            RenderMemory { budget }
        }
    }

    impl Drop for RenderMemory {
        fn drop(&mut self) {
            if self.budget == 0 {
                return;
            }
            let mut armed = ARMED.lock().unwrap_or_else(|e| e.into_inner());
            armed.0 = armed.0.saturating_sub(1);
            armed.1 = armed.1.saturating_sub(self.budget);
            if armed.0 == 0 {
                CAP.store(isize::MAX, Ordering::Relaxed);
            } else {
                let cap = CAP
                    .load(Ordering::Relaxed)
                    .saturating_sub(bytes(self.budget));
                CAP.store(cap, Ordering::Relaxed);
            }
        }
    }
}
