//! `--set*` parsing: never a panic, simple assignments round-trip, and no error echoes a value.

use proptest::prelude::*;
use std::path::Path;
use tack::values::{parse_set, PathSeg, SetArg, SetKind, Values};

const KINDS: [SetKind; 4] = [
    SetKind::Set,
    SetKind::String,
    SetKind::Json,
    SetKind::Literal,
];

/// Characters the grammar gives meaning to, mixed with plain ones.
fn grammar_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('.'),
            Just(','),
            Just('='),
            Just('['),
            Just(']'),
            Just('{'),
            Just('}'),
            Just('\\'),
            Just('"'),
            Just('-'),
            Just(' '),
            prop::char::range('a', 'c'),
            prop::char::range('0', '9'),
            any::<char>(),
        ],
        0..48,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// `s` with the characters that end or escape a key written as `\x`.
fn escape_key(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if matches!(c, '\\' | '.' | ',' | '=' | '[') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `s` as a `--set` value: `\` and `,` escaped, and a leading `{` (which would start a list).
fn escape_value(s: &str) -> String {
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if matches!(c, '\\' | ',') || (i == 0 && c == '{') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

proptest! {
    #![proptest_config(crate::config(256))]

    #[test]
    fn parsing_never_panics(kind in 0..KINDS.len(), expr in prop_oneof![grammar_text(), any::<String>()]) {
        let _ = parse_set(&SetArg::new(KINDS[kind], expr), Path::new("."));
    }

    #[test]
    fn rendered_assignments_parse_back(
        entries in proptest::collection::vec(
            (proptest::collection::vec("[^\\x00]{1,8}", 1..4), any::<String>()),
            1..5,
        )
    ) {
        let expr: Vec<String> = entries
            .iter()
            .map(|(keys, value)| {
                let keys: Vec<String> = keys.iter().map(|k| escape_key(k)).collect();
                format!("{}={}", keys.join("."), escape_value(value))
            })
            .collect();
        let expr = expr.join(",");
        let parsed = parse_set(&SetArg::new(SetKind::String, expr.as_str()), Path::new("."))
            .map_err(|e| TestCaseError::fail(format!("{expr:?}: {e:#}")))?;
        prop_assert_eq!(parsed.len(), entries.len(), "{:?}", expr);
        for (a, (keys, value)) in parsed.iter().zip(&entries) {
            let want: Vec<PathSeg> = keys.iter().map(|k| PathSeg::Key(k.clone())).collect();
            prop_assert_eq!(&a.path, &want);
            prop_assert_eq!(&a.value, &Values::String(value.clone()));
        }
    }

    #[test]
    fn typed_values_round_trip(key in "[a-z][a-z0-9_]{0,8}", n in any::<i64>(), b in any::<bool>()) {
        let expr = format!("{key}.n={n},{key}.b={b}");
        let parsed = parse_set(&SetArg::new(SetKind::Set, expr.as_str()), Path::new(".")).unwrap();
        prop_assert_eq!(&parsed[0].value, &Values::from(n));
        prop_assert_eq!(&parsed[1].value, &Values::Bool(b));
    }

    #[test]
    fn errors_never_echo_a_value(
        kind in 0..KINDS.len(),
        key in "[a-z]{1,6}(\\.[a-z]{1,6}){0,2}",
        secret in "[A-Za-z0-9]{10,16}",
        tail in grammar_text(),
    ) {
        let marker = format!("Zq{secret}");
        let expr = format!("{key}={marker}{tail}");
        if let Err(e) = parse_set(&SetArg::new(KINDS[kind], expr.as_str()), Path::new(".")) {
            let text = format!("{e:#}");
            prop_assert!(!text.contains(&marker), "{:?} echoed its value:\n{}", expr, text);
        }
    }
}
