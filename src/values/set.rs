//! The `--set` family's data model: the assignments a flag parses into, how one is written in place
//! (so each flag's effect is known exactly for provenance), Helm's typing of values, and the check that
//! an assignment does not reach below a value of another type.

use serde::Serialize;

use super::path::PathSeg;
use super::Values;

/// One `path=value` from a `--set*` flag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    pub path: Vec<PathSeg>,
    /// `null` deletes the key (or sets a list item to null).
    pub value: Values,
    /// 1-based character position of the key in the flag's expression.
    pub column: usize,
    /// Part of a whole JSON object merged by `--set-json '{...}'`: it may replace a value of another type
    /// on its way, as a merge does.
    #[serde(skip)]
    pub merged: bool,
}

/// Write one assignment into `target`, creating maps and lists on the way. Lists grow with nulls up to
/// the index; a null value deletes a key. A value of the wrong kind on the way is replaced: callers
/// refuse that case first with [`type_conflict`] unless the assignment merges an object.
pub fn apply_assignment(target: &mut Values, a: &Assignment) {
    let Some((last, parents)) = a.path.split_last() else {
        return;
    };
    if a.value.is_null() {
        if let PathSeg::Key(k) = last {
            let parent = parents.iter().try_fold(&mut *target, |cur, seg| match seg {
                PathSeg::Key(k) => cur.get_mut(k.as_str()),
                PathSeg::Index(n) => cur.get_mut(*n),
            });
            if let Some(Values::Object(map)) = parent {
                map.remove(k);
            }
            return;
        }
    }
    let mut cur = target;
    for seg in parents {
        cur = step(cur, seg);
    }
    *step(cur, last) = a.value.clone();
}

fn step<'v>(cur: &'v mut Values, seg: &PathSeg) -> &'v mut Values {
    match seg {
        PathSeg::Key(k) => {
            if !cur.is_object() {
                *cur = Values::Object(Default::default());
            }
            let Values::Object(map) = cur else {
                unreachable!()
            };
            map.entry(k.clone()).or_insert(Values::Null)
        }
        PathSeg::Index(n) => {
            if !cur.is_array() {
                *cur = Values::Array(Vec::new());
            }
            let Values::Array(items) = cur else {
                unreachable!()
            };
            if items.len() <= *n {
                items.resize(n + 1, Values::Null);
            }
            &mut items[*n]
        }
    }
}

/// Where `a` would have to reach below a value of another type in `target`: the path of that value,
/// what it is, and what `a` needs there ("a map" or "a list"). Null and missing values are fine (they are
/// created), and so is replacing the assigned value itself; a deletion never conflicts.
pub fn type_conflict(
    target: &Values,
    a: &Assignment,
) -> Option<(Vec<PathSeg>, &'static str, &'static str)> {
    if a.value.is_null() && matches!(a.path.last(), Some(PathSeg::Key(_))) {
        return None;
    }
    let mut cur = target;
    for (depth, seg) in a.path.iter().enumerate() {
        let next = match (cur, seg) {
            (Values::Null, _) => return None,
            (Values::Object(map), PathSeg::Key(k)) => map.get(k),
            (Values::Array(items), PathSeg::Index(n)) => items.get(*n),
            (other, _) => {
                let needed = match seg {
                    PathSeg::Key(_) => "a map",
                    PathSeg::Index(_) => "a list",
                };
                return Some((a.path[..depth].to_vec(), kind_of(other), needed));
            }
        };
        match next {
            Some(v) => cur = v,
            None => return None,
        }
    }
    None
}

/// "a map", "a list", "a string", ... for messages that must not show the value itself.
pub(crate) fn kind_of(v: &Values) -> &'static str {
    match v {
        Values::Null => "null",
        Values::Bool(_) => "a boolean",
        Values::Number(_) => "a number",
        Values::String(_) => "a string",
        Values::Array(_) => "a list",
        Values::Object(_) => "a map",
    }
}

/// A whole JSON object (`--set-json '{"a":{"b":1}}'`) as the assignments that merge it: one per value
/// that is not a map, at its full path, all at `column`. Nulls delete, lists and scalars replace, and
/// maps merge key by key, as with a values file; an empty map adds nothing.
pub(crate) fn flatten_object(value: &Values, column: usize) -> Vec<Assignment> {
    fn walk(v: &Values, path: &mut Vec<PathSeg>, column: usize, out: &mut Vec<Assignment>) {
        match v {
            Values::Object(map) => {
                for (k, child) in map {
                    path.push(PathSeg::Key(k.clone()));
                    walk(child, path, column, out);
                    path.pop();
                }
            }
            other => out.push(Assignment {
                path: path.clone(),
                value: other.clone(),
                column,
                merged: true,
            }),
        }
    }
    let mut out = Vec::new();
    walk(value, &mut Vec::new(), column, &mut out);
    out
}

/// Helm's typing for `--set` values: `true`/`false`/`null` in any case, `0`, and integers that
/// fit 64 bits and do not start with `0` (so `0777` stays a string); everything else is a string.
pub(crate) fn helm_typed(text: &str) -> Values {
    if text.eq_ignore_ascii_case("true") {
        return Values::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Values::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Values::Null;
    }
    if text == "0" {
        return Values::from(0);
    }
    if !text.is_empty() && !text.starts_with('0') {
        if let Ok(n) = text.parse::<i64>() {
            return Values::from(n);
        }
    }
    Values::String(text.to_string())
}

#[cfg(test)]
#[path = "set_tests.rs"]
mod tests;
