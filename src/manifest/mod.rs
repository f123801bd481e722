//! Turn rendered template text into Kubernetes objects: split documents, parse and check each one, detect
//! duplicates, and sort into install order.
//!
//! The rendered text of each document is kept as written (comments included); parsing is only used to
//! check identity, order objects and, later, to apply them.

use serde_json::Value;
use std::fmt;

/// A problem found in rendered output, pointing at the template.
#[derive(Debug, Clone)]
pub struct Problem {
    pub source: String,
    pub line: Option<usize>,
    pub message: String,
    /// Rendered lines around the problem, already numbered.
    pub excerpt: Option<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} (rendered line {l}): {}", self.source, self.message)?,
            None => write!(f, "{}: {}", self.source, self.message)?,
        }
        if let Some(ex) = &self.excerpt {
            write!(f, "\n{ex}")?;
        }
        Ok(())
    }
}

/// Split rendered text into documents on whole `---` lines. Returns (1-based start line, text) pairs,
/// dropping documents that hold only whitespace and comments.
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    // the document being read starts at byte `begin`, on line `start`; `at` is where the current line starts
    let (mut begin, mut start, mut at) = (0, 1, 0);
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if line.starts_with("---") && is_separator(line.trim_end_matches(['\n', '\r'])) {
            push_doc(&mut docs, start, &text[begin..at]);
            begin = at + line.len();
            start = i + 2;
        }
        at += line.len();
    }
    push_doc(&mut docs, start, &text[begin..]);
    docs
}

fn is_separator(line: &str) -> bool {
    let Some(rest) = line.strip_prefix("---") else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with('#')
}

fn push_doc(docs: &mut Vec<(usize, String)>, start: usize, text: &str) {
    let meaningful = text.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    if meaningful {
        // skip leading blank/comment-free lines are kept: the text stays as rendered
        docs.push((start, text.to_string()));
    }
}

/// Parse the documents one template rendered. Problems are collected, not returned at the first one; their
/// excerpts mask every value.
pub fn parse_rendered(
    source: &str,
    display: &str,
    rendered: &str,
    problems: &mut Vec<Problem>,
) -> Vec<Document> {
    parse_rendered_with(source, display, rendered, false, problems)
}

/// [`parse_rendered`], with values shown in excerpts when `show_secrets` (`--show-secrets`).
pub fn parse_rendered_with(
    source: &str,
    display: &str,
    rendered: &str,
    show_secrets: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Document> {
    let file = Rendered {
        source,
        display,
        text: rendered,
    };
    parse_all(&[file], show_secrets, problems)
}

/// The rendered text of one template, for [`parse_all`].
#[derive(Debug, Clone, Copy)]
pub struct Rendered<'a> {
    pub source: &'a str,
    pub display: &'a str,
    pub text: &'a str,
}

/// Parse the documents of every file, in order: the documents of the first file, then those of the
/// second... Problems are collected as [`parse_rendered_with`] collects them, file by file. Large outputs
/// are parsed on several threads; the result does not depend on how many.
pub fn parse_all(
    files: &[Rendered],
    show_secrets: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Document> {
    parse_checked(files, Vec::new(), show_secrets, problems)
}

/// The documents of one rendered file, each checked ([`check_piece`]); built on whichever thread rendered
/// the file, and turned into [`Document`]s by [`parse_checked`].
pub struct CheckedFile(Vec<(usize, String, Checked)>);

/// Split a piece of a file's text that [`cuts`] made (or the whole text, `lines_before` 0) into documents
/// and check each one, as [`parse_all`] does; `lines_before` is how many lines of the file precede it.
pub fn check_piece(text: &str, lines_before: usize) -> CheckedFile {
    CheckedFile(
        split_documents(text)
            .into_iter()
            .map(|(line, doc)| {
                let checked = check_document(&doc);
                (lines_before + line, doc, checked)
            })
            .collect(),
    )
}

impl CheckedFile {
    /// The pieces of one file, checked apart ([`check_piece`]), as one.
    pub fn join(pieces: Vec<CheckedFile>) -> CheckedFile {
        CheckedFile(pieces.into_iter().flat_map(|piece| piece.0).collect())
    }
}

/// Where to cut `text` into pieces of at least `size` bytes (but the last) that, checked apart
/// ([`check_piece`]) and joined, give what checking the whole gives: each cut is at the start of a document
/// separator line. Returns (byte offset, lines before it) of every piece after the first.
pub fn cuts(text: &str, size: usize) -> Vec<(usize, usize)> {
    let (bytes, size) = (text.as_bytes(), size.max(1));
    let mut out = Vec::new();
    let (mut from, mut lines) = (0, 0);
    let mut at = size;
    while at < bytes.len() {
        // the next line at or after `at` that is a separator
        let Some(found) = memchr::memmem::find(&bytes[at - 1..], b"\n---") else {
            break;
        };
        let line_start = at + found;
        let line_end =
            memchr::memchr(b'\n', &bytes[line_start..]).map_or(bytes.len(), |e| line_start + e);
        if is_separator(text[line_start..line_end].trim_end_matches('\r')) {
            lines += memchr::memchr_iter(b'\n', &bytes[from..line_start]).count();
            out.push((line_start, lines));
            from = line_start;
            at = line_start + size;
        } else {
            at = line_end.max(line_start + 1);
        }
    }
    out
}

/// [`parse_all`], given the files already checked by [`check_piece`] (`checked[i]` for `files[i]`; files
/// it has no entry for, or `None`, are checked here).
pub fn parse_checked(
    files: &[Rendered],
    checked: Vec<Option<CheckedFile>>,
    show_secrets: bool,
    problems: &mut Vec<Problem>,
) -> Vec<Document> {
    let mut checked: Vec<Option<CheckedFile>> = checked;
    checked.resize_with(files.len(), || None);
    let split: Vec<Option<Vec<(usize, String)>>> = files
        .iter()
        .zip(&checked)
        .map(|(f, c)| c.is_none().then(|| split_documents(f.text)))
        .collect();
    let texts: Vec<&str> = split
        .iter()
        .flatten()
        .flatten()
        .map(|(_, t)| t.as_str())
        .collect();
    let mut parsed = parallel::map(&texts, check_document).into_iter();
    let total = texts.len() + checked.iter().flatten().map(|c| c.0.len()).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    for ((file, docs), done) in files.iter().zip(split).zip(checked) {
        let docs: Vec<(usize, String, Checked)> = match (docs, done) {
            (_, Some(CheckedFile(done))) => done,
            (Some(docs), None) => docs
                .into_iter()
                .map(|(line, text)| {
                    let result = parsed.next().expect("one result for each document");
                    (line, text, result)
                })
                .collect(),
            (None, None) => Vec::new(),
        };
        let excerpt = |line: usize| {
            if show_secrets {
                excerpt_plain(file.text, line, line, 3)
            } else {
                excerpt(file.text, line, line, 3)
            }
        };
        for (index, (start_line, text, result)) in docs.into_iter().enumerate() {
            match result {
                Ok(None) => {}
                Ok(Some(Err(msg))) => problems.push(Problem {
                    source: file.source.to_string(),
                    line: Some(start_line),
                    message: msg,
                    excerpt: Some(excerpt(start_line)),
                }),
                Ok(Some(Ok(parts))) => out.push(Document::checked(
                    file.source.to_string(),
                    file.display.to_string(),
                    index,
                    start_line,
                    text,
                    parts,
                )),
                Err((msg, line)) => {
                    let abs = line.map(|l| start_line + l - 1);
                    problems.push(Problem {
                        source: file.source.to_string(),
                        line: abs,
                        message: format!("rendered output is not valid YAML: {msg}"),
                        excerpt: Some(excerpt(abs.unwrap_or(start_line))),
                    });
                }
            }
        }
    }
    out
}

/// A document checked: [`Parts`] to keep, or what its identity lacks, or why it is not YAML (and where).
type Checked = Result<Option<Result<Parts, String>>, (String, Option<usize>)>;

/// Check one document, building what [`Document`] keeps of it: `Ok(None)` for a document that is `null`,
/// `Ok(Some(Err))` for one that is not an object with an identity. Runs on the parsing threads, so that what
/// is built only to be checked is dropped there, document by document.
fn check_document(text: &str) -> Checked {
    let read = match quick::skim(text) {
        Ok(head) => Read::Head(head),
        Err(_) => match parse_document(text)? {
            Some(object) => Read::Whole(object),
            None => return Ok(None),
        },
    };
    Ok(Some(check_identity(read.head()).map(|()| Parts::of(read))))
}

/// Parse one document. `Ok(None)` for a document that is `null`.
pub(super) fn parse_document(text: &str) -> Result<Option<Value>, (String, Option<usize>)> {
    if let Ok(json) = quick::read(text) {
        return Ok(Some(json));
    }
    if let Some(json) = direct::read(text) {
        return Ok((!json.is_null()).then_some(json));
    }
    let yaml: serde_yaml::Value = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let msg = e.to_string();
        // serde_yaml appends " at line N column M"; the caller reports the line itself
        let msg = match msg.find(" at line ") {
            Some(i) => msg[..i].to_string(),
            None => msg,
        };
        (msg, line)
    })?;
    if yaml.is_null() {
        return Ok(None);
    }
    let json = serde_json::to_value(&yaml).map_err(|e| (e.to_string(), None))?;
    Ok(Some(json))
}

fn check_identity(obj: &Value) -> Result<(), String> {
    let Some(map) = obj.as_object() else {
        return Err(format!(
            "a document must be a mapping with apiVersion, kind and metadata.name, found {}",
            type_name(obj)
        ));
    };
    let mut missing = Vec::new();
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => {}
            _ => missing.push(key),
        }
    }
    match obj["metadata"]["name"].as_str() {
        Some(s) if !s.is_empty() => {}
        _ if obj["metadata"]["generateName"].as_str().is_some() => return Err(
            "metadata.generateName is not supported: tracked objects need a fixed metadata.name"
                .into(),
        ),
        _ => missing.push("metadata.name"),
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "object is missing {}; every object needs apiVersion, kind and metadata.name",
            missing.join(", ")
        ))
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Numbered lines `from - ctx ..= to + ctx` of `text`, marking `from..=to` with `>`. Values are masked
/// ([`crate::redact::mask_yaml`]): the text is rendered output and any scalar in it may be a secret.
pub fn excerpt(text: &str, from: usize, to: usize, ctx: usize) -> String {
    let lines: Vec<String> = crate::redact::mask_yaml(text)
        .into_iter()
        .map(|l| l.text)
        .collect();
    numbered(&lines, from, to, ctx)
}

/// [`excerpt`] without masking, for `--show-secrets`.
pub fn excerpt_plain(text: &str, from: usize, to: usize, ctx: usize) -> String {
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    numbered(&lines, from, to, ctx)
}

fn numbered(lines: &[String], from: usize, to: usize, ctx: usize) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let first = from.saturating_sub(ctx).max(1);
    let last = (to + ctx).min(lines.len());
    let width = last.to_string().len();
    let mut out = String::new();
    for n in first..=last {
        let mark = if (from..=to).contains(&n) { ">" } else { " " };
        let text = lines.get(n - 1).map_or("", String::as_str);
        out.push_str(&format!("  {mark} {n:>width$} | {text}\n"));
    }
    out.pop();
    out
}

/// The YAML stream printed by `tack template`: each document preceded by `---` and a `# Source:` line.
pub fn to_stream(docs: &[Document]) -> String {
    stream_parts(docs).collect()
}

/// [`to_stream`] in pieces, to write without building the whole stream first.
pub fn stream_parts(docs: &[Document]) -> impl Iterator<Item = &str> {
    docs.iter().flat_map(|d| {
        [
            "---\n# Source: ",
            d.display.as_str(),
            "\n",
            d.text.trim_end_matches(['\n', ' ', '\t']),
            "\n",
        ]
    })
}

mod direct;
mod document;
pub mod hooks;
pub mod mask;
mod object_ref;
mod order;
mod ownership;
mod parallel;
mod quick;
mod secret;
mod set_namespace;

pub use document::Document;
use document::{Parts, Read};
pub use mask::{describe_secret, mask_secret, to_stream_masked};
pub use object_ref::ObjectRef;
pub use order::{
    find_duplicates, install_rank, is_cluster_scoped, sort_install_order, CLUSTER_SCOPED,
    INSTALL_ORDER,
};
pub use ownership::{FIELD_MANAGER, RELEASE_NAMESPACE_ANNOTATION, RELEASE_NAME_ANNOTATION};
pub use secret::{redact, secret_as_stored};
pub use set_namespace::set_namespace;

/// For tests: a repeatable source of numbers (xorshift from `seed`); each call gives one below `n`.
#[cfg(test)]
fn picker(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
