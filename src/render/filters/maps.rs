//! Map helpers: `merge`/`merge_overwrite` (deep merges that return a new map, unlike Sprig which
//! modifies its first argument) and `pick`/`omit`.

use std::collections::BTreeMap;

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::{describe, fail, FilterOptions};

/// Merges nested deeper than this are refused.
const MAX_DEPTH: usize = 256;

pub(super) fn register(env: &mut Environment<'static>, _opts: &FilterOptions) {
    env.add_filter("merge", |value: &Value, others: Rest<Value>| {
        merge_all("merge", value, &others, false)
    });
    env.add_filter("merge_overwrite", |value: &Value, others: Rest<Value>| {
        merge_all("merge_overwrite", value, &others, true)
    });
    env.add_filter("pick", |value: &Value, keys: Rest<Value>| {
        let map = entries("pick", value, 0)?;
        let keys = key_list(&keys);
        Ok::<_, Error>(Value::from(
            map.into_iter()
                .filter(|(k, _)| keys.contains(k))
                .collect::<BTreeMap<_, _>>(),
        ))
    });
    env.add_filter("omit", |value: &Value, keys: Rest<Value>| {
        let map = entries("omit", value, 0)?;
        let keys = key_list(&keys);
        Ok::<_, Error>(Value::from(
            map.into_iter()
                .filter(|(k, _)| !keys.contains(k))
                .collect::<BTreeMap<_, _>>(),
        ))
    });
}

/// The entries of a map argument; none and undefined count as an empty map. `position` 0 is the
/// filter's input, 1.. are its arguments.
fn entries(name: &str, value: &Value, position: usize) -> Result<BTreeMap<Value, Value>, Error> {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Ok(BTreeMap::new()),
        ValueKind::Map => {
            let mut out = BTreeMap::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                out.insert(key, item);
            }
            Ok(out)
        }
        _ => {
            let which = if position == 0 {
                "the input".to_string()
            } else {
                format!("argument {position}")
            };
            Err(fail(
                name,
                format!("{which} must be a map, got {}", describe(value)),
            ))
        }
    }
}

/// Keys given as arguments; a list argument contributes each of its items.
fn key_list(keys: &[Value]) -> Vec<Value> {
    let mut out = Vec::new();
    for key in keys {
        match key.kind() {
            ValueKind::Seq => out.extend(key.try_iter().into_iter().flatten()),
            _ => out.push(key.clone()),
        }
    }
    out
}

fn merge_all(name: &str, value: &Value, others: &[Value], overwrite: bool) -> Result<Value, Error> {
    let mut result = entries(name, value, 0)?;
    for (i, other) in others.iter().enumerate() {
        let other = entries(name, other, i + 1)?;
        merge_into(name, &mut result, other, overwrite, 0)?;
    }
    Ok(Value::from(result))
}

/// Merges `other` into `dst`. Maps present on both sides merge recursively; for anything else
/// `dst` keeps its value (`merge`) or takes `other`'s (`merge_overwrite`).
fn merge_into(
    name: &str,
    dst: &mut BTreeMap<Value, Value>,
    other: BTreeMap<Value, Value>,
    overwrite: bool,
    depth: usize,
) -> Result<(), Error> {
    if depth > MAX_DEPTH {
        return Err(fail(
            name,
            format!("maps nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    for (key, theirs) in other {
        match dst.get(&key) {
            None => {
                dst.insert(key, theirs);
            }
            Some(ours) if ours.kind() == ValueKind::Map && theirs.kind() == ValueKind::Map => {
                let mut inner = entries(name, ours, 0)?;
                merge_into(
                    name,
                    &mut inner,
                    entries(name, &theirs, 0)?,
                    overwrite,
                    depth + 1,
                )?;
                dst.insert(key, Value::from(inner));
            }
            Some(_) if overwrite => {
                dst.insert(key, theirs);
            }
            Some(_) => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::render::filters::testenv::{render, render_err};
    use minijinja::context;

    #[test]
    fn merge_leftmost_wins_deeply() {
        let ctx = context! {
            a => context! { l => [1, 2], n => context! { p => 1 }, x => 1 },
            b => context! { l => [3], n => context! { p => 2, q => 2 }, x => 2, y => 2 },
            c => context! { z => 3 },
        };
        let out = render("{{ a | merge(b, c) }}", ctx.clone()).unwrap();
        assert_eq!(out, r#"{"l":[1,2],"n":{"p":1,"q":2},"x":1,"y":2,"z":3}"#);
        // The input is not modified.
        let out = render("{% set m = a | merge(b) %}{{ a }}", ctx).unwrap();
        assert_eq!(out, r#"{"l":[1,2],"n":{"p":1},"x":1}"#);
    }

    #[test]
    fn merge_overwrite_rightmost_wins_deeply() {
        let ctx = context! {
            a => context! { l => [1, 2], n => context! { p => 1, r => 1 }, s => "keep", x => 1 },
            b => context! { l => [3], n => context! { p => 2 }, s => (), x => 2 },
        };
        let out = render("{{ a | merge_overwrite(b) | toyaml }}", ctx).unwrap();
        assert_eq!(out, "l:\n- 3\n'n':\n  p: 2\n  r: 1\ns: null\nx: 2");
    }

    #[test]
    fn merge_treats_none_and_undefined_as_empty() {
        let ctx = context! { a => context! { x => 1 }, n => () };
        assert_eq!(
            render("{{ a | merge_overwrite(n, missing) }}", ctx.clone()).unwrap(),
            r#"{"x":1}"#
        );
        assert_eq!(
            render("{{ missing | merge(a) }}", ctx).unwrap(),
            r#"{"x":1}"#
        );
    }

    #[test]
    fn merge_rejects_non_maps() {
        let err = render_err("{{ {'a': 1} | merge({}, [1]) }}", context! {});
        assert!(
            err.contains("merge: argument 2 must be a map, got a list"),
            "{err}"
        );
        let err = render_err("{{ 'x' | merge_overwrite({}) }}", context! {});
        assert!(
            err.contains("merge_overwrite: the input must be a map, got a string of 1 character"),
            "{err}"
        );
    }

    #[test]
    fn pick_and_omit() {
        let ctx = context! { m => context! { a => 1, b => 2, c => 3 } };
        assert_eq!(
            render("{{ m | pick('a', 'c', 'zz') }}", ctx.clone()).unwrap(),
            r#"{"a":1,"c":3}"#
        );
        assert_eq!(
            render("{{ m | omit('a') }}", ctx.clone()).unwrap(),
            r#"{"b":2,"c":3}"#
        );
        assert_eq!(
            render("{{ m | omit(['a', 'b']) }}", ctx.clone()).unwrap(),
            r#"{"c":3}"#
        );
        assert_eq!(render("{{ m | pick() }}", ctx).unwrap(), "{}");
        let err = render_err("{{ [1] | pick('a') }}", context! {});
        assert!(err.contains("pick: the input must be a map"), "{err}");
    }
}
