//! Tests for the `--set` family: Helm's syntax and typing, in-place application, and errors.

use super::*;
use crate::values::set_parser::parse_set;
use crate::values::{apply_set, SetArg, SetKind};
use anyhow::Result;
use serde_json::json;
use std::path::Path;

fn run(kind: SetKind, expr: &str, start: Values) -> Result<Values> {
    let mut target = start;
    apply_set(&mut target, &SetArg::new(kind, expr), Path::new("."))?;
    Ok(target)
}

fn set(expr: &str) -> Values {
    run(SetKind::Set, expr, json!({})).unwrap_or_else(|e| panic!("{expr}: {e:#}"))
}

#[test]
fn set_syntax_and_typing() {
    let cases: &[(&str, Values)] = &[
        ("a=b", json!({"a": "b"})),
        ("a.b.c=d", json!({"a": {"b": {"c": "d"}}})),
        ("a=1,b=2", json!({"a": 1, "b": 2})),
        ("a=1,", json!({"a": 1})),
        ("a.b=1,a.c=2", json!({"a": {"b": 1, "c": 2}})),
        // typing: bools and null in any case, int64, everything else a string
        (
            "a=true,b=FALSE,c=True",
            json!({"a": true, "b": false, "c": true}),
        ),
        ("a=0", json!({"a": 0})),
        ("a=0777", json!({"a": "0777"})),
        ("a=00", json!({"a": "00"})),
        ("a=-1,b=+5", json!({"a": -1, "b": 5})),
        ("a=9223372036854775807", json!({"a": i64::MAX})),
        ("a=9223372036854775808", json!({"a": "9223372036854775808"})),
        ("a=1.5", json!({"a": "1.5"})),
        ("a=1e3", json!({"a": "1e3"})),
        ("a=yes", json!({"a": "yes"})),
        ("a=", json!({"a": ""})),
        ("a=,b=1", json!({"a": "", "b": 1})),
        ("a=x y", json!({"a": "x y"})),
        // lists
        ("a={x,y}", json!({"a": ["x", "y"]})),
        (
            "a={1,true,null,0777}",
            json!({"a": [1, true, null, "0777"]}),
        ),
        ("a={}", json!({"a": []})),
        ("a={x,},b=1", json!({"a": ["x", ""], "b": 1})),
        ("a={x},b=1", json!({"a": ["x"], "b": 1})),
        // indices
        ("a[0]=x", json!({"a": ["x"]})),
        ("a[2]=x", json!({"a": [null, null, "x"]})),
        ("a[0].b=c", json!({"a": [{"b": "c"}]})),
        ("a[0].b=1,a[0].c=2", json!({"a": [{"b": 1, "c": 2}]})),
        ("a[1][0]=x", json!({"a": [null, ["x"]]})),
        ("a[+1]=x", json!({"a": [null, "x"]})),
        ("a[00]=x", json!({"a": ["x"]})),
        (
            "servers[0].ports[1].port=80,servers[0].name=web",
            json!({"servers": [{"name": "web", "ports": [null, {"port": 80}]}]}),
        ),
        ("a[0]={x,y}", json!({"a": [["x", "y"]]})),
        ("a[65536]=x", {
            let mut l = vec![Values::Null; 65536];
            l.push(json!("x"));
            json!({"a": l})
        }),
        // escapes
        (r"a\.b=c", json!({"a.b": "c"})),
        (r"a=x\,y", json!({"a": "x,y"})),
        (r"a\=b=c", json!({"a=b": "c"})),
        (r"a=x\\y", json!({"a": "x\\y"})),
        (r"a={x\,y,z}", json!({"a": ["x,y", "z"]})),
        (
            r"podAnnotations.prometheus\.io/scrape=true",
            json!({"podAnnotations": {"prometheus.io/scrape": true}}),
        ),
        // null deletes (and deleting something missing does nothing)
        ("a=null", json!({})),
        ("a.b=null", json!({})),
    ];
    for (expr, want) in cases {
        assert_eq!(&set(expr), want, "--set {expr}");
    }
}

#[test]
fn other_kinds() {
    let cases: &[(SetKind, &str, Values)] = &[
        (
            SetKind::String,
            "a=true,b=0777,c=1,d=null",
            json!({"a": "true", "b": "0777", "c": "1", "d": "null"}),
        ),
        (SetKind::String, "a={1,2}", json!({"a": ["1", "2"]})),
        (
            SetKind::Json,
            r#"a={"x":[1,2]}"#,
            json!({"a": {"x": [1, 2]}}),
        ),
        (
            SetKind::Json,
            r#"a=[1,"b"],b=2.5"#,
            json!({"a": [1, "b"], "b": 2.5}),
        ),
        (
            SetKind::Json,
            r#"a = "s" , b=true"#,
            json!({"a ": "s", " b": true}),
        ),
        (
            SetKind::Json,
            "a[1]={\"k\":null}",
            json!({"a": [null, {"k": null}]}),
        ),
        (
            SetKind::Json,
            "a=9007199254740993",
            json!({"a": 9007199254740993_i64}),
        ),
        (SetKind::Json, "a=", json!({})),
        (SetKind::Literal, r"a=x,y=z\.{}", json!({"a": r"x,y=z\.{}"})),
        (SetKind::Literal, "a.b[0]=v,w", json!({"a": {"b": ["v,w"]}})),
        (SetKind::Literal, "a=", json!({"a": ""})),
    ];
    for (kind, expr, want) in cases {
        let got = run(*kind, expr, json!({})).unwrap_or_else(|e| panic!("{expr}: {e:#}"));
        assert_eq!(&got, want, "{} {expr}", kind.flag());
    }
}

#[test]
fn set_file_reads_relative_to_base_dir() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), "-----BEGIN-----\nabc,def\n").unwrap();
    let mut v = json!({});
    apply_set(
        &mut v,
        &SetArg::new(SetKind::File, "tls.cert=cert.pem"),
        dir.path(),
    )
    .unwrap();
    assert_eq!(v, json!({"tls": {"cert": "-----BEGIN-----\nabc,def\n"}}));

    let e = format!(
        "{:#}",
        apply_set(
            &mut v,
            &SetArg::new(SetKind::File, "x=nope.txt"),
            dir.path()
        )
        .unwrap_err()
    );
    assert!(e.starts_with("invalid --set-file at column 3"), "{e}");
    assert!(
        e.contains("nope.txt") && e.contains("failed to read"),
        "{e}"
    );
    let e = format!(
        "{:#}",
        apply_set(&mut v, &SetArg::new(SetKind::File, "x="), dir.path()).unwrap_err()
    );
    assert!(e.contains("expected a file path"), "{e}");
}

#[test]
fn applies_in_place_over_existing_values() {
    let cases: &[(&str, Values, Values)] = &[
        ("a[1]=x", json!({"a": [1, 2, 3]}), json!({"a": [1, "x", 3]})),
        (
            "a[4]=x",
            json!({"a": [1]}),
            json!({"a": [1, null, null, null, "x"]}),
        ),
        (
            "a.b=3",
            json!({"a": {"b": 1, "c": 2}}),
            json!({"a": {"b": 3, "c": 2}}),
        ),
        (
            "c[0].image=y",
            json!({"c": [{"image": "x", "name": "n"}]}),
            json!({"c": [{"image": "y", "name": "n"}]}),
        ),
        ("a=1", json!({"a": {"k": 1}}), json!({"a": 1})),
        ("a.b=1", json!({"a": null}), json!({"a": {"b": 1}})),
        ("a.b=null", json!({"a": "flat"}), json!({"a": "flat"})),
        ("a=null", json!({"a": {"b": 1}, "c": 1}), json!({"c": 1})),
        (
            "a.b=null",
            json!({"a": {"b": 1, "c": 2}}),
            json!({"a": {"c": 2}}),
        ),
        ("a[0]=null", json!({"a": [1, 2]}), json!({"a": [null, 2]})),
        ("a={x}", json!({"a": [1, 2, 3]}), json!({"a": ["x"]})),
    ];
    for (expr, start, want) in cases {
        let got = run(SetKind::Set, expr, start.clone()).unwrap();
        assert_eq!(&got, want, "--set {expr} over {start}");
    }
}

#[test]
fn assignments_record_their_columns() {
    let a = parse_set(&SetArg::new(SetKind::Set, "a=1,bb.c=2"), Path::new(".")).unwrap();
    let cols: Vec<usize> = a.iter().map(|a| a.column).collect();
    assert_eq!(cols, vec![1, 5]);
    assert_eq!(
        a[1].path,
        vec![PathSeg::Key("bb".into()), PathSeg::Key("c".into())]
    );
}

#[test]
fn errors_name_the_expression_and_point_at_it() {
    let deep = format!("{}=1", vec!["k"; 32].join("."));
    let cases: Vec<(SetKind, &str, &str, &str)> = vec![
        (SetKind::Set, "a", "key `a` has no value", "a"),
        (
            SetKind::Set,
            "a,b=1",
            "key `a` has no value before `,`",
            ",",
        ),
        (SetKind::Set, "a.b", "key `b` has no value", "b"),
        (
            SetKind::Set,
            "a[99999999]=x",
            "list index 99999999 is over the limit of 65536",
            "99999999",
        ),
        (
            SetKind::Set,
            "a[18446744073709551616]=x",
            "is over the limit",
            "18446744073709551616",
        ),
        (SetKind::Set, "a[65537]=x", "is over the limit", "65537"),
        (SetKind::Set, "a[-1]=x", "negative list index -1", "-1"),
        (
            SetKind::Set,
            "a[x]=1",
            "list index `x` is not a number",
            "x",
        ),
        (SetKind::Set, "a[]=1", "is not a number", "]"),
        (SetKind::Set, "a[0=1", "without a closing `]`", "[0"),
        (SetKind::Set, "a[0]x=1", "unexpected `x` after `]`", "x"),
        (SetKind::Set, "a[0]", "list item has no value", ""),
        (
            SetKind::Set,
            "a={x,y",
            "list is missing its closing `}`",
            "…",
        ),
        (SetKind::Set, "a={x}y", "unexpected text after `}`", "…"),
        (SetKind::Set, ".a=1", "empty key", ".a"),
        (SetKind::Set, "a..b=1", "empty key", ".b"),
        (SetKind::Set, "=1", "empty key", "="),
        (SetKind::Set, &deep, "nests deeper than 30 levels", ""),
        (SetKind::Json, "a={bad", "invalid JSON", "…"),
        (
            SetKind::Json,
            "a=1 2",
            "unexpected text after the JSON value",
            "…",
        ),
        (
            SetKind::Json,
            r#"{"a":1} x"#,
            "unexpected text after the JSON value",
            "…",
        ),
        (SetKind::Json, r#"{"a":"#, "invalid JSON", "…"),
        (
            SetKind::Literal,
            "novalue",
            "key `novalue` has no value",
            "novalue",
        ),
    ];
    for (kind, expr, want, at) in cases {
        let e = run(kind, expr, json!({})).unwrap_err().to_string();
        let flag = kind.flag();
        assert!(
            e.starts_with(&format!("invalid {flag} at column ")),
            "{expr}: {e}"
        );
        assert!(e.contains(want), "{expr}: {e}");
        let lines: Vec<&str> = e.lines().collect();
        assert!(lines[1].starts_with(&format!("  {flag} ")), "{expr}: {e}");
        if !at.is_empty() {
            let caret = lines[2].chars().position(|c| c == '^').expect("caret line");
            let shown: Vec<char> = lines[1].chars().collect();
            let marker: String = shown[caret..].iter().collect();
            assert!(
                marker.starts_with(at),
                "caret for {expr} not on `{at}`:\n{e}"
            );
        }
    }
}

#[test]
fn parse_errors_never_show_a_value() {
    // Each flag holds the marker in a value; whatever goes wrong, the error shows keys and positions only.
    let cases: &[(SetKind, &str)] = &[
        (SetKind::Set, "secret.data.DB_PASSWORD=hunter2,b[0=1"),
        (SetKind::Set, "a=hunter2,b"),
        (SetKind::Set, "a=hunter2,b={x,hunter2"),
        (SetKind::Set, "a={hunter2}hunter2"),
        (SetKind::Set, "a=hunter2,=1"),
        (SetKind::Set, "a=hunter2,b[x]=hunter2"),
        (SetKind::Set, "a.b=hunter2,a..b=hunter2"),
        (SetKind::String, "a={hunter2,x"),
        (SetKind::Json, "secret={\"p\":\"hunter2\""),
        (SetKind::Json, "a=\"hunter2\" hunter2"),
        (SetKind::Json, "a=\"hunter2\",b"),
        (SetKind::Json, "{\"p\":\"hunter2\"} hunter2"),
        (SetKind::Json, "{\"p\":\"hunter2\""),
        (SetKind::Json, "a=hunter2"),
        (SetKind::Set, "p=x,hunter2"),
        (SetKind::Set, "a[0]=hunter2,a[99999999]=hunter2"),
    ];
    for (kind, expr) in cases {
        let e = format!("{:#}", run(*kind, expr, json!({})).unwrap_err());
        assert!(
            !e.contains("hunter2"),
            "{} {expr} leaked its value:\n{e}",
            kind.flag()
        );
        assert!(e.contains("hint:") || e.contains('^'), "{e}");
    }
    // The key is still shown, so the user can find the flag.
    let e = run(SetKind::Set, "db.password=hunter2,db.port[x]=1", json!({}))
        .unwrap_err()
        .to_string();
    assert!(e.contains("db.password=…,db.port[x]"), "{e}");
    assert!(e.contains("at column 29"), "{e}");
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

#[test]
fn huge_index_does_not_allocate() {
    // If the index were honoured this would need terabytes; it must fail fast instead.
    let started = std::time::Instant::now();
    let e = run(SetKind::Set, "a[999999999999]=x", json!({})).unwrap_err();
    assert!(e.to_string().contains("over the limit"));
    assert!(started.elapsed().as_millis() < 1000);
}

#[test]
fn helm_typed_matches_strvals() {
    let cases: &[(&str, Values)] = &[
        ("true", json!(true)),
        ("tRuE", json!(true)),
        ("NULL", json!(null)),
        ("0", json!(0)),
        ("01", json!("01")),
        ("-0", json!(0)),
        ("-01", json!(-1)),
        ("12", json!(12)),
        ("1_000", json!("1_000")),
        ("0x10", json!("0x10")),
        ("", json!("")),
    ];
    for (text, want) in cases {
        assert_eq!(&helm_typed(text), want, "{text}");
    }
}

#[test]
fn the_documented_error_shape() {
    // docs/values.md shows this error; keep the two in step
    let e = run(SetKind::Set, "db.password=hunter2,a[99999999]=x", json!({}))
        .unwrap_err()
        .to_string();
    let want = "invalid --set at column 23: list index 99999999 is over the limit of 65536\n  --set db.password=…,a[99999999]=…\n                        ^\n\nhint: list indices this large are refused to keep memory bounded";
    assert_eq!(e, want);
}
