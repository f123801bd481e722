//! A reader for the plain block YAML that templates render almost always (nested mappings and sequences,
//! plain and quoted one-line scalars, `|` and `|-` literals), straight into JSON. A general YAML parser
//! spends most of a large chart's check time on documents that need none of its generality.
//!
//! It reads only what it is sure of and gives up on everything else: flow collections other than `[]`
//! and `{}`, anchors, aliases, tags, folded and multi-line scalars, escapes other than the common ones,
//! tabs, carriage returns, control characters, plain scalars that might be numbers other than plain
//! decimal integers, keys that are not strings, duplicate keys, and anything malformed. The caller then
//! reads the document the general way, so giving up never changes a result or an error message; a
//! result from here equals the general reader's (tests compare the two).

use serde_json::{Map, Number, Value};
use std::borrow::Cow;

/// Not in the subset read here.
#[derive(Debug)]
pub(super) struct GiveUp;

type R<T> = Result<T, GiveUp>;

/// The document as JSON, or `GiveUp`.
pub(super) fn read(text: &str) -> R<Value> {
    run(text, false)
}

/// The document checked as [`read`] checks it (`Ok` exactly when [`read`] is), but built only as far as a
/// mapping's `apiVersion`, `kind` and, of its `metadata`, `name`, `namespace`, `generateName` and
/// `annotations`: what identity, install order and hooks need. The rest of the object is read again, whole,
/// when something asks for it.
pub(super) fn skim(text: &str) -> R<Value> {
    run(text, true)
}

fn run(text: &str, skim: bool) -> R<Value> {
    let mut p = Reader {
        lines: lines_of(text).ok_or(GiveUp)?,
        pos: 0,
        virt: None,
        skim,
        meta_at: None,
        keep: true,
        depth: 0,
    };
    let Some((indent, _)) = p.peek()? else {
        return Err(GiveUp); // empty or comments only: null, the general reader says so
    };
    let value = p.block(indent)?;
    match p.peek()? {
        None => Ok(value),
        Some(_) => Err(GiveUp),
    }
}

/// A line of the document and the number of spaces it starts with.
#[derive(Clone, Copy)]
struct Line<'a> {
    raw: &'a str,
    indent: usize,
}

impl<'a> Line<'a> {
    fn of(raw: &'a str) -> Self {
        Line {
            raw,
            indent: raw.len() - raw.trim_start_matches(' ').len(),
        }
    }

    /// Nothing but spaces (or nothing at all).
    fn blank(&self) -> bool {
        self.indent == self.raw.len()
    }
}

/// The lines of `text` (as `text.split('\n')` gives them), or `None` when it holds a tab, carriage return,
/// byte order mark or character YAML does not allow unescaped. Plain ASCII, as templates almost always
/// render, is checked and cut into lines in one pass.
fn lines_of(text: &str) -> Option<Vec<Line<'_>>> {
    let mut lines = Vec::with_capacity(text.len() / 32 + 1);
    if !text.is_ascii() {
        if !plain_chars(text) {
            return None;
        }
        lines.extend(text.split('\n').map(Line::of));
        return Some(lines);
    }
    let (mut start, mut indent) = (0, None);
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if b == b'\n' {
            lines.push(Line {
                raw: &text[start..i],
                indent: indent.unwrap_or(i - start),
            });
            (start, indent) = (i + 1, None);
        } else if !(0x20..0x7f).contains(&b) {
            return None;
        } else if b != b' ' && indent.is_none() {
            indent = Some(i - start);
        }
    }
    lines.push(Line {
        raw: &text[start..],
        indent: indent.unwrap_or(text.len() - start),
    });
    Some(lines)
}

/// No tab, carriage return, byte order mark or character YAML does not allow unescaped.
fn plain_chars(text: &str) -> bool {
    if text.is_ascii() {
        return text
            .bytes()
            .all(|b| b == b'\n' || (0x20..0x7f).contains(&b));
    }
    text.chars().all(|c| {
        c == '\n'
            || (matches!(c, '\u{20}'..='\u{7e}' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fefe}' | '\u{ff00}'..='\u{fffd}' | '\u{10000}'..)
                // line and paragraph separators break lines in YAML 1.1 readers
                && !matches!(c, '\u{2028}' | '\u{2029}'))
    })
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    /// The rest of a line after `- `, read as a line of its own at its column.
    virt: Option<(usize, &'a str)>,
    /// Build only the top-level mapping's identity keys ([`skim`]).
    skim: bool,
    /// While a skimmed document's `metadata` is read: the depth of its mapping, whose keys other than those
    /// [`skim`] builds are only checked.
    meta_at: Option<usize>,
    /// The value being read is built; when not, it is checked and `null` stands for it.
    keep: bool,
    /// Mappings and sequences entered and not yet left.
    depth: usize,
}

impl<'a> Reader<'a> {
    /// The next line that holds something: (indent, text after the indent).
    fn peek(&mut self) -> R<Option<(usize, &'a str)>> {
        if let Some(v) = self.virt {
            return Ok(Some(v));
        }
        while let Some(line) = self.lines.get(self.pos) {
            let text = &line.raw[line.indent..];
            if text.is_empty() || text.as_bytes()[0] == b'#' {
                self.pos += 1;
                continue;
            }
            let indent = line.indent;
            if indent == 0
                && (text.starts_with("...") || text.starts_with("---") || text.starts_with('%'))
            {
                return Err(GiveUp);
            }
            return Ok(Some((indent, text)));
        }
        Ok(None)
    }

    /// Step past the line [`Reader::peek`] returned.
    fn advance(&mut self) {
        if self.virt.take().is_none() {
            self.pos += 1;
        }
    }

    /// A mapping or sequence whose lines start at `indent`.
    fn block(&mut self, indent: usize) -> R<Value> {
        match self.peek()? {
            Some((_, t)) if is_item(t) => self.seq(indent),
            _ => self.map(indent),
        }
    }

    fn seq(&mut self, indent: usize) -> R<Value> {
        let mut out = Vec::new();
        let keep = self.keep;
        self.depth += 1;
        let mut push = |v: Value| {
            if keep {
                out.push(v)
            }
        };
        while let Some((i, t)) = self.peek()? {
            if i < indent || (i == indent && !is_item(t)) {
                break;
            }
            if i > indent {
                return Err(GiveUp);
            }
            self.advance();
            let rest = &t[1..];
            let after = rest.trim_start_matches(' ');
            if after.is_empty() || after.starts_with('#') {
                push(self.nested(indent, false)?);
                continue;
            }
            let col = indent + 1 + (rest.len() - after.len());
            if is_item(after) {
                self.virt = Some((col, after));
                push(self.seq(col)?);
            } else if split_key(after)?.is_some() {
                self.virt = Some((col, after));
                push(self.map(col)?);
            } else {
                push(self.scalar(indent, after)?);
            }
        }
        self.depth -= 1;
        Ok(if keep { Value::Array(out) } else { Value::Null })
    }

    fn map(&mut self, indent: usize) -> R<Value> {
        let mut out = Map::new();
        // the keys of a mapping that is not built, for the duplicate check
        let mut seen = Keys::default();
        let (keep, top) = (self.keep, self.depth == 0);
        let narrow = self.skim && self.meta_at == Some(self.depth);
        self.depth += 1;
        while let Some((i, t)) = self.peek()? {
            if i < indent {
                break;
            }
            if i > indent {
                return Err(GiveUp);
            }
            if is_item(t) {
                // `- x` at the indent of keys ends this mapping only when it is a sequence's next item
                break;
            }
            let (key, rest) = split_key(t)?.ok_or(GiveUp)?;
            self.advance();
            let rest = rest.trim_start_matches(' ');
            if self.skim && top {
                self.keep = matches!(&*key, "apiVersion" | "kind" | "metadata");
                self.meta_at = (key == "metadata").then_some(1);
            } else if narrow {
                self.keep =
                    keep && matches!(&*key, "name" | "namespace" | "generateName" | "annotations");
            }
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.nested(indent, true)?
            } else {
                self.scalar(indent, rest)?
            };
            let built = self.keep;
            self.keep = keep;
            let fresh = if built {
                out.insert(key.into_owned(), value).is_none()
            } else {
                seen.insert(key)
            };
            if !fresh {
                return Err(GiveUp);
            }
        }
        self.depth -= 1;
        if out.is_empty() && seen.is_empty() {
            return Err(GiveUp);
        }
        if !seen.distinct() {
            return Err(GiveUp);
        }
        Ok(if keep {
            Value::Object(out)
        } else {
            Value::Null
        })
    }

    /// The value of `key:` or `-` with nothing after it: a block on the following lines, or null.
    fn nested(&mut self, parent: usize, same_indent_items: bool) -> R<Value> {
        match self.peek()? {
            Some((i, _)) if i > parent => self.block(i),
            Some((i, t)) if i == parent && same_indent_items && is_item(t) => self.seq(i),
            _ => Ok(Value::Null),
        }
    }

    /// A scalar written after `key: ` or `- ` on a line whose node is at `parent`.
    fn scalar(&mut self, parent: usize, text: &str) -> R<Value> {
        let value = match text.as_bytes()[0] {
            b'|' => return self.literal(parent, text),
            b'"' | b'\'' => {
                let (s, rest) = quoted(text)?;
                end_of_line(rest)?;
                Scalar::Str(s)
            }
            b'[' | b'{' => match strip_comment(text) {
                "[]" => return Ok(self.built(|| Value::Array(Vec::new()))),
                "{}" => return Ok(self.built(|| Value::Object(Map::new()))),
                _ => return Err(GiveUp),
            },
            _ => {
                let s = strip_comment(text);
                if find_pair(s, b':', b' ').is_some() || s.ends_with(':') {
                    return Err(GiveUp);
                }
                resolve(s)?
            }
        };
        Ok(self.built(|| value.into_value()))
    }

    /// `make()` when the value being read is built, else `null`.
    fn built(&self, make: impl FnOnce() -> Value) -> Value {
        if self.keep {
            make()
        } else {
            Value::Null
        }
    }

    /// A `|` or `|-` literal: the following lines indented deeper than `parent`.
    fn literal(&mut self, parent: usize, header: &str) -> R<Value> {
        let keep_last = match strip_comment(header) {
            "|" => true,
            "|-" => false,
            _ => return Err(GiveUp),
        };
        // the content's indent is that of its first line with text; blank lines before it may not be longer
        let mut indent = None;
        let mut longest_blank = 0;
        for line in &self.lines[self.pos..] {
            if line.blank() {
                longest_blank = longest_blank.max(line.raw.len());
                continue;
            }
            indent = Some(line.indent);
            break;
        }
        let indent = indent.ok_or(GiveUp)?;
        if indent <= parent || longest_blank > indent {
            return Err(GiveUp);
        }
        let mut text = String::new();
        let mut pending_breaks = 0;
        let mut first = true;
        while let Some(line) = self.lines.get(self.pos) {
            let blank = line.blank();
            if blank && line.raw.len() > indent {
                return Err(GiveUp); // spaces past the indent are content: left to the general reader
            }
            if !blank && line.indent < indent {
                break;
            }
            self.pos += 1;
            let content = line.raw.get(indent..).unwrap_or("");
            if content.is_empty() {
                pending_breaks += 1;
                continue;
            }
            if !first {
                pending_breaks += 1;
            }
            if self.keep {
                for _ in 0..pending_breaks {
                    text.push('\n');
                }
                text.push_str(content);
            }
            pending_breaks = 0;
            first = false;
        }
        if keep_last && self.keep {
            text.push('\n');
        }
        Ok(self.built(|| Value::String(text)))
    }
}

/// `- x` or a lone `-`: a sequence item.
fn is_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

/// `key: rest` (or `key:` at the end of the line): the key and what follows the colon; `None` for a line
/// that holds no key.
fn split_key(t: &str) -> R<Option<(Cow<'_, str>, &str)>> {
    match t.as_bytes()[0] {
        b'"' | b'\'' => {
            let (key, rest) = quoted(t)?;
            match rest.strip_prefix(':') {
                Some(r) if r.is_empty() || r.starts_with(' ') => Ok(Some((key, r))),
                _ => Ok(None),
            }
        }
        _ => {
            let end = match find_pair(t, b':', b' ') {
                Some(i) => i,
                None if t.ends_with(':') => t.len() - 1,
                None => return Ok(None),
            };
            let key = &t[..end];
            if key.is_empty()
                || key.ends_with(' ')
                || find_pair(key, b' ', b'#').is_some()
                || starts_specially(key)
                || key.starts_with(['-', '+', '.'])
            {
                return Err(GiveUp);
            }
            match resolve(key)? {
                Scalar::Str(k) => Ok(Some((k, &t[end + 1..]))),
                _ => Err(GiveUp),
            }
        }
    }
}

/// A plain scalar may not start with an indicator; those read here start nothing else either.
fn starts_specially(s: &str) -> bool {
    matches!(
        s.as_bytes().first(),
        Some(
            b'[' | b']'
                | b'{'
                | b'}'
                | b','
                | b'#'
                | b'&'
                | b'*'
                | b'!'
                | b'|'
                | b'>'
                | b'\''
                | b'"'
                | b'%'
                | b'@'
                | b'`'
                | b'?'
                | b':'
        )
    )
}

/// A plain scalar's text without a trailing ` # comment` and spaces.
fn strip_comment(text: &str) -> &str {
    let end = find_pair(text, b' ', b'#').unwrap_or(text.len());
    text[..end].trim_end_matches(' ')
}

/// Where the two bytes `a` `b` first stand side by side in `s` (`s.find(": ")` without a substring
/// searcher, which costs more to set up than these short lines take to scan).
fn find_pair(s: &str, a: u8, b: u8) -> Option<usize> {
    s.as_bytes().windows(2).position(|w| w[0] == a && w[1] == b)
}

/// After a quoted scalar: nothing, or a comment after a space.
fn end_of_line(rest: &str) -> R<()> {
    let trimmed = rest.trim_start_matches(' ');
    if rest.is_empty()
        || (trimmed.len() < rest.len() && (trimmed.is_empty() || trimmed.starts_with('#')))
    {
        Ok(())
    } else {
        Err(GiveUp)
    }
}

/// A scalar as read, before it is built into a value (which a skimmed document's skipped parts never are).
enum Scalar<'a> {
    Null,
    Bool(bool),
    Int(Number),
    Str(Cow<'a, str>),
}

impl Scalar<'_> {
    fn into_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Bool(b) => Value::Bool(b),
            Scalar::Int(n) => Value::Number(n),
            Scalar::Str(s) => Value::String(s.into_owned()),
        }
    }
}

/// The keys of a mapping that is checked but not built, to find duplicates: compared as they come while
/// few, sorted once at the end when many.
#[derive(Default)]
struct Keys<'a> {
    keys: Vec<Cow<'a, str>>,
}

/// Up to this many keys, each new key is compared with those before it.
const FEW_KEYS: usize = 16;

impl<'a> Keys<'a> {
    /// False when `key` is known to be there already.
    fn insert(&mut self, key: Cow<'a, str>) -> bool {
        if self.keys.len() < FEW_KEYS && self.keys.contains(&key) {
            return false;
        }
        self.keys.push(key);
        true
    }
    /// True when no key was seen twice.
    fn distinct(mut self) -> bool {
        if self.keys.len() <= FEW_KEYS {
            return true;
        }
        self.keys.sort_unstable();
        self.keys.windows(2).all(|w| w[0] != w[1])
    }
    fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// What a plain scalar means, as the general reader resolves it: null, a boolean, a decimal integer or
/// a string. Anything that might be another kind of number gives up.
fn resolve(s: &str) -> R<Scalar<'_>> {
    if starts_specially(s) {
        return Err(GiveUp);
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Scalar::Null),
        "true" | "True" | "TRUE" => return Ok(Scalar::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Scalar::Bool(false)),
        _ => {}
    }
    if s == "-" || s.starts_with("- ") {
        return Err(GiveUp);
    }
    let b = s.as_bytes();
    if !(b[0].is_ascii_digit() || matches!(b[0], b'-' | b'+' | b'.')) {
        return Ok(Scalar::Str(Cow::Borrowed(s)));
    }
    // a number is written with digits, `.`, `e`, signs, or `0x`/`0o`/`0b` and digits; `.inf` and `.nan`
    // start with a dot
    let unsigned = s.trim_start_matches(['-', '+']);
    let radix = ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p));
    let numeric_chars = s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !radix && !unsigned.starts_with('.') && !numeric_chars {
        return Ok(Scalar::Str(Cow::Borrowed(s)));
    }
    let (neg, digits) = match s.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, s),
    };
    let simple = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|c| c.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(neg && digits == "0");
    if !simple {
        return Err(GiveUp);
    }
    let n: u64 = digits.parse().map_err(|_| GiveUp)?;
    Ok(Scalar::Int(if neg {
        Number::from(-(n as i64))
    } else {
        Number::from(n)
    }))
}

/// A quoted scalar (`"..."` or `'...'`) on one line: its text, borrowed when it holds no escape, and what
/// follows the closing quote.
fn quoted(t: &str) -> R<(Cow<'_, str>, &str)> {
    let (quote, escape) = if t.starts_with('"') {
        (b'"', b'\\')
    } else {
        (b'\'', b'\'')
    };
    let body = &t[1..];
    match body.bytes().position(|b| b == quote || b == escape) {
        Some(i)
            if body.as_bytes()[i] == quote
                && (quote != escape || body.as_bytes().get(i + 1) != Some(&quote)) =>
        {
            Ok((Cow::Borrowed(&body[..i]), &body[i + 1..]))
        }
        Some(_) => {
            let (s, rest) = if quote == b'"' {
                double_quoted(t)?
            } else {
                single_quoted(t)?
            };
            Ok((Cow::Owned(s), rest))
        }
        None => Err(GiveUp),
    }
}

/// `"..."` on one line, with the common escapes; the text and what follows the closing quote.
fn double_quoted(t: &str) -> R<(String, &str)> {
    let mut out = String::new();
    let mut chars = t[1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, &t[i + 2..])),
            '\\' => out.push(match chars.next().ok_or(GiveUp)?.1 {
                'n' => '\n',
                't' => '\t',
                '"' => '"',
                '\\' => '\\',
                '/' => '/',
                _ => return Err(GiveUp),
            }),
            c => out.push(c),
        }
    }
    Err(GiveUp)
}

/// `'...'` on one line (`''` is a quote); the text and what follows the closing quote.
fn single_quoted(t: &str) -> R<(String, &str)> {
    let mut out = String::new();
    let body = &t[1..];
    let mut i = 0;
    let bytes = body.as_bytes();
    while i < bytes.len() {
        if bytes[i] == b'\'' {
            if bytes.get(i + 1) == Some(&b'\'') {
                out.push('\'');
                i += 2;
                continue;
            }
            return Ok((out, &body[i + 1..]));
        }
        let c = body[i..].chars().next().ok_or(GiveUp)?;
        out.push(c);
        i += c.len_utf8();
    }
    Err(GiveUp)
}

#[cfg(test)]
#[path = "quick_tests.rs"]
mod tests;
