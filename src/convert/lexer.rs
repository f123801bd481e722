//! Splits Go template source into text and actions, and an action into tokens.
//!
//! Text is kept as written; each action records whether it trims the white space (Go's: space, tab,
//! carriage return, newline) of the text before (`{{-`) and after (`-}}`) it.

use anyhow::{bail, Result};

/// One piece of a template file.
#[derive(Debug, Clone)]
pub enum Item {
    Text(String),
    /// An action `{{ … }}` with its tokens.
    Action(Tag, Vec<Tok>),
    /// A comment `{{/* … */}}`.
    Comment(Tag, String),
}

/// Where an action sits and whether it trims the text on either side.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tag {
    pub line: usize,
    pub trim_l: bool,
    pub trim_r: bool,
}

/// A token inside an action. `spaced` says whether white space preceded it (Go chains `.a.b` and
/// `(x).a` only when they touch).
#[derive(Debug, Clone, PartialEq)]
pub struct Tok {
    pub kind: TokKind,
    pub spaced: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum TokKind {
    /// `.Name`
    Field(String),
    /// A lone `.`
    Dot,
    /// `$name`, or `$` (empty name)
    Var(String),
    Ident(String),
    Str(String),
    /// A number as written (Go syntax).
    Num(String),
    Char(char),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
}

pub fn is_go_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Lex a whole template file.
pub fn lex(src: &str) -> Result<Vec<Item>> {
    let mut items: Vec<Item> = Vec::new();
    let mut rest = src;
    let mut line = 1usize;
    while !rest.is_empty() {
        let Some(start) = rest.find("{{") else {
            push_text(&mut items, rest);
            break;
        };
        let inner = &rest[start + 2..];
        let trim_l = inner.starts_with('-') && inner[1..].starts_with(is_go_space);
        push_text(&mut items, &rest[..start]);
        line += rest[..start].matches('\n').count();
        let tag_line = line;
        let body_start = if trim_l { 2 } else { 0 };
        let body = &inner[body_start..];
        let after_ws = body.trim_start_matches(is_go_space);
        if after_ws.starts_with("/*") && (trim_l || body.len() == after_ws.len()) {
            let Some(end) = after_ws.find("*/") else {
                bail!("line {tag_line}: unclosed comment");
            };
            let text = after_ws[2..end].to_string();
            let tail = &after_ws[end + 2..];
            let (trim_r, close) = if let Some(t) = tail.strip_prefix("}}") {
                (false, t)
            } else if let Some(t) = tail
                .strip_prefix(is_go_space)
                .and_then(|t| t.strip_prefix("-}}"))
            {
                (true, t)
            } else {
                bail!("line {tag_line}: comment ends with a delimiter other than `*/}}}}`");
            };
            let consumed = rest.len() - close.len();
            line += rest[start..consumed].matches('\n').count();
            items.push(Item::Comment(
                Tag {
                    line: tag_line,
                    trim_l,
                    trim_r,
                },
                text,
            ));
            rest = close;
            continue;
        }
        let (toks, used, trim_r) = lex_action(body, tag_line)?;
        let consumed_to = start + 2 + body_start + used;
        line += rest[start..consumed_to].matches('\n').count();
        items.push(Item::Action(
            Tag {
                line: tag_line,
                trim_l,
                trim_r,
            },
            toks,
        ));
        rest = &rest[consumed_to..];
    }
    Ok(items)
}

fn push_text(items: &mut Vec<Item>, text: &str) {
    if !text.is_empty() {
        items.push(Item::Text(text.to_string()));
    }
}

/// Tokens of one action up to its closing delimiter: (tokens, bytes consumed including the delimiter,
/// right trim).
fn lex_action(body: &str, line: usize) -> Result<(Vec<Tok>, usize, bool)> {
    let b = body.as_bytes();
    let mut i = 0;
    let mut toks = Vec::new();
    loop {
        let ws_start = i;
        while i < b.len() && is_go_space(b[i] as char) {
            i += 1;
        }
        let spaced = i > ws_start;
        if i >= b.len() {
            bail!("line {line}: unclosed action (no `}}}}`)");
        }
        let rest = &body[i..];
        if rest.starts_with("}}") {
            return Ok((toks, i + 2, false));
        }
        if spaced && rest.starts_with("-}}") {
            return Ok((toks, i + 3, true));
        }
        let c = b[i] as char;
        let (kind, len) = match c {
            '(' => (TokKind::LParen, 1),
            ')' => (TokKind::RParen, 1),
            '|' => (TokKind::Pipe, 1),
            ',' => (TokKind::Comma, 1),
            '=' => (TokKind::Assign, 1),
            ':' if rest.starts_with(":=") => (TokKind::Declare, 2),
            '"' => {
                let (s, n) = lex_quoted(rest, line)?;
                (TokKind::Str(s), n)
            }
            '`' => match rest[1..].find('`') {
                Some(end) => (TokKind::Str(rest[1..1 + end].to_string()), end + 2),
                None => bail!("line {line}: unterminated raw string"),
            },
            '\'' => {
                let mut chars = rest[1..].chars();
                match (chars.next(), chars.next()) {
                    (Some(ch), Some('\'')) if ch != '\\' => (TokKind::Char(ch), 2 + ch.len_utf8()),
                    _ => bail!("line {line}: unsupported character constant"),
                }
            }
            '.' => {
                let name_len = ident_len(&rest[1..]);
                if name_len > 0 {
                    (
                        TokKind::Field(rest[1..1 + name_len].to_string()),
                        1 + name_len,
                    )
                } else if rest[1..].starts_with(|c: char| c.is_ascii_digit()) {
                    let n = num_len(rest);
                    (TokKind::Num(rest[..n].to_string()), n)
                } else {
                    (TokKind::Dot, 1)
                }
            }
            '$' => {
                let n = ident_len(&rest[1..]);
                (TokKind::Var(rest[1..1 + n].to_string()), 1 + n)
            }
            c if c.is_ascii_digit() || ((c == '-' || c == '+') && rest.len() > 1) => {
                let n = num_len(rest);
                if n == 0 {
                    bail!("line {line}: unexpected `{c}` in action");
                }
                (TokKind::Num(rest[..n].to_string()), n)
            }
            c if c.is_alphabetic() || c == '_' => {
                let n = ident_len(rest);
                (TokKind::Ident(rest[..n].to_string()), n)
            }
            other => bail!("line {line}: unexpected `{other}` in action"),
        };
        toks.push(Tok { kind, spaced });
        i += len;
    }
}

fn ident_len(s: &str) -> usize {
    s.char_indices()
        .find(|(_, c)| !(c.is_alphanumeric() || *c == '_'))
        .map(|(i, _)| i)
        .unwrap_or(s.len())
}

fn num_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits_start = i;
    while i < b.len() {
        let c = b[i];
        let exp_sign = (c == b'-' || c == b'+') && i > 0 && matches!(b[i - 1], b'e' | b'E');
        if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' || exp_sign {
            i += 1;
        } else {
            break;
        }
    }
    if i == digits_start {
        0
    } else {
        i
    }
}

fn lex_quoted(s: &str, line: usize) -> Result<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, i + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'a' => out.push('\u{7}'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'v' => out.push('\u{b}'),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let hex: String = (0..n)
                            .filter_map(|_| chars.next().map(|(_, h)| h))
                            .collect();
                        match u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32) {
                            Some(ch) => out.push(ch),
                            None => bail!("line {line}: bad escape `\\{e}{hex}` in string"),
                        }
                    }
                    other => bail!("line {line}: unsupported escape `\\{other}` in string"),
                }
            }
            c => out.push(c),
        }
    }
    bail!("line {line}: unterminated string")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_trim_markers_and_keeps_text() {
        let items = lex("a  \n{{- .X -}}\n  b {{/* c */}} d {{-3}}").unwrap();
        assert!(matches!(&items[0], Item::Text(t) if t == "a  \n"));
        assert!(matches!(&items[1], Item::Action(t, _) if t.trim_l && t.trim_r));
        assert!(matches!(&items[2], Item::Text(t) if t == "\n  b "));
        assert!(matches!(&items[3], Item::Comment(_, t) if t == " c "));
        assert!(
            matches!(&items[5], Item::Action(t, toks) if !t.trim_l && toks[0].kind == TokKind::Num("-3".into()))
        );
    }

    #[test]
    fn lexes_chains_strings_and_numbers() {
        let items = lex(r#"{{ (index $x "a\tb").c `raw` -1.5 $ }}"#).unwrap();
        let Item::Action(_, toks) = &items[0] else {
            panic!()
        };
        let kinds: Vec<_> = toks.iter().map(|t| t.kind.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                TokKind::LParen,
                TokKind::Ident("index".into()),
                TokKind::Var("x".into()),
                TokKind::Str("a\tb".into()),
                TokKind::RParen,
                TokKind::Field("c".into()),
                TokKind::Str("raw".into()),
                TokKind::Num("-1.5".into()),
                TokKind::Var(String::new()),
            ]
        );
        assert!(!toks[5].spaced);
    }

    #[test]
    fn unclosed_action_names_its_line() {
        let err = lex("a\n\n{{ .X ").unwrap_err().to_string();
        assert!(err.contains("line 3"), "{err}");
    }
}
