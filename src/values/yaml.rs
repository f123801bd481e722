//! The values-file loader: builds the tree from yaml-rust2 events so every key keeps its line and
//! column, and enforces the input guarantees (size, UTF-8, duplicates, alias bombs, depth).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{anyhow, Context, Result};
use serde_json::Map;
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::path::{PathSeg, Positions};
use super::scalar::type_plain;
use super::{Values, Warning, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES};

/// Read a values file: size cap first, then UTF-8 (BOM allowed), then [`parse_yaml`].
pub fn load_yaml_file(path: &Path) -> Result<(Values, Positions, Vec<Warning>)> {
    let text = read_text_file(path, "values file")?;
    parse_yaml(&text, &path.display().to_string())
}

/// Read a whole text file under [`MAX_FILE_BYTES`], as UTF-8 without a leading BOM.
pub(crate) fn read_text_file(path: &Path, what: &str) -> Result<String> {
    let shown = path.display();
    let meta =
        std::fs::metadata(path).with_context(|| format!("failed to read {what} `{shown}`"))?;
    if meta.is_dir() {
        return Err(anyhow!("{what} `{shown}` is a directory, not a file"));
    }
    let too_big = |size: String| {
        anyhow!(
            "{what} `{shown}` is {size}, over the {} MiB limit\n\nhint: values files this large are \
             almost certainly a mistake; split the data or load it another way",
            MAX_FILE_BYTES / (1024 * 1024)
        )
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big(format!(
            "{:.1} MiB",
            meta.len() as f64 / (1024.0 * 1024.0)
        )));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
        .with_context(|| format!("failed to read {what} `{shown}`"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big("larger than that".into()));
    }
    decode_utf8(bytes, &format!("{what} `{shown}`"))
}

/// Decode UTF-8, naming the byte offset (and line, column) of the first bad byte; drop a BOM.
pub(crate) fn decode_utf8(mut bytes: Vec<u8>, what: &str) -> Result<String> {
    let bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    if bom {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let raw = e.as_bytes();
        let before = &raw[..at];
        let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&raw[line_start..at]).chars().count() + 1;
        let offset = at + if bom { 3 } else { 0 };
        anyhow!(
            "{what} is not valid UTF-8: byte 0x{:02x} at byte offset {offset} (line {line}, column {column})\
             \n\nhint: save the file as UTF-8",
            raw[at]
        )
    })
}

/// Format an error at `line:column` of `origin`, with the source line and a caret.
pub(crate) fn located(
    origin: &str,
    src: &str,
    line: usize,
    column: usize,
    msg: &str,
    hint: &str,
) -> anyhow::Error {
    let mut out = format!("{origin}:{line}:{column}: {msg}");
    if let Some(text) = src.lines().nth(line.saturating_sub(1)) {
        let text: String = text.chars().take(160).collect();
        let num = line.to_string();
        let pad = " ".repeat(num.len());
        let caret = " ".repeat(column.saturating_sub(1).min(text.chars().count()));
        out.push_str(&format!("\n{pad} |\n{num} | {text}\n{pad} | {caret}^"));
    }
    if !hint.is_empty() {
        out.push_str(&format!("\n\nhint: {hint}"));
    }
    anyhow!(out)
}

/// Parse one values document. `origin` names the file in errors and warnings.
pub fn parse_yaml(src: &str, origin: &str) -> Result<(Values, Positions, Vec<Warning>)> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let mut b = Builder {
        origin,
        src,
        positions: Positions::new(),
        warnings: Vec::new(),
        stack: Vec::new(),
        path: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        root: None,
        root_start: None,
    };
    let mut parser = Parser::new_from_str(src);
    let mut documents = 0;
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let m = e.marker();
            let info = e.info();
            let (msg, hint) = if info == "recursion limit exceeded" {
                (
                    "flow collections (`[` `{`) nested too deeply".to_string(),
                    "values files may nest flow collections at most 255 levels",
                )
            } else if info.contains("unknown anchor") {
                (
                    "alias to an unknown anchor".to_string(),
                    "define the `&anchor` before using `*alias`",
                )
            } else {
                (
                    format!("invalid YAML: {info}"),
                    "check the indentation (spaces, not tabs) and the quoting around this spot",
                )
            };
            located(origin, src, m.line(), m.col() + 1, &msg, hint)
        })?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    return Err(b.error(
                        mark,
                        "a values file must hold one YAML document, this is the start of a second",
                        "remove the `---` separator, or split the documents into files passed with `-f`",
                    ));
                }
            }
            Event::StreamStart | Event::DocumentEnd | Event::Nothing => {}
            other => b.event(other, mark)?,
        }
    }
    let root = b.root.take().unwrap_or(Values::Null);
    let root = match root {
        Values::Null => Values::Object(Map::new()),
        Values::Object(_) => root,
        other => {
            let found = if other.is_array() {
                "a list"
            } else {
                "a single value"
            };
            let (line, col) = b.root_start.unwrap_or((1, 1));
            return Err(located(
                origin,
                src,
                line,
                col,
                &format!("the top level of a values file must be a map of keys, found {found}"),
                "write `key: value` lines at the top level",
            ));
        }
    };
    Ok((root, b.positions, b.warnings))
}

enum Key {
    Name(String),
    Merge,
}

enum Frame {
    Map {
        map: Map<String, Values>,
        seen: HashMap<String, (usize, usize)>,
        key: Option<Key>,
        merges: Vec<(Values, Marker)>,
        /// Position of this map as a list item, recorded at its first key (the start mark of a
        /// block map points past its first key).
        item_pos: Option<(usize, usize)>,
        common: Common,
    },
    Seq {
        items: Vec<Values>,
        common: Common,
    },
}

struct Common {
    anchor: usize,
    start_nodes: usize,
    pushed: bool,
}

struct Builder<'a> {
    origin: &'a str,
    src: &'a str,
    positions: Positions,
    warnings: Vec<Warning>,
    stack: Vec<Frame>,
    /// Path of the innermost open collection.
    path: Vec<PathSeg>,
    anchors: HashMap<usize, (Values, usize)>,
    nodes: usize,
    root: Option<Values>,
    root_start: Option<(usize, usize)>,
}

fn pos(mark: Marker) -> (usize, usize) {
    (mark.line(), mark.col() + 1)
}

impl Builder<'_> {
    fn error(&self, mark: Marker, msg: &str, hint: &str) -> anyhow::Error {
        let (line, col) = pos(mark);
        located(self.origin, self.src, line, col, msg, hint)
    }

    fn count(&mut self, n: usize, mark: Marker) -> Result<()> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err(self.error(
                mark,
                &format!("values file expands to more than {MAX_NODES} nodes (counting what aliases repeat)"),
                "this looks like an alias bomb (\"billion laughs\"); remove the nested `*alias` repetitions",
            ));
        }
        Ok(())
    }

    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The path segment the next child node goes under, if positions are kept for it.
    fn child_seg(&self) -> Option<PathSeg> {
        match self.stack.last()? {
            Frame::Map {
                key: Some(Key::Name(k)),
                ..
            } => Some(PathSeg::Key(k.clone())),
            Frame::Map {
                key: Some(Key::Merge),
                ..
            } => Some(PathSeg::Key("<<".into())),
            Frame::Seq { items, .. } => Some(PathSeg::Index(items.len())),
            Frame::Map { key: None, .. } => None,
        }
    }

    fn note_item(&mut self, mark: Marker) {
        if let Some(Frame::Seq { items, .. }) = self.stack.last() {
            let mut p = self.path.clone();
            p.push(PathSeg::Index(items.len()));
            let (line, col) = pos(mark);
            self.positions.insert(p, line, col);
        }
    }

    fn event(&mut self, event: Event, mark: Marker) -> Result<()> {
        if self.stack.is_empty() && self.root_start.is_none() {
            self.root_start = Some(pos(mark));
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, mark)?;
                if self.awaiting_key() {
                    return self.key(text, style, anchor, mark);
                }
                self.note_item(mark);
                let value = self.scalar(text, style, tag.as_ref(), mark);
                self.add(value, anchor, self.nodes - 1, mark)
            }
            Event::Alias(id) => {
                let Some((value, size)) = self.anchors.get(&id).map(|(v, n)| (v, *n)) else {
                    return Err(self.error(
                        mark,
                        "alias to an unknown anchor",
                        "define the `&anchor` before using `*alias`",
                    ));
                };
                if self.awaiting_key() {
                    let key =
                        match value {
                            Values::String(s) => s.clone(),
                            Values::Number(_) | Values::Bool(_) => value.to_string(),
                            _ => return Err(self.error(
                                mark,
                                "a map key must be a plain value, this alias names a map or list",
                                "",
                            )),
                        };
                    return self.key(key, TScalarStyle::SingleQuoted, 0, mark);
                }
                self.count(size, mark)?;
                let value = self.anchors[&id].0.clone();
                self.note_item(mark);
                let start = self.nodes;
                self.add(value, 0, start, mark)
            }
            Event::MappingStart(anchor, _) | Event::SequenceStart(anchor, _) => {
                self.count(1, mark)?;
                if self.awaiting_key() {
                    return Err(self.error(
                        mark,
                        "a map key must be a plain value, not a map or list",
                        "use a string key",
                    ));
                }
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.error(
                        mark,
                        &format!("values nest deeper than {MAX_DEPTH} levels"),
                        "flatten the structure; real values files are never this deep",
                    ));
                }
                let is_map = matches!(event, Event::MappingStart(..));
                if !is_map {
                    self.note_item(mark);
                }
                let in_seq = matches!(self.stack.last(), Some(Frame::Seq { .. }));
                let pushed = match self.child_seg() {
                    Some(seg) => {
                        self.path.push(seg);
                        true
                    }
                    None => false,
                };
                let common = Common {
                    anchor,
                    start_nodes: self.nodes - 1,
                    pushed,
                };
                self.stack.push(if is_map {
                    Frame::Map {
                        map: Map::new(),
                        seen: HashMap::new(),
                        key: None,
                        merges: Vec::new(),
                        item_pos: in_seq.then(|| pos(mark)),
                        common,
                    }
                } else {
                    Frame::Seq {
                        items: Vec::new(),
                        common,
                    }
                });
                Ok(())
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let frame = self.stack.pop().expect("parser balances collections");
                let (value, common) = match frame {
                    Frame::Seq { items, common } => (Values::Array(items), common),
                    Frame::Map {
                        mut map,
                        merges,
                        item_pos,
                        common,
                        ..
                    } => {
                        if let Some((line, col)) = item_pos {
                            self.positions.insert(self.path.clone(), line, col);
                        }
                        self.apply_merges(&mut map, merges)?;
                        (Values::Object(map), common)
                    }
                };
                if common.pushed {
                    self.path.pop();
                }
                self.add(value, common.anchor, common.start_nodes, mark)
            }
            _ => Ok(()),
        }
    }

    fn key(
        &mut self,
        text: String,
        style: TScalarStyle,
        anchor: usize,
        mark: Marker,
    ) -> Result<()> {
        let (line, col) = pos(mark);
        let plain = style == TScalarStyle::Plain;
        if plain && text == "<<" {
            self.set_key(Key::Merge);
            return Ok(());
        }
        if plain && text.is_empty() {
            return Err(self.error(
                mark,
                "empty map key",
                "give the entry a key, or quote an empty key as `\"\"`",
            ));
        }
        if anchor > 0 {
            self.anchors
                .insert(anchor, (Values::String(text.clone()), 1));
        }
        let Some(Frame::Map { seen, .. }) = self.stack.last() else {
            unreachable!("keys only arrive inside maps")
        };
        if let Some((l1, c1)) = seen.get(&text) {
            let msg = format!("duplicate key `{text}`: first set at line {l1}:{c1}, set again at line {line}:{col}");
            return Err(self.error(
                mark,
                &msg,
                "remove one of the two entries (later duplicates do not override)",
            ));
        }
        let Some(Frame::Map { seen, item_pos, .. }) = self.stack.last_mut() else {
            unreachable!("keys only arrive inside maps")
        };
        seen.insert(text.clone(), (line, col));
        if item_pos.take().is_some() {
            self.positions.insert(self.path.clone(), line, col);
        }
        let mut p = self.path.clone();
        p.push(PathSeg::Key(text.clone()));
        self.positions.insert(p, line, col);
        self.set_key(Key::Name(text));
        Ok(())
    }

    fn set_key(&mut self, k: Key) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = Some(k);
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<&Tag>,
        mark: Marker,
    ) -> Values {
        let core = tag
            .filter(|t| t.handle == "tag:yaml.org,2002:")
            .map(|t| t.suffix.as_str());
        if let Some(t) = tag {
            if core.is_none() && !(t.handle == "!" && t.suffix.is_empty()) {
                self.warn(
                    mark,
                    format!(
                        "tag `{}{}` is not understood and was ignored",
                        t.handle, t.suffix
                    ),
                );
            }
        }
        let quoted = style != TScalarStyle::Plain;
        match core {
            Some("str") | Some("binary") => return Values::String(text),
            Some("null") | Some("bool") | Some("int") | Some("float") => {
                return type_plain(&text).value
            }
            _ => {}
        }
        if quoted {
            return Values::String(text);
        }
        let typed = type_plain(&text);
        if let Some(w) = typed.warning {
            self.warn(mark, w);
        }
        typed.value
    }

    fn warn(&mut self, mark: Marker, message: String) {
        let (line, column) = pos(mark);
        self.warnings.push(Warning {
            file: self.origin.to_string(),
            line,
            column,
            message,
        });
    }

    fn add(
        &mut self,
        value: Values,
        anchor: usize,
        start_nodes: usize,
        mark: Marker,
    ) -> Result<()> {
        if anchor > 0 {
            let size = self.nodes - start_nodes;
            // The stored copy counts against the budget too, so nested anchors stay bounded.
            self.count(size, mark)?;
            self.anchors.insert(anchor, (value.clone(), size));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, key, merges, ..
            }) => match key.take() {
                Some(Key::Name(k)) => {
                    map.insert(k, value);
                }
                Some(Key::Merge) => merges.push((value, mark)),
                None => unreachable!("values only follow keys"),
            },
        }
        Ok(())
    }

    /// YAML merge keys (`<<: *base` or `<<: [*a, *b]`): explicit keys win, then earlier sources.
    fn apply_merges(
        &self,
        map: &mut Map<String, Values>,
        merges: Vec<(Values, Marker)>,
    ) -> Result<()> {
        for (value, mark) in merges {
            let sources = match value {
                Values::Object(m) => vec![m],
                Values::Array(items) => items
                    .into_iter()
                    .map(|v| match v {
                        Values::Object(m) => Ok(m),
                        _ => Err(self.error(mark, "`<<` merge list must hold only maps", "")),
                    })
                    .collect::<Result<_>>()?,
                _ => {
                    return Err(self.error(
                        mark,
                        "`<<` merge key needs a map or a list of maps",
                        "write `<<: *anchor` where the anchor names a map",
                    ))
                }
            };
            for source in sources {
                for (k, v) in source {
                    map.entry(k).or_insert(v);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "yaml_tests.rs"]
mod tests;
