//! The `strvals` grammar behind `--set*`: keys with dots, `[n]` indices and `\\` escapes, comma
//! separated assignments, `{a,b}` lists, JSON and literal values; errors point into the flag.

use std::path::Path;

use anyhow::{anyhow, Result};

use super::path::PathSeg;
use super::set::{helm_typed, Assignment};
use super::source::read_text_file;
use super::{SetArg, SetKind, Values, MAX_LIST_INDEX, MAX_SET_NAME_LEVELS};

/// Parse a flag into its assignments (reading `--set-file` files relative to `base_dir`).
pub fn parse_set(arg: &SetArg, base_dir: &Path) -> Result<Vec<Assignment>> {
    let mut p = Parser {
        chars: arg.expr.chars().collect(),
        i: 0,
        arg,
        base_dir,
    };
    let mut out = Vec::new();
    while p.i < p.chars.len() {
        let column = p.i + 1;
        let path = p.path()?;
        let value = p.value()?;
        out.push(Assignment {
            path,
            value,
            column,
        });
        if arg.kind == SetKind::Literal {
            break;
        }
    }
    if out.is_empty() {
        return Err(p.fail(0, "nothing to set", "write `key=value`"));
    }
    Ok(out)
}

struct Parser<'a> {
    chars: Vec<char>,
    i: usize,
    arg: &'a SetArg,
    base_dir: &'a Path,
}

impl Parser<'_> {
    fn fail(&self, at: usize, msg: &str, hint: &str) -> anyhow::Error {
        let flag = self.arg.kind.flag();
        let caret = " ".repeat(flag.len() + 1 + at.min(self.chars.len()));
        let mut out = format!(
            "invalid {flag} `{}`: {msg}\n  {flag} {}\n  {caret}^",
            self.arg.expr, self.arg.expr
        );
        if !hint.is_empty() {
            out.push_str(&format!("\n\nhint: {hint}"));
        }
        anyhow!(out)
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).copied()
    }

    fn literal(&self) -> bool {
        self.arg.kind == SetKind::Literal
    }

    /// Read until one of `stops` (not consumed), handling `\x` escapes unless literal.
    fn until(&mut self, stops: &[char]) -> String {
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if stops.contains(&c) {
                break;
            }
            if c == '\\' && !self.literal() && self.i + 1 < self.chars.len() {
                out.push(self.chars[self.i + 1]);
                self.i += 2;
                continue;
            }
            out.push(c);
            self.i += 1;
        }
        out
    }

    /// Read a key path up to and including its `=`.
    fn path(&mut self) -> Result<Vec<PathSeg>> {
        let mut segs = Vec::new();
        let mut levels = 0;
        let stops: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', '.', ',']
        };
        loop {
            let start = self.i;
            let key = self.until(stops);
            let stop = self.peek();
            if key.is_empty() {
                return Err(match stop {
                    None if segs.is_empty() => {
                        self.fail(start, "expected a key", "write `key=value`")
                    }
                    None => self.fail(
                        start,
                        "the key ends with `.`",
                        "finish the key and add `=value`",
                    ),
                    _ => self.fail(
                        start,
                        "empty key",
                        "keys need a name; escape a literal dot as `\\.`",
                    ),
                });
            }
            segs.push(PathSeg::Key(key.clone()));
            match stop {
                None => {
                    return Err(self.fail(
                        start,
                        &format!("key `{key}` has no value"),
                        "add `=value` (use `key=null` to delete a key)",
                    ))
                }
                Some(',') => {
                    return Err(self.fail(
                        self.i,
                        &format!("key `{key}` has no value before `,`"),
                        "write `key=value` for each comma-separated entry",
                    ))
                }
                Some('=') => {
                    self.i += 1;
                    return Ok(segs);
                }
                Some('.') => {
                    self.i += 1;
                    levels += 1;
                    if levels > MAX_SET_NAME_LEVELS {
                        return Err(self.fail(
                            self.i - 1,
                            &format!("key nests deeper than {MAX_SET_NAME_LEVELS} levels"),
                            "",
                        ));
                    }
                }
                Some(_) => {
                    // `[`: one or more indices, then `.`, `[` or `=`.
                    loop {
                        segs.push(PathSeg::Index(self.index()?));
                        if segs.len() > 4 * MAX_SET_NAME_LEVELS {
                            return Err(self.fail(self.i, "key path is too long", ""));
                        }
                        match self.peek() {
                            Some('[') => continue,
                            Some('=') => {
                                self.i += 1;
                                return Ok(segs);
                            }
                            Some('.') => {
                                self.i += 1;
                                levels += 1;
                                break;
                            }
                            None => {
                                return Err(self.fail(
                                    self.i,
                                    "list item has no value",
                                    "add `=value`",
                                ))
                            }
                            Some(c) => {
                                return Err(self.fail(
                                    self.i,
                                    &format!("unexpected `{c}` after `]`"),
                                    "after `[n]` write `=`, `.key` or another `[n]`",
                                ))
                            }
                        }
                    }
                    if levels > MAX_SET_NAME_LEVELS {
                        return Err(self.fail(
                            self.i - 1,
                            &format!("key nests deeper than {MAX_SET_NAME_LEVELS} levels"),
                            "",
                        ));
                    }
                }
            }
        }
    }

    /// Read `[n]` (at `[`), refusing negative and huge indices before anything is allocated.
    fn index(&mut self) -> Result<usize> {
        let open = self.i;
        self.i += 1;
        let Some(len) = self.chars[self.i..].iter().position(|&c| c == ']') else {
            return Err(self.fail(
                open,
                "`[` without a closing `]`",
                "write a list index as `[0]`",
            ));
        };
        let text: String = self.chars[self.i..self.i + len].iter().collect();
        let digits = text.strip_prefix('+').unwrap_or(&text);
        let at = self.i;
        self.i += len + 1;
        if let Some(rest) = digits.strip_prefix('-') {
            if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) {
                return Err(self.fail(
                    at,
                    &format!("negative list index {text} is not allowed"),
                    "",
                ));
            }
        }
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.fail(
                at,
                &format!("list index `{text}` is not a number"),
                "write a list index as `[0]`",
            ));
        }
        let trimmed = digits.trim_start_matches('0');
        let n = if trimmed.len() > 7 {
            None
        } else {
            trimmed.parse::<usize>().ok().or(Some(0))
        };
        match n {
            Some(n) if n <= MAX_LIST_INDEX => Ok(n),
            _ => Err(self.fail(
                at,
                &format!("list index {text} is over the limit of {MAX_LIST_INDEX}"),
                "list indices this large are refused to keep memory bounded",
            )),
        }
    }

    /// Read the value after `=` and the `,` that ends it.
    fn value(&mut self) -> Result<Values> {
        match self.arg.kind {
            SetKind::Literal => {
                let rest: String = self.chars[self.i..].iter().collect();
                self.i = self.chars.len();
                Ok(Values::String(rest))
            }
            SetKind::Json => self.json(),
            _ => {
                if self.peek() == Some('{') {
                    return self.list();
                }
                let at = self.i;
                let text = self.until(&[',']);
                self.i += 1; // the `,` (or past the end)
                self.typed(text, at)
            }
        }
    }

    fn typed(&self, text: String, at: usize) -> Result<Values> {
        match self.arg.kind {
            SetKind::String => Ok(Values::String(text)),
            SetKind::File => {
                if text.is_empty() {
                    return Err(self.fail(
                        at,
                        "expected a file path after `=`",
                        "write `--set-file key=path/to/file`",
                    ));
                }
                let path = self.base_dir.join(&text);
                read_text_file(&path, "--set-file file")
                    .map(Values::String)
                    .map_err(|e| self.fail(at, &format!("{e:#}"), ""))
            }
            _ => Ok(helm_typed(&text)),
        }
    }

    /// `{a,b,c}`: a list of typed items.
    fn list(&mut self) -> Result<Values> {
        let open = self.i;
        self.i += 1;
        let mut items = Vec::new();
        if self.peek() == Some('}') {
            self.i += 1;
        } else {
            loop {
                let at = self.i;
                let text = self.until(&[',', '}']);
                let stop = self.peek();
                self.i += 1;
                items.push(self.typed(text, at)?);
                match stop {
                    Some('}') => break,
                    Some(_) => continue,
                    None => {
                        return Err(self.fail(
                            open,
                            "list is missing its closing `}`",
                            "write lists as `{a,b,c}`",
                        ))
                    }
                }
            }
        }
        match self.peek() {
            None => {}
            Some(',') => self.i += 1,
            Some(c) => {
                return Err(self.fail(
                    self.i,
                    &format!("unexpected `{c}` after `}}`"),
                    "separate assignments with `,`",
                ))
            }
        }
        Ok(Values::Array(items))
    }

    /// `--set-json`: one JSON document; empty means null.
    fn json(&mut self) -> Result<Values> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        match self.peek() {
            None => return Ok(Values::Null),
            Some(',') => {
                self.i += 1;
                return Ok(Values::Null);
            }
            _ => {}
        }
        let rest: String = self.chars[self.i..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Values>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => {
                let line_start: usize = rest
                    .lines()
                    .take(e.line().saturating_sub(1))
                    .map(|l| l.chars().count() + 1)
                    .sum();
                let at = self.i + line_start + e.column().saturating_sub(1);
                return Err(self.fail(
                    at,
                    &format!("invalid JSON: {e}"),
                    "quote the whole flag for the shell, e.g. --set-json 'key={\"a\":1}'",
                ));
            }
            None => Values::Null,
        };
        self.i += rest[..stream.byte_offset()].chars().count();
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        match self.peek() {
            None => {}
            Some(',') => self.i += 1,
            Some(c) => {
                return Err(self.fail(
                    self.i,
                    &format!("unexpected `{c}` after the JSON value"),
                    "separate assignments with `,`",
                ))
            }
        }
        Ok(value)
    }
}
