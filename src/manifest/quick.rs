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

/// Not in the subset read here.
#[derive(Debug)]
pub(super) struct GiveUp;

type R<T> = Result<T, GiveUp>;

/// The document as JSON, or `GiveUp`.
pub(super) fn read(text: &str) -> R<Value> {
    if !plain_chars(text) {
        return Err(GiveUp);
    }
    let mut p = Reader {
        lines: text.split('\n').collect(),
        pos: 0,
        virt: None,
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
    lines: Vec<&'a str>,
    pos: usize,
    /// The rest of a line after `- `, read as a line of its own at its column.
    virt: Option<(usize, &'a str)>,
}

impl<'a> Reader<'a> {
    /// The next line that holds something: (indent, text after the indent).
    fn peek(&mut self) -> R<Option<(usize, &'a str)>> {
        if let Some(v) = self.virt {
            return Ok(Some(v));
        }
        while let Some(line) = self.lines.get(self.pos) {
            let text = line.trim_start_matches(' ');
            if text.is_empty() || text.starts_with('#') {
                self.pos += 1;
                continue;
            }
            let indent = line.len() - text.len();
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
                out.push(self.nested(indent, false)?);
                continue;
            }
            let col = indent + 1 + (rest.len() - after.len());
            if is_item(after) {
                self.virt = Some((col, after));
                out.push(self.seq(col)?);
            } else if split_key(after)?.is_some() {
                self.virt = Some((col, after));
                out.push(self.map(col)?);
            } else {
                out.push(self.scalar(indent, after)?);
            }
        }
        Ok(Value::Array(out))
    }

    fn map(&mut self, indent: usize) -> R<Value> {
        let mut out = Map::new();
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
            let value = if rest.is_empty() || rest.starts_with('#') {
                self.nested(indent, true)?
            } else {
                self.scalar(indent, rest)?
            };
            if out.insert(key, value).is_some() {
                return Err(GiveUp);
            }
        }
        if out.is_empty() {
            return Err(GiveUp);
        }
        Ok(Value::Object(out))
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
        match text.as_bytes()[0] {
            b'|' => self.literal(parent, text),
            b'"' => {
                let (s, rest) = double_quoted(text)?;
                end_of_line(rest)?;
                Ok(Value::String(s))
            }
            b'\'' => {
                let (s, rest) = single_quoted(text)?;
                end_of_line(rest)?;
                Ok(Value::String(s))
            }
            b'[' | b'{' => match strip_comment(text) {
                "[]" => Ok(Value::Array(Vec::new())),
                "{}" => Ok(Value::Object(Map::new())),
                _ => Err(GiveUp),
            },
            _ => {
                let s = strip_comment(text);
                if s.contains(": ") || s.ends_with(':') {
                    return Err(GiveUp);
                }
                resolve(s)
            }
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
            if line.bytes().all(|b| b == b' ') {
                longest_blank = longest_blank.max(line.len());
                continue;
            }
            indent = Some(line.len() - line.trim_start_matches(' ').len());
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
            let blank = line.bytes().all(|b| b == b' ');
            if blank && line.len() > indent {
                return Err(GiveUp); // spaces past the indent are content: left to the general reader
            }
            if !blank && line.len() - line.trim_start_matches(' ').len() < indent {
                break;
            }
            self.pos += 1;
            let content = line.get(indent..).unwrap_or("");
            if content.is_empty() {
                pending_breaks += 1;
                continue;
            }
            if !first {
                pending_breaks += 1;
            }
            for _ in 0..pending_breaks {
                text.push('\n');
            }
            pending_breaks = 0;
            first = false;
            text.push_str(content);
        }
        if keep_last {
            text.push('\n');
        }
        Ok(Value::String(text))
    }
}

/// `- x` or a lone `-`: a sequence item.
fn is_item(t: &str) -> bool {
    t == "-" || t.starts_with("- ")
}

/// `key: rest` (or `key:` at the end of the line): the key and what follows the colon; `None` for a line
/// that holds no key.
fn split_key(t: &str) -> R<Option<(String, &str)>> {
    match t.as_bytes()[0] {
        b'"' | b'\'' => {
            let (key, rest) = if t.starts_with('"') {
                double_quoted(t)?
            } else {
                single_quoted(t)?
            };
            match rest.strip_prefix(':') {
                Some(r) if r.is_empty() || r.starts_with(' ') => Ok(Some((key, r))),
                _ => Ok(None),
            }
        }
        _ => {
            let end = match t.find(": ") {
                Some(i) => i,
                None if t.ends_with(':') => t.len() - 1,
                None => return Ok(None),
            };
            let key = &t[..end];
            if key.is_empty()
                || key.ends_with(' ')
                || key.contains(" #")
                || starts_specially(key)
                || key.starts_with(['-', '+', '.'])
            {
                return Err(GiveUp);
            }
            match resolve(key)? {
                Value::String(k) => Ok(Some((k, &t[end + 1..]))),
                _ => Err(GiveUp),
            }
        }
    }
}

/// A plain scalar may not start with an indicator; those read here start nothing else either.
fn starts_specially(s: &str) -> bool {
    s.starts_with([
        '[', ']', '{', '}', ',', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`', '?', ':',
    ])
}

/// A plain scalar's text without a trailing ` # comment` and spaces.
fn strip_comment(text: &str) -> &str {
    let end = text.find(" #").unwrap_or(text.len());
    text[..end].trim_end_matches(' ')
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

/// What a plain scalar means, as the general reader resolves it: null, a boolean, a decimal integer or
/// a string. Anything that might be another kind of number gives up.
fn resolve(s: &str) -> R<Value> {
    if starts_specially(s) {
        return Err(GiveUp);
    }
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    if s == "-" || s.starts_with("- ") {
        return Err(GiveUp);
    }
    let b = s.as_bytes();
    if !(b[0].is_ascii_digit() || matches!(b[0], b'-' | b'+' | b'.')) {
        return Ok(Value::String(s.to_owned()));
    }
    // a number is written with digits, `.`, `e`, signs, or `0x`/`0o`/`0b` and digits; `.inf` and `.nan`
    // start with a dot
    let unsigned = s.trim_start_matches(['-', '+']);
    let radix = ["0x", "0o", "0b"].iter().any(|p| unsigned.starts_with(p));
    let numeric_chars = s
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'));
    if !radix && !unsigned.starts_with('.') && !numeric_chars {
        return Ok(Value::String(s.to_owned()));
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
    Ok(Value::Number(if neg {
        Number::from(-(n as i64))
    } else {
        Number::from(n)
    }))
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
