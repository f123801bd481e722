//! Schema validation of the merged values (`values.schema.json`), with each violation traced back
//! to the layer that set the offending value, and secrets never printed.

use std::fmt;
use std::path::Path;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Serialize;

use super::path::{format_path, PathSeg};
use super::provenance::{locate, trace, Effect};
use super::{path_is_secret, render_value, Origin, Resolved, Values};

/// Longest rendering of an offending value.
const VALUE_WIDTH: usize = 60;

/// One way the merged values break the schema.
#[derive(Clone, Debug, Serialize)]
pub struct SchemaViolation {
    /// Key path of the offending value, e.g. `image.tag` (`.` for the top level).
    pub path: String,
    /// The offending value, rendered (truncated, or `<redacted>`); `None` for a missing key.
    pub value: Option<String>,
    /// What the schema wanted there.
    pub wanted: String,
    /// The layer that set the value: its label and `file:line:col` or flag.
    pub set_by: Option<String>,
    /// The schema file and the keyword location inside it.
    pub schema: String,
}

impl fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "`{}` = {v}: {}", self.path, self.wanted)?,
            None => write!(f, "`{}`: {}", self.path, self.wanted)?,
        }
        if let Some(by) = &self.set_by {
            write!(f, "\n  set by {by}")?;
        }
        write!(f, "\n  schema: {}", self.schema)
    }
}

/// Validate the merged values against `schema` (its `$schema` picks the draft; 2020-12 otherwise).
/// `schema_file` only names the schema in messages.
pub fn validate_schema(
    schema: &Values,
    schema_file: &Path,
    resolved: &Resolved,
) -> Result<(), Vec<SchemaViolation>> {
    let file = schema_file.display().to_string();
    let validator = match jsonschema::validator_for(schema) {
        Ok(v) => v,
        Err(e) => {
            return Err(vec![SchemaViolation {
                path: ".".into(),
                value: None,
                wanted: format!("the schema itself is not usable: {e}"),
                set_by: None,
                schema: format!("{file} at {}", pointer_or_root(e.schema_path().as_str())),
            }])
        }
    };
    let mut out = Vec::new();
    for error in validator.iter_errors(&resolved.values) {
        let at = to_path(&resolved.values, error.instance_path().as_str());
        let schema_at = format!(
            "{file} at {}",
            pointer_or_root(error.schema_path().as_str())
        );
        let instance: &Values = error.instance();
        match error.kind() {
            ValidationErrorKind::Required { property } => {
                let name = property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string);
                let mut path = at.clone();
                path.push(PathSeg::Key(name.clone()));
                out.push(SchemaViolation {
                    path: format_path(&path),
                    value: None,
                    wanted: format!("required key `{name}` is missing"),
                    set_by: (!at.is_empty())
                        .then(|| {
                            setter(resolved, &at).map(|s| {
                                format!("{s} (which sets `{}` without `{name}`)", format_path(&at))
                            })
                        })
                        .flatten(),
                    schema: schema_at,
                });
            }
            ValidationErrorKind::AdditionalProperties { unexpected }
            | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
                for key in unexpected {
                    let mut path = at.clone();
                    path.push(PathSeg::Key(key.clone()));
                    let value = instance.get(key).map(|v| shown(&path, v));
                    out.push(SchemaViolation {
                        path: format_path(&path),
                        value,
                        wanted: "this key is not allowed here (the schema lists the allowed keys)"
                            .into(),
                        set_by: setter(resolved, &path),
                        schema: schema_at.clone(),
                    });
                }
            }
            kind => out.push(SchemaViolation {
                path: format_path(&at),
                value: Some(shown(&at, instance)),
                wanted: wanted(kind, instance)
                    .unwrap_or_else(|| error.masked_with("the value").to_string()),
                set_by: setter(resolved, &at),
                schema: schema_at,
            }),
        }
    }
    if out.is_empty() {
        Ok(())
    } else {
        Err(out)
    }
}

fn pointer_or_root(p: &str) -> String {
    if p.is_empty() {
        "the root".into()
    } else {
        format!("`{p}`")
    }
}

fn shown(path: &[PathSeg], v: &Values) -> String {
    if path_is_secret(path) {
        "<redacted>".into()
    } else {
        render_value(v, VALUE_WIDTH)
    }
}

fn type_name(v: &Values) -> &'static str {
    match v {
        Values::Null => "null",
        Values::Bool(_) => "a boolean",
        Values::Number(n) if n.is_f64() => "a number",
        Values::Number(_) => "an integer",
        Values::String(_) => "a string",
        Values::Array(_) => "a list",
        Values::Object(_) => "a map",
    }
}

/// Our own wording for the common keywords; `None` falls back to the crate's masked message.
fn wanted(kind: &ValidationErrorKind, instance: &Values) -> Option<String> {
    Some(match kind {
        ValidationErrorKind::Type { kind } => {
            let types: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            format!(
                "expected type {}, found {}",
                types.join(" or "),
                type_name(instance)
            )
        }
        ValidationErrorKind::Enum { options } => {
            let list = match options.as_array() {
                Some(items) => items
                    .iter()
                    .map(|i| render_value(i, 30))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => render_value(options, 60),
            };
            format!("expected one of: {}", super::truncate(&list, 200))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("expected exactly {}", render_value(expected_value, 60))
        }
        _ => return None,
    })
}

/// Turn a JSON pointer into a key path, using the values to tell list indices from keys.
fn to_path(values: &Values, pointer: &str) -> Vec<PathSeg> {
    let mut out = Vec::new();
    let mut cur = Some(values);
    for raw in pointer.split('/').skip(1) {
        let token = raw.replace("~1", "/").replace("~0", "~");
        let seg = match (cur, token.parse::<usize>()) {
            (Some(Values::Array(_)), Ok(i)) => PathSeg::Index(i),
            _ => PathSeg::Key(token),
        };
        cur = cur.and_then(|c| match &seg {
            PathSeg::Key(k) => c.get(k.as_str()),
            PathSeg::Index(i) => c.get(*i),
        });
        out.push(seg);
    }
    out
}

/// "label at location" of the highest layer that set `path` (or replaced a parent of it).
fn setter(resolved: &Resolved, path: &[PathSeg]) -> Option<String> {
    let rows = trace(&resolved.layers, path);
    let i = rows
        .iter()
        .rposition(|r| !matches!(r.effect, Effect::Untouched | Effect::SetBelow))?;
    let layer = &resolved.layers[i];
    let written = rows[i].at.clone().unwrap_or_else(|| path.to_vec());
    Some(match layer.origin {
        Origin::File(_) => format!("{} at {}", layer.label, locate(layer, &written)),
        Origin::Flag(_) => format!("`{}`", layer.source()),
    })
}

#[cfg(test)]
#[path = "schema_tests.rs"]
mod tests;
