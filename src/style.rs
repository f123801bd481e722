//! Colour as a value: a [`Style`] is the decision for one stream (stdout or stderr), so text meant for a file
//! never carries escape codes because the other stream is a terminal.

/// Whether one stream gets colour, and the painting that follows from it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
}

/// Paint `text` with the SGR `code`, unconditionally.
fn sgr(code: &str, text: &str) -> String {
    format!("\x1b[{code}m{text}\x1b[0m")
}

pub fn red(text: &str) -> String {
    sgr("1;31", text)
}
pub fn yellow(text: &str) -> String {
    sgr("1;33", text)
}
pub fn green(text: &str) -> String {
    sgr("32", text)
}
pub fn bold(text: &str) -> String {
    sgr("1", text)
}
pub fn dim(text: &str) -> String {
    sgr("2", text)
}
pub fn cyan(text: &str) -> String {
    sgr("36", text)
}

impl Style {
    /// No colour (files, pipes, JSON and markdown documents).
    pub const PLAIN: Style = Style { color: false };

    /// Apply `paint` when this stream is coloured.
    pub fn with(self, paint: fn(&str) -> String, text: &str) -> String {
        if self.color {
            paint(text)
        } else {
            text.to_string()
        }
    }
    pub fn red(self, text: &str) -> String {
        self.with(red, text)
    }
    pub fn yellow(self, text: &str) -> String {
        self.with(yellow, text)
    }
    pub fn green(self, text: &str) -> String {
        self.with(green, text)
    }
    pub fn bold(self, text: &str) -> String {
        self.with(bold, text)
    }
    pub fn dim(self, text: &str) -> String {
        self.with(dim, text)
    }
    pub fn cyan(self, text: &str) -> String {
        self.with(cyan, text)
    }
}

/// Text without ANSI colour sequences (for width computations and documents).
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

/// Render rows as a left-aligned table with a header; the last column is not padded.
pub fn table(style: Style, header: &[&str], rows: &[Vec<String>]) -> String {
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
    line(header.iter().map(|h| style.bold(h)).collect(), &mut out);
    for row in rows {
        line(row.clone(), &mut out);
    }
    out
}
