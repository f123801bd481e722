//! Key paths (`image.tag`, `hosts[0].name`, `annotations."prometheus.io/scrape"`) and the table of
//! where each path was written, shared by the loader, `--set`, explain and schema messages.

use std::collections::HashMap;

use anyhow::{bail, Result};
use serde::Serialize;

use super::Values;

/// One step into the values tree.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// Print a path the way [`parse_path`] reads it: `a.b[0]."x.y"`. The empty path prints as `.`.
pub fn format_path(path: &[PathSeg]) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let mut out = String::new();
    for (i, seg) in path.iter().enumerate() {
        match seg {
            PathSeg::Index(n) => out.push_str(&format!("[{n}]")),
            PathSeg::Key(k) => {
                if i > 0 {
                    out.push('.');
                }
                if is_bare_key(k) {
                    out.push_str(k);
                } else {
                    out.push('"');
                    for c in k.chars() {
                        if c == '"' || c == '\\' {
                            out.push('\\');
                        }
                        out.push(c);
                    }
                    out.push('"');
                }
            }
        }
    }
    out
}

fn is_bare_key(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '/')
}

/// Read a path such as `image.tag`, `.image.tag`, `hosts[0].name` or `a."dotted.key".b`.
pub fn parse_path(text: &str) -> Result<Vec<PathSeg>> {
    let chars: Vec<char> = text.chars().collect();
    let fail = |at: usize, what: &str| -> anyhow::Error {
        anyhow::anyhow!(
            "invalid key path `{text}` at character {}: {what}\n\nhint: write keys separated by dots, \
             list indices as `[0]`, and quote keys holding dots: `a.\"b.c\"[0]`",
            at + 1
        )
    };
    let mut segs = Vec::new();
    let mut i = 0;
    if chars.first() == Some(&'.') {
        i = 1;
    }
    if i == chars.len() {
        return Ok(segs);
    }
    let mut expect_key = true;
    while i < chars.len() {
        let c = chars[i];
        if c == '[' {
            let close = chars[i..]
                .iter()
                .position(|&c| c == ']')
                .ok_or_else(|| fail(i, "`[` without a closing `]`"))?;
            let digits: String = chars[i + 1..i + close].iter().collect();
            let n: usize = digits
                .parse()
                .map_err(|_| fail(i + 1, "a list index must be a number like `[0]`"))?;
            segs.push(PathSeg::Index(n));
            i += close + 1;
            expect_key = false;
            continue;
        }
        if !expect_key {
            if c != '.' {
                return Err(fail(i, "expected `.` or `[` after a key"));
            }
            i += 1;
            expect_key = true;
            if i == chars.len() {
                return Err(fail(i - 1, "the path ends with `.`"));
            }
            continue;
        }
        if c == '"' {
            let mut key = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err(fail(i - 1, "unterminated quoted key")),
                    Some('\\') if i + 1 < chars.len() => {
                        key.push(chars[i + 1]);
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some(&c) => {
                        key.push(c);
                        i += 1;
                    }
                }
            }
            segs.push(PathSeg::Key(key));
        } else {
            let start = i;
            while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                i += 1;
            }
            if start == i {
                return Err(fail(i, "empty key"));
            }
            segs.push(PathSeg::Key(chars[start..i].iter().collect()));
        }
        expect_key = false;
    }
    if segs.is_empty() {
        bail!("invalid key path `{text}`: it names no key");
    }
    Ok(segs)
}

/// The value at `path`, if every step exists.
pub fn lookup<'a>(value: &'a Values, path: &[PathSeg]) -> Option<&'a Values> {
    let mut cur = value;
    for seg in path {
        cur = match (seg, cur) {
            (PathSeg::Key(k), Values::Object(map)) => map.get(k)?,
            (PathSeg::Index(n), Values::Array(items)) => items.get(*n)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Where each key path was written in one layer: `(line, column)`, both 1-based.
///
/// Stored as a tree of path segments (node 0 is the top level), so memory grows with the number
/// of nodes, not with nodes times depth.
#[derive(Clone, Debug)]
pub struct Positions {
    nodes: Vec<Node>,
    children: HashMap<(usize, PathSeg), usize>,
}

/// One node of [`Positions`]: its parent and segment (unused for the root) and its position.
#[derive(Clone, Debug)]
struct Node {
    parent: usize,
    seg: PathSeg,
    pos: Option<(usize, usize)>,
}

impl Default for Positions {
    fn default() -> Self {
        Positions {
            nodes: vec![Node {
                parent: 0,
                seg: PathSeg::Index(0),
                pos: None,
            }],
            children: HashMap::new(),
        }
    }
}

impl Positions {
    pub fn new() -> Self {
        Self::default()
    }

    /// The node for `seg` below node `parent`, created if needed.
    pub(crate) fn child(&mut self, parent: usize, seg: PathSeg) -> usize {
        let next = self.nodes.len();
        let nodes = &mut self.nodes;
        *self
            .children
            .entry((parent, seg))
            .or_insert_with_key(|(parent, seg)| {
                nodes.push(Node {
                    parent: *parent,
                    seg: seg.clone(),
                    pos: None,
                });
                next
            })
    }

    /// Record a position for a node; the first one recorded wins.
    pub(crate) fn mark(&mut self, node: usize, line: usize, column: usize) {
        let slot = &mut self.nodes[node].pos;
        if slot.is_none() {
            *slot = Some((line, column));
        }
    }

    /// Record a position for a path; the first one recorded wins.
    pub fn insert(&mut self, path: Vec<PathSeg>, line: usize, column: usize) {
        let node = path.into_iter().fold(0, |n, seg| self.child(n, seg));
        self.mark(node, line, column);
    }

    /// The node ids along `path`, as far as recorded.
    fn walk<'p>(&'p self, path: &'p [PathSeg]) -> impl Iterator<Item = usize> + 'p {
        path.iter().scan(0usize, move |node, seg| {
            *node = *self.children.get(&(*node, seg.clone()))?;
            Some(*node)
        })
    }

    /// The position recorded for exactly this path.
    pub fn get(&self, path: &[PathSeg]) -> Option<(usize, usize)> {
        if path.is_empty() {
            return self.nodes[0].pos;
        }
        let ids: Vec<usize> = self.walk(path).collect();
        if ids.len() < path.len() {
            return None;
        }
        self.nodes[*ids.last()?].pos
    }

    /// Like [`Positions::get`] with a textual path (`image.tag`); `None` if it does not parse.
    pub fn get_str(&self, path: &str) -> Option<(usize, usize)> {
        self.get(&parse_path(path).ok()?)
    }

    /// The position of `path` or of its nearest recorded ancestor.
    pub fn nearest(&self, path: &[PathSeg]) -> Option<(usize, usize)> {
        std::iter::once(0)
            .chain(self.walk(path))
            .filter_map(|n| self.nodes[n].pos)
            .last()
    }

    /// Every recorded path with its position, in the order they were first seen.
    pub fn iter(&self) -> impl Iterator<Item = (Vec<PathSeg>, (usize, usize))> + '_ {
        self.nodes.iter().enumerate().filter_map(|(id, node)| {
            let pos = node.pos?;
            let mut path = Vec::new();
            let mut n = id;
            while n != 0 {
                path.push(self.nodes[n].seg.clone());
                n = self.nodes[n].parent;
            }
            path.reverse();
            Some((path, pos))
        })
    }

    /// How many paths have a position.
    pub fn len(&self) -> usize {
        self.nodes.iter().filter(|n| n.pos.is_some()).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> PathSeg {
        PathSeg::Key(s.into())
    }

    #[test]
    fn parses_and_prints_paths() {
        let cases: &[(&str, Vec<PathSeg>, &str)] = &[
            ("image.tag", vec![k("image"), k("tag")], "image.tag"),
            (".image.tag", vec![k("image"), k("tag")], "image.tag"),
            (
                "hosts[0].name",
                vec![k("hosts"), PathSeg::Index(0), k("name")],
                "hosts[0].name",
            ),
            (
                "m[1][2]",
                vec![k("m"), PathSeg::Index(1), PathSeg::Index(2)],
                "m[1][2]",
            ),
            (
                r#"podAnnotations."prometheus.io/scrape""#,
                vec![k("podAnnotations"), k("prometheus.io/scrape")],
                r#"podAnnotations."prometheus.io/scrape""#,
            ),
            (r#""a\"b".c"#, vec![k("a\"b"), k("c")], r#""a\"b".c"#),
            ("a b", vec![k("a b")], r#""a b""#),
        ];
        for (text, want, printed) in cases {
            let got = parse_path(text).unwrap();
            assert_eq!(&got, want, "parse {text}");
            assert_eq!(format_path(&got), *printed, "print {text}");
        }
    }

    #[test]
    fn rejects_bad_paths() {
        let cases = [
            ("a..b", "empty key"),
            ("a.", "ends with `.`"),
            ("a[x]", "list index must be a number"),
            ("a[1", "without a closing"),
            ("a[0]b", "expected `.` or `[`"),
            ("\"abc", "unterminated"),
        ];
        for (text, want) in cases {
            let err = parse_path(text).unwrap_err().to_string();
            assert!(err.contains(want), "{text}: {err}");
        }
    }

    #[test]
    fn nearest_position_walks_up() {
        let mut p = Positions::new();
        p.insert(vec![k("a")], 1, 1);
        p.insert(vec![k("a"), k("b")], 2, 3);
        assert_eq!(p.nearest(&[k("a"), k("b"), k("c")]), Some((2, 3)));
        assert_eq!(p.nearest(&[k("a"), k("x")]), Some((1, 1)));
        assert_eq!(p.nearest(&[k("z")]), None);
        assert_eq!(p.get_str("a.b"), Some((2, 3)));
        assert_eq!(p.get(&[k("a"), k("b"), k("c")]), None);
        assert_eq!(p.len(), 2);
        let all: Vec<_> = p.iter().collect();
        assert_eq!(
            all,
            vec![(vec![k("a")], (1, 1)), (vec![k("a"), k("b")], (2, 3))]
        );
        p.insert(vec![k("a")], 9, 9);
        assert_eq!(p.get_str("a"), Some((1, 1)), "first position wins");
    }
}
