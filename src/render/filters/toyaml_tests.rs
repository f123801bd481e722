//! Tests for `toyaml`, `fromyaml` and `fromjson`: exact layout, quoting, and round trips.

use super::*;
use crate::render::filters::testenv::{render, render_err};
use minijinja::context;

/// Strings that are easy to get wrong in YAML.
const TRICKY: &[&str] = &[
    "",
    " ",
    "  lead",
    "trail  ",
    "yes",
    "no",
    "on",
    "off",
    "y",
    "n",
    "Y",
    "N",
    "Yes",
    "NO",
    "On",
    "OFF",
    "~",
    "null",
    "Null",
    "NULL",
    "true",
    "False",
    "TRUE",
    "0",
    "00",
    "0777",
    "0o7",
    "0x1F",
    "0b1",
    "1_000",
    "1e3",
    "1E3",
    "1e-3",
    ".5",
    "1.",
    "1.0",
    "1.10",
    "+1",
    "-1",
    ".inf",
    "-.inf",
    "+.INF",
    ".NaN",
    ".nan",
    "1:30",
    "190:20:30.15",
    "12:00",
    "685.230_15e+03",
    "685_230.15",
    "6.8523015e+5",
    "2001-12-14",
    "2001-12-14T21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5",
    "=",
    "<<",
    "- a",
    "-",
    "--",
    "?",
    "? x",
    ":",
    ": x",
    "a:",
    "a: b",
    "a #b",
    "a#b",
    "#x",
    "a\tb",
    "tab\t",
    "&anchor",
    "*alias",
    "!tag",
    "!!str",
    "|",
    "|-",
    ">",
    "'",
    "\"",
    "''",
    "'quoted'",
    "\"dq\"",
    "%TAG",
    "@at",
    "`bt",
    "{a: 1}",
    "[1, 2]",
    "a,b",
    "a, b",
    "---",
    "...",
    "--- x",
    "... x",
    "\\",
    "back\\slash",
    "a\"b",
    "it's",
    "\u{a0}nbsp",
    "x\u{a0}",
    "ünïcødé",
    "emoji 🎉",
    "http://x.y/z?a=b&c=d#frag",
    "nginx:1.25",
    "1.2.3",
    "v1.2",
    "multi\nline",
    "multi\nline\n",
    "trailing\n\n",
    "trailing\n\n\n",
    "\n",
    "\n\n",
    "\nx",
    "\n\nx",
    " lead\nline",
    "line \nx",
    "x\n \ny",
    "a\r\nb",
    "a\rb",
    "ctrl\u{1}x",
    "bell\u{7}",
    "del\u{7f}",
    "nel\u{85}x",
    "ls\u{2028}x",
    "ps\u{2029}x",
    "bom\u{feff}x",
    "c1\u{9b}x",
    "key: value\nother: 2",
    "# comment\nx",
    "- item\n- item2",
    "x\n  indented more",
    "x\n\n\ny",
    "tabbed\n\tline",
    "--- \nx",
    "x\n---\ny",
    "x\n...\ny",
    "\"\n'",
];

fn yaml_of(value: Value) -> String {
    to_yaml(&value).unwrap()
}

/// Parses emitted YAML the way a template embeds it: followed by a newline.
fn parse(text: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&format!("{text}\n")).unwrap_or_else(|err| panic!("{text:?}: {err}"))
}

#[test]
fn tricky_strings_round_trip_alone_in_maps_and_lists() {
    for s in TRICKY {
        let alone = yaml_of(Value::from(*s));
        assert_eq!(
            parse(&alone),
            serde_yaml::Value::String(s.to_string()),
            "alone {s:?} -> {alone:?}"
        );
        let map = yaml_of(context! { k => *s, nested => context! { deeper => [*s] } });
        let back = parse(&map);
        assert_eq!(
            back["k"],
            serde_yaml::Value::String(s.to_string()),
            "map {s:?} -> {map:?}"
        );
        assert_eq!(
            back["nested"]["deeper"][0],
            serde_yaml::Value::String(s.to_string()),
            "{map:?}"
        );
        let as_key = yaml_of(Value::from(std::collections::BTreeMap::from([(
            Value::from(*s),
            Value::from(1),
        )])));
        let back = parse(&as_key);
        assert_eq!(
            back.get(*s),
            Some(&serde_yaml::Value::from(1)),
            "key {s:?} -> {as_key:?}"
        );
    }
}

#[test]
fn yaml_11_ambiguous_strings_are_quoted() {
    for s in [
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "~",
        "0777",
        "1:30",
        "2001-12-14",
        "=",
        "<<",
        "1_000",
    ] {
        let out = yaml_of(Value::from(s));
        assert!(
            out.starts_with('\'') || out.starts_with('"'),
            "{s:?} -> {out:?}"
        );
        // A YAML 1.2 reader sees the same string (yaml-rust2 as a second opinion).
        let docs = yaml_rust2::YamlLoader::load_from_str(&out).unwrap();
        assert_eq!(docs[0].as_str(), Some(s), "{out:?}");
    }
}

#[test]
fn helm_layout() {
    let value = context! {
        b => context! { z => 1, a => vec![
            Value::from("x"),
            context! { y => 1, k => 2 },
            Value::from(vec!["p", "q"]),
            Value::from(Vec::<i32>::new()),
            context! {},
        ] },
        a => Vec::<i32>::new(),
        e => context! {},
        s => "l1\nl2",
        t => "l1\n\nl3\n",
        n => (),
        f => 1.5,
        i => -3,
        yes => true,
    };
    let expected = "\
a: []
b:
  a:
  - x
  - k: 2
    'y': 1
  - - p
    - q
  - []
  - {}
  z: 1
e: {}
f: 1.5
i: -3
'n': null
s: |-
  l1
  l2
t: |
  l1

  l3
'yes': true";
    assert_eq!(yaml_of(value), expected);
}

#[test]
fn top_level_shapes() {
    assert_eq!(yaml_of(Value::from(vec![1, 2])), "- 1\n- 2");
    assert_eq!(
        yaml_of(Value::from(vec![vec![1], vec![2, 3]])),
        "- - 1\n- - 2\n  - 3"
    );
    assert_eq!(yaml_of(Value::from("a\nb")), "|-\n  a\n  b");
    assert_eq!(yaml_of(Value::from(())), "null");
    assert_eq!(yaml_of(Value::from(false)), "false");
    assert_eq!(yaml_of(Value::from(2.0)), "2.0");
    assert_eq!(yaml_of(Value::from(f64::NAN)), ".nan");
    assert_eq!(yaml_of(Value::from(u64::MAX)), "18446744073709551615");
    assert_eq!(yaml_of(Value::from(Vec::<i32>::new())), "[]");
    assert_eq!(yaml_of(context! {}), "{}");
    let list_of_literals = yaml_of(Value::from(vec!["a\nb", "c"]));
    assert_eq!(list_of_literals, "- |-\n  a\n  b\n- c");
}

#[test]
fn non_string_keys_and_long_keys() {
    let value = Value::from(std::collections::BTreeMap::from([
        (Value::from(1), Value::from("one")),
        (Value::from("1"), Value::from("string one")),
        (Value::from(2.5), Value::from("f")),
        (Value::from(()), Value::from("n")),
    ]));
    assert_eq!(yaml_of(value), "1: one\n'1': string one\n2.5: f\nnull: 'n'");
    let long = "k".repeat(1500);
    let out = yaml_of(
        context! { long => [1] }
            .get_attr("long")
            .map(|v| {
                Value::from(std::collections::BTreeMap::from([(
                    Value::from(long.as_str()),
                    v,
                )]))
            })
            .unwrap(),
    );
    assert!(out.starts_with("? kkk"), "{}", &out[..20]);
    assert_eq!(parse(&out)[long.as_str()][0], serde_yaml::Value::from(1));
}

#[test]
fn structures_round_trip() {
    let json = serde_json::json!({
        "on": [true, false, null, 0, -7, 1.25, 1e300, "1.0", "", {"deep": {"x": ["a\nb\n", "c: d"]}}],
        "empty": {"m": {}, "l": []},
        "ports": [{"name": "http", "port": 80}, {"name": "yes", "port": "80"}],
        "weird keys": {"": 1, "a: b": 2, "- x": 3, "multi\nline": 4, "#": 5},
    });
    let expected: serde_yaml::Value = serde_json::from_value(json.clone()).unwrap();
    let from_json = json_to_yaml(&json);
    assert_eq!(parse(&from_json), expected, "{from_json}");
    let from_value = yaml_of(Value::from(Serde(&json)));
    assert_eq!(from_value, from_json);
}

#[test]
fn no_wrapping_of_long_strings() {
    let long = "word ".repeat(100) + "end";
    let out = yaml_of(context! { k => long.clone() });
    assert_eq!(out, format!("k: {long}"));
}

#[test]
fn filter_errors() {
    let err = render_err("{{ nope | toyaml }}", context! {});
    assert!(err.contains("toyaml: value is undefined"), "{err}");
    let err = render_err("{{ {'a': {'b': [1, nope]}} | toyaml }}", context! {});
    assert!(
        err.contains("toyaml: value is undefined at .a.b[1]"),
        "{err}"
    );
    let err = render_err(
        "{{ b | toyaml }}",
        context! { b => Value::from_bytes(vec![1]) },
    );
    assert!(err.contains("b64encode"), "{err}");
}

#[test]
fn filter_in_template_with_nindent() {
    let ctx = context! { labels => context! { app => "web", tier => "on" } };
    let out = render(
        "metadata:\n  labels:\n    {{- labels | toyaml | nindent(4) }}\nx: 1",
        ctx,
    )
    .unwrap();
    assert_eq!(
        out,
        "metadata:\n  labels:\n    app: web\n    tier: 'on'\nx: 1"
    );
}

#[test]
fn fromyaml_and_fromjson() {
    let ctx =
        context! { y => "a: 1\nb: [x, 2.5, null]\nc: yes\n", j => r#"{"a": [1, {"b": true}]}"# };
    assert_eq!(
        render("{{ y | fromyaml }}", ctx.clone()).unwrap(),
        r#"{"a":1,"b":["x",2.5,null],"c":"yes"}"#
    );
    assert_eq!(
        render("{{ (y | fromyaml).b[0] }}", ctx.clone()).unwrap(),
        "x"
    );
    assert_eq!(
        render("{{ j | fromjson }}", ctx.clone()).unwrap(),
        r#"{"a":[1,{"b":true}]}"#
    );
    assert_eq!(
        render(
            "{{ (y | fromyaml | toyaml | fromyaml) == (y | fromyaml) }}",
            ctx
        )
        .unwrap(),
        "true"
    );
    assert_eq!(
        render("{{ '!!str 5' | fromyaml }}", context! {}).unwrap(),
        "5"
    );
    let err = render_err("{{ 'a: [' | fromyaml }}", context! {});
    assert!(err.contains("fromyaml: input is not valid YAML"), "{err}");
    let err = render_err("{{ 'a: 1\n---\nb: 2' | fromyaml }}", context! {});
    assert!(err.contains("fromyaml: input is not valid YAML"), "{err}");
    let err = render_err("{{ '{\"a\": }' | fromjson }}", context! {});
    assert!(err.contains("fromjson: input is not valid JSON"), "{err}");
}

#[test]
fn tojson_is_available() {
    let out = render("{{ {'b': [1, none], 'a': 'x'} | tojson }}", context! {}).unwrap();
    assert_eq!(out, r#"{"a": "x", "b": [1, null]}"#);
}
