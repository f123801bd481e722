//! Builds the values tree from yaml-rust2 events: keys keep their line and column, duplicates,
//! alias bombs and deep nesting are refused, anchors, aliases and `<<` merge keys are expanded.

use std::collections::HashMap;

use anyhow::Result;
use serde_json::Map;
use yaml_rust2::parser::{Event, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::path::{PathSeg, Positions};
use super::scalar::{secret_warning, type_scalar};
use super::source::located;
use super::{is_secret_key, Values, Warning, MAX_DEPTH, MAX_NODES};

enum Key {
    Name(String),
    Merge,
}

enum Frame {
    Map {
        map: Map<String, Values>,
        seen: HashMap<String, (usize, usize)>,
        /// The pending key and the position node of its value.
        key: Option<(Key, usize)>,
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
    start_bytes: u64,
    /// This collection's node in the positions tree.
    node: usize,
    /// Whether this collection sits under a secret-looking key (its scalars are not echoed).
    secret: bool,
}

/// Receives parser events and assembles the tree, its positions and its warnings.
pub(crate) struct Builder<'a> {
    origin: &'a str,
    src: &'a str,
    positions: Positions,
    warnings: Vec<Warning>,
    stack: Vec<Frame>,
    /// Anchored values with their size in nodes and in string bytes.
    anchors: HashMap<usize, (Values, usize, u64)>,
    nodes: usize,
    /// Bytes of keys and scalars built so far, counting what aliases repeat.
    bytes: u64,
    max_bytes: u64,
    root: Option<Values>,
    root_start: Option<(usize, usize)>,
}

fn pos(mark: Marker) -> (usize, usize) {
    (mark.line(), mark.col() + 1)
}

impl<'a> Builder<'a> {
    pub(crate) fn new(origin: &'a str, src: &'a str) -> Self {
        Builder {
            origin,
            src,
            positions: Positions::new(),
            warnings: Vec::new(),
            stack: Vec::new(),
            anchors: HashMap::new(),
            nodes: 0,
            bytes: 0,
            max_bytes: crate::limits::max_values_bytes(),
            root: None,
            root_start: None,
        }
    }

    /// The root value (null if the document was empty), where it started, positions, warnings.
    pub(crate) fn finish(self) -> (Values, Option<(usize, usize)>, Positions, Vec<Warning>) {
        (
            self.root.unwrap_or(Values::Null),
            self.root_start,
            self.positions,
            self.warnings,
        )
    }

    pub(crate) fn error(&self, mark: Marker, msg: &str, hint: &str) -> anyhow::Error {
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

    fn count_bytes(&mut self, n: u64, mark: Marker) -> Result<()> {
        self.bytes = self.bytes.saturating_add(n);
        if self.bytes > self.max_bytes {
            return Err(self.error(
                mark,
                &format!(
                    "values file expands to more than {} MiB of text (counting what aliases repeat)",
                    crate::limits::mib(self.max_bytes)
                ),
                "an alias repeating a large value many times looks like an alias bomb; if the values are \
                 really this large, raise the limit with --max-values MiB",
            ));
        }
        Ok(())
    }

    fn awaiting_key(&self) -> bool {
        matches!(self.stack.last(), Some(Frame::Map { key: None, .. }))
    }

    /// The positions node of the next value (the top level is node 0).
    fn child_node(&mut self) -> usize {
        match self.stack.last() {
            Some(Frame::Map {
                key: Some((_, node)),
                ..
            }) => *node,
            Some(Frame::Seq { items, common }) => {
                let (parent, index) = (common.node, items.len());
                self.positions.child(parent, PathSeg::Index(index))
            }
            _ => 0,
        }
    }

    /// Whether the next value lies under a secret-looking key.
    fn under_secret(&self) -> bool {
        match self.stack.last() {
            Some(Frame::Map {
                key: Some((Key::Name(k), _)),
                common,
                ..
            }) => common.secret || is_secret_key(k),
            Some(Frame::Map { common, .. }) | Some(Frame::Seq { common, .. }) => common.secret,
            None => false,
        }
    }

    fn note_item(&mut self, mark: Marker) {
        if let Some(Frame::Seq { .. }) = self.stack.last() {
            let node = self.child_node();
            let (line, col) = pos(mark);
            self.positions.mark(node, line, col);
        }
    }

    pub(crate) fn event(&mut self, event: Event, mark: Marker) -> Result<()> {
        if self.stack.is_empty() && self.root_start.is_none() {
            self.root_start = Some(pos(mark));
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, mark)?;
                let len = text.len() as u64;
                self.count_bytes(len, mark)?;
                if self.awaiting_key() {
                    return self.key(text, style, anchor, mark);
                }
                self.note_item(mark);
                let value = self.scalar(text, style, tag.as_ref(), mark);
                self.add(value, anchor, (self.nodes - 1, self.bytes - len), mark)
            }
            Event::Alias(id) => {
                let Some((value, size, bytes)) = self.anchors.get(&id).map(|(v, n, b)| (v, *n, *b))
                else {
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
                self.count_bytes(bytes, mark)?;
                let value = self.anchors[&id].0.clone();
                self.note_item(mark);
                let start = (self.nodes, self.bytes);
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
                let common = Common {
                    anchor,
                    start_nodes: self.nodes - 1,
                    start_bytes: self.bytes,
                    node: self.child_node(),
                    secret: self.under_secret(),
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
                            self.positions.mark(common.node, line, col);
                        }
                        self.apply_merges(&mut map, merges)?;
                        (Values::Object(map), common)
                    }
                };
                self.add(
                    value,
                    common.anchor,
                    (common.start_nodes, common.start_bytes),
                    mark,
                )
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
        let parent = match self.stack.last() {
            Some(Frame::Map { common, .. }) => common.node,
            _ => unreachable!("keys only arrive inside maps"),
        };
        if plain && text == "<<" {
            let node = self.positions.child(parent, PathSeg::Key(text));
            self.set_key(Key::Merge, node);
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
                .insert(anchor, (Values::String(text.clone()), 1, text.len() as u64));
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
            self.positions.mark(parent, line, col);
        }
        let node = self.positions.child(parent, PathSeg::Key(text.clone()));
        self.positions.mark(node, line, col);
        self.set_key(Key::Name(text), node);
        Ok(())
    }

    fn set_key(&mut self, k: Key, node: usize) {
        if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
            *key = Some((k, node));
        }
    }

    fn scalar(
        &mut self,
        text: String,
        style: TScalarStyle,
        tag: Option<&Tag>,
        mark: Marker,
    ) -> Values {
        let tag = tag.map(|t| (t.handle.as_str(), t.suffix.as_str()));
        let typed = type_scalar(text, style != TScalarStyle::Plain, tag);
        if let Some(w) = typed.warning {
            let w = if self.under_secret() {
                secret_warning(&typed.value)
            } else {
                w
            };
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
        (start_nodes, start_bytes): (usize, u64),
        mark: Marker,
    ) -> Result<()> {
        if anchor > 0 {
            let size = self.nodes - start_nodes;
            let bytes = self.bytes - start_bytes;
            // The stored copy counts against the budget too, so nested anchors stay bounded.
            self.count(size, mark)?;
            self.count_bytes(bytes, mark)?;
            self.anchors.insert(anchor, (value.clone(), size, bytes));
        }
        match self.stack.last_mut() {
            None => self.root = Some(value),
            Some(Frame::Seq { items, .. }) => items.push(value),
            Some(Frame::Map {
                map, key, merges, ..
            }) => match key.take() {
                Some((Key::Name(k), _)) => {
                    map.insert(k, value);
                }
                Some((Key::Merge, _)) => merges.push((value, mark)),
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
