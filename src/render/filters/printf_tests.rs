//! Tests for `printf`, directly and through templates.

use super::sprintf;
use crate::render::filters::testenv::{render, render_err};
use minijinja::context;
use minijinja::value::{Serde, Value};

fn f(fmt: &str, args: &[Value]) -> String {
    sprintf(fmt, args, false).unwrap_or_else(|err| panic!("{fmt:?}: {err}"))
}

fn v<T: Into<Value>>(x: T) -> Value {
    x.into()
}

#[test]
fn strings_and_values() {
    assert_eq!(f("%s-%s", &[v("rel"), v("chart")]), "rel-chart");
    assert_eq!(f("%s", &[v(true)]), "true");
    assert_eq!(f("[%s]", &[v(())]), "[]");
    assert_eq!(f("%v", &[v(vec![1, 2])]), "[1,2]");
    assert_eq!(
        f(
            "%v",
            &[Value::from(Serde(serde_json::json!({"b": 1, "a": "x"})))]
        ),
        r#"{"a":"x","b":1}"#
    );
    assert_eq!(f("%v", &[v(1.5)]), "1.5");
    assert_eq!(
        f("%.3s|%5s|%-5s|", &[v("abcdef"), v("ab"), v("ab")]),
        "abc|   ab|ab   |"
    );
    assert_eq!(f("%5s|", &[v("héé")]), "  héé|");
    assert_eq!(f("100%% %s", &[v("done")]), "100% done");
}

#[test]
fn integers() {
    assert_eq!(f("%d", &[v(42)]), "42");
    assert_eq!(f("%d", &[v(-42)]), "-42");
    assert_eq!(
        f(
            "%5d|%-5d|%05d|%+d|% d",
            &[v(42), v(42), v(-42), v(42), v(42)]
        ),
        "   42|42   |-0042|+42| 42"
    );
    assert_eq!(f("%.4d|%8.4d", &[v(7), v(7)]), "0007|    0007");
    assert_eq!(f("%d", &[v(80.0)]), "80");
    assert_eq!(f("%d", &[v(u64::MAX)]), "18446744073709551615");
    assert_eq!(
        f("%x|%X|%#x|%08x", &[v(255), v(255), v(255), v(255)]),
        "ff|FF|0xff|000000ff"
    );
    assert_eq!(f("%x", &[v(-255)]), "-ff");
    assert_eq!(f("%o|%#o|%b", &[v(8), v(8), v(5)]), "10|010|101");
    assert_eq!(f("%x", &[v("hi")]), "6869");
    assert_eq!(f("%*d|%-*d|", &[v(4), v(7), v(3), v(7)]), "   7|7  |");
}

#[test]
fn floats_and_bools() {
    assert_eq!(f("%f", &[v(1.234567)]), "1.234567");
    assert_eq!(
        f(
            "%.2f|%8.3f|%-8.1f|%08.2f",
            &[v(2.675), v(1.0), v(-1.25), v(-3.5)]
        ),
        "2.67|   1.000|-1.2    |-0003.50"
    );
    assert_eq!(f("%.0f|%+.1f", &[v(2.5), v(2)]), "2|+2.0");
    assert_eq!(
        f(
            "%f|%f|%5f",
            &[v(f64::NAN), v(f64::NEG_INFINITY), v(f64::INFINITY)]
        ),
        "NaN|-Inf| +Inf"
    );
    assert_eq!(f("%t %t", &[v(true), v(false)]), "true false");
}

#[test]
fn go_quoting() {
    assert_eq!(
        f("%q", &[v("a\"b\\c\n\t\u{7}\u{1}é\u{200b}")]),
        r#""a\"b\\c\n\t\a\x01é\u200b""#
    );
    assert_eq!(f("%q", &[v(5)]), r#""5""#);
    assert_eq!(f("%10q|", &[v("x")]), r#"       "x"|"#);
}

#[test]
fn errors_instead_of_garbage() {
    let err = |fmt: &str, args: &[Value]| sprintf(fmt, args, false).unwrap_err().to_string();
    assert!(err("%s %s", &[v("a")]).contains("printf: %s needs argument 2 but only 1 were given"));
    assert!(err("%s", &[v("a"), v("b")]).contains("uses 1 arguments but 2 were given"));
    assert!(err("%d", &[v("12")])
        .contains("printf: %d needs an integer, but argument 1 is a string of 2 characters"));
    assert!(err("%d", &[v(1.5)]).contains("%d needs an integer"));
    assert!(err("%t", &[v(1)]).contains("%t needs a boolean"));
    assert!(err("%f", &[v("x")]).contains("%f needs a number"));
    assert!(err("%y", &[v(1)]).contains("unsupported verb %y"));
    assert!(err("abc %", &[]).contains("ends in the middle of a verb"));
    assert!(err("%99999999d", &[v(1)]).contains("larger than 10000"));
    assert!(err("%s", &[Value::UNDEFINED]).contains("argument 1 is undefined"));
    assert!(err("%*d", &[v(-1), v(1)]).contains("must be a non-negative integer"));
    assert_eq!(sprintf("[%s]", &[Value::UNDEFINED], true).unwrap(), "[]");
}

#[test]
fn printf_in_templates() {
    let ctx = context! { release => context! { name => "web" }, port => 8080 };
    let out = render(
        "{{ printf('%s-%s:%d', release.name, 'api', port) }}",
        ctx.clone(),
    )
    .unwrap();
    assert_eq!(out, "web-api:8080");
    let err = render_err("{{ printf('%d', release.name) }}", ctx);
    assert!(err.contains("printf: %d needs an integer"), "{err}");
}
