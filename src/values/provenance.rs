//! Provenance engine: replays the layers to find what each one did at a key path (set it, merged
//! into it, replaced or deleted a parent). Explain reports it; schema errors use it to name a setter.

use serde::Serialize;

use super::layers::{apply_layer, fold};
use super::path::{lookup, PathSeg};
use super::{Layer, Origin, Values};

/// What one layer did to the explained path.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// The layer does not mention the path.
    Untouched,
    /// The layer wrote a value at the path.
    Set,
    /// The layer wrote a map at the path; its keys merge with lower layers.
    SetMap,
    /// The layer wrote `null` at the path, deleting it.
    Deleted,
    /// The layer wrote a non-map value at a parent (`at`), replacing the path.
    SetParent,
    /// The layer wrote `null` at a parent (`at`), deleting the path with it.
    DeletedParent,
    /// A flag assigned something below the path.
    SetBelow,
}

pub(crate) struct Row {
    pub effect: Effect,
    pub at: Option<Vec<PathSeg>>,
    pub value: Option<Values>,
    pub location: Option<String>,
    /// Whether this layer replaced what lower layers had at the path (rather than merging).
    pub replacing: bool,
}

/// What each layer did at `query`.
pub(crate) fn trace(layers: &[Layer], query: &[PathSeg]) -> Vec<Row> {
    let mut acc = fold(layers, 0);
    let mut rows = Vec::with_capacity(layers.len());
    for (i, layer) in layers.iter().enumerate() {
        let before_is_map = lookup(&acc, query).is_some_and(Values::is_object);
        let (effect, at) = match layer.origin {
            Origin::File(_) => file_effect(&layer.tree, query),
            Origin::Flag(_) => flag_effect(layer, query),
        };
        let written = at.as_deref().unwrap_or(query);
        let value = match effect {
            Effect::Untouched => None,
            Effect::SetBelow => None,
            _ => match layer.origin {
                Origin::File(_) => lookup(&layer.tree, written).cloned(),
                Origin::Flag(_) => layer
                    .assignments
                    .iter()
                    .rev()
                    .find(|a| a.path == written)
                    .map(|a| a.value.clone()),
            },
        };
        let location = (effect != Effect::Untouched).then(|| locate(layer, written));
        let replacing = match effect {
            Effect::Untouched | Effect::SetBelow => false,
            Effect::SetMap => i == 0 || !before_is_map,
            _ => true,
        };
        rows.push(Row {
            effect,
            at,
            value,
            location,
            replacing,
        });
        apply_layer(&mut acc, layer, i == 0);
    }
    rows
}

fn file_effect(tree: &Values, query: &[PathSeg]) -> (Effect, Option<Vec<PathSeg>>) {
    for n in 1..=query.len() {
        let Some(v) = lookup(tree, &query[..n]) else {
            return (Effect::Untouched, None);
        };
        if n == query.len() {
            return match v {
                Values::Null => (Effect::Deleted, None),
                Values::Object(_) => (Effect::SetMap, None),
                _ => (Effect::Set, None),
            };
        }
        let parent = Some(query[..n].to_vec());
        match (v, &query[n]) {
            (Values::Object(_), PathSeg::Key(_)) => {}
            (Values::Array(items), PathSeg::Index(i)) if *i < items.len() => {}
            (Values::Null, _) => return (Effect::DeletedParent, parent),
            _ => return (Effect::SetParent, parent),
        }
    }
    (Effect::Untouched, None)
}

fn flag_effect(layer: &Layer, query: &[PathSeg]) -> (Effect, Option<Vec<PathSeg>>) {
    let mut found = (Effect::Untouched, None);
    for a in &layer.assignments {
        let p = &a.path;
        if p.as_slice() == query {
            let deletes = a.value.is_null() && matches!(p.last(), Some(PathSeg::Key(_)));
            found = if deletes {
                (Effect::Deleted, None)
            } else {
                (Effect::Set, None)
            };
        } else if query.starts_with(p) {
            let deletes = a.value.is_null() && matches!(p.last(), Some(PathSeg::Key(_)));
            found = if deletes {
                (Effect::DeletedParent, Some(p.clone()))
            } else {
                (Effect::SetParent, Some(p.clone()))
            };
        } else if p.starts_with(query) && found.0 == Effect::Untouched {
            found = (Effect::SetBelow, Some(p.clone()));
        }
    }
    found
}

/// `file:line:col` (nearest recorded ancestor) or the flag with the key's column.
pub(crate) fn locate(layer: &Layer, path: &[PathSeg]) -> String {
    match &layer.origin {
        Origin::File(f) => match layer.positions.nearest(path) {
            Some((l, c)) => format!("{}:{l}:{c}", f.display()),
            None => f.display().to_string(),
        },
        Origin::Flag(_) => layer.source(),
    }
}
