//! Tests for the text filters, rendered through a test environment.

use crate::render::filters::testenv::{env_with, render, render_err};
use crate::render::filters::FilterOptions;
use minijinja::context;
use minijinja::value::Value;

#[test]
fn string_uses_formatter_rules() {
    let ctx =
        context! { t => true, n => (), f => 2.0, l => vec![Value::from(1), Value::from(false)] };
    let out = render(
        "{{ t | string }}|{{ n | string }}|{{ f | string }}|{{ l | string }}",
        ctx,
    )
    .unwrap();
    assert_eq!(out, "true||2.0|[1,false]");
    assert_eq!(
        render("{{ (true | string) ~ '!' }}", context! {}).unwrap(),
        "true!"
    );
    let err = render_err("{{ missing | string }}", context! {});
    assert!(err.contains("string: the value is undefined"), "{err}");
    let lenient = env_with(FilterOptions {
        lenient: true,
        rng_seed: None,
    });
    assert_eq!(
        lenient
            .render_str("[{{ missing | string }}]", context! {})
            .unwrap(),
        "[]"
    );
}

#[test]
fn default_replaces_undefined_and_none_only() {
    let ctx = context! { n => (), e => "", z => 0, f => false, v => "x" };
    let src = "{{ missing | default('D') }} {{ n | default('D') }} [{{ e | default('D') }}] \
               {{ z | default('D') }} {{ f | default('D') }} {{ v | default('D') }} [{{ n | default }}]";
    assert_eq!(render(src, ctx.clone()).unwrap(), "D D [] 0 false x []");
    assert_eq!(
        render("{{ values.a.b.c | default(5) }}", ctx.clone()).unwrap(),
        "5"
    );
    // A none fallback stays none.
    assert_eq!(
        render("{{ missing | default(none) is none }}", ctx.clone()).unwrap(),
        "true"
    );
}

#[test]
fn default_boolean_replaces_falsy() {
    let ctx = context! { e => "", z => 0, f => false, l => Vec::<i32>::new(), v => "x" };
    let src = "{{ e | default('D', true) }} {{ z | default('D', boolean=true) }} {{ f | default('D', true) }} \
               {{ l | default('D', true) }} {{ v | default('D', true) }}";
    assert_eq!(render(src, ctx.clone()).unwrap(), "D D D D x");
    let err = render_err("{{ e | default('D', 'yes') }}", ctx.clone());
    assert!(
        err.contains("default: `boolean` must be true or false"),
        "{err}"
    );
    let err = render_err("{{ e | default('D', true, boolean=true) }}", ctx);
    assert!(err.contains("given twice"), "{err}");
}

#[test]
fn required_rejects_missing_values() {
    let ctx = context! { n => (), e => "", z => 0, f => false, v => "x" };
    assert_eq!(
        render(
            "{{ z | required }} {{ f | required }} {{ v | required('msg') }}",
            ctx.clone()
        )
        .unwrap(),
        "0 false x"
    );
    let err = render_err(
        "{{ values.image.tag | required('image.tag is required') }}",
        ctx.clone(),
    );
    assert!(err.contains("image.tag is required"), "{err}");
    let err = render_err("{{ n | required }}", ctx.clone());
    assert!(
        err.contains("required: a value is required here, got none"),
        "{err}"
    );
    let err = render_err("{{ e | required }}", ctx.clone());
    assert!(err.contains("got an empty string"), "{err}");
    let err = render_err("{{ missing | required }}", ctx);
    assert!(err.contains("got an undefined value"), "{err}");
}

#[test]
fn fail_raises_its_message() {
    let err = render_err(
        "{% if true %}{{ fail('storage class ' ~ 'x' ~ ' is not supported') }}{% endif %}",
        context! {},
    );
    assert!(err.contains("storage class x is not supported"), "{err}");
}

#[test]
fn nindent_matches_helm() {
    let ctx = context! { s => "a: 1\n\nb:\n  c: 2\n" };
    assert_eq!(
        render("x:{{ s | nindent(2) }}", ctx.clone()).unwrap(),
        "x:\n  a: 1\n\n  b:\n    c: 2"
    );
    assert_eq!(
        render("[{{ '' | nindent(4) }}]", ctx.clone()).unwrap(),
        "[\n]"
    );
    assert_eq!(
        render("{{ 'a' | nindent(0) }}", ctx.clone()).unwrap(),
        "\na"
    );
    let err = render_err("{{ s | nindent(-2) }}", ctx.clone());
    assert!(
        err.contains("nindent: the width must be between 0 and 1024, got -2"),
        "{err}"
    );
    let err = render_err("{{ s | nindent(100000000) }}", ctx.clone());
    assert!(err.contains("nindent: the width must be between"), "{err}");
    let err = render_err("{{ s | nindent('2') }}", ctx.clone());
    assert!(
        err.contains("nindent: the width must be an integer, got a string of 1 character"),
        "{err}"
    );
    let err = render_err("{{ nope | nindent(2) }}", ctx);
    assert!(err.contains("nindent: the value is undefined"), "{err}");
}

#[test]
fn indent_keeps_jinja_semantics() {
    let ctx = context! { s => "a\n\nb\n" };
    assert_eq!(
        render("[{{ s | indent(2) }}]", ctx.clone()).unwrap(),
        "[a\n\n  b]"
    );
    assert_eq!(
        render("[{{ s | indent(2, true) }}]", ctx.clone()).unwrap(),
        "[  a\n\n  b]"
    );
    assert_eq!(
        render("[{{ s | indent(2, true, true) }}]", ctx.clone()).unwrap(),
        "[  a\n  \n  b]"
    );
    assert_eq!(
        render("[{{ s | indent(width=1, first=true) }}]", ctx.clone()).unwrap(),
        "[ a\n\n b]"
    );
    assert_eq!(
        render("[{{ s | indent }}]", ctx.clone()).unwrap(),
        "[a\n\n    b]"
    );
    assert_eq!(
        render("[{{ true | indent(2, true) }}]", ctx.clone()).unwrap(),
        "[  true]"
    );
    let err = render_err("{{ s | indent(-1) }}", ctx.clone());
    assert!(
        err.contains("indent: the width must be between 0 and 1024, got -1"),
        "{err}"
    );
    let err = render_err("{{ s | indent(2, bogus=true) }}", ctx);
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn quote_and_squote() {
    let ctx = context! { s => "say \"hi\"\n\\", n => (), t => true, i => 8080, a => "it's" };
    let out = render(
        "{{ s | quote }} {{ n | quote }} {{ missing | quote }} {{ t | quote }} {{ i | quote }}",
        ctx.clone(),
    );
    assert_eq!(out.unwrap(), r#""say \"hi\"\n\\" "" "" "true" "8080""#);
    assert_eq!(
        render(
            "{{ a | squote }} {{ i | squote }} {{ n | squote }}",
            ctx.clone()
        )
        .unwrap(),
        "'it''s' '8080' ''"
    );
    // Multi-line or control characters fall back to double quotes.
    assert_eq!(
        render("{{ s | squote }}", ctx).unwrap(),
        r#""say \"hi\"\n\\""#
    );
    assert_eq!(
        render("{{ 'a\tb\u{7}' | quote }}", context! {}).unwrap(),
        r#""a\tb\u0007""#
    );
    // The quoted text reads back as the same string in YAML.
    let out = render("{{ 'on: #x\u{2028}' | quote }}", context! {}).unwrap();
    assert_eq!(
        serde_yaml::from_str::<String>(&out).unwrap(),
        "on: #x\u{2028}"
    );
}

#[test]
fn trunc_counts_characters() {
    let ctx = context! { s => "héllo-wörld" };
    assert_eq!(render("{{ s | trunc(5) }}", ctx.clone()).unwrap(), "héllo");
    assert_eq!(render("{{ s | trunc(-5) }}", ctx.clone()).unwrap(), "wörld");
    assert_eq!(
        render("{{ s | trunc(100) }}|{{ s | trunc(-100) }}", ctx.clone()).unwrap(),
        "héllo-wörld|héllo-wörld"
    );
    assert_eq!(render("[{{ s | trunc(0) }}]", ctx.clone()).unwrap(), "[]");
    assert_eq!(
        render("{{ s | trunc(9223372036854775807) }}", ctx.clone()).unwrap(),
        "héllo-wörld"
    );
    assert_eq!(
        render("{{ s | trunc(-9223372036854775808) }}", ctx.clone()).unwrap(),
        "héllo-wörld"
    );
    let err = render_err("{{ s | trunc(2.5) }}", ctx);
    assert!(
        err.contains("trunc: the length must be an integer"),
        "{err}"
    );
}

#[test]
fn trim_prefix_and_suffix_once() {
    let ctx = context! { s => "--name--" };
    assert_eq!(
        render(
            "{{ s | trimprefix('-') }}|{{ s | trimsuffix('-') }}",
            ctx.clone()
        )
        .unwrap(),
        "-name--|--name-"
    );
    assert_eq!(
        render(
            "{{ s | trimprefix('x') }}|{{ s | trimsuffix('') }}",
            ctx.clone()
        )
        .unwrap(),
        "--name--|--name--"
    );
    assert_eq!(
        render(
            "{{ ('my-release-' ~ 'x' * 60) | trunc(63) | trimsuffix('-') | length }}",
            ctx
        )
        .unwrap(),
        "63"
    );
}

#[test]
fn indent_refuses_huge_output() {
    let err = render_err("{{ ('a\n' * 1000000) | nindent(1000) }}", context! {});
    assert!(
        err.contains("nindent: the indented text would be larger than 256 MiB"),
        "{err}"
    );
}
