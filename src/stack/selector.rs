//! Label selectors for picking stack instances (`-l tier=public,env=prod`, `tier!=private`,
//! `tier in (work,public)`), with the matching rules of Kubernetes label selectors.

use anyhow::{bail, Result};
use std::collections::BTreeMap;
use std::fmt;

/// What one requirement asks of a label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `key=value` (or `key==value`)
    Eq(String),
    /// `key!=value`: also true when the label is missing
    Ne(String),
    /// `key in (a,b)`
    In(Vec<String>),
    /// `key notin (a,b)`: also true when the label is missing
    NotIn(Vec<String>),
    /// `key`: the label is present
    Exists,
    /// `!key`: the label is missing
    Missing,
}

/// One comma-separated part of a selector.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub op: Op,
}

/// Requirements that must all hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    pub text: String,
    pub requirements: Vec<Requirement>,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Selector {
    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let v = labels.get(&r.key);
            match &r.op {
                Op::Eq(x) => v == Some(x),
                Op::Ne(x) => v != Some(x),
                Op::In(xs) => v.is_some_and(|v| xs.contains(v)),
                Op::NotIn(xs) => !v.is_some_and(|v| xs.contains(v)),
                Op::Exists => v.is_some(),
                Op::Missing => v.is_none(),
            }
        })
    }
}

/// Parse a selector such as `tier=public,env!=dev,team in (a,b)`.
pub fn parse(text: &str) -> Result<Selector> {
    let hint =
        "write requirements separated by commas: `key=value`, `key!=value`, `key in (a,b)`, \
                `key notin (a,b)`, `key` or `!key`";
    let mut requirements = Vec::new();
    let parts = split_top_level(text).map_err(|e| anyhow::anyhow!("{e}\n\nhint: {hint}"))?;
    for part in parts {
        let part = part.trim();
        if part.is_empty() {
            bail!("selector `{text}` has an empty requirement\n\nhint: {hint}");
        }
        requirements.push(
            requirement(part).map_err(|e| {
                anyhow::anyhow!("selector `{text}`: {e} in `{part}`\n\nhint: {hint}")
            })?,
        );
    }
    if requirements.is_empty() {
        bail!("selector `{text}` is empty\n\nhint: {hint}");
    }
    Ok(Selector {
        text: text.to_string(),
        requirements,
    })
}

/// Split on commas outside parentheses.
fn split_top_level(text: &str) -> Result<Vec<&str>, String> {
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(format!("selector `{text}` has a `)` without its `(`"));
                }
            }
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if depth != 0 {
        return Err(format!("selector `{text}` has a `(` without its `)`"));
    }
    parts.push(&text[start..]);
    Ok(parts)
}

fn requirement(part: &str) -> Result<Requirement, String> {
    if let Some(key) = part.strip_prefix('!') {
        return Ok(Requirement {
            key: key_of(key)?,
            op: Op::Missing,
        });
    }
    for (sep, neg) in [("!=", true), ("==", false), ("=", false)] {
        if let Some((k, v)) = part.split_once(sep) {
            let value = v.trim();
            check_value(value)?;
            let op = if neg {
                Op::Ne(value.into())
            } else {
                Op::Eq(value.into())
            };
            return Ok(Requirement {
                key: key_of(k)?,
                op,
            });
        }
    }
    let words: Vec<&str> = part.splitn(2, char::is_whitespace).collect();
    if let [key, rest] = words[..] {
        let rest = rest.trim_start();
        for (word, neg) in [("notin", true), ("in", false)] {
            if let Some(list) = rest.strip_prefix(word) {
                let list = list.trim();
                let inner = list
                    .strip_prefix('(')
                    .and_then(|l| l.strip_suffix(')'))
                    .ok_or_else(|| format!("`{word}` needs a list in parentheses"))?;
                let values: Vec<String> = inner.split(',').map(|v| v.trim().to_string()).collect();
                for v in &values {
                    if v.is_empty() {
                        return Err(format!("`{word} (...)` has an empty value"));
                    }
                    check_value(v)?;
                }
                let op = if neg {
                    Op::NotIn(values)
                } else {
                    Op::In(values)
                };
                return Ok(Requirement {
                    key: key_of(key)?,
                    op,
                });
            }
        }
        return Err(format!("unknown operator `{rest}`"));
    }
    Ok(Requirement {
        key: key_of(part)?,
        op: Op::Exists,
    })
}

fn key_of(key: &str) -> Result<String, String> {
    let key = key.trim();
    let ok = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'));
    if ok {
        Ok(key.to_string())
    } else {
        Err(format!("`{key}` is not a label key"))
    }
}

fn check_value(value: &str) -> Result<(), String> {
    if value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        Ok(())
    } else {
        Err(format!("`{value}` is not a label value"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn equality_inequality_and_sets() {
        let public = labels(&[("tier", "public"), ("env", "prod"), ("team", "web")]);
        let private = labels(&[("tier", "private"), ("env", "prod")]);
        let cases = [
            ("tier=public", true, false),
            ("tier==public,env=prod", true, false),
            ("tier!=public", false, true),
            ("env=prod,tier!=private", true, false),
            ("tier in (work, public)", true, false),
            ("tier notin (work,public)", false, true),
            ("team", true, false),
            ("!team", false, true),
            ("team!=web", false, true),
            ("team notin (web)", false, true),
            ("env=prod", true, true),
            ("env=prod,tier in (private,public)", true, true),
        ];
        for (text, on_public, on_private) in cases {
            let s = parse(text).unwrap();
            assert_eq!(s.matches(&public), on_public, "{text} on public");
            assert_eq!(s.matches(&private), on_private, "{text} on private");
        }
    }

    #[test]
    fn parse_errors_say_what_is_wrong() {
        for (text, want) in [
            ("", "empty"),
            ("tier=public,", "empty requirement"),
            ("tier in (a,b", "without its `)`"),
            ("tier in a,b", "needs a list in parentheses"),
            ("tier in (a,,b)", "empty value"),
            ("tier like x", "unknown operator `like x`"),
            ("ti er=x", "not a label key"),
            ("tier=a b", "not a label value"),
            ("=x", "not a label key"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
            assert!(err.contains("hint:"), "{text}: {err}");
        }
    }

    #[test]
    fn requirements_are_parsed() {
        let s = parse("a=1, b != 2,c in (x, y),!d").unwrap();
        assert_eq!(
            s.requirements,
            vec![
                Requirement {
                    key: "a".into(),
                    op: Op::Eq("1".into())
                },
                Requirement {
                    key: "b".into(),
                    op: Op::Ne("2".into())
                },
                Requirement {
                    key: "c".into(),
                    op: Op::In(vec!["x".into(), "y".into()])
                },
                Requirement {
                    key: "d".into(),
                    op: Op::Missing
                },
            ]
        );
    }
}
