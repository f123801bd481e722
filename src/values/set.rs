//! The `--set` family: Helm's `strvals` syntax and typing, parsed into assignments that are then
//! applied in place, so each flag's effect is known exactly for provenance.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use super::path::PathSeg;
pub use super::set_parser::parse_set;
use super::{SetArg, Values};

/// One `path=value` from a `--set*` flag.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assignment {
    pub path: Vec<PathSeg>,
    /// `null` deletes the key (or sets a list item to null).
    pub value: Values,
    /// 1-based character position of the key in the flag's expression.
    pub column: usize,
}

/// Parse a flag and apply its assignments to `target`, in order.
pub fn apply_set(target: &mut Values, arg: &SetArg, base_dir: &Path) -> Result<()> {
    for a in parse_set(arg, base_dir)? {
        apply_assignment(target, &a);
    }
    Ok(())
}

/// Write one assignment into `target`, creating maps and lists on the way (and replacing
/// values of the wrong kind). Lists grow with nulls up to the index; a null value deletes a key.
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
