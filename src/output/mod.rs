//! The only place that prints. One [`Printer`] is made from the global flags and passed down to the commands:
//! it decides colour per stream (stdout and stderr separately; `NO_COLOR` and `--no-color` turn both off),
//! honours `--quiet`, shows the operations' events (warnings, notes, live progress) and prints errors. The text
//! renderers beside it turn operation results into text for a given [`Style`].

pub mod import;
pub mod live;
pub mod release;
pub mod runs;
pub use crate::style;

pub use style::{strip_ansi, table, Style};

use crate::events::{Event, Sink};
use std::io::{IsTerminal, Write};
use std::sync::Mutex;

/// Prints to stdout and stderr, each with its own colour decision.
pub struct Printer {
    out: Style,
    err: Style,
    quiet: bool,
    live: Mutex<live::LiveStatus>,
    /// Whether stderr is a terminal (live progress redraws in place there).
    err_tty: bool,
}

impl Printer {
    /// Decide colour for each stream: on when that stream is a terminal, unless `--no-color` or `NO_COLOR`.
    pub fn new(no_color: bool, quiet: bool) -> Printer {
        let env_off = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let allowed = !no_color && !env_off;
        let err_tty = std::io::stderr().is_terminal();
        Printer {
            out: Style {
                color: allowed && std::io::stdout().is_terminal(),
            },
            err: Style {
                color: allowed && err_tty,
            },
            quiet,
            live: Mutex::new(live::LiveStatus::default()),
            err_tty,
        }
    }

    /// A printer with no colour anywhere (tests, documents).
    pub fn plain() -> Printer {
        Printer {
            out: Style::PLAIN,
            err: Style::PLAIN,
            quiet: false,
            live: Mutex::new(live::LiveStatus::default()),
            err_tty: false,
        }
    }

    /// The style of text bound for stdout.
    pub fn out(&self) -> Style {
        self.out
    }

    /// The style of text bound for stderr.
    pub fn err(&self) -> Style {
        self.err
    }

    /// Whether `--quiet` was given.
    pub fn quiet(&self) -> bool {
        self.quiet
    }

    /// Write `text` to stdout as is (flushed, so it stays ordered with stderr).
    pub fn stdout(&self, text: &str) {
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    /// Write the pieces of one text to stdout as is, without joining them first.
    pub fn stdout_parts<'a>(&self, parts: impl IntoIterator<Item = &'a str>) {
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
        for part in parts {
            if out.write_all(part.as_bytes()).is_err() {
                return;
            }
        }
        let _ = out.flush();
    }

    /// Write `text` to stderr as is.
    pub fn stderr(&self, text: &str) {
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// An information line on stderr (left out with `--quiet`).
    pub fn info(&self, text: &str) {
        if !self.quiet {
            self.stderr(&format!("{text}\n"));
        }
    }

    /// A warning line on stderr (shown even with `--quiet`).
    pub fn warn(&self, msg: &str) {
        self.stderr(&format!("{} {msg}\n", self.err.yellow("warning:")));
    }

    /// An error and its cause chain on stderr. A `hint:` paragraph inside a message is kept as written.
    pub fn error(&self, err: &anyhow::Error) {
        if let Some(p) = err.downcast_ref::<crate::error::Problems>() {
            for e in &p.errors {
                self.stderr(&format!("{} {e}\n\n", self.err.red("error:")));
            }
            self.stderr(&format!("{}\n", self.err.red(&p.summary)));
            return;
        }
        self.stderr(&error_text(self.err, err));
        self.stderr("\n");
    }

    /// Events of one instance, as lines (warnings, notes, progress changes), in `style`.
    pub fn events_text(style: Style, events: &[Event]) -> String {
        let mut out = String::new();
        let mut progress = live::LiveStatus::default();
        for e in events {
            match e {
                Event::Warning(w) => out.push_str(&format!("{} {w}\n", style.yellow("warning:"))),
                Event::Note(n) => out.push_str(&format!("{n}\n")),
                Event::Progress(rows) => out.push_str(&progress.changes(rows)),
            }
        }
        out
    }
}

impl Sink for Printer {
    fn event(&self, event: Event) {
        match event {
            Event::Warning(w) => self.warn(&w),
            Event::Note(n) => self.info(&n),
            Event::Progress(rows) => {
                if self.quiet {
                    return;
                }
                let mut live = self.live.lock().unwrap_or_else(|e| e.into_inner());
                let text = if self.err_tty {
                    live.redraw(self.err, &rows)
                } else {
                    live.changes(&rows)
                };
                self.stderr(&text);
            }
        }
    }
}

/// An error and its causes, one per line (`error: ...`, `  caused by: ...`), no trailing newline.
pub fn error_text(style: Style, e: &anyhow::Error) -> String {
    let mut chain = e.chain();
    let mut out = chain
        .next()
        .map(|top| format!("{} {top}", style.red("error:")))
        .unwrap_or_default();
    for cause in chain {
        out.push_str(&format!("\n  {} {cause}", style.dim("caused by:")));
    }
    out
}
