use super::{read, skim};

/// The general way, as `parse_document` takes it when the quick reader gives up.
fn general(text: &str) -> Option<serde_json::Value> {
    let y: serde_yaml::Value = serde_yaml::from_str(text).ok()?;
    serde_json::to_value(&y).ok()
}

/// Documents the quick reader must read, and read as the general reader does.
const READ: &[&str] = &[
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels:\n    app: x\ndata:\n  x: \"1\"\n",
    "a: 1\nb: -2\nc: 0\nd: true\ne: ~\nf: null\ng: False\nh:\ni: NULL\nj: 123456789012345678\n",
    "image: \"registry.example.com/app:1.2\"\npolicy: IfNotPresent\ncpu: 100m\nmemory: 128Mi\nurl: http://x:80/a#b\n",
    "list:\n  - a\n  - 2\n  - \"three\"\n  - 'fo''ur'\nempty: []\nnone: {}\n",
    "list:\n- a\n- b\nnext: 1\n",
    "items:\n  - name: a\n    value: \"1\"\n  - name: b\n    ports:\n    - 80\n    - 443\n  -\n    name: c\n",
    "nested:\n  - - a\n    - b\n  - - c\n",
    "# a comment\n\nkey: value # trailing\n  # indented comment\nother: 'x' # c\nq: \"a\\\"b\\\\c\\n\"\n",
    "script: |\n  line one\n    indented\n\n  line three\nnext: 1\n",
    "script: |-\n  no newline\nafter: |\n\n  leading blank\n",
    "- |\n  in a list\n- plain\n",
    "\"quoted key\": 1\n'single key': 2\nhelm.sh/hook: pre-install\n\"app.kubernetes.io/name\": x\n",
    "yes: no\non: off\ny: n\n<<: merge\n",
    "unicode: \"héllo wörld\"\nplain: ünïcode\n",
    "  indented: top\n  second: 2\n",
    "a:\n  b:\n    c:\n      d: deep\n  e: back\n",
    "hash: a#b\ncolon: a:b\nquote: it's\nbrackets: a[0]\n",
    "a: |\n  \n    x\n",
    "v: 1.2.3-rc1x\nw: 10Gi\nx: 0.5cpu\ny: 3s\nz: 1-a\n",
];

/// Documents the quick reader must leave to the general reader.
const GIVE_UP: &[&str] = &[
    "a: 1\na: 2\n",
    "1: a\n",
    "true: a\n",
    "~: a\n",
    "a: !custom x\n",
    "a: &x 1\nb: *x\n",
    "a: [1, 2]\n",
    "a: {b: c}\n",
    "a: >\n  folded\n",
    "a: |+\n  keep\n\n",
    "a: |2\n   indicator\n",
    "a: 1.5\n",
    "a: 0x1F\n",
    "a: 0o17\n",
    "a: 012\n",
    "a: +1\n",
    "a: -.inf\n",
    "a: .nan\n",
    "a: 1e3\n",
    "a: 2024-01-01\n",
    "a: 0x1Fz\n",
    "a: 18446744073709551616\n",
    "a: multi\n  line\n",
    "a: \"multi\n  line\"\n",
    "a: \"\\x41\"\n",
    "a:\tb\n",
    "a: b\r\n",
    "\u{feff}a: b\n",
    "a: b: c\n",
    "a: - b\n",
    "a: [1, 2\n",
    "just a scalar\n",
    "~\n",
    "# only a comment\n",
    "a:\n    b: 1\n  c: 2\n",
    "- a\nb: 1\n",
    "%YAML 1.2\na: b\n",
    "a: b\n...\n",
    "? complex\n: key\n",
    "key : spaced\n",
    "a: \"x\"y\n",
];

/// What [`skim`] builds of a document [`read`] reads whole: a mapping's `apiVersion`, `kind` and
/// `metadata` (of a mapping there, `name`, `namespace`, `generateName` and `annotations`); anything else
/// (a top-level sequence) whole.
fn head_of(whole: serde_json::Value) -> serde_json::Value {
    match whole {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(k, _)| matches!(k.as_str(), "apiVersion" | "kind" | "metadata"))
                .map(|(k, v)| match (k.as_str(), v) {
                    ("metadata", serde_json::Value::Object(meta)) => (
                        k,
                        serde_json::Value::Object(
                            meta.into_iter()
                                .filter(|(k, _)| {
                                    matches!(
                                        k.as_str(),
                                        "name" | "namespace" | "generateName" | "annotations"
                                    )
                                })
                                .collect(),
                        ),
                    ),
                    (_, v) => (k, v),
                })
                .collect(),
        ),
        other => other,
    }
}

#[test]
fn reads_the_common_subset_as_the_general_reader_does() {
    for text in READ {
        let quick = read(text).unwrap_or_else(|_| panic!("gave up on {text:?}"));
        assert_eq!(Some(quick.clone()), general(text), "{text:?}");
        assert_eq!(skim(text).ok(), Some(head_of(quick)), "skim of {text:?}");
    }
}

#[test]
fn gives_up_on_everything_else() {
    for text in GIVE_UP.iter().chain(SKIM_GIVES_UP) {
        assert!(read(text).is_err(), "read {text:?} as {:?}", read(text));
        assert!(skim(text).is_err(), "skimmed {text:?} as {:?}", skim(text));
    }
}

/// Faults in the parts a skim checks but does not build.
const SKIM_GIVES_UP: &[&str] = &[
    "kind: A\nspec:\n  a: 1\n  a: 2\n",
    "kind: A\nspec: 1\nspec: 2\n",
    "kind: A\ndata:\n  k01: a\n  k02: a\n  k03: a\n  k04: a\n  k05: a\n  k06: a\n  k07: a\n  k08: a\n  k09: a\n  k10: a\n  k11: a\n  k12: a\n  k13: a\n  k14: a\n  k15: a\n  k16: a\n  k17: a\n  k18: a\n  k03: b\n",
    "kind: A\nspec:\n  x: 1.5\n",
    "kind: A\nspec:\n  - \"unterminated\n",
    "kind: A\nspec:\n  s: 'a'b\n",
    "kind: A\nspec:\n  s: |\n  under\n",
    "kind: A\nspec:\n  s: {a: b}\n",
];

/// Every reading it does return equals the general reader's: documents built from random pieces.
#[test]
fn never_disagrees_with_the_general_reader() {
    let keys = [
        "a",
        "b",
        "c:d",
        "\"q\"",
        "'s'",
        "1",
        "x y",
        "-k",
        "#c",
        "kind",
        "metadata",
        "spec",
        "name",
        "labels",
        "annotations",
        "namespace",
    ];
    let values = [
        "",
        "1",
        "-1",
        "01",
        "1.5",
        "x",
        "\"s\"",
        "'t'",
        "[]",
        "{}",
        "[1]",
        "|",
        "|-",
        "~",
        "true",
        "a: b",
        "- x",
        "x # c",
        "\"a\\nb\"",
        "&a x",
        "*a",
        "!t x",
        "100m",
        "'it''s'",
        "\"a\\\"b\"",
        "\"a'b\"",
        "caf\u{e9}",
        "a\tb",
        "b\r",
        "x\u{2028}y",
        "s  ",
    ];
    let mut next = super::super::picker(0x9e37_79b9_7f4a_7c15);
    let mut read_some = 0;
    for _ in 0..20_000 {
        let mut doc = String::new();
        for _ in 0..1 + next(5) {
            let indent = " ".repeat(2 * next(3));
            let item = if next(3) == 0 { "- " } else { "" };
            let key = keys[next(keys.len())];
            let value = values[next(values.len())];
            let sep = if value.is_empty() { ":" } else { ": " };
            doc.push_str(&format!("{indent}{item}{key}{sep}{value}\n"));
            if next(4) == 0 {
                doc.push_str(&format!("{indent}  body {}\n", next(9)));
            }
        }
        assert_eq!(read(&doc).is_ok(), skim(&doc).is_ok(), "{doc:?}");
        if let Ok(quick) = read(&doc) {
            read_some += 1;
            assert_eq!(Some(quick.clone()), general(&doc), "{doc:?}");
            assert_eq!(skim(&doc).ok(), Some(head_of(quick)), "{doc:?}");
        }
    }
    assert!(read_some > 1000, "only {read_some} documents were read");
}

/// Lines are cut as `split('\n')` cuts them, with their leading spaces counted, and refused exactly when
/// the text holds a character the reader does not take.
#[test]
fn lines_are_cut_and_checked_in_one_pass_as_in_two() {
    for text in [
        "",
        "\n",
        "a: 1",
        "a: 1\n",
        "  a: 1\n\n   \n  - b\n",
        "   ",
        "k: caf\u{e9}\n  x: \u{1f600}\n",
        "a:\tb\n",
        "a: b\r\n",
        "a: \u{feff}\n",
        "a: \u{7f}\n",
        "a: \u{2028}\n",
        "a: \u{85}\n",
    ] {
        let lines = super::lines_of(text);
        assert_eq!(lines.is_some(), super::plain_chars(text), "{text:?}");
        if let Some(lines) = lines {
            let raw: Vec<&str> = lines.iter().map(|l| l.raw).collect();
            assert_eq!(raw, text.split('\n').collect::<Vec<_>>(), "{text:?}");
            for l in &lines {
                assert_eq!(l.indent, l.raw.len() - l.raw.trim_start_matches(' ').len());
            }
        }
    }
}
