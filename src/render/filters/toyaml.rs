//! The `toyaml` emitter (block style, Helm layout, YAML 1.1-safe quoting) and `fromyaml`/`fromjson`.
//!
//! The emitter is hand-written because Rust YAML libraries target YAML 1.2 and leave `on`, `no`
//! or `2001-12-14` unquoted, which Kubernetes (YAML 1.1) then reads as booleans and timestamps.
//! Values are first converted into a small tree, then written: maps in sorted key order, lists
//! flush with their parent key, `{}`/`[]` when empty, literal blocks for multi-line strings, no
//! `---`, no trailing newline and no line wrapping.

use minijinja::value::{Serde, Value, ValueKind};
use minijinja::{Environment, Error};

use super::yaml_scalar::{double_quote, inline_scalar, literal_ok};
use super::{describe, fail, text_of, FilterOptions};
use crate::render::format::{format_float, number_text};

/// Nesting deeper than this is refused instead of risking the stack.
const MAX_DEPTH: usize = 256;
/// Implicit keys longer than this are written as explicit `? key` entries (YAML allows 1024).
const MAX_IMPLICIT_KEY: usize = 1000;

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    env.add_filter("toyaml", |value: &Value| to_yaml(value));
    let lenient = opts.lenient;
    env.add_filter("fromyaml", move |value: &Value| {
        from_yaml_str(&text_of("fromyaml", value, lenient)?)
    });
    env.add_filter("fromjson", move |value: &Value| {
        let text = text_of("fromjson", value, lenient)?;
        let parsed: serde_json::Value = serde_json::from_str(&text)
            .map_err(|err| fail("fromjson", format!("input is not valid JSON: {err}")))?;
        Ok::<_, Error>(Value::from(Serde(&parsed)))
    });
}

/// The YAML emitter behind `toyaml`, usable from Rust (the manifest and values commands print YAML
/// with it). Fails on undefined values, bytes and nesting deeper than 256 levels.
///
/// The text has no trailing newline; add one when writing it out as a whole document, or a
/// final `|` block loses its last line break.
pub fn to_yaml(value: &Value) -> Result<String, Error> {
    let node = Node::from_value(value, 0).map_err(|err| err.into_error())?;
    Ok(emit(&node))
}

/// The same emitter over `serde_json` values.
pub fn json_to_yaml(value: &serde_json::Value) -> String {
    emit(&Node::from_json(value))
}

/// A map key: either a string (quoted when needed) or another scalar written verbatim.
#[derive(Debug)]
enum Key {
    Text(String),
    Raw(String),
}

impl Key {
    fn sort_text(&self) -> &str {
        match self {
            Key::Text(s) | Key::Raw(s) => s,
        }
    }

    fn render(&self) -> String {
        match self {
            Key::Text(s) => inline_scalar(s),
            Key::Raw(s) => s.clone(),
        }
    }
}

#[derive(Debug)]
enum Node {
    /// A scalar that is already valid YAML text (`null`, `true`, `42`, `1.5`).
    Raw(String),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A conversion failure and the path (innermost first) to the value that caused it.
struct ConvError {
    msg: String,
    path: Vec<String>,
}

impl ConvError {
    fn new(msg: impl Into<String>) -> Self {
        ConvError {
            msg: msg.into(),
            path: Vec::new(),
        }
    }

    fn at(mut self, segment: String) -> Self {
        self.path.push(segment);
        self
    }

    fn into_error(self) -> Error {
        if self.path.is_empty() {
            fail("toyaml", self.msg)
        } else {
            let path: String = self.path.iter().rev().map(String::as_str).collect();
            fail("toyaml", format!("{} at {path}", self.msg))
        }
    }
}

impl Node {
    fn from_value(value: &Value, depth: usize) -> Result<Node, ConvError> {
        if depth > MAX_DEPTH {
            return Err(ConvError::new(format!(
                "nesting deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(match value.kind() {
            ValueKind::Undefined => return Err(ConvError::new("value is undefined")),
            ValueKind::None => Node::Raw("null".into()),
            ValueKind::Bool => Node::Raw(if value.is_true() { "true" } else { "false" }.into()),
            ValueKind::Number => Node::Raw(number_text(value)),
            ValueKind::String => Node::Str(value.as_str().unwrap_or_default().to_string()),
            ValueKind::Seq | ValueKind::Iterable => {
                let iter = value
                    .try_iter()
                    .map_err(|err| ConvError::new(format!("cannot iterate a list: {err}")))?;
                let mut items = Vec::new();
                for (i, item) in iter.enumerate() {
                    items.push(
                        Node::from_value(&item, depth + 1).map_err(|e| e.at(format!("[{i}]")))?,
                    );
                }
                Node::Seq(items)
            }
            ValueKind::Map => {
                let iter = value
                    .try_iter()
                    .map_err(|err| ConvError::new(format!("cannot iterate a map: {err}")))?;
                let mut entries = Vec::new();
                for key in iter {
                    let item = value.get_item(&key).unwrap_or(Value::UNDEFINED);
                    let key = key_of(&key)?;
                    let node = Node::from_value(&item, depth + 1)
                        .map_err(|e| e.at(format!(".{}", key.sort_text())))?;
                    entries.push((key, node));
                }
                sort_entries(&mut entries);
                Node::Map(entries)
            }
            ValueKind::Bytes => {
                return Err(ConvError::new(
                    "cannot write bytes as YAML; use `| b64encode` first",
                ))
            }
            _ => {
                return Err(ConvError::new(format!(
                    "cannot write {} as YAML",
                    describe(value)
                )))
            }
        })
    }

    fn from_json(value: &serde_json::Value) -> Node {
        match value {
            serde_json::Value::Null => Node::Raw("null".into()),
            serde_json::Value::Bool(b) => Node::Raw(b.to_string()),
            serde_json::Value::Number(n) => Node::Raw(if n.is_f64() {
                n.as_f64()
                    .map(format_float)
                    .unwrap_or_else(|| n.to_string())
            } else {
                n.to_string()
            }),
            serde_json::Value::String(s) => Node::Str(s.clone()),
            serde_json::Value::Array(items) => {
                Node::Seq(items.iter().map(Node::from_json).collect())
            }
            serde_json::Value::Object(map) => {
                let mut entries: Vec<(Key, Node)> = map
                    .iter()
                    .map(|(k, v)| (Key::Text(k.clone()), Node::from_json(v)))
                    .collect();
                sort_entries(&mut entries);
                Node::Map(entries)
            }
        }
    }
}

fn key_of(key: &Value) -> Result<Key, ConvError> {
    match key.kind() {
        ValueKind::String => Ok(Key::Text(key.as_str().unwrap_or_default().to_string())),
        ValueKind::Number => Ok(Key::Raw(number_text(key))),
        ValueKind::Bool => Ok(Key::Raw(
            if key.is_true() { "true" } else { "false" }.into(),
        )),
        ValueKind::None => Ok(Key::Raw("null".into())),
        _ => Err(ConvError::new(format!(
            "map keys must be scalars, got {}",
            describe(key)
        ))),
    }
}

fn sort_entries(entries: &mut [(Key, Node)]) {
    entries.sort_by(|a, b| a.0.sort_text().cmp(b.0.sort_text()));
}

fn emit(node: &Node) -> String {
    let mut out = String::new();
    match node {
        Node::Map(entries) if !entries.is_empty() => emit_map(&mut out, entries, 0, true),
        Node::Seq(items) if !items.is_empty() => emit_seq(&mut out, items, 0, true),
        Node::Str(s) if literal_ok(s) => emit_literal(&mut out, s, 2),
        _ => out.push_str(&inline(node)),
    }
    out
}

/// The one-line form of a scalar or an empty collection.
fn inline(node: &Node) -> String {
    match node {
        Node::Raw(s) => s.clone(),
        Node::Str(s) if s.contains('\n') => double_quote(s),
        Node::Str(s) => inline_scalar(s),
        Node::Seq(_) => "[]".into(),
        Node::Map(_) => "{}".into(),
    }
}

fn newline(out: &mut String, indent: usize) {
    out.push('\n');
    out.extend(std::iter::repeat_n(' ', indent));
}

/// Map entries with keys at column `indent`. With `inline_first` the cursor already sits there.
fn emit_map(out: &mut String, entries: &[(Key, Node)], indent: usize, inline_first: bool) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 || !inline_first {
            newline(out, indent);
        }
        let key = key.render();
        if key.chars().count() > MAX_IMPLICIT_KEY {
            out.push_str("? ");
            out.push_str(&key);
            newline(out, indent);
            out.push(':');
        } else {
            out.push_str(&key);
            out.push(':');
        }
        emit_after_key(out, value, indent);
    }
}

/// A map value, written right after `key:` where the key sits at column `indent`.
fn emit_after_key(out: &mut String, node: &Node, indent: usize) {
    match node {
        Node::Map(entries) if !entries.is_empty() => emit_map(out, entries, indent + 2, false),
        // Lists sit flush with their parent key, as Helm writes them.
        Node::Seq(items) if !items.is_empty() => emit_seq(out, items, indent, false),
        Node::Str(s) if literal_ok(s) => {
            out.push(' ');
            emit_literal(out, s, indent + 2);
        }
        _ => {
            out.push(' ');
            out.push_str(&inline(node));
        }
    }
}

/// List items with dashes at column `indent`. With `inline_first` the cursor already sits there.
fn emit_seq(out: &mut String, items: &[Node], indent: usize, inline_first: bool) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            newline(out, indent);
        }
        out.push_str("- ");
        match item {
            Node::Map(entries) if !entries.is_empty() => emit_map(out, entries, indent + 2, true),
            Node::Seq(inner) if !inner.is_empty() => emit_seq(out, inner, indent + 2, true),
            Node::Str(s) if literal_ok(s) => emit_literal(out, s, indent + 2),
            _ => out.push_str(&inline(item)),
        }
    }
}

/// A literal block scalar whose content lines sit at column `indent`.
fn emit_literal(out: &mut String, s: &str, indent: usize) {
    let (body, header) = match s.strip_suffix('\n') {
        Some(body) => (body, "|"),
        None => (s, "|-"),
    };
    out.push_str(header);
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            newline(out, indent);
            out.push_str(line);
        }
    }
}

/// Parses one YAML document into a template value (`fromyaml`).
fn from_yaml_str(text: &str) -> Result<Value, Error> {
    let parsed: serde_yaml::Value = serde_yaml::from_str(text)
        .map_err(|err| fail("fromyaml", format!("input is not valid YAML: {err}")))?;
    yaml_to_value(&parsed, 0)
}

fn yaml_to_value(value: &serde_yaml::Value, depth: usize) -> Result<Value, Error> {
    if depth > MAX_DEPTH {
        return Err(fail(
            "fromyaml",
            format!("nesting deeper than {MAX_DEPTH} levels"),
        ));
    }
    Ok(match value {
        serde_yaml::Value::Null => Value::from(()),
        serde_yaml::Value::Bool(b) => Value::from(*b),
        serde_yaml::Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                Value::from(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        serde_yaml::Value::String(s) => Value::from(s.as_str()),
        serde_yaml::Value::Sequence(items) => items
            .iter()
            .map(|item| yaml_to_value(item, depth + 1))
            .collect::<Result<Vec<_>, _>>()?
            .into(),
        serde_yaml::Value::Mapping(map) => {
            let mut out = std::collections::BTreeMap::new();
            for (k, v) in map {
                out.insert(yaml_to_value(k, depth + 1)?, yaml_to_value(v, depth + 1)?);
            }
            Value::from(out)
        }
        serde_yaml::Value::Tagged(tagged) => yaml_to_value(&tagged.value, depth + 1)?,
    })
}

#[cfg(test)]
#[path = "toyaml_tests.rs"]
mod tests;
