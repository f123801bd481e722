//! How template values print: YAML-safe scalars, failing loudly on undefined values.
//!
//! Since minijinja 2.22 values print the way Python's Jinja2 prints them (`None`, `True`,
//! `[1, 'a']`), which is wrong inside YAML. [`to_text`] implements the rules of
//! TEMPLATES.md §2 instead; [`formatter`] plugs them into `Environment::set_formatter`, and the
//! `string` filter, `quote`, `printf` and the other text filters share the same conversion.

use minijinja::value::{Value, ValueKind};
use minijinja::{Error, ErrorKind, Output, State};

/// Text of a value per the formatter rules in TEMPLATES.md §2.
///
/// - undefined → error (`lenient` → `""`)
/// - none → `""`
/// - booleans → `true` / `false`
/// - integers as they are
/// - floats in the shortest form that round-trips, keeping `.0` (`.nan`, `.inf`, `-.inf`)
/// - strings raw
/// - maps and lists → compact JSON (valid YAML flow style)
/// - bytes → error
pub fn to_text(value: &Value, lenient: bool) -> Result<String, Error> {
    match value.kind() {
        ValueKind::Undefined => {
            if lenient {
                Ok(String::new())
            } else {
                Err(undefined_error())
            }
        }
        ValueKind::None => Ok(String::new()),
        ValueKind::Bool => Ok(if value.is_true() { "true" } else { "false" }.to_string()),
        ValueKind::Number => Ok(number_text(value)),
        ValueKind::String => Ok(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Bytes => Err(Error::new(
            ErrorKind::InvalidOperation,
            "cannot print a byte value as text; convert it with `| b64encode` first",
        )),
        ValueKind::Map | ValueKind::Seq => compact_json(value),
        ValueKind::Iterable => {
            let items = value.try_iter()?.collect::<Vec<_>>();
            compact_json(&Value::from(items))
        }
        ValueKind::Invalid => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("cannot print an invalid value: {value}"),
        )),
        // Plain objects (macros, namespaces, custom objects) print through their Display impl.
        _ => Ok(value.to_string()),
    }
}

/// A formatter suitable for `Environment::set_formatter` (calls [`to_text`]; strictness fixed by
/// `lenient`).
///
/// minijinja hands the formatter a `&mut State`, so that is what this closure takes.
pub fn formatter(
    lenient: bool,
) -> impl Fn(&mut Output, &mut State, &Value) -> Result<(), Error> + Send + Sync + 'static {
    move |out: &mut Output, _state: &mut State, value: &Value| {
        // strings, integers and booleans (nearly everything a chart prints) are written as they are,
        // without first making a copy of their text
        let written = match value.kind() {
            ValueKind::String => out.write_str(value.as_str().unwrap_or_default()),
            ValueKind::None => Ok(()),
            ValueKind::Bool => out.write_str(if value.is_true() { "true" } else { "false" }),
            ValueKind::Number if value.is_integer() => write!(out, "{value}"),
            _ => {
                let text = to_text(value, lenient)?;
                out.write_str(&text)
            }
        };
        written.map_err(|err| {
            Error::new(ErrorKind::WriteFailure, "failed to write output").with_source(err)
        })
    }
}

/// The error raised when an undefined value is printed.
pub(crate) fn undefined_error() -> Error {
    Error::new(
        ErrorKind::UndefinedError,
        "tried to print an undefined value (give it a fallback with `| default(...)` or test it with `is defined`)",
    )
}

/// Text of a number value: integers verbatim, floats via [`format_float`].
pub(crate) fn number_text(value: &Value) -> String {
    if value.is_integer() {
        value.to_string()
    } else {
        match f64::try_from(value.clone()) {
            Ok(f) => format_float(f),
            Err(_) => value.to_string(),
        }
    }
}

/// Shortest text that round-trips `f`, keeping a `.0` on integral values and writing exponents
/// so that both YAML 1.1 and 1.2 read them back as floats (`1.0e+16`, `1.5e-7`).
pub(crate) fn format_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-.inf" } else { ".inf" }.to_string();
    }
    // Rust's Debug output is the shortest round-trip form and always contains `.` or `e`.
    let text = format!("{f:?}");
    match text.split_once('e') {
        None => text,
        Some((mantissa, exp)) => {
            let mantissa = if mantissa.contains('.') {
                mantissa.to_string()
            } else {
                format!("{mantissa}.0")
            };
            let exp = if exp.starts_with('-') {
                exp.to_string()
            } else {
                format!("+{exp}")
            };
            format!("{mantissa}e{exp}")
        }
    }
}

fn compact_json(value: &Value) -> Result<String, Error> {
    serde_json::to_string(value).map_err(|err| {
        Error::new(
            ErrorKind::BadSerialization,
            format!("cannot print this value as JSON: {err}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::{context, AutoEscape, Environment, UndefinedBehavior};

    fn env(lenient: bool) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_formatter(formatter(lenient));
        env
    }

    fn render(src: &str, ctx: Value) -> Result<String, Error> {
        env(false).render_str(src, ctx)
    }

    #[test]
    fn scalars_print_yaml_style() {
        let ctx =
            context! { t => true, f => false, n => (), i => -42, big => u64::MAX, s => "x y" };
        let out = render("{{ t }} {{ f }} [{{ n }}] {{ i }} {{ big }} {{ s }}", ctx).unwrap();
        assert_eq!(out, "true false [] -42 18446744073709551615 x y");
    }

    #[test]
    fn floats_round_trip_and_keep_point() {
        assert_eq!(format_float(1.0), "1.0");
        assert_eq!(format_float(0.1), "0.1");
        assert_eq!(format_float(-2.5), "-2.5");
        assert_eq!(format_float(1e16), "1.0e+16");
        assert_eq!(format_float(1.5e-7), "1.5e-7");
        assert_eq!(format_float(f64::NAN), ".nan");
        assert_eq!(format_float(f64::INFINITY), ".inf");
        assert_eq!(format_float(f64::NEG_INFINITY), "-.inf");
        for f in [1e16, 1.5e-7, 123456.789, 1e300, -0.0, 5e-324] {
            let back: f64 = serde_yaml::from_str(&format_float(f)).unwrap();
            assert_eq!(back, f);
        }
        assert_eq!(render("{{ x }}", context! { x => 3.0 }).unwrap(), "3.0");
    }

    #[test]
    fn maps_and_lists_print_compact_json() {
        let ctx = context! { m => context! { a => vec![Value::from(true), Value::from(()), Value::from("s")], b => 1 }, l => Vec::<i32>::new() };
        let out = render("{{ m }} {{ l }}", ctx).unwrap();
        assert_eq!(out, r#"{"a":[true,null,"s"],"b":1} []"#);
    }

    #[test]
    fn undefined_fails_unless_lenient() {
        let err = render("a {{ nope.deeper }}", context! {}).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UndefinedError);
        assert!(err.to_string().contains("undefined value"), "{err}");
        let out = env(true)
            .render_str("a {{ nope.deeper }}|", context! {})
            .unwrap();
        assert_eq!(out, "a |");
        // Undefined values still work in tests and conditions.
        let out = render("{% if nope.x %}y{% else %}n{% endif %}", context! {}).unwrap();
        assert_eq!(out, "n");
    }

    #[test]
    fn bytes_fail() {
        let err = render("{{ b }}", context! { b => Value::from_bytes(vec![1, 2]) }).unwrap_err();
        assert!(err.to_string().contains("b64encode"), "{err}");
    }

    #[test]
    fn printing_writes_what_to_text_gives_for_every_kind() {
        let values = [
            Value::from("plain"),
            Value::from_safe_string("<safe>".into()),
            Value::from(""),
            Value::from(-42),
            Value::from(u64::MAX),
            Value::from(i128::MIN),
            Value::from(2.5),
            Value::from(3.0),
            Value::from(true),
            Value::from(false),
            Value::from(()),
            Value::from(vec![1, 2]),
            Value::from_iter([("k", "v")]),
        ];
        for v in values {
            let out = render("[{{ v }}]", context! { v => v.clone() }).unwrap();
            assert_eq!(out, format!("[{}]", to_text(&v, false).unwrap()), "{v:?}");
        }
    }

    #[test]
    fn to_text_direct() {
        assert_eq!(to_text(&Value::UNDEFINED, true).unwrap(), "");
        assert!(to_text(&Value::UNDEFINED, false).is_err());
        assert_eq!(to_text(&Value::from(()), false).unwrap(), "");
        assert_eq!(to_text(&Value::from(7.25), false).unwrap(), "7.25");
    }
}
