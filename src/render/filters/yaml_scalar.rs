//! How one string is written as a YAML scalar: plain when safe, else quoted (TEMPLATES.md §5).
//!
//! Kubernetes reads YAML 1.1 (`on` is a boolean, `0777` is octal, `1:30` is a number), while Rust
//! parsers read YAML 1.2. A string stays plain only if no YAML 1.1 or 1.2 reader could take it for
//! anything but that same string; otherwise it is single-quoted, or double-quoted with escapes
//! when it holds characters that are not printable in YAML.

use std::sync::LazyLock;

use regex::Regex;

/// How a single-line string must be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    Plain,
    Single,
    Double,
}

/// Words that YAML 1.1 or 1.2 resolve to booleans or null.
const RESERVED_WORDS: &[&str] = &[
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "=",
    "<<",
];

/// Characters that start a YAML indicator when they open a plain scalar.
const INDICATORS: &[char] = &[
    '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`',
];

/// Anything a YAML 1.1 or 1.2 reader would resolve to a number or a timestamp.
static NUMBER_LIKE: LazyLock<Regex> = LazyLock::new(|| {
    let patterns = [
        // integers: decimal, 1.1 octal, underscores (1.1), and base prefixes (1.1 and 1.2)
        r"[-+]?[0-9][0-9_]*",
        r"[-+]?0[bB][01_]+",
        r"[-+]?0[oO][0-7_]+",
        r"[-+]?0[xX][0-9a-fA-F_]+",
        // sexagesimal integers and floats (1.1): 1:30, 1:30:00.5
        r"[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?",
        // floats with a point (1.1 and 1.2): 1.10, .5, 1., 1.0e+3
        r"[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)?",
        // floats without a point (1.2): 1e3
        r"[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+",
        // infinities and not-a-number
        r"[-+]?\.(inf|Inf|INF)",
        r"\.(nan|NaN|NAN)",
        // timestamps (1.1): a date, optionally followed by a time
        r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?",
    ];
    let joined = patterns
        .iter()
        .map(|p| format!("(?:{p})"))
        .collect::<Vec<_>>()
        .join("|");
    Regex::new(&format!("^(?:{joined})$")).expect("static pattern compiles")
});

/// Whether YAML treats `c` as printable and we are happy to write it raw. Tabs are excluded so
/// that they show up as `\t`, and so are the characters libyaml treats as line breaks
/// (NEL, LS, PS) and the byte-order mark.
pub(crate) fn is_printable(c: char) -> bool {
    match c {
        '\n' => true,
        '\u{20}'..='\u{7e}' => true,
        '\u{a0}'..='\u{d7ff}' => !matches!(c, '\u{2028}' | '\u{2029}'),
        '\u{e000}'..='\u{fffd}' => c != '\u{feff}',
        '\u{10000}'..='\u{10ffff}' => true,
        _ => false,
    }
}

/// True when `s` cannot be written as a plain scalar on one line.
pub(crate) fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || RESERVED_WORDS.contains(&s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    let last = s.chars().next_back().unwrap_or(' ');
    first.is_whitespace()
        || INDICATORS.contains(&first)
        || last.is_whitespace()
        || last == ':'
        || s.starts_with("...")
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\t')
        || s.contains('\n')
        || NUMBER_LIKE.is_match(s)
}

/// The style a single-line (or forced single-line) string needs.
pub(crate) fn style_of(s: &str) -> Style {
    if s.chars().any(|c| !is_printable(c) || c == '\n') {
        Style::Double
    } else if needs_quotes(s) {
        Style::Single
    } else {
        Style::Plain
    }
}

/// `s` as a scalar on one line: plain, single-quoted or double-quoted.
pub(crate) fn inline_scalar(s: &str) -> String {
    match style_of(s) {
        Style::Plain => s.to_string(),
        Style::Single => single_quote(s),
        Style::Double => double_quote(s),
    }
}

/// `'s'` with inner `'` doubled. Only valid for strings of printable characters on one line.
pub(crate) fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// `"s"` with JSON-compatible escapes, which are also valid YAML double-quoted escapes: `\"`,
/// `\\`, `\b \f \n \r \t`, and `\uXXXX` for every other character that is not printable.
pub(crate) fn double_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if is_printable(c) => out.push(c),
            c => {
                // Everything not printable is in the Basic Multilingual Plane.
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
        }
    }
    out.push('"');
    out
}

/// Whether a multi-line string can be written as a literal block (`|`): its first line does not
/// start with a space, every character is printable (no tabs or control characters), no line
/// ends in whitespace, it has a non-empty line, and it does not end in more than one newline
/// (a kept `|+` tail cannot survive being embedded by `nindent` or printed without a final
/// newline).
pub(crate) fn literal_ok(s: &str) -> bool {
    if !s.contains('\n') || s.starts_with(' ') || s.ends_with("\n\n") {
        return false;
    }
    if !s.chars().all(is_printable) {
        return false;
    }
    let mut any_content = false;
    for line in s.split('\n') {
        if line.ends_with(' ') {
            return false;
        }
        any_content |= !line.is_empty();
    }
    any_content
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_safe() {
        for s in [
            "hello",
            "app.kubernetes.io/name",
            "1.2.3",
            "v1.29.3-eks-1",
            "nginx:1.25",
            "a:b",
            "a#b",
            "x-y",
            "http://example.com/a?b=c",
            "yesterday",
            "Norway",
            "0x",
            "1.2.3.4",
            "10.0.0.0/8",
            "ünïcødé",
            "a, b",
        ] {
            assert_eq!(style_of(s), Style::Plain, "{s:?}");
        }
    }

    #[test]
    fn quoted_when_ambiguous() {
        for s in [
            "",
            "y",
            "NO",
            "on",
            "Off",
            "~",
            "null",
            "true",
            "=",
            "<<",
            "0777",
            "0o7",
            "0x1F",
            "0b1",
            "1_000",
            "1e3",
            ".5",
            "1.10",
            "+1",
            "-1",
            ".inf",
            "-.Inf",
            ".NaN",
            "1:30",
            "190:20:30",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "- item",
            "-x",
            "?",
            ":x",
            "[a]",
            "{a}",
            "#c",
            "&a",
            "*a",
            "!tag",
            "|",
            ">",
            "'q",
            "\"q",
            "%x",
            "@x",
            "`x",
            " lead",
            "trail ",
            "ends:",
            "a: b",
            "a #b",
            "...",
            "1.",
        ] {
            assert_ne!(style_of(s), Style::Plain, "{s:?}");
        }
    }

    #[test]
    fn double_quotes_for_unprintables() {
        assert_eq!(style_of("a\tb"), Style::Double);
        assert_eq!(inline_scalar("a\tb\u{7}"), "\"a\\tb\\u0007\"");
        assert_eq!(inline_scalar("x\u{2028}y"), "\"x\\u2028y\"");
        assert_eq!(inline_scalar("it's"), "it's");
        assert_eq!(inline_scalar("'it's'"), "'''it''s'''");
    }

    #[test]
    fn literal_rules() {
        assert!(literal_ok("a\nb"));
        assert!(literal_ok("a\nb\n"));
        assert!(literal_ok("\na"));
        assert!(!literal_ok(" a\nb"));
        assert!(!literal_ok("a \nb"));
        assert!(!literal_ok("a\tx\nb"));
        assert!(!literal_ok("a\r\nb"));
        assert!(!literal_ok("a\n\n"));
        assert!(!literal_ok("\n"));
        assert!(!literal_ok("one line"));
    }
}
