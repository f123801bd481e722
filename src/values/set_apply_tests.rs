//! Tests for Helm's type errors between assignments, whole-object `--set-json`, empty flags, and the
//! type check itself.

use super::*;
use crate::values::set::{type_conflict, Assignment};
use crate::values::{PathSeg, SetKind};
use serde_json::json;

fn run(kind: SetKind, expr: &str, start: Values) -> Result<Values> {
    let mut target = start;
    apply_set(&mut target, &SetArg::new(kind, expr), Path::new("."))?;
    Ok(target)
}

fn set(expr: &str) -> Values {
    run(SetKind::Set, expr, json!({})).unwrap_or_else(|e| panic!("{expr}: {e:#}"))
}

#[test]
fn an_empty_flag_sets_nothing() {
    for kind in [SetKind::Set, SetKind::String, SetKind::Json] {
        assert!(parse_set(&SetArg::new(kind, ""), Path::new("."))
            .unwrap()
            .is_empty());
        assert_eq!(run(kind, "", json!({"a": 1})).unwrap(), json!({"a": 1}));
    }
}

#[test]
fn a_whole_json_object_is_merged() {
    let start = json!({"a": {"keep": 1, "b": 0}, "l": [1, 2], "s": "x", "gone": 1});
    let got = run(
        SetKind::Json,
        r#" {"a":{"b":1,"c":{"d":[true]}},"l":[3],"s":{"t":"u"},"gone":null,"e":{}} "#,
        start,
    )
    .unwrap();
    assert_eq!(
        got,
        json!({"a": {"keep": 1, "b": 1, "c": {"d": [true]}}, "l": [3], "s": {"t": "u"}})
    );
    let a = parse_set(
        &SetArg::new(SetKind::Json, r#"{"a":{"b":1}}"#),
        Path::new("."),
    )
    .unwrap();
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].path,
        vec![PathSeg::Key("a".into()), PathSeg::Key("b".into())]
    );
    assert!(a[0].merged);
    // only an object may stand without `key=`
    let e = run(SetKind::Json, "[1]", json!({}))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("has no value") || e.contains("expected a key") || e.contains("empty key"),
        "{e}"
    );
}

#[test]
fn reaching_below_a_value_of_another_type_is_an_error_naming_both() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "a=1,a.b=2",
            "`a.b` (column 5) needs `a` to be a map, but `a` is a number",
            "set by `a` (column 1)",
        ),
        (
            "a[0]=x,a.b=y",
            "`a.b` (column 8) needs `a` to be a map, but `a` is a list",
            "set by `a[0]` (column 1)",
        ),
        (
            "a.b=x,a[0]=y",
            "`a[0]` (column 7) needs `a` to be a list, but `a` is a map",
            "set by `a.b` (column 1)",
        ),
        (
            "a={x},a[0].b=1",
            "needs `a[0]` to be a map, but `a[0]` is a string",
            "set by `a` (column 1)",
        ),
        (
            "a.b=1,a.b.c.d=2",
            "needs `a.b` to be a map, but `a.b` is a number",
            "set by `a.b` (column 1)",
        ),
    ];
    for (expr, want, setter) in cases {
        let e = run(SetKind::Set, expr, json!({})).unwrap_err().to_string();
        assert!(e.starts_with("--set flag 1: "), "{expr}: {e}");
        assert!(e.contains(want), "{expr}: {e}");
        assert!(e.contains(setter), "{expr}: {e}");
        assert!(e.contains("hint:"), "{expr}: {e}");
    }
    // a value that was there before the flag
    let e = run(SetKind::Set, "a.b=c", json!({"a": "flat"}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("`a` is a string, set by a lower layer"), "{e}");
    let e = run(SetKind::Set, "a[0]=1", json!({"a": {"k": 1}}))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("needs `a` to be a list, but `a` is a map"),
        "{e}"
    );
    // the value itself is never shown
    let e = run(SetKind::Set, "pw=hunter2,pw.x=hunter3", json!({}))
        .unwrap_err()
        .to_string();
    assert!(!e.contains("hunter"), "{e}");
    // replacing, deleting first and a whole-object merge are fine
    assert_eq!(set("a.b=1,a=2"), json!({"a": 2}));
    assert_eq!(set("a=1,a=null,a.b=2"), json!({"a": {"b": 2}}));
    assert_eq!(
        run(SetKind::Json, r#"{"a":{"b":1}}"#, json!({"a": 1})).unwrap(),
        json!({"a": {"b": 1}})
    );
}

#[test]
fn type_conflict_reports_the_first_value_of_another_type() {
    let a = |path: Vec<PathSeg>| Assignment {
        path,
        value: json!(1),
        column: 1,
        merged: false,
    };
    let k = |s: &str| PathSeg::Key(s.into());
    let v = json!({"a": {"b": [1, {"c": "s"}]}, "n": null});
    assert_eq!(
        type_conflict(&v, &a(vec![k("a"), k("b"), PathSeg::Index(1), k("c")])),
        None
    );
    assert_eq!(type_conflict(&v, &a(vec![k("a"), k("x"), k("y")])), None);
    assert_eq!(type_conflict(&v, &a(vec![k("n"), k("x")])), None);
    assert_eq!(
        type_conflict(&v, &a(vec![k("a"), k("b"), k("c")])),
        Some((vec![k("a"), k("b")], "a list", "a map"))
    );
    assert_eq!(
        type_conflict(
            &v,
            &a(vec![k("a"), k("b"), PathSeg::Index(0), PathSeg::Index(0)])
        ),
        Some((
            vec![k("a"), k("b"), PathSeg::Index(0)],
            "a number",
            "a list"
        ))
    );
}
