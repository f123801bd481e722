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
