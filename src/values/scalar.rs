//! Typing of unquoted YAML scalars: which words become null, booleans, integers or floats, and
//! which readings are surprising enough (YAML 1.1 booleans, `1.10`, `0644`) to deserve a warning.

use super::Values;

/// How an unquoted scalar reads: its value and, when the reading may surprise, why.
pub(crate) struct Typed {
    pub value: Values,
    pub warning: Option<String>,
}

fn plain(value: Values) -> Typed {
    Typed {
        value,
        warning: None,
    }
}

fn warned(value: Values, warning: String) -> Typed {
    Typed {
        value,
        warning: Some(warning),
    }
}

/// YAML 1.1 boolean words (Helm reads them as booleans); matched in any letter case.
const YAML11_TRUE: &[&str] = &["y", "yes", "on", "true"];
const YAML11_FALSE: &[&str] = &["n", "no", "off", "false"];

/// Type a scalar as written: `!!str` and quoted scalars stay strings, `!!int`/`!!float`/`!!bool`/
/// `!!null` (even quoted) are typed like plain ones, other tags are ignored with a warning.
/// `tag` is the tag's (handle, suffix), as yaml-rust2 resolves it.
pub(crate) fn type_scalar(text: String, quoted: bool, tag: Option<(&str, &str)>) -> Typed {
    const CORE: &str = "tag:yaml.org,2002:";
    let note = match tag {
        None => None,
        Some((CORE, "str" | "binary")) | Some(("", "!")) => return plain(Values::String(text)),
        Some((CORE, "null" | "bool" | "int" | "float")) => return plain(type_plain(&text).value),
        Some((handle, suffix)) => {
            let handle = if handle == CORE { "!!" } else { handle };
            Some(format!(
                "tag `{handle}{suffix}` is not understood and was ignored"
            ))
        }
    };
    let mut typed = if quoted {
        plain(Values::String(text))
    } else {
        type_plain(&text)
    };
    if let Some(note) = note {
        typed.warning = Some(match typed.warning {
            Some(w) => format!("{note}; {w}"),
            None => note,
        });
    }
    typed
}

/// The warning for a surprising reading under a secret-looking key, without the value itself.
pub(crate) fn secret_warning(value: &Values) -> String {
    let kind = match value {
        Values::Bool(_) => "a boolean",
        Values::Number(_) => "a number",
        Values::Null => "null",
        _ => "a string",
    };
    format!(
        "an unquoted value under a secret-looking key was read as {kind}; quote it if you meant \
         the exact text (value not shown)"
    )
}

/// Type an unquoted (plain) scalar.
pub(crate) fn type_plain(text: &str) -> Typed {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return plain(Values::Null),
        "true" | "True" | "TRUE" => return plain(Values::Bool(true)),
        "false" | "False" | "FALSE" => return plain(Values::Bool(false)),
        _ => {}
    }
    for (words, b) in [(YAML11_TRUE, true), (YAML11_FALSE, false)] {
        if words.iter().any(|w| w.eq_ignore_ascii_case(text)) {
            return warned(
                Values::Bool(b),
                format!(
                    "bare `{text}` read as boolean {b}; quote it (\"{text}\") if you meant the string"
                ),
            );
        }
    }
    if let Some(t) = type_integer(text) {
        return t;
    }
    if let Some(t) = type_special_float(text) {
        return t;
    }
    if let Some(t) = type_float(text) {
        return t;
    }
    plain(Values::String(text.to_string()))
}

fn split_sign(text: &str) -> (bool, &str) {
    match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    }
}

/// An integer from its magnitude and sign, exactly, or `None` if it does not fit 64 bits.
fn int_value(negative: bool, magnitude: u128) -> Option<Values> {
    if negative {
        if magnitude <= i64::MAX as u128 + 1 {
            return Some(Values::from((-(magnitude as i128)) as i64));
        }
        None
    } else if magnitude <= i64::MAX as u128 {
        Some(Values::from(magnitude as i64))
    } else if magnitude <= u64::MAX as u128 {
        Some(Values::from(magnitude as u64))
    } else {
        None
    }
}

fn too_big(text: &str) -> Typed {
    warned(
        Values::String(text.to_string()),
        format!(
            "bare `{text}` does not fit in a 64-bit integer; read as the string \"{text}\" (quote it to silence this)"
        ),
    )
}

fn type_integer(text: &str) -> Option<Typed> {
    let (negative, body) = split_sign(text);
    if body.is_empty() {
        return None;
    }
    let radix_body = |prefix: &str, radix: u32| -> Option<&str> {
        let rest = body.strip_prefix(prefix)?;
        (!rest.is_empty() && rest.chars().all(|c| c.is_digit(radix))).then_some(rest)
    };
    for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
        if let Some(digits) = radix_body(prefix, radix) {
            return Some(match u128::from_str_radix(digits, radix) {
                Ok(m) => match int_value(negative, m) {
                    Some(v) => plain(v),
                    None => too_big(text),
                },
                Err(_) => too_big(text),
            });
        }
    }
    if !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if body.len() > 1 && body.starts_with('0') {
        // YAML 1.1 (and Helm) read a leading zero as octal; YAML 1.2 would not.
        if body.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            let m = u128::from_str_radix(&body[1..], 8).ok();
            return Some(match m.and_then(|m| int_value(negative, m)) {
                Some(v) => {
                    let shown = v.to_string();
                    warned(
                        v,
                        format!(
                            "bare `{text}` read as the octal number {shown} (YAML 1.1); quote it (\"{text}\") \
                             if you meant the string, or write `0o{}` to keep the octal reading without this warning",
                            &body[1..]
                        ),
                    )
                }
                None => too_big(text),
            });
        }
        return Some(warned(
            Values::String(text.to_string()),
            format!(
                "bare `{text}` has a leading zero but is not an octal number; read as the string \"{text}\" \
                 (quote it to silence this)"
            ),
        ));
    }
    Some(match body.parse::<u128>() {
        Ok(m) => match int_value(negative, m) {
            Some(v) => plain(v),
            None => too_big(text),
        },
        Err(_) => too_big(text),
    })
}

fn type_special_float(text: &str) -> Option<Typed> {
    let (_, body) = split_sign(text);
    let what = match body {
        ".inf" | ".Inf" | ".INF" => "infinity",
        ".nan" | ".NaN" | ".NAN" if body.len() == text.len() => "not-a-number",
        _ => return None,
    };
    Some(warned(
        Values::String(text.to_string()),
        format!(
            "bare `{text}` is {what}, which values cannot hold (they are JSON); read as the string \"{text}\""
        ),
    ))
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`, with a `.` or an exponent.
fn looks_like_float(text: &str) -> bool {
    let (_, body) = split_sign(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    if let Some(exp) = exponent {
        let (_, digits) = split_sign(exp);
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return false;
        }
    }
    let (int_part, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int_part) || !frac.is_none_or(digits) {
        return false;
    }
    let has_digits = !int_part.is_empty() || frac.is_some_and(|f| !f.is_empty());
    has_digits && (frac.is_some() || exponent.is_some())
}

fn type_float(text: &str) -> Option<Typed> {
    if !looks_like_float(text) {
        return None;
    }
    let f: f64 = text.parse().ok()?;
    let Some(num) = serde_json::Number::from_f64(f) else {
        return Some(warned(
            Values::String(text.to_string()),
            format!("bare `{text}` is too large for a floating-point number; read as the string \"{text}\""),
        ));
    };
    let value = Values::Number(num);
    if text.contains(['e', 'E']) {
        return Some(plain(value));
    }
    // Compare the written form with how the number prints: `1.10` prints as `1.1`.
    let mut written = text.trim_start_matches('+').to_string();
    if written.starts_with('.') || written.starts_with("-.") {
        written = written.replacen('.', "0.", 1);
    }
    if written.ends_with('.') {
        written.push('0');
    }
    let printed = format!("{f:?}");
    if written == printed {
        return Some(plain(value));
    }
    Some(warned(
        value,
        format!(
            "bare `{text}` read as the number {printed}; quote it (\"{text}\") if you meant the string"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_plain_scalars() {
        let cases: &[(&str, Values, bool)] = &[
            ("", json!(null), false),
            ("~", json!(null), false),
            ("NULL", json!(null), false),
            ("true", json!(true), false),
            ("False", json!(false), false),
            ("tRUE", json!(true), true),
            ("yes", json!(true), true),
            ("No", json!(false), true),
            ("OFF", json!(false), true),
            ("y", json!(true), true),
            ("n", json!(false), true),
            ("nO", json!(false), true),
            ("yEs", json!(true), true),
            ("oN", json!(true), true),
            ("yes!", json!("yes!"), false),
            ("0", json!(0), false),
            ("-0", json!(0), false),
            ("42", json!(42), false),
            ("+42", json!(42), false),
            ("-17", json!(-17), false),
            ("1000000", json!(1000000), false),
            ("9223372036854775807", json!(i64::MAX), false),
            ("-9223372036854775808", json!(i64::MIN), false),
            ("18446744073709551615", json!(u64::MAX), false),
            ("18446744073709551616", json!("18446744073709551616"), true),
            ("0x1F", json!(31), false),
            ("0o17", json!(15), false),
            ("0b101", json!(5), false),
            ("0644", json!(420), true),
            ("0128", json!("0128"), true),
            ("1.5", json!(1.5), false),
            ("1.0", json!(1.0), false),
            ("1.10", json!(1.1), true),
            ("2.50", json!(2.5), true),
            (".5", json!(0.5), false),
            ("-.5", json!(-0.5), false),
            ("5.", json!(5.0), false),
            ("1e3", json!(1000.0), false),
            ("1.5E-2", json!(0.015), false),
            ("1e999", json!("1e999"), true),
            (".inf", json!(".inf"), true),
            ("-.Inf", json!("-.Inf"), true),
            (".NaN", json!(".NaN"), true),
            ("1.2.3", json!("1.2.3"), false),
            ("v1.0", json!("v1.0"), false),
            ("1_000", json!("1_000"), false),
            ("12:30", json!("12:30"), false),
            ("2024-01-01", json!("2024-01-01"), false),
            ("e3", json!("e3"), false),
            (".", json!("."), false),
            ("-", json!("-"), false),
        ];
        for (text, want, warns) in cases {
            let got = type_plain(text);
            assert_eq!(&got.value, want, "value of `{text}`");
            assert_eq!(
                got.warning.is_some(),
                *warns,
                "warning for `{text}`: {:?}",
                got.warning
            );
        }
    }

    #[test]
    fn integers_stay_exact() {
        assert_eq!(type_plain("1000000").value.to_string(), "1000000");
        let big = type_plain("9007199254740993").value;
        assert_eq!(big.as_i64(), Some(9007199254740993));
        assert_eq!(
            type_plain("18446744073709551615").value.as_u64(),
            Some(u64::MAX)
        );
    }

    #[test]
    fn tags_and_quoting() {
        let core = Some(("tag:yaml.org,2002:", "str"));
        assert_eq!(type_scalar("5".into(), false, core).value, json!("5"));
        let int = Some(("tag:yaml.org,2002:", "int"));
        assert_eq!(type_scalar("5".into(), true, int).value, json!(5));
        assert_eq!(type_scalar("yes".into(), true, None).value, json!("yes"));
        assert!(type_scalar("yes".into(), true, None).warning.is_none());
        assert_eq!(
            type_scalar("5".into(), false, Some(("", "!"))).value,
            json!("5")
        );
        let custom = type_scalar("no".into(), false, Some(("!", "vault")));
        assert_eq!(custom.value, json!(false));
        let w = custom.warning.unwrap();
        assert!(
            w.starts_with("tag `!vault` is not understood") && w.contains("bare `no`"),
            "{w}"
        );
    }

    #[test]
    fn warning_texts() {
        let w = type_plain("no").warning.unwrap();
        assert_eq!(
            w,
            "bare `no` read as boolean false; quote it (\"no\") if you meant the string"
        );
        let w = type_plain("1.10").warning.unwrap();
        assert!(w.contains("read as the number 1.1"), "{w}");
        let w = type_plain("0644").warning.unwrap();
        assert!(w.contains("octal number 420") && w.contains("0o644"), "{w}");
    }
}
