//! Template errors for people: template path, line, the include/macro chain and an excerpt with a caret.
//!
//! minijinja's own debug display also lists referenced variables, which may hold secrets, so the excerpt is
//! built here from the template source and the error's span instead.

use std::fmt;

/// One rendering problem, located in a chart file.
#[derive(Debug, Clone)]
pub struct TemplateError {
    /// Chart-relative path of the file being rendered when the error happened.
    pub source: String,
    /// Location of the innermost error (`templates/_helpers.j2:12`), if known.
    pub location: Option<String>,
    pub message: String,
    /// Frames from the outermost template to the innermost one.
    pub chain: Vec<String>,
    pub excerpt: Option<String>,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.location {
            Some(loc) => write!(f, "{loc}: {}", self.message)?,
            None => write!(f, "{}: {}", self.source, self.message)?,
        }
        if let Some(ex) = &self.excerpt {
            write!(f, "\n{ex}")?;
        }
        for frame in &self.chain {
            write!(f, "\n  {frame}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TemplateError {}

/// Map a minijinja template name back to a chart-relative path (`deployment.yaml.j2` ->
/// `templates/deployment.yaml.j2`). `prefix` is the chart-relative folder of the chart's templates.
pub fn chart_path(prefix: &str, name: &str) -> String {
    if name.starts_with('<') {
        name.to_string()
    } else {
        format!("{prefix}{name}")
    }
}

/// Convert a minijinja error, walking its cause chain (includes, imports, macro calls, `tpl`). The excerpt
/// of text that came from a value (`tpl`) is masked unless `show_secrets`.
pub fn convert(
    err: &minijinja::Error,
    source: &str,
    prefix: &str,
    show_secrets: bool,
) -> TemplateError {
    let mut frames: Vec<&minijinja::Error> = vec![err];
    let mut cur: &dyn std::error::Error = err;
    while let Some(next) = cur.source() {
        if let Some(mj) = next.downcast_ref::<minijinja::Error>() {
            frames.push(mj);
        }
        cur = next;
    }
    let inner = frames
        .iter()
        .rev()
        .find(|e| e.line().is_some())
        .copied()
        .unwrap_or(err);
    let location = inner.name().map(|n| match inner.line() {
        Some(l) => format!("{}:{l}", chart_path(prefix, n)),
        None => chart_path(prefix, n),
    });
    let message = message_of(inner);
    let mut chain = Vec::new();
    for e in &frames {
        if std::ptr::eq(*e, inner) {
            continue;
        }
        if let (Some(n), Some(l)) = (e.name(), e.line()) {
            chain.push(format!("called from {}:{l}", chart_path(prefix, n)));
        }
    }
    let inner_file = inner.name().map(|n| chart_path(prefix, n));
    if inner_file.as_deref() != Some(source) && chain.is_empty() {
        chain.push(format!("while rendering {source}"));
    }
    TemplateError {
        source: source.to_string(),
        location,
        message,
        chain,
        excerpt: excerpt_of(inner, show_secrets),
    }
}

fn message_of(err: &minijinja::Error) -> String {
    match err.detail() {
        Some(d) if err.kind() == minijinja::ErrorKind::OutOfFuel => d.to_string(),
        Some(d) => {
            let kind = err.kind().to_string();
            if d.starts_with(kind.as_str()) {
                d.to_string()
            } else {
                format!("{kind}: {d}")
            }
        }
        None => err.kind().to_string(),
    }
}

/// The lines around the error with a caret. Under `tpl` the template source is a value, so everything but
/// the template delimiters is masked there (the caret still points at the same spot).
fn excerpt_of(err: &minijinja::Error, show_secrets: bool) -> Option<String> {
    let src = err.template_source()?;
    let line = err.line()?;
    if !show_secrets && err.name().is_some_and(|n| n.starts_with("<tpl:")) {
        return Some(masked_excerpt(err, src, line));
    }
    let lines: Vec<&str> = src.lines().collect();
    let first = line.saturating_sub(2).max(1);
    let last = (line + 1).min(lines.len());
    let width = last.to_string().len();
    let mut out = String::new();
    for n in first..=last {
        let text = lines.get(n - 1).copied().unwrap_or("");
        let mark = if n == line { ">" } else { " " };
        out.push_str(&format!("  {mark} {n:>width$} | {text}\n"));
        if n == line {
            if let Some(range) = err.range() {
                let line_start: usize = lines[..n - 1].iter().map(|l| l.len() + 1).sum();
                if range.start >= line_start {
                    let col = src[line_start..range.start.min(src.len())].chars().count();
                    let end = range.end.min(line_start + text.len());
                    let len = src[range.start.min(end)..end].chars().count().max(1);
                    out.push_str(&format!(
                        "    {:width$} | {}{}\n",
                        "",
                        " ".repeat(col),
                        "^".repeat(len)
                    ));
                }
            }
        }
    }
    out.pop();
    Some(out)
}

fn masked_excerpt(err: &minijinja::Error, src: &str, line: usize) -> String {
    let masked = crate::redact::mask_template(src);
    let lines: Vec<&str> = src.lines().collect();
    let first = line.saturating_sub(2).max(1);
    let last = (line + 1).min(masked.len());
    let width = last.to_string().len();
    let mut out = String::new();
    for n in first..=last {
        let Some(m) = masked.get(n - 1) else { break };
        let mark = if n == line { ">" } else { " " };
        out.push_str(&format!("  {mark} {n:>width$} | {}\n", m.text));
        if n != line {
            continue;
        }
        let Some(range) = err.range() else { continue };
        let line_start: usize = lines[..n - 1].iter().map(|l| l.len() + 1).sum();
        let text = lines[n - 1];
        if range.start < line_start {
            continue;
        }
        let start = range.start.min(line_start + text.len());
        let end = range.end.clamp(start, line_start + text.len());
        let col = m.column(src[line_start..start].chars().count());
        let end_col = m.column(src[line_start..end].chars().count());
        let len = end_col.saturating_sub(col).max(1);
        out.push_str(&format!(
            "    {:width$} | {}{}\n",
            "",
            " ".repeat(col),
            "^".repeat(len)
        ));
    }
    out.pop();
    out
}
