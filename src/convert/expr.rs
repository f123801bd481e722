//! Values during code generation: what a Go expression stands for (the root object, a part of it such
//! as `.Release`, a literal `dict`, or a Jinja expression) and helpers to write Jinja expressions.

/// Binding strength of a Jinja expression, to decide where parentheses are needed.
pub const P_OR: u8 = 1;
pub const P_AND: u8 = 2;
pub const P_NOT: u8 = 3;
pub const P_CMP: u8 = 4;
pub const P_ADD: u8 = 5;
pub const P_MUL: u8 = 6;
pub const P_FILTER: u8 = 7;
pub const P_ATOM: u8 = 8;

/// What is statically known about a value, enough to choose between plain Jinja and a Go-compatible
/// helper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string (never none).
    Str,
    Bool,
    /// An integer that prints the same in Go and tack.
    Num,
    List,
    Map,
    /// The result of `.Files.Glob`.
    Glob,
    Any,
}

#[derive(Debug, Clone)]
pub struct J {
    pub code: String,
    pub prec: u8,
    pub kind: Kind,
    /// For `values.a.b`: `["a", "b"]`, to look up the default's type.
    pub vpath: Option<Vec<String>>,
    /// Re-evaluating it has no effect and gives the same value (a path).
    pub pure: bool,
}

impl J {
    pub fn atom(code: impl Into<String>, kind: Kind) -> J {
        J {
            code: code.into(),
            prec: P_ATOM,
            kind,
            vpath: None,
            pure: false,
        }
    }

    pub fn with_prec(code: impl Into<String>, prec: u8, kind: Kind) -> J {
        J {
            code: code.into(),
            prec,
            kind,
            vpath: None,
            pure: false,
        }
    }

    pub fn path(code: impl Into<String>, kind: Kind) -> J {
        J {
            pure: true,
            ..J::atom(code, kind)
        }
    }

    /// The code, in parentheses if it binds less tightly than `min`.
    pub fn at(&self, min: u8) -> String {
        if self.prec < min {
            format!("({})", self.code)
        } else {
            self.code.clone()
        }
    }

    /// `self | name(args)`
    pub fn filter(&self, name: &str, args: &[String], kind: Kind) -> J {
        let call = if args.is_empty() {
            name.to_string()
        } else {
            format!("{name}({})", args.join(", "))
        };
        J::with_prec(format!("{} | {call}", self.at(P_FILTER)), P_FILTER, kind)
    }
}

/// Parts of Helm's root object that tack spells differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Release,
    Chart,
    Capabilities,
    KubeVersion,
    ApiVersions,
    Files,
    Template,
}

#[derive(Debug, Clone)]
pub enum Val {
    /// Helm's root object (`.` at the top of a template, `$`).
    Root,
    Part(Part),
    /// A `dict` literal with string keys, kept apart so its entries can be passed to macros.
    Dict(Vec<(String, Val)>),
    Expr(J),
}

const KEYWORDS: &[&str] = &[
    "and",
    "or",
    "not",
    "in",
    "is",
    "if",
    "else",
    "elif",
    "for",
    "endfor",
    "true",
    "false",
    "none",
    "True",
    "False",
    "None",
    "loop",
    "self",
    "super",
    "recursive",
    "import",
    "from",
    "as",
    "with",
    "set",
    "block",
    "macro",
    "call",
    "filter",
    "include",
    "extends",
    "raw",
];

/// Names tack's templates reserve, or that converted templates use.
pub const RESERVED: &[&str] = &[
    "values",
    "release",
    "chart",
    "capabilities",
    "template",
    "files",
    "h",
    "loop",
    "range",
    "dict",
    "namespace",
    "lookup",
    "printf",
    "fail",
    "tpl",
    "_",
];

pub fn is_plain_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !KEYWORDS.contains(&s)
}

/// `base.key`, or `base["key"]` when the key is not a plain identifier.
pub fn attr(base: &J, key: &str) -> String {
    if is_plain_ident(key) {
        format!("{}.{key}", base.at(P_ATOM))
    } else {
        format!("{}[{}]", base.at(P_ATOM), str_lit(key))
    }
}

/// A Jinja string literal.
pub fn str_lit(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A Jinja identifier made from a Go name: `serviceAccountName` → `service_account_name`.
pub fn snake(name: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            prev_lower = false;
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) || !is_plain_ident(&out) {
        format!("t_{out}")
    } else {
        out
    }
}

/// Kind of the value at `path` in a chart's default values.
pub fn kind_of_default(values: &serde_yaml::Value, path: &[String]) -> Kind {
    let mut cur = values;
    for seg in path {
        match cur.get(seg.as_str()) {
            Some(v) => cur = v,
            None => return Kind::Any,
        }
    }
    match cur {
        serde_yaml::Value::String(_) => Kind::Str,
        serde_yaml::Value::Bool(_) => Kind::Bool,
        serde_yaml::Value::Number(n) => match n.as_i64() {
            Some(i) if i.abs() < 1_000_000 => Kind::Num,
            _ => Kind::Any,
        },
        serde_yaml::Value::Sequence(_) => Kind::List,
        serde_yaml::Value::Mapping(_) => Kind::Map,
        _ => Kind::Any,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_literals() {
        assert_eq!(
            snake("mychart.serviceAccountName"),
            "mychart_service_account_name"
        );
        assert_eq!(snake("9lives"), "t_9lives");
        assert_eq!(str_lit("a\"b\n"), "\"a\\\"b\\n\"");
        let v = J::path("values", Kind::Map);
        assert_eq!(
            attr(&v, "app.kubernetes.io/name"),
            "values[\"app.kubernetes.io/name\"]"
        );
        assert_eq!(attr(&v, "in"), "values[\"in\"]");
    }
}
