//! Parsers for flag values clap does not know: durations (`90s`, `1m30s`) and the `--set*` flags in
//! command-line order.

use clap::ArgMatches;

use crate::values::{SetArg, SetKind};

/// The longest duration any flag accepts (about 100 years): far beyond any real wait, and safe to add to an
/// `Instant`.
const MAX_DURATION_SECS: u64 = 100 * 365 * 24 * 3600;

/// Parse `90s`, `5m`, `1h`, `1m30s` or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        if secs > MAX_DURATION_SECS {
            return Err(format!(
                "invalid duration `{s}`: too long (at most {MAX_DURATION_SECS}s, about 100 years)"
            ));
        }
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid duration `{s}`: expected e.g. `90s`, `5m`, `1h`"))?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => {
                return Err(format!(
                    "invalid duration `{s}`: unknown unit `{c}` (use s, m or h)"
                ))
            }
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .filter(|t| *t <= MAX_DURATION_SECS)
            .ok_or_else(|| {
                format!("invalid duration `{s}`: too long (at most {MAX_DURATION_SECS}s, about 100 years)")
            })?;
    }
    if !num.is_empty() {
        return Err(format!(
            "invalid duration `{s}`: a number needs a unit (s, m or h)"
        ));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// The `--set*` flags of the (sub)command in `matches`, in command-line order.
pub fn ordered_sets(matches: &ArgMatches) -> Vec<SetArg> {
    let mut out: Vec<(usize, SetArg)> = Vec::new();
    for (id, kind) in [
        ("set", SetKind::Set),
        ("set_string", SetKind::String),
        ("set_file", SetKind::File),
        ("set_json", SetKind::Json),
        ("set_literal", SetKind::Literal),
    ] {
        let Ok(Some(vals)) = matches.try_get_many::<String>(id) else {
            continue;
        };
        let Some(idx) = matches.indices_of(id) else {
            continue;
        };
        for (i, v) in idx.zip(vals) {
            out.push((
                i,
                SetArg {
                    kind,
                    expr: v.clone(),
                },
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
}
