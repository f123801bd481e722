//! `printf(fmt, *args)`: Go's fmt verbs for charts ported from Helm.
//!
//! Supported: `%s %v %d %f %F %t %q %x %X %o %b %%` with the flags `- + # 0 space`, width and
//! precision (numbers or `*`). Text follows the formatter rules (so `%v` of a map or list is
//! JSON and `%s` of `true` is `true`). Where Go prints `%!d(string=x)` or `%!(EXTRA …)` into
//! the output, this raises an error instead.

use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error};

use super::{describe, fail, text_of, FilterOptions};

/// Width and precision above this are refused.
const MAX_WIDTH: usize = 10_000;

pub(super) fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    let lenient = opts.lenient;
    env.add_function("printf", move |fmt: Value, args: Rest<Value>| {
        let fmt = text_of("printf", &fmt, lenient)?;
        sprintf(&fmt, &args, lenient)
    });
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Formats `args` into `fmt` the way Go's `fmt.Sprintf` does for the supported verbs.
pub(crate) fn sprintf(fmt: &str, args: &[Value], lenient: bool) -> Result<String, Error> {
    let mut out = String::with_capacity(fmt.len() + 16);
    let mut chars = fmt.chars().peekable();
    let mut args = Args { args, next: 0 };
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        spec.width = count(&mut chars, &mut args, "width")?;
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(count(&mut chars, &mut args, "precision")?.unwrap_or(0));
        }
        let verb = chars
            .next()
            .ok_or_else(|| fail("printf", "the format ends in the middle of a verb"))?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = args.take(&format!("%{verb}"))?;
        let (body, zero_ok) = format_one(verb, &spec, &arg, args.next, lenient)?;
        pad(&mut out, &body, &spec, zero_ok);
    }
    if args.next < args.args.len() {
        return Err(fail(
            "printf",
            format!(
                "the format uses {} arguments but {} were given",
                args.next,
                args.args.len()
            ),
        ));
    }
    Ok(out)
}

/// The arguments still to be consumed by verbs and `*` widths.
struct Args<'a> {
    args: &'a [Value],
    next: usize,
}

impl Args<'_> {
    fn take(&mut self, what: &str) -> Result<Value, Error> {
        let arg = self.args.get(self.next).cloned().ok_or_else(|| {
            fail(
                "printf",
                format!(
                    "{what} needs argument {} but only {} were given",
                    self.next + 1,
                    self.args.len()
                ),
            )
        })?;
        self.next += 1;
        Ok(arg)
    }
}

/// A width or precision: digits, `*` (taken from the arguments) or nothing.
fn count(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    args: &mut Args<'_>,
    what: &str,
) -> Result<Option<usize>, Error> {
    let mut n: Option<usize> = None;
    if chars.peek() == Some(&'*') {
        chars.next();
        let arg = args.take(&format!("the `*` {what}"))?;
        let v = int_of(&arg)
            .and_then(|v| usize::try_from(v).ok())
            .ok_or_else(|| {
                fail(
                    "printf",
                    format!(
                        "the `*` {what} must be a non-negative integer, got {}",
                        describe(&arg)
                    ),
                )
            })?;
        n = Some(v);
    } else {
        while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
            chars.next();
            n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        }
    }
    match n {
        Some(n) if n > MAX_WIDTH => Err(fail(
            "printf",
            format!("{what} {n} is larger than {MAX_WIDTH}"),
        )),
        _ => Ok(n),
    }
}

/// The text of one verb (before padding) and whether the `0` flag pads it with zeros.
fn format_one(
    verb: char,
    spec: &Spec,
    arg: &Value,
    position: usize,
    lenient: bool,
) -> Result<(String, bool), Error> {
    let wrong = |want: &str| {
        fail(
            "printf",
            format!(
                "%{verb} needs {want}, but argument {position} is {}",
                describe(arg)
            ),
        )
    };
    let text = |arg: &Value| -> Result<String, Error> {
        if arg.is_undefined() && !lenient {
            return Err(fail("printf", format!("argument {position} is undefined")));
        }
        text_of("printf", arg, lenient)
    };
    Ok(match verb {
        's' | 'v' => {
            let s = text(arg)?;
            (
                match spec.precision {
                    Some(p) => s.chars().take(p).collect(),
                    None => s,
                },
                false,
            )
        }
        'q' => (go_quote(&text(arg)?), false),
        't' => match arg.kind() {
            ValueKind::Bool => (
                (if arg.is_true() { "true" } else { "false" }).to_string(),
                false,
            ),
            _ => return Err(wrong("a boolean")),
        },
        'd' | 'o' | 'b' => {
            let n = int_of(arg).ok_or_else(|| wrong("an integer"))?;
            let digits = match verb {
                'd' => n.unsigned_abs().to_string(),
                'o' => format!("{:o}", n.unsigned_abs()),
                _ => format!("{:b}", n.unsigned_abs()),
            };
            let prefix = match (verb, spec.sharp) {
                ('o', true) => "0",
                ('b', true) => "0b",
                _ => "",
            };
            let body = format!("{prefix}{}", min_digits(&digits, spec.precision));
            (signed(n < 0, spec, &body), spec.precision.is_none())
        }
        'x' | 'X' => {
            let (body, zero_ok) = if let Some(n) = int_of(arg) {
                let digits = min_digits(&format!("{:x}", n.unsigned_abs()), spec.precision);
                let prefix = if spec.sharp { "0x" } else { "" };
                (
                    signed(n < 0, spec, &format!("{prefix}{digits}")),
                    spec.precision.is_none(),
                )
            } else if arg.kind() == ValueKind::String || arg.kind() == ValueKind::Bytes {
                let bytes = match arg.as_bytes() {
                    Some(b) => b.to_vec(),
                    None => text(arg)?.into_bytes(),
                };
                (hex::encode(bytes), false)
            } else {
                return Err(wrong("an integer or a string"));
            };
            (
                if verb == 'X' {
                    body.to_uppercase()
                } else {
                    body
                },
                zero_ok,
            )
        }
        'f' | 'F' => {
            if arg.kind() != ValueKind::Number {
                return Err(wrong("a number"));
            }
            let f = f64::try_from(arg.clone()).map_err(|_| wrong("a number"))?;
            if f.is_nan() {
                ("NaN".to_string(), false)
            } else if f.is_infinite() {
                let sign = if f < 0.0 { "-" } else { "+" };
                (format!("{sign}Inf"), false)
            } else {
                let body = format!("{:.*}", spec.precision.unwrap_or(6), f.abs());
                (signed(f.is_sign_negative() && f != 0.0, spec, &body), true)
            }
        }
        other => {
            return Err(fail(
                "printf",
                format!("unsupported verb %{other} (supported: %s %v %d %f %t %q %x %X %o %b %%)"),
            ))
        }
    })
}

/// An integer argument: integers, and floats with no fractional part.
fn int_of(arg: &Value) -> Option<i128> {
    if arg.kind() != ValueKind::Number {
        return None;
    }
    if arg.is_integer() {
        return i128::try_from(arg.clone()).ok();
    }
    let f = f64::try_from(arg.clone()).ok()?;
    (f.fract() == 0.0 && f.abs() < 1e38).then_some(f as i128)
}

fn min_digits(digits: &str, precision: Option<usize>) -> String {
    match precision {
        Some(p) if p > digits.len() => format!("{}{digits}", "0".repeat(p - digits.len())),
        _ => digits.to_string(),
    }
}

fn signed(negative: bool, spec: &Spec, body: &str) -> String {
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{sign}{body}")
}

/// Pads to the width: spaces on the left, on the right with `-`, or zeros after the sign.
fn pad(out: &mut String, body: &str, spec: &Spec, zero_ok: bool) {
    let len = body.chars().count();
    let fill = spec.width.unwrap_or(0).saturating_sub(len);
    if fill == 0 {
        out.push_str(body);
    } else if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && zero_ok {
        let sign_len = body.starts_with(['-', '+', ' ']) as usize;
        out.push_str(&body[..sign_len]);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(&body[sign_len..]);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

/// A double-quoted string with Go's escapes (like `strconv.Quote`).
fn go_quote(s: &str) -> String {
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
            c if (c as u32) < 0x80 && (c.is_control()) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if !go_printable(c) => {
                if (c as u32) <= 0xffff {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `unicode.IsPrint`: no controls, no spaces other than ' ', no
/// invisible format characters.
fn go_printable(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}' | '\u{fffe}' | '\u{ffff}'))
}

#[cfg(test)]
#[path = "printf_tests.rs"]
mod tests;
