//! Applying `--set*` flags over the values below them with Helm's rules and a size budget: an assignment
//! may not reach below a value of another type (`a=1,a.b=2`), and all flags together may only build so
//! much, so a short flag cannot make tack allocate gigabytes through list indices.

use std::path::Path;

use anyhow::{anyhow, Result};

use super::path::{format_path, PathSeg};
use super::set::{apply_assignment, type_conflict, Assignment};
use super::set_parser::parse_set;
use super::{Layer, Origin, SetArg, Values, MAX_SET_BYTES, MAX_SET_ELEMENTS};

/// What the `--set*` flags of one render have built so far, against [`MAX_SET_ELEMENTS`] and
/// [`MAX_SET_BYTES`].
#[derive(Debug, Default)]
pub struct SetBudget {
    elements: usize,
    bytes: usize,
}

impl SetBudget {
    /// Count what `assignments` of flag number `ordinal` (1-based) can create, before anything is
    /// applied; an error names the flag, the key and the limit, never a value.
    pub fn charge(
        &mut self,
        arg: &SetArg,
        ordinal: usize,
        assignments: &[Assignment],
    ) -> Result<()> {
        for a in assignments {
            let (elements, bytes) = cost(a);
            self.elements = self.elements.saturating_add(elements);
            self.bytes = self.bytes.saturating_add(bytes);
            let over = if self.elements > MAX_SET_ELEMENTS {
                Some(format!("{MAX_SET_ELEMENTS} values"))
            } else if self.bytes > MAX_SET_BYTES {
                Some(format!("{} MiB of text", MAX_SET_BYTES >> 20))
            } else {
                None
            };
            if let Some(limit) = over {
                return Err(anyhow!(
                    "{} flag {ordinal}: `{}` (column {}) takes the --set* flags past their limit of {limit} in total\n\nhint: every list item up to a `[n]` index is created; put large lists and texts in a values file (-f)",
                    arg.kind.flag(),
                    format_path(&a.path),
                    a.column
                ));
            }
        }
        Ok(())
    }
}

/// An upper bound of the values and text bytes one assignment creates: each key, each list item up to
/// every index on the path, and every node and string of the value.
fn cost(a: &Assignment) -> (usize, usize) {
    let mut elements = 0usize;
    let mut bytes = 0usize;
    for seg in &a.path {
        match seg {
            PathSeg::Key(k) => {
                elements = elements.saturating_add(1);
                bytes = bytes.saturating_add(k.len());
            }
            PathSeg::Index(n) => elements = elements.saturating_add(n.saturating_add(1)),
        }
    }
    let mut stack = vec![&a.value];
    while let Some(v) = stack.pop() {
        elements = elements.saturating_add(1);
        match v {
            Values::String(s) => bytes = bytes.saturating_add(s.len()),
            Values::Array(items) => stack.extend(items),
            Values::Object(map) => {
                for (k, child) in map {
                    bytes = bytes.saturating_add(k.len());
                    stack.push(child);
                }
            }
            _ => {}
        }
    }
    (elements, bytes)
}

/// Refuse assignment `a` (at `index` in flag number `ordinal`, 1-based) when it would reach below a value
/// of another type in `values`, naming both assignments: `a`, and whichever earlier assignment of this
/// flag, earlier flag or values file set that value (with its file:line:col). Values are never shown.
pub fn check_conflict(
    values: &Values,
    arg: &SetArg,
    ordinal: usize,
    assignments: &[Assignment],
    index: usize,
    lower: &[Layer],
) -> Result<()> {
    let a = &assignments[index];
    if a.merged {
        return Ok(());
    }
    let Some((at, is, needed)) = type_conflict(values, a) else {
        return Ok(());
    };
    let flag = arg.kind.flag();
    let at_text = format_path(&at);
    let setter = setter_in(&assignments[..index], &at)
        .map(|b| {
            format!(
                "`{}` (column {}) of the same {flag} flag",
                format_path(&b.path),
                b.column
            )
        })
        .or_else(|| setter_below(lower, &at))
        .unwrap_or_else(|| "a lower layer".into());
    Err(anyhow!(
        "{flag} flag {ordinal}: `{}` (column {}) needs `{at_text}` to be {needed}, but `{at_text}` is {is}, set by {setter}\n\nhint: keep one of the two assignments, or replace `{at_text}` whole first (for example `--set {at_text}=null`)",
        format_path(&a.path),
        a.column,
    ))
}

/// The last of `earlier` that wrote `at` or a parent of it (and did not delete it).
fn setter_in<'a>(earlier: &'a [Assignment], at: &[PathSeg]) -> Option<&'a Assignment> {
    earlier.iter().rev().find(|b| {
        let deletes = b.value.is_null() && matches!(b.path.last(), Some(PathSeg::Key(_)));
        (at.starts_with(&b.path) || b.path.starts_with(at)) && !deletes
    })
}

/// The highest of `layers` that wrote `at`: a flag (named with its key and column) or a file (named with
/// `file:line:col`).
fn setter_below(layers: &[Layer], at: &[PathSeg]) -> Option<String> {
    let mut flags_seen = layers
        .iter()
        .filter(|l| matches!(l.origin, Origin::Flag(_)))
        .count();
    for layer in layers.iter().rev() {
        match &layer.origin {
            Origin::Flag(_) => {
                if let Some(b) = setter_in(&layer.assignments, at) {
                    return Some(format!(
                        "`{}` (column {}) of {} flag {flags_seen}",
                        format_path(&b.path),
                        b.column,
                        layer.label
                    ));
                }
                flags_seen -= 1;
            }
            Origin::File(file) => {
                if super::path::lookup(&layer.tree, at).is_some() {
                    let place = match layer.positions.nearest(at) {
                        Some((line, col)) => format!("{}:{line}:{col}", file.display()),
                        None => file.display().to_string(),
                    };
                    return Some(match layer.label.strip_prefix("-f ") {
                        Some(_) => format!("-f {place}"),
                        None => format!("{} at {place}", layer.label),
                    });
                }
            }
        }
    }
    None
}

/// Parse a flag and apply its assignments to `target` in order, refusing type conflicts (with `target`
/// as the only lower layer) and flags over the size budget.
pub fn apply_set(target: &mut Values, arg: &SetArg, base_dir: &Path) -> Result<()> {
    let assignments = parse_set(arg, base_dir)?;
    SetBudget::default().charge(arg, 1, &assignments)?;
    for i in 0..assignments.len() {
        check_conflict(target, arg, 1, &assignments, i, &[])?;
        apply_assignment(target, &assignments[i]);
    }
    Ok(())
}

#[cfg(test)]
#[path = "set_apply_tests.rs"]
mod tests;
