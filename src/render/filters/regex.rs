//! Regular-expression filters over the `regex` crate (RE2 syntax like Go's, unanchored, `$1` and
//! `${name}` expansion): `regex_match` (also a test), `regex_find`, `regex_findall`,
//! `regex_replace` and `regex_split`, with a small cache of compiled patterns.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};

use ::regex::{Regex, RegexBuilder};
use minijinja::value::Value;
use minijinja::{Environment, Error};

use super::{fail, int_arg, text_of, FilterOptions};

/// Compiled patterns kept; the cache is emptied when it grows past this.
const CACHE_LIMIT: usize = 256;
/// Upper bound on the compiled size of one pattern.
const SIZE_LIMIT: usize = 1 << 22;

static CACHE: LazyLock<Mutex<HashMap<String, Regex>>> = LazyLock::new(Default::default);

/// The compiled form of `pattern`, from the cache when possible.
fn compile(name: &str, pattern: &str) -> Result<Regex, Error> {
    if let Some(re) = CACHE
        .lock()
        .ok()
        .and_then(|cache| cache.get(pattern).cloned())
    {
        return Ok(re);
    }
    let re = RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|err| {
            // the error text quotes the pattern, which may come from a value: keep only its last line
            let why = err.to_string();
            let why = why.lines().last().unwrap_or_default().trim();
            let why = why.strip_prefix("error: ").unwrap_or(why);
            fail(
                name,
                format!(
                    "invalid regular expression ({} characters): {why}",
                    pattern.chars().count()
                ),
            )
        })?;
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(pattern.to_string(), re.clone());
    }
    Ok(re)
}

/// `n` as Go's "at most n, negative for all" count.
fn limit(name: &str, n: Option<Value>) -> Result<Option<usize>, Error> {
    match n {
        None => Ok(None),
        Some(n) => {
            let n = int_arg(name, "the count", &n)?;
            Ok(usize::try_from(n).ok())
        }
    }
}

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let lenient = opts.lenient;
    let is_match = move |value: &Value, pattern: Value| -> Result<bool, Error> {
        let text = text_of("regex_match", value, lenient)?;
        Ok(compile("regex_match", &text_of("regex_match", &pattern, lenient)?)?.is_match(&text))
    };
    env.add_filter("regex_match", is_match);
    env.add_test("regex_match", is_match);
    env.add_filter("regex_find", move |value: &Value, pattern: Value| {
        let text = text_of("regex_find", value, lenient)?;
        let re = compile("regex_find", &text_of("regex_find", &pattern, lenient)?)?;
        Ok::<_, Error>(
            re.find(&text)
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        )
    });
    env.add_filter(
        "regex_findall",
        move |value: &Value, pattern: Value, n: Option<Value>| {
            let text = text_of("regex_findall", value, lenient)?;
            let re = compile(
                "regex_findall",
                &text_of("regex_findall", &pattern, lenient)?,
            )?;
            let n = limit("regex_findall", n)?.unwrap_or(usize::MAX);
            let found: Vec<Value> = re
                .find_iter(&text)
                .take(n)
                .map(|m| Value::from(m.as_str()))
                .collect();
            Ok::<_, Error>(Value::from(found))
        },
    );
    env.add_filter(
        "regex_replace",
        move |value: &Value, pattern: Value, replacement: Value| {
            let text = text_of("regex_replace", value, lenient)?;
            let re = compile(
                "regex_replace",
                &text_of("regex_replace", &pattern, lenient)?,
            )?;
            let replacement = text_of("regex_replace", &replacement, lenient)?;
            Ok::<_, Error>(re.replace_all(&text, replacement.as_str()).into_owned())
        },
    );
    env.add_filter(
        "regex_split",
        move |value: &Value, pattern: Value, n: Option<Value>| {
            let text = text_of("regex_split", value, lenient)?;
            let re = compile("regex_split", &text_of("regex_split", &pattern, lenient)?)?;
            let parts: Vec<Value> = match limit("regex_split", n)? {
                None => re.split(&text).map(Value::from).collect(),
                Some(0) => Vec::new(),
                Some(n) => re.splitn(&text, n).map(Value::from).collect(),
            };
            Ok::<_, Error>(Value::from(parts))
        },
    );
}

#[cfg(test)]
mod tests {
    use crate::render::filters::testenv::{render, render_err};
    use minijinja::context;

    #[test]
    fn match_filter_and_test() {
        let ctx = context! { s => "nginx:1.25.3" };
        assert_eq!(
            render("{{ s | regex_match(':[0-9.]+$') }}", ctx.clone()).unwrap(),
            "true"
        );
        assert_eq!(
            render("{{ s | regex_match('^[0-9]') }}", ctx.clone()).unwrap(),
            "false"
        );
        let out = render("{% if s is regex_match('^nginx') %}yes{% endif %}", ctx).unwrap();
        assert_eq!(out, "yes");
    }

    #[test]
    fn find_and_findall() {
        let ctx = context! { s => "a1b22c333" };
        assert_eq!(
            render("{{ s | regex_find('[0-9]+') }}", ctx.clone()).unwrap(),
            "1"
        );
        assert_eq!(
            render("[{{ s | regex_find('x') }}]", ctx.clone()).unwrap(),
            "[]"
        );
        assert_eq!(
            render("{{ s | regex_findall('[0-9]+') }}", ctx.clone()).unwrap(),
            r#"["1","22","333"]"#
        );
        assert_eq!(
            render("{{ s | regex_findall('[0-9]+', 2) }}", ctx.clone()).unwrap(),
            r#"["1","22"]"#
        );
        assert_eq!(
            render("{{ s | regex_findall('[0-9]+', -1) }}", ctx).unwrap(),
            r#"["1","22","333"]"#
        );
    }

    #[test]
    fn replace_expands_groups() {
        let ctx = context! { s => "image: repo/app:1.2" };
        let out = render(
            r"{{ s | regex_replace('([a-z]+)/([a-z]+)', '$2@$1') }}",
            ctx.clone(),
        )
        .unwrap();
        assert_eq!(out, "image: app@repo:1.2");
        let out = render(
            r"{{ s | regex_replace(':(?P<tag>[0-9.]+)$', '-${tag}') }}",
            ctx.clone(),
        )
        .unwrap();
        assert_eq!(out, "image: repo/app-1.2");
        // `$1x` names a group called `1x`, as in Go, so it expands to nothing.
        let out = render(r"{{ 'ab' | regex_replace('(a)', '$1x') }}", ctx).unwrap();
        assert_eq!(out, "b");
    }

    #[test]
    fn split_with_limits() {
        let ctx = context! { s => "a, b,c ,d" };
        assert_eq!(
            render(r"{{ s | regex_split('\\s*,\\s*') }}", ctx.clone()).unwrap(),
            r#"["a","b","c","d"]"#
        );
        assert_eq!(
            render(r"{{ s | regex_split('\\s*,\\s*', 2) }}", ctx.clone()).unwrap(),
            r#"["a","b,c ,d"]"#
        );
        assert_eq!(render(r"{{ s | regex_split(',', 0) }}", ctx).unwrap(), "[]");
    }

    #[test]
    fn bad_patterns_name_the_filter() {
        let err = render_err("{{ 'x' | regex_find('(') }}", context! {});
        assert!(
            err.contains("regex_find: invalid regular expression (1 characters): unclosed group"),
            "{err}"
        );
        let err = render_err("{{ 'x' | regex_split(',', 'two') }}", context! {});
        assert!(
            err.contains("regex_split: the count must be an integer"),
            "{err}"
        );
    }
}
