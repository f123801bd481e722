//! The `strvals` grammar behind `--set*`: keys with dots, `[n]` indices and `\\` escapes, comma
//! separated assignments, `{a,b}` lists, JSON and literal values. Errors point into the flag but show
//! only its keys: a value may be a secret, so it is never echoed.

use std::path::Path;

use anyhow::Result;

use super::path::PathSeg;
use super::set::{flatten_object, helm_typed, Assignment};
use super::set_mask::{key_visible, FlagView, State};
use super::source::read_text_file;
use super::{SetArg, SetKind, Values, MAX_LIST_INDEX, MAX_SET_NAME_LEVELS};

/// Parse a flag into its assignments (reading `--set-file` files relative to `base_dir`).
///
/// An empty flag (`--set ''`) sets nothing. `--set-json` given a whole JSON object (`'{"a":{"b":1}}'`)
/// merges that object, as assignments of each of its values.
pub fn parse_set(arg: &SetArg, base_dir: &Path) -> Result<Vec<Assignment>> {
    let mut p = Parser {
        chars: arg.expr.chars().collect(),
        i: 0,
        arg,
        base_dir,
        state: State::Key,
        entry: 0,
        values: Vec::new(),
    };
    if arg.kind == SetKind::Json && arg.expr.trim_start().starts_with('{') {
        return p.whole_object();
    }
    let mut out = Vec::new();
    while p.i < p.chars.len() {
        let column = p.i + 1;
        p.state = State::Key;
        p.entry = p.i;
        let path = p.path()?;
        let value = p.value()?;
        out.push(Assignment {
            path,
            value,
            column,
            merged: false,
        });
        if arg.kind == SetKind::Literal {
            break;
        }
    }
    Ok(out)
}

struct Parser<'a> {
    chars: Vec<char>,
    i: usize,
    arg: &'a SetArg,
    base_dir: &'a Path,
    state: State,
    /// Where the assignment being read starts.
    entry: usize,
    /// Character ranges of the values read so far, hidden in errors.
    values: Vec<(usize, usize)>,
}

impl Parser<'_> {
    /// An error at character `at`, showing the flag's keys but none of its values.
    fn fail(&self, at: usize, msg: &str, hint: &str) -> anyhow::Error {
        let view = FlagView {
            chars: &self.chars,
            values: &self.values,
            entry: self.entry,
            state: self.state,
        };
        view.error(self.arg.kind.flag(), at, msg, hint)
    }

    /// "key `name`" when the key may be shown, otherwise "an entry".
    fn key_name(&self, key: &str) -> String {
        if key_visible(&self.chars, self.entry) {
            format!("key `{key}`")
        } else {
            "an entry".into()
        }
    }

    /// Record that a value started at `start`, so errors from here on hide it.
    fn enter_value(&mut self) {
        self.state = State::Value(self.i);
    }

    /// Record that the value that started ends before `end`.
    fn leave_value(&mut self, end: usize) {
        if let State::Value(start) = self.state {
            self.values.push((start, end.max(start)));
        }
        self.state = State::After;
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
                        &format!("{} has no value", self.key_name(&key)),
                        "add `=value` (use `key=null` to delete a key); escape a `,` inside a value as `\\,`",
                    ))
                }
                Some(',') => {
                    return Err(self.fail(
                        self.i,
                        &format!("{} has no value before `,`", self.key_name(&key)),
                        "write `key=value` for each comma-separated entry; escape a `,` inside a value as `\\,`",
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
        self.enter_value();
        match self.arg.kind {
            SetKind::Literal => {
                let rest: String = self.chars[self.i..].iter().collect();
                self.i = self.chars.len();
                self.leave_value(self.i);
                Ok(Values::String(rest))
            }
            SetKind::Json => self.json(),
            _ => {
                if self.peek() == Some('{') {
                    return self.list();
                }
                let at = self.i;
                let text = self.until(&[',']);
                let end = self.i;
                self.i += 1; // the `,` (or past the end)
                let value = self.typed(text, at)?;
                self.leave_value(end);
                Ok(value)
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
        self.leave_value(self.i);
        match self.peek() {
            None => {}
            Some(',') => self.i += 1,
            Some(_) => {
                return Err(self.fail(
                    self.i,
                    "unexpected text after `}`",
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
            None => {
                self.leave_value(self.i);
                return Ok(Values::Null);
            }
            Some(',') => {
                self.leave_value(self.i);
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
        self.leave_value(self.i);
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        match self.peek() {
            None => {}
            Some(',') => self.i += 1,
            Some(_) => {
                return Err(self.fail(
                    self.i,
                    "unexpected text after the JSON value",
                    "separate assignments with `,` (a flag that is one whole JSON object takes nothing after it)",
                ))
            }
        }
        Ok(value)
    }

    /// `--set-json '{...}'`: the whole flag is one JSON object, merged as the assignments of its values.
    fn whole_object(&mut self) -> Result<Vec<Assignment>> {
        while self.peek().is_some_and(char::is_whitespace) {
            self.i += 1;
        }
        let column = self.i + 1;
        self.enter_value();
        let value = self.json()?;
        if self.i < self.chars.len() {
            return Err(self.fail(
                self.i,
                "unexpected text after the JSON object",
                "a whole-object --set-json takes exactly one JSON object",
            ));
        }
        Ok(flatten_object(&value, column))
    }
}
