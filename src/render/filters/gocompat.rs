//! Go-template semantics for charts converted from Helm (`tack convert`): printing a value the way Go's
//! `{{ }}` and Sprig's `quote`/`squote` do, and iterating the way Go's `range` does.
//!
//! - `go_str`: Go's `%v` — none and undefined print `""` (Helm removes `<no value>`), floats in Go's
//!   shortest form (`2`, `1.5`, `1e+06`), lists `[a b]`, maps `map[k:v]` with sorted keys.
//! - `go_quote` / `go_squote`: Sprig's `quote`/`squote` — none and undefined give `""` (nothing), other
//!   values are printed with `go_str` rules and quoted with Go's escapes (`quote`) or none (`squote`).
//! - `go_json`: Go's `json.Marshal` — compact, `<`, `>` and `&` escaped (Sprig's `toJson`).
//! - `go_pairs`: `[index, element]` for lists, `[key, value]` in key order for maps, nothing for none and
//!   undefined, `[i, i]` for an integer `n` (Go 1.22 `range n`).

use std::collections::BTreeMap;
use std::fmt::Write;

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error};

use super::{describe, fail, FilterOptions};

pub(super) fn register(env: &mut Environment<'static>, _opts: &FilterOptions) {
    env.add_filter("go_str", |v: &Value| go_str(v, true));
    env.add_filter("go_quote", |v: &Value| -> Result<String, Error> {
        if is_nil(v) {
            return Ok(String::new());
        }
        Ok(go_quote(&go_str(v, false)?))
    });
    env.add_filter("go_squote", |v: &Value| -> Result<String, Error> {
        if is_nil(v) {
            return Ok(String::new());
        }
        Ok(format!("'{}'", go_str(v, false)?))
    });
    env.add_filter("go_pairs", go_pairs);
    env.add_filter("go_json", |v: &Value| -> Result<String, Error> {
        let json = serde_json::to_value(v).map_err(|e| fail("go_json", e))?;
        let text = serde_json::to_string(&sorted(json)).map_err(|e| fail("go_json", e))?;
        Ok(text
            .replace('<', "\\u003c")
            .replace('>', "\\u003e")
            .replace('&', "\\u0026"))
    });
}

/// JSON with map keys in byte order, as Go's encoder writes them.
fn sorted(v: serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(m) => {
            let mut entries: Vec<_> = m.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            serde_json::Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        serde_json::Value::Array(a) => {
            serde_json::Value::Array(a.into_iter().map(sorted).collect())
        }
        other => other,
    }
}

fn is_nil(v: &Value) -> bool {
    matches!(v.kind(), ValueKind::Undefined | ValueKind::None)
}

/// Go's `%v` text of a value. `top` is true for the printed value itself (nil prints nothing there, and
/// `<nil>` inside lists and maps).
pub fn go_str(v: &Value, top: bool) -> Result<String, Error> {
    let mut out = String::new();
    write_value(&mut out, v, top, 0)?;
    Ok(out)
}

fn write_value(out: &mut String, v: &Value, top: bool, depth: usize) -> Result<(), Error> {
    if depth > 256 {
        return Err(fail("go_str", "the value is nested too deeply"));
    }
    match v.kind() {
        ValueKind::Undefined | ValueKind::None => {
            if !top {
                out.push_str("<nil>");
            }
        }
        ValueKind::Bool => out.push_str(if v.is_true() { "true" } else { "false" }),
        ValueKind::String => out.push_str(v.as_str().unwrap_or_default()),
        ValueKind::Number => {
            if v.is_integer() {
                out.push_str(&v.to_string());
            } else {
                let f = f64::try_from(v.clone())
                    .map_err(|_| fail("go_str", format!("cannot print {}", describe(v))))?;
                out.push_str(&go_float(f));
            }
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            for (i, item) in v.try_iter()?.enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_value(out, &item, false, depth + 1)?;
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push_str("map[");
            let mut entries = BTreeMap::new();
            for key in v.try_iter()? {
                let item = v.get_item(&key)?;
                entries.insert(go_str(&key, false)?, item);
            }
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_value(out, item, false, depth + 1)?;
            }
            out.push(']');
        }
        _ => return Err(fail("go_str", format!("cannot print {}", describe(v)))),
    }
    Ok(())
}

/// Go's `%v` of a float64: the shortest digits that read back, in `%e` form when the exponent is below
/// -4 or at least 6 (`1e+06`), with a two-digit exponent at least.
pub fn go_float(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if f == 0.0 {
        return if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let sci = format!("{:e}", f); // shortest round-trip digits, e.g. "1.2345e6"
    let (mant, exp) = sci.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let neg = mant.starts_with('-');
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let sign = if neg { "-" } else { "" };
    if !(-4..6).contains(&exp) {
        let mut m = digits[..1].to_string();
        if digits.len() > 1 {
            m.push('.');
            m.push_str(&digits[1..]);
        }
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{m}e{esign}{:02}", exp.abs());
    }
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("{sign}0.{zeros}{digits}");
    }
    let int_len = exp as usize + 1;
    if digits.len() <= int_len {
        format!("{sign}{digits}{}", "0".repeat(int_len - digits.len()))
    } else {
        format!("{sign}{}.{}", &digits[..int_len], &digits[int_len..])
    }
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if !is_printable(c) => {
                if (c as u32) < 0x10000 {
                    let _ = write!(out, "\\u{:04x}", c as u32);
                } else {
                    let _ = write!(out, "\\U{:08x}", c as u32);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint` for the characters charts contain: controls, format
/// characters and separators other than the space are not printable.
fn is_printable(c: char) -> bool {
    !(c.is_control()
        || matches!(c as u32, 0x80..=0x9f | 0xad | 0x2028 | 0x2029 | 0xfeff | 0x200b..=0x200f | 0x202a..=0x202e | 0x2060..=0x2064)
        || (c.is_whitespace() && c != ' '))
}

fn go_pairs(v: &Value) -> Result<Value, Error> {
    let pairs: Vec<Value> = match v.kind() {
        ValueKind::Undefined | ValueKind::None => Vec::new(),
        ValueKind::Seq | ValueKind::Iterable => v
            .try_iter()?
            .enumerate()
            .map(|(i, item)| Value::from(vec![Value::from(i), item]))
            .collect(),
        ValueKind::Map => {
            let mut entries = Vec::new();
            for key in v.try_iter()? {
                let item = v.get_item(&key)?;
                entries.push((go_str(&key, false)?, key, item));
            }
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            entries
                .into_iter()
                .map(|(_, k, item)| Value::from(vec![k, item]))
                .collect()
        }
        ValueKind::Number => match v.as_i64() {
            Some(n) if (0..=1_000_000).contains(&n) => (0..n)
                .map(|i| Value::from(vec![Value::from(i), Value::from(i)]))
                .collect(),
            _ => {
                return Err(fail(
                    "go_pairs",
                    format!("cannot iterate over {}", describe(v)),
                ))
            }
        },
        _ => {
            return Err(fail(
                "go_pairs",
                format!("cannot iterate over {}", describe(v)),
            ))
        }
    };
    Ok(Value::from(pairs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::filters::testenv::render;
    use minijinja::context;

    #[test]
    fn floats_print_like_go() {
        for (f, want) in [
            (1_000_000.0, "1e+06"),
            (100_000.0, "100000"),
            (1_234_567.8, "1.2345678e+06"),
            (123_456.7, "123456.7"),
            (2.0, "2"),
            (1.5, "1.5"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (3e-7, "3e-07"),
            (1e21, "1e+21"),
            (-0.5, "-0.5"),
        ] {
            assert_eq!(go_float(f), want, "{f}");
        }
    }

    #[test]
    fn prints_values_like_go_templates() {
        let ctx = context! { m => context!{ b => 1.0, a => "x" }, l => vec![Value::from(true), Value::from(())], n => () };
        assert_eq!(
            render(
                "{{ m | go_str }}|{{ l | go_str }}|{{ n | go_str }}|{{ missing | go_str }}",
                ctx
            )
            .unwrap(),
            "map[a:x b:1]|[true <nil>]||"
        );
    }

    #[test]
    fn quote_skips_nil_and_uses_go_escapes() {
        let ctx = context! { s => "a\"b\u{1}é\t", n => () };
        assert_eq!(
            render("{{ s | go_quote }}|{{ n | go_quote }}|{{ 3.0 | go_quote }}|{{ \"it's\" | go_squote }}", ctx).unwrap(),
            "\"a\\\"b\\x01é\\t\"||\"3\"|'it's'"
        );
    }

    #[test]
    fn json_is_compact_like_go() {
        let ctx = context! { m => context!{ b => vec![1, 2], a => "<x>" } };
        assert_eq!(
            render("{{ m | go_json }}", ctx).unwrap(),
            "{\"a\":\"\\u003cx\\u003e\",\"b\":[1,2]}"
        );
    }

    #[test]
    fn pairs_follow_go_range() {
        let ctx = context! { m => context!{ b => 2, a => 1 }, l => vec!["x", "y"] };
        assert_eq!(
            render("{% for k, v in m | go_pairs %}{{ k }}={{ v }};{% endfor %}{% for i, v in l | go_pairs %}{{ i }}={{ v }};{% endfor %}{% for i, v in none | go_pairs %}x{% else %}empty{% endfor %}", ctx).unwrap(),
            "a=1;b=2;0=x;1=y;empty"
        );
        assert!(render(
            "{% for k, v in 'abc' | go_pairs %}{% endfor %}",
            context! {}
        )
        .is_err());
    }
}
