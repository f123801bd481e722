//! Tests for how `--set*` parse errors show a flag: keys and positions, never a value.

use super::*;
use crate::values::{apply_set, SetArg, SetKind, Values};
use serde_json::json;
use std::path::Path;

fn run(kind: SetKind, expr: &str) -> anyhow::Result<Values> {
    let mut target = json!({});
    apply_set(&mut target, &SetArg::new(kind, expr), Path::new("."))?;
    Ok(target)
}

fn view<'a>(chars: &'a [char], values: &'a [(usize, usize)], entry: usize, state: State) -> String {
    FlagView {
        chars,
        values,
        entry,
        state,
    }
    .error("--set", chars.len(), "m", "")
    .to_string()
}

#[test]
fn values_and_unknown_text_are_masked() {
    let chars: Vec<char> = "a=secret,b=also,c".chars().collect();
    // `c` has no `=`: it may be the tail of `also,c`, so it is hidden
    let e = view(&chars, &[(2, 8), (11, 15)], 16, State::Key);
    assert!(e.contains("  --set a=…,b=…,…"), "{e}");
    assert!(!e.contains("secret") && !e.contains("also"), "{e}");
    assert_eq!(
        e.lines().nth(2).unwrap().find('^'),
        e.lines()
            .nth(1)
            .unwrap()
            .rfind('…')
            .map(|b| e.lines().nth(1).unwrap()[..b].chars().count()),
        "caret under the hidden entry: {e}"
    );
    let e = view(&chars, &[(2, 8)], 9, State::Value(11));
    assert!(e.contains("  --set a=…,b=…") && !e.contains("also"), "{e}");
    assert!(e.contains("at column 12"), "{e}");
}

#[test]
fn keys_are_visible_when_first_or_followed_by_equals() {
    let chars: Vec<char> = "a,b=1,c".chars().collect();
    assert!(key_visible(&chars, 0));
    assert!(key_visible(&chars, 2));
    assert!(!key_visible(&chars, 6));
    assert!(!key_visible(&chars, 99));
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
        let e = format!("{:#}", run(*kind, expr).unwrap_err());
        assert!(
            !e.contains("hunter2"),
            "{} {expr} leaked its value:\n{e}",
            kind.flag()
        );
        assert!(e.contains("hint:") || e.contains('^'), "{e}");
    }
    // The key is still shown, so the user can find the flag.
    let e = run(SetKind::Set, "db.password=hunter2,db.port[x]=1")
        .unwrap_err()
        .to_string();
    assert!(e.contains("db.password=…,db.port[x]"), "{e}");
    assert!(e.contains("at column 29"), "{e}");
}

#[test]
fn the_documented_error_shape() {
    // docs/values.md shows this error; keep the two in step
    let e = run(SetKind::Set, "db.password=hunter2,a[99999999]=x")
        .unwrap_err()
        .to_string();
    let want = "invalid --set at column 23: list index 99999999 is over the limit of 65536\n  --set db.password=…,a[99999999]=…\n                        ^\n\nhint: list indices this large are refused to keep memory bounded";
    assert_eq!(e, want);
}
