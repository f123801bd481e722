//! Every filter and function against odd inputs and arguments: each call must return a value or
//! an error naming the filter, never panic.

use crate::render::filters::testenv::env;
use minijinja::context;
use minijinja::value::Value;

const FILTERS: &[&str] = &[
    "string",
    "default",
    "required",
    "nindent",
    "indent",
    "quote",
    "squote",
    "trunc",
    "trimprefix",
    "trimsuffix",
    "toyaml",
    "fromyaml",
    "fromjson",
    "b64encode",
    "b64decode",
    "b64enc",
    "b64dec",
    "sha256",
    "sha256sum",
    "sha1",
    "merge",
    "merge_overwrite",
    "pick",
    "omit",
    "regex_match",
    "regex_find",
    "regex_findall",
    "regex_replace",
    "regex_split",
];

const FUNCTIONS: &[&str] = &[
    "printf",
    "fail",
    "semver_compare",
    "rand_alphanum",
    "rand_alpha",
    "rand_numeric",
    "rand_ascii",
    "uuidv4",
    "gen_private_key",
    "gen_ca",
    "gen_self_signed_cert",
    "gen_signed_cert",
];

const ARGS: &[&str] = &[
    "",
    "0",
    "-1",
    "99999999999",
    "2.5",
    "'x'",
    "none",
    "missing",
    "[1, 'a']",
    "{}",
    "'(', '$1'",
    "1, 2, 3",
    "true, true",
    "b",
    "'%d %s %'",
    "'>=1.2-0 || <x'",
    "nan",
    "inf",
    "boolean=true",
];

fn inputs() -> Vec<(&'static str, Value)> {
    vec![
        ("missing", Value::UNDEFINED),
        ("none", Value::from(())),
        ("true", Value::from(true)),
        ("three", Value::from(3)),
        ("int_min", Value::from(i64::MIN)),
        ("u64_max", Value::from(u64::MAX)),
        ("float", Value::from(1.5)),
        ("nan", Value::from(f64::NAN)),
        ("inf", Value::from(f64::INFINITY)),
        ("empty", Value::from("")),
        ("text", Value::from("a: b\n\tc\u{0}\u{2028}é")),
        ("b", Value::from_bytes(vec![0xff, 0, 1])),
        (
            "list",
            Value::from(vec![Value::from(1), Value::UNDEFINED, Value::from(())]),
        ),
        ("map", context! { a => context! { b => [1, 2] }, c => () }),
    ]
}

fn ctx() -> Value {
    let mut map = std::collections::BTreeMap::new();
    for (name, value) in inputs() {
        map.insert(Value::from(name), value);
    }
    map.insert(Value::from("nan"), Value::from(f64::NAN));
    map.insert(Value::from("inf"), Value::from(f64::INFINITY));
    Value::from(map)
}

/// Render `src`; an error must name `name` and not be minijinja's "unknown filter/function" (which
/// would mean the name is not registered). Returns whether it rendered.
fn check(env: &minijinja::Environment<'_>, ctx: &Value, name: &str, src: &str) -> bool {
    match env.render_str(src, ctx.clone()) {
        Ok(_) => true,
        Err(err) => {
            let text = format!("{err:#}");
            assert!(
                text.contains(name),
                "`{src}` failed without naming `{name}`: {text}"
            );
            assert!(
                !matches!(
                    err.kind(),
                    minijinja::ErrorKind::UnknownFilter | minijinja::ErrorKind::UnknownFunction
                ),
                "`{name}` is not registered: {text}"
            );
            false
        }
    }
}

#[test]
fn filters_never_panic_and_their_errors_name_them() {
    let env = env();
    let ctx = ctx();
    let mut failed = 0;
    for filter in FILTERS {
        let mut rendered = 0;
        for (input, _) in inputs() {
            for args in ARGS {
                let src = format!("{{{{ {input} | {filter}({args}) }}}}");
                if check(&env, &ctx, filter, &src) {
                    rendered += 1;
                } else {
                    failed += 1;
                }
            }
        }
        assert!(
            rendered > 0,
            "`{filter}` never rendered: the inputs no longer exercise it"
        );
    }
    assert!(failed > 0, "no call failed: the odd inputs are not odd");
}

#[test]
fn functions_never_panic_and_their_errors_name_them() {
    let env = env();
    let ctx = ctx();
    for function in FUNCTIONS {
        let mut rendered = 0;
        for (input, _) in inputs() {
            for args in ARGS {
                let sep = if args.is_empty() { "" } else { ", " };
                let src = format!("{{{{ {function}({input}{sep}{args}) }}}}");
                rendered += usize::from(check(&env, &ctx, function, &src));
            }
        }
        rendered += usize::from(check(
            &env,
            &ctx,
            function,
            &format!("{{{{ {function}() }}}}"),
        ));
        // `fail` always fails; `gen_signed_cert` needs a CA made by `gen_ca`, which no input is
        if !["fail", "gen_signed_cert"].contains(function) {
            assert!(
                rendered > 0,
                "`{function}` never rendered: the inputs no longer exercise it"
            );
        }
    }
}

#[test]
fn errors_never_echo_the_input_or_an_argument() {
    // a marker that is invalid for every filter that parses its input (YAML, JSON, base64, semver, regex)
    const MARKER: &str = "zz{[S3CR3T-m4rk3r:'\"";
    let env = env();
    let ctx = context! { s => MARKER, l => vec![MARKER], m => context! { k => MARKER } };
    for filter in FILTERS {
        for input in ["s", "l", "m"] {
            for args in ["", "s", "s, s", "1, s", "s, 1", "boolean=s", "l", "m"] {
                let src = format!("{{{{ {input} | {filter}({args}) }}}}");
                if let Err(err) = env.render_str(&src, ctx.clone()) {
                    let text = err.to_string();
                    assert!(!text.contains("S3CR3T"), "{src}: {text}");
                }
            }
        }
    }
    // `fail(message)` prints the chart author's message on purpose; semver errors quote the version text
    // they could not read (versions and constraints are not secrets)
    for function in FUNCTIONS
        .iter()
        .filter(|f| !["fail", "semver_compare"].contains(*f))
    {
        for args in ["s", "s, s", "1, s", "s, 1", "l", "m", "s, s, s"] {
            let src = format!("{{{{ {function}({args}) }}}}");
            if let Err(err) = env.render_str(&src, ctx.clone()) {
                let text = err.to_string();
                assert!(!text.contains("S3CR3T"), "{src}: {text}");
            }
        }
    }
}
