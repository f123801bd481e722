//! Tests for the values-file loader: typing, positions, and every input guarantee.

use super::*;
use crate::values::source::decode_utf8;
use crate::values::{MAX_DEPTH, MAX_FILE_BYTES};
use serde_json::json;

fn parse(src: &str) -> Result<(Values, Positions, Vec<Warning>)> {
    parse_yaml(src, "values/prod.yaml")
}

fn err(src: &str) -> String {
    format!("{:#}", parse(src).unwrap_err())
}

#[test]
fn builds_trees_with_types() {
    let cases: &[(&str, Values)] = &[
        ("", json!({})),
        ("# only a comment\n", json!({})),
        ("---\n", json!({})),
        ("~\n", json!({})),
        ("a: 1\nb: x\n", json!({"a": 1, "b": "x"})),
        ("a:\n  b:\n    c: true\n", json!({"a": {"b": {"c": true}}})),
        (
            "l:\n  - 1\n  - two\n  - {k: v}\n",
            json!({"l": [1, "two", {"k": "v"}]}),
        ),
        (
            "q: \"1.10\"\ns: 'yes'\nn: \"null\"\n",
            json!({"q": "1.10", "s": "yes", "n": "null"}),
        ),
        (
            "e:\nt: ~\nu: null\n",
            json!({"e": null, "t": null, "u": null}),
        ),
        (
            "big: 9007199254740993\nm: 1000000\n",
            json!({"big": 9007199254740993_i64, "m": 1000000}),
        ),
        ("f: 1.5\n", json!({"f": 1.5})),
        ("t: !!str 5\n", json!({"t": "5"})),
        ("t: !!int \"5\"\n", json!({"t": 5})),
        ("t: ! 5\n", json!({"t": "5"})),
        (
            "1: a\ntrue: b\non: c\n",
            json!({"1": "a", "true": "b", "on": "c"}),
        ),
        (
            "block: |\n  line1\n  line2\n",
            json!({"block": "line1\nline2\n"}),
        ),
        ("\u{feff}a: 1\n", json!({"a": 1})),
        (
            "a: &x {k: 1}\nb: *x\n",
            json!({"a": {"k": 1}, "b": {"k": 1}}),
        ),
        (
            "base: &b {x: 1, y: 2}\nd:\n  <<: *b\n  y: 3\n",
            json!({"base": {"x": 1, "y": 2}, "d": {"x": 1, "y": 3}}),
        ),
        (
            "a: &a {x: 1}\nb: &b {x: 2, z: 2}\nc:\n  <<: [*a, *b]\n",
            json!({"a": {"x": 1}, "b": {"x": 2, "z": 2}, "c": {"x": 1, "z": 2}}),
        ),
        ("\"<<\": literal\n", json!({"<<": "literal"})),
    ];
    for (src, want) in cases {
        let (got, _, _) = parse(src).unwrap_or_else(|e| panic!("{src:?}: {e:#}"));
        assert_eq!(&got, want, "{src:?}");
    }
}

#[test]
fn records_positions_of_keys_and_items() {
    let src = "image:\n  repo: nginx\n  tag: \"1.2\"\nhosts:\n  - name: a\n    port: 80\n  - b\n";
    let (_, pos, _) = parse(src).unwrap();
    let cases = [
        ("image", (1, 1)),
        ("image.repo", (2, 3)),
        ("image.tag", (3, 3)),
        ("hosts", (4, 1)),
        ("hosts[0]", (5, 5)),
        ("hosts[0].name", (5, 5)),
        ("hosts[0].port", (6, 5)),
        ("hosts[1]", (7, 5)),
    ];
    for (path, want) in cases {
        assert_eq!(pos.get_str(path), Some(want), "{path}");
    }
}

#[test]
fn yaml11_booleans_warn_with_file_and_line() {
    let (v, _, warnings) = parse("a: 1\nenabled: no\nb: Yes\nc: \"no\"\nd: true\n").unwrap();
    assert_eq!(
        v,
        json!({"a": 1, "enabled": false, "b": true, "c": "no", "d": true})
    );
    let shown: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        shown,
        vec![
            "values/prod.yaml:2:10: bare `no` read as boolean false; quote it (\"no\") if you meant the string",
            "values/prod.yaml:3:4: bare `Yes` read as boolean true; quote it (\"Yes\") if you meant the string",
        ]
    );
}

#[test]
fn changed_floats_and_special_numbers_warn() {
    let (v, _, warnings) = parse("version: 1.10\nok: 1.5\ninf: .inf\nmode: 0644\n").unwrap();
    assert_eq!(
        v,
        json!({"version": 1.1, "ok": 1.5, "inf": ".inf", "mode": 420})
    );
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert_eq!((warnings[0].line, warnings[0].column), (1, 10));
    assert!(warnings[0]
        .message
        .contains("`1.10` read as the number 1.1"));
    assert!(warnings[1].message.contains("infinity"));
    assert!(warnings[2].message.contains("octal"));
}

#[test]
fn unknown_tags_warn() {
    let (v, _, w) = parse("a: !vault x\nb: !!map z\n").unwrap();
    assert_eq!(v, json!({"a": "x", "b": "z"}));
    assert_eq!(
        w[0].message,
        "tag `!vault` is not understood and was ignored"
    );
    assert_eq!(
        w[1].message,
        "tag `!!map` is not understood and was ignored"
    );
}

#[test]
fn warnings_do_not_echo_secrets() {
    let src = "db:\n  password: 0123\n  users:\n    - token: no\nplain: 0123\n";
    let (v, _, w) = parse(src).unwrap();
    assert_eq!(v["db"]["password"], json!(83));
    assert_eq!(w.len(), 3);
    for warning in &w[..2] {
        let text = warning.to_string();
        assert!(
            !text.contains("0123") && !text.contains("`no`") && text.contains("secret-looking key"),
            "{text}"
        );
    }
    assert!(w[2].message.contains("`0123`"));
}

#[test]
fn duplicate_keys_name_both_lines() {
    let e = err("image:\n  tag: a\n  repo: r\n  tag: b\n");
    assert!(e.starts_with("values/prod.yaml:4:3: duplicate key `tag`: first set at line 2:3, set again at line 4:3"), "{e}");
    assert!(e.contains("4 |   tag: <redacted>"), "{e}");
    assert!(e.contains("hint: remove one"), "{e}");
    // The same key in different maps is fine.
    assert!(parse("a: {k: 1}\nb: {k: 2}\n").is_ok());
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let cases = [
        ("a: 1\nb:\n\tc: 2\n", "values/prod.yaml:3:"),
        ("a: [1, 2\nb: 3\n", "values/prod.yaml:2:"),
        ("a: 1\nb: \"open\n", "values/prod.yaml:2:"),
        (
            "a: *nope\n",
            "values/prod.yaml:1:4: alias to an unknown anchor",
        ),
    ];
    for (src, want) in cases {
        let e = err(src);
        assert!(e.starts_with(want), "{src:?}: {e}");
        assert!(e.contains("hint:") || e.contains("unknown anchor"), "{e}");
    }
}

#[test]
fn structure_errors() {
    let cases = [
        ("a: 1\n---\nb: 2\n", "values/prod.yaml:2:1: a values file must hold one YAML document"),
        ("- a\n- b\n", "values/prod.yaml:1:1: the top level of a values file must be a map of keys, found a list"),
        ("just text\n", "found a single value"),
        ("? [a, b]\n: c\n", "a map key must be a plain value"),
        ("a: 1\n: x\n", "empty map key"),
        ("d:\n  <<: 5\n", "`<<` merge key needs a map"),
    ];
    for (src, want) in cases {
        let e = err(src);
        assert!(e.contains(want), "{src:?}: {e}");
    }
}

#[test]
fn billion_laughs_is_bounded() {
    let mut src = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..10 {
        let refs = vec![format!("*l{}", i - 1); 10].join(", ");
        src.push_str(&format!("l{i}: &l{i} [{refs}]\n"));
    }
    let started = std::time::Instant::now();
    let e = err(&src);
    assert!(e.contains("expands to more than 1000000 nodes"), "{e}");
    assert!(e.contains("alias bomb"), "{e}");
    assert!(started.elapsed().as_secs() < 5);
}

#[test]
fn deep_nesting_is_refused() {
    let deep = format!("a:\n  {}x\n", "- ".repeat(MAX_DEPTH + 5));
    let e = err(&deep);
    assert!(e.contains("values nest deeper than 1000 levels"), "{e}");
    let flow = format!("a: {}{}\n", "[".repeat(300), "]".repeat(300));
    let e = err(&flow);
    assert!(
        e.contains("nested too deeply") && e.starts_with("values/prod.yaml:1:"),
        "{e}"
    );
    // 200 levels is fine.
    let ok = format!("a:\n  {}x\n", "- ".repeat(200));
    assert!(parse(&ok).is_ok());
}

#[test]
fn non_utf8_names_the_byte_offset() {
    let e = decode_utf8(b"a: 1\nb: \xff\n".to_vec(), "values file `x.yaml`")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("byte 0xff at byte offset 8 (line 2, column 4)"),
        "{e}"
    );
    let e = decode_utf8(b"\xef\xbb\xbfa: \xc3\n".to_vec(), "f")
        .unwrap_err()
        .to_string();
    assert!(e.contains("byte offset 6"), "{e}");
    assert_eq!(
        decode_utf8(b"\xef\xbb\xbfa: 1".to_vec(), "f").unwrap(),
        "a: 1"
    );
}

#[test]
fn file_loading_checks_size_before_reading() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.yaml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(MAX_FILE_BYTES + 1).unwrap(); // sparse: nothing is actually written or read
    let e = format!("{:#}", load_yaml_file(&big).unwrap_err());
    assert!(
        e.contains("over the 16 MiB limit") && e.contains("big.yaml"),
        "{e}"
    );

    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, b"a: \xfe\n").unwrap();
    let e = format!("{:#}", load_yaml_file(&bad).unwrap_err());
    assert!(
        e.contains("bad.yaml") && e.contains("not valid UTF-8"),
        "{e}"
    );

    let good = dir.path().join("good.yaml");
    std::fs::write(&good, "a: no\n").unwrap();
    let (v, _, w) = load_yaml_file(&good).unwrap();
    assert_eq!(v, json!({"a": false}));
    assert!(w[0].file.ends_with("good.yaml"));

    let e = format!(
        "{:#}",
        load_yaml_file(&dir.path().join("missing.yaml")).unwrap_err()
    );
    assert!(
        e.contains("failed to read values file") && e.contains("missing.yaml"),
        "{e}"
    );
}

#[test]
fn deep_and_wide_stays_cheap() {
    // Positions are a tree, so 400k items 900 levels down cost 400k entries, not 400k × 900.
    let src = format!("a:\n  {}[{}]\n", "- ".repeat(900), "1,".repeat(400_000));
    let (_, pos, _) = parse(&src).unwrap();
    let deep: String = format!("a{}[399999]", "[0]".repeat(900));
    assert_eq!(pos.get_str(&deep).map(|(l, _)| l), Some(2));
    // one entry per item and level (plus the root), never one per item per level
    assert!(pos.len() <= 400_000 + 900 + 2, "{} positions", pos.len());
}

#[test]
fn aliases_of_large_strings_are_bounded_by_bytes() {
    // 1 MiB string repeated by 1000 aliases: few nodes, a gigabyte of text
    let big = "x".repeat(1024 * 1024);
    let mut src = format!("big: &b \"{big}\"\nlist:\n");
    for _ in 0..1000 {
        src.push_str("  - *b\n");
    }
    let started = std::time::Instant::now();
    let e = err(&src);
    assert!(
        e.contains("expands to more than 64 MiB of text") && e.contains("--max-values"),
        "{e}"
    );
    assert!(!e.contains("xxxx"), "{e}");
    assert!(started.elapsed().as_secs() < 5);
    // the same value a few times is fine
    let mut ok = format!("big: &b \"{big}\"\nlist:\n");
    for _ in 0..10 {
        ok.push_str("  - *b\n");
    }
    assert!(parse(&ok).is_ok());
}
