//! Text filters: `string`, `default`, `required`, `fail`, `nindent`, `indent`, `quote`,
//! `squote`, `trunc`, `trimprefix` and `trimsuffix`, written to Helm's semantics where Jinja's
//! built-ins differ (TEMPLATES.md §2 and §4).

use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

use super::yaml_scalar::{double_quote, is_printable};
use super::{describe, fail, int_arg, text_of, FilterOptions};

/// Indentation wider than this is refused (it is always a mistake and could exhaust memory).
const MAX_INDENT: i64 = 1024;
/// `indent`/`nindent` refuse to produce more text than this (256 MiB).
const MAX_OUTPUT: usize = 256 << 20;

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let lenient = opts.lenient;
    env.add_filter("string", move |value: &Value| {
        text_of("string", value, lenient)
    });
    env.add_filter("default", default);
    env.add_filter("required", required);
    env.add_function("fail", |msg: Option<Value>| -> Result<Value, Error> {
        let msg = match msg {
            Some(msg) => text_of("fail", &msg, true)?,
            None => "fail() was called".to_string(),
        };
        Err(Error::new(ErrorKind::InvalidOperation, msg))
    });
    env.add_filter("nindent", move |value: &Value, width: Value| {
        let width = width_arg("nindent", &width)?;
        let text = text_of("nindent", value, lenient)?;
        check_size("nindent", &text, width)?;
        Ok::<_, Error>(nindent(&text, width))
    });
    env.add_filter(
        "indent",
        move |value: &Value,
              width: Option<Value>,
              first: Option<bool>,
              blank: Option<bool>,
              kwargs: Kwargs| {
            let width = match width.or(kwargs.get::<Option<Value>>("width")?) {
                Some(width) => width_arg("indent", &width)?,
                None => 4,
            };
            let first = first.or(kwargs.get("first")?).unwrap_or(false);
            let blank = blank.or(kwargs.get("blank")?).unwrap_or(false);
            kwargs.assert_all_used()?;
            Ok::<_, Error>(indent(
                &text_of("indent", value, lenient)?,
                width,
                first,
                blank,
            ))
        },
    );
    env.add_filter("quote", move |value: &Value| {
        Ok::<_, Error>(quote(&quote_input(value, lenient)?))
    });
    env.add_filter("squote", move |value: &Value| {
        let text = quote_input(value, lenient)?;
        Ok::<_, Error>(if text.chars().all(|c| is_printable(c) && c != '\n') {
            format!("'{}'", text.replace('\'', "''"))
        } else {
            quote(&text)
        })
    });
    env.add_filter("trunc", move |value: &Value, n: Value| {
        let n = int_arg("trunc", "the length", &n)?;
        Ok::<_, Error>(trunc(&text_of("trunc", value, lenient)?, n))
    });
    env.add_filter("trimprefix", move |value: &Value, prefix: Value| {
        let text = text_of("trimprefix", value, lenient)?;
        let prefix = text_of("trimprefix", &prefix, lenient)?;
        Ok::<_, Error>(
            text.strip_prefix(prefix.as_str())
                .unwrap_or(&text)
                .to_string(),
        )
    });
    env.add_filter("trimsuffix", move |value: &Value, suffix: Value| {
        let text = text_of("trimsuffix", value, lenient)?;
        let suffix = text_of("trimsuffix", &suffix, lenient)?;
        Ok::<_, Error>(
            text.strip_suffix(suffix.as_str())
                .unwrap_or(&text)
                .to_string(),
        )
    });
}

/// `default(d="", boolean=false)`: `d` when the value is undefined or none; with `boolean=true`
/// also when it is falsy (Sprig's "empty" rule).
fn default(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    if args.len() > 2 {
        return Err(fail(
            "default",
            "expected at most 2 arguments: the fallback and `boolean`",
        ));
    }
    let kw_boolean: Option<Value> = kwargs.get("boolean")?;
    kwargs.assert_all_used()?;
    let boolean = match (args.get(1).cloned(), kw_boolean) {
        (Some(_), Some(_)) => return Err(fail("default", "`boolean` was given twice")),
        (Some(b), None) | (None, Some(b)) => match b.kind() {
            ValueKind::Bool => b.is_true(),
            _ => {
                return Err(fail(
                    "default",
                    format!("`boolean` must be true or false, got {}", describe(&b)),
                ))
            }
        },
        (None, None) => false,
    };
    let missing = value.is_undefined() || value.is_none() || (boolean && !value.is_true());
    Ok(if missing {
        args.first().cloned().unwrap_or_else(|| Value::from(""))
    } else {
        value.clone()
    })
}

/// `required(msg=None)`: fails on undefined, none and `""`; `false` and `0` pass.
fn required(value: &Value, msg: Option<Value>) -> Result<Value, Error> {
    let got = match value.kind() {
        ValueKind::Undefined => "an undefined value",
        ValueKind::None => "none",
        ValueKind::String if value.as_str() == Some("") => "an empty string",
        _ => return Ok(value.clone()),
    };
    let msg = match msg {
        Some(msg) if !msg.is_undefined() && !msg.is_none() => text_of("required", &msg, true)?,
        _ => format!("required: a value is required here, got {got}"),
    };
    Err(Error::new(ErrorKind::InvalidOperation, msg))
}

fn width_arg(name: &str, value: &Value) -> Result<usize, Error> {
    let width = int_arg(name, "the width", value)?;
    if !(0..=MAX_INDENT).contains(&width) {
        return Err(fail(
            name,
            format!("the width must be between 0 and {MAX_INDENT}, got {width}"),
        ));
    }
    Ok(width as usize)
}

/// Refuses inputs whose indented form would exceed [`MAX_OUTPUT`].
fn check_size(name: &str, text: &str, width: usize) -> Result<(), Error> {
    let lines = text.bytes().filter(|b| *b == b'\n').count() + 1;
    if lines.saturating_mul(width).saturating_add(text.len()) > MAX_OUTPUT {
        return Err(fail(
            name,
            format!(
                "the indented text would be larger than {} MiB",
                MAX_OUTPUT >> 20
            ),
        ));
    }
    Ok(())
}

/// Removes one trailing newline, indents every non-empty line by `width` and prepends `\n`.
fn nindent(text: &str, width: usize) -> String {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(text.len() + width * 4 + 1);
    for line in text.split('\n') {
        out.push('\n');
        if !line.is_empty() && line != "\r" {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

/// Jinja's `indent`: drops one trailing newline, indents lines after the first (and the first
/// with `first`), and blank lines only with `blank`.
fn indent(text: &str, width: usize, first: bool, blank: bool) -> String {
    let text = text.strip_suffix('\n').unwrap_or(text);
    let pad = " ".repeat(width);
    let mut out = String::with_capacity(text.len() + width * 4);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let is_blank = line.is_empty() || line == "\r";
        if (i > 0 || first) && (!is_blank || blank) {
            out.push_str(&pad);
        }
        out.push_str(line);
    }
    out
}

/// The input of `quote`/`squote`: formatter text, with none and undefined as `""`.
fn quote_input(value: &Value, lenient: bool) -> Result<String, Error> {
    if value.is_undefined() || value.is_none() {
        return Ok(String::new());
    }
    text_of("quote", value, lenient)
}

/// JSON-escaped and double-quoted, which is also a valid YAML double-quoted scalar.
fn quote(text: &str) -> String {
    double_quote(text)
}

/// The first `n` characters, or the last `-n` when `n` is negative.
fn trunc(text: &str, n: i64) -> String {
    let count = text.chars().count();
    let keep = usize::try_from(n.unsigned_abs())
        .unwrap_or(usize::MAX)
        .min(count);
    if n >= 0 {
        text.chars().take(keep).collect()
    } else {
        text.chars().skip(count - keep).collect()
    }
}

#[cfg(test)]
#[path = "text_tests.rs"]
mod tests;
