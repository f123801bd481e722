//! The only place that decides how things look: colour (honouring `NO_COLOR` and terminals), error and
//! warning lines, and simple aligned tables.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static COLOR: AtomicBool = AtomicBool::new(false);

/// Decide once whether stderr/stdout get colour.
pub fn init_color(no_color_flag: bool) {
    let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let on = !no_color_flag && !env_off && std::io::stderr().is_terminal();
    COLOR.store(on, Ordering::Relaxed);
}

/// Whether colour is on.
pub fn color() -> bool {
    COLOR.load(Ordering::Relaxed)
}

fn paint(code: &str, text: &str) -> String {
    if color() {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

pub fn red(text: &str) -> String {
    paint("1;31", text)
}
pub fn yellow(text: &str) -> String {
    paint("1;33", text)
}
pub fn green(text: &str) -> String {
    paint("32", text)
}
pub fn bold(text: &str) -> String {
    paint("1", text)
}
pub fn dim(text: &str) -> String {
    paint("2", text)
}
pub fn cyan(text: &str) -> String {
    paint("36", text)
}

/// Print an error with its cause chain to stderr. A `hint:` paragraph inside a message is kept as written.
pub fn print_error(err: &anyhow::Error) {
    let mut chain = err.chain();
    if let Some(top) = chain.next() {
        eprintln!("{} {}", red("error:"), top);
    }
    for cause in chain {
        eprintln!("  {} {}", dim("caused by:"), cause);
    }
}

/// Print a warning line to stderr (or into the current [`capture`] buffer).
pub fn warn(msg: impl std::fmt::Display) {
    let line = format!("{} {msg}", yellow("warning:"));
    if !captured(&line) {
        eprintln!("{line}");
    }
}

/// Print a progress or information line to stderr (or into the current [`capture`] buffer).
pub fn note(msg: impl std::fmt::Display) {
    let line = msg.to_string();
    if !captured(&line) {
        eprintln!("{line}");
    }
}

tokio::task_local! {
    static CAPTURE: std::sync::Arc<std::sync::Mutex<String>>;
}

/// Append `line` to the capture buffer of the running task; false when the task captures nothing.
fn captured(line: &str) -> bool {
    CAPTURE
        .try_with(|buf| {
            let mut buf = buf.lock().unwrap_or_else(|e| e.into_inner());
            buf.push_str(line);
            buf.push('\n');
        })
        .is_ok()
}

/// True while the running task's lines are being captured.
fn capturing() -> bool {
    CAPTURE.try_with(|_| ()).is_ok()
}

/// Run `fut` with the lines [`warn`] and [`note`] print collected instead of printed, and return them with
/// its output. Stacks use it so each instance's lines come out as one block, not interleaved.
pub async fn capture<F: std::future::Future>(fut: F) -> (F::Output, String) {
    let buf = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let out = CAPTURE.scope(buf.clone(), fut).await;
    let text = std::mem::take(&mut *buf.lock().unwrap_or_else(|e| e.into_inner()));
    (out, text)
}

/// Render rows as a left-aligned table with a header; the last column is not padded.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cols = header.len();
    let mut width = vec![0usize; cols];
    for (i, h) in header.iter().enumerate() {
        width[i] = h.chars().count();
    }
    for row in rows {
        for (i, cell) in row.iter().enumerate().take(cols) {
            width[i] = width[i].max(strip_ansi(cell).chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<String>, out: &mut String| {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            s.push_str(cell);
            if i + 1 < cells.len() {
                let pad = width[i] - strip_ansi(cell).chars().count() + 2;
                s.push_str(&" ".repeat(pad));
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.iter().map(|h| bold(h)).collect(), &mut out);
    for row in rows {
        line(row.clone(), &mut out);
    }
    out
}

/// Text without ANSI colour sequences (for width computations).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for c2 in chars.by_ref() {
                if c2 == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// State of one object in a live status display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Ready,
    Waiting(String),
    Failed(String),
}

/// A per-object status display for long waits. On a terminal it redraws in place, showing the objects not
/// yet ready and a count of those that are; elsewhere it prints one plain line per change.
pub struct LiveStatus {
    tty: bool,
    drawn: usize,
    last: std::collections::BTreeMap<String, Progress>,
}

impl LiveStatus {
    pub fn new() -> LiveStatus {
        LiveStatus {
            tty: std::io::stderr().is_terminal() && !capturing(),
            drawn: 0,
            last: Default::default(),
        }
    }

    /// Show the current state of every object.
    pub fn update(&mut self, rows: &[(String, Progress)]) {
        if !self.tty {
            for (name, p) in rows {
                if self.last.get(name) != Some(p) {
                    note(format!("  {name}: {}", describe(p)));
                    self.last.insert(name.clone(), p.clone());
                }
            }
            return;
        }
        use std::fmt::Write as _;
        let mut out = String::new();
        if self.drawn > 0 {
            let _ = write!(out, "\x1b[{}A\x1b[J", self.drawn);
        }
        let ready = rows.iter().filter(|(_, p)| *p == Progress::Ready).count();
        let mut lines = vec![format!("  {}/{} ready", ready, rows.len())];
        for (name, p) in rows {
            match p {
                Progress::Ready => {}
                Progress::Waiting(_) => {
                    lines.push(format!("  {} {name}: {}", yellow("…"), describe(p)))
                }
                Progress::Failed(_) => {
                    lines.push(format!("  {} {name}: {}", red("✗"), describe(p)))
                }
            }
        }
        for l in &lines {
            out.push_str(l);
            out.push('\n');
        }
        self.drawn = lines.len();
        eprint!("{out}");
    }
}

impl Default for LiveStatus {
    fn default() -> Self {
        LiveStatus::new()
    }
}

fn describe(p: &Progress) -> String {
    match p {
        Progress::Ready => "ready".into(),
        Progress::Waiting(why) => format!("waiting: {why}"),
        Progress::Failed(why) => format!("failed: {why}"),
    }
}
