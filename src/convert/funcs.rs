//! Go template built-ins and the Sprig/Helm functions charts use, each written as the Jinja expression
//! that gives the same result; `include`/`template` become macro calls.

use super::codegen::{Gen, Shape};
use super::expr::{Kind, Val, J, P_ADD, P_AND, P_ATOM, P_CMP, P_FILTER, P_MUL, P_NOT, P_OR};

impl Gen<'_> {
    pub fn call(&mut self, name: &str, args: Vec<Val>) -> Val {
        if name == "include" {
            return match args.as_slice() {
                [Val::Expr(n), arg] if n.code.starts_with('"') => {
                    let tname: String = serde_json::from_str(&n.code).unwrap_or_default();
                    self.include(&tname, arg.clone())
                }
                _ => Val::Expr(self.unsupported("`include` with a computed template name")),
            };
        }
        if name == "dict" {
            return self.dict(args);
        }
        let js: Vec<J> = args.into_iter().map(|a| self.expr_of(a)).collect();
        Val::Expr(self.func(name, js))
    }

    fn dict(&mut self, args: Vec<Val>) -> Val {
        if args.len() % 2 != 0 {
            return Val::Expr(self.unsupported("`dict` with an odd number of arguments"));
        }
        let mut entries: Vec<(String, Val)> = Vec::new();
        let mut it = args.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            match k {
                Val::Expr(j) if j.code.starts_with('"') && j.kind == Kind::Str => {
                    let key: String = serde_json::from_str(&j.code).unwrap_or_default();
                    entries.retain(|(e, _)| *e != key);
                    entries.push((key, v));
                }
                _ => return Val::Expr(self.unsupported("`dict` with computed keys")),
            }
        }
        Val::Dict(entries)
    }

    /// A call of the named template with `arg` as its `.`.
    pub fn include(&mut self, tname: &str, arg: Val) -> Val {
        let shape = match &arg {
            Val::Root => Shape::Root,
            Val::Dict(d) => Shape::Dict(
                d.iter()
                    .map(|(k, v)| (k.clone(), matches!(v, Val::Root)))
                    .collect(),
            ),
            _ => Shape::Opaque,
        };
        self.calls.push((tname.to_string(), shape));
        let Some(m) = self.macros.get(tname).cloned() else {
            return Val::Expr(self.unsupported(&format!(
                "the template `{tname}`, which this chart does not define"
            )));
        };
        let prefix = if self.in_helpers {
            String::new()
        } else {
            self.uses_h = true;
            "h.".to_string()
        };
        let args: Vec<String> = match (&m.shape, arg) {
            (Shape::Root, Val::Root) => Vec::new(),
            (Shape::Dict(keys), Val::Dict(entries)) => {
                let mut out = Vec::new();
                for (k, is_root) in keys {
                    if *is_root {
                        continue;
                    }
                    let v = entries
                        .iter()
                        .find(|(e, _)| e == k)
                        .map(|(_, v)| v.clone())
                        .unwrap_or(Val::Expr(J::atom("none", Kind::Any)));
                    if matches!(v, Val::Root) {
                        return Val::Expr(self.unsupported(&format!("`{tname}` called with the root context in a key it otherwise gets a value in")));
                    }
                    out.push(self.expr_of(v).code);
                }
                out
            }
            (Shape::Opaque, v) if !matches!(v, Val::Root) && !contains_root(&v) => {
                vec![self.expr_of(v).code]
            }
            _ => {
                return Val::Expr(self.unsupported(&format!(
                    "`{tname}` called with both the root context and other values"
                )))
            }
        };
        Val::Expr(J::atom(
            format!("{prefix}{}({})", m.jname, args.join(", ")),
            Kind::Str,
        ))
    }

    fn func(&mut self, name: &str, a: Vec<J>) -> J {
        let n = a.len();
        let code = |j: &J| j.code.clone();
        let bin = |op: &str, prec: u8, l: &J, r: &J, kind: Kind| {
            J::with_prec(
                format!("{} {op} {}", l.at(prec), r.at(prec + 1)),
                prec,
                kind,
            )
        };
        match (name, n) {
            ("default", 2) => a[1].filter(
                "default",
                &[code(&a[0]), "true".into()],
                join(a[1].kind, a[0].kind),
            ),
            ("empty", 1) => J::with_prec(format!("not {}", a[0].at(P_CMP)), P_NOT, Kind::Bool),
            ("coalesce", _) if n > 0 => {
                let mut parts: Vec<String> = a.iter().map(|j| j.at(P_AND)).collect();
                parts.push("none".into());
                J::with_prec(parts.join(" or "), P_OR, Kind::Any)
            }
            ("ternary", 3) => J::atom(
                format!(
                    "({} if {} else {})",
                    a[0].at(P_OR),
                    a[2].at(P_OR),
                    a[1].at(P_OR)
                ),
                join(a[0].kind, a[1].kind),
            ),
            ("required", 2) => a[1].filter("required", &[code(&a[0])], a[1].kind),
            ("fail", 1) => J::atom(format!("fail({})", a[0].code), Kind::Str),
            ("toYaml", 1) => a[0].filter("toyaml", &[], Kind::Str),
            ("toJson" | "mustToJson", 1) => a[0].filter("go_json", &[], Kind::Str),
            ("toPrettyJson" | "mustToPrettyJson", 1) => {
                a[0].filter("tojson", &["indent=2".into()], Kind::Str)
            }
            ("fromYaml", 1) => a[0].filter("fromyaml", &[], Kind::Map),
            ("fromJson", 1) => a[0].filter("fromjson", &[], Kind::Any),
            ("nindent", 2) => a[1].filter("nindent", &[code(&a[0])], Kind::Str),
            ("indent", 2) => a[1].filter("indent", &[code(&a[0]), "true".into()], Kind::Str),
            ("quote", 1) if a[0].kind == Kind::Str => a[0].filter("quote", &[], Kind::Str),
            ("quote", 1) => a[0].filter("go_quote", &[], Kind::Str),
            ("squote", 1) => a[0].filter("go_squote", &[], Kind::Str),
            ("printf", _) if n > 0 => J::atom(
                format!(
                    "printf({})",
                    a.iter().map(code).collect::<Vec<_>>().join(", ")
                ),
                Kind::Str,
            ),
            ("print", _) if n > 0 && a.iter().all(|j| j.kind == Kind::Str) => J::with_prec(
                a.iter()
                    .map(|j| j.at(P_MUL))
                    .collect::<Vec<_>>()
                    .join(" ~ "),
                P_ADD,
                Kind::Str,
            ),
            ("print" | "toString", 1) => a[0].filter("go_str", &[], Kind::Str),
            ("trunc", 2) => a[1].filter("trunc", &[code(&a[0])], Kind::Str),
            ("trimSuffix", 2) => a[1].filter("trimsuffix", &[code(&a[0])], Kind::Str),
            ("trimPrefix", 2) => a[1].filter("trimprefix", &[code(&a[0])], Kind::Str),
            ("trim", 1) => a[0].filter("trim", &[], Kind::Str),
            ("trimAll", 2) => J::atom(format!("{}.strip({})", str_of(&a[1]), a[0].code), Kind::Str),
            ("upper", 1) => a[0].filter("upper", &[], Kind::Str),
            ("lower", 1) => a[0].filter("lower", &[], Kind::Str),
            ("replace", 3) => a[2].filter("replace", &[code(&a[0]), code(&a[1])], Kind::Str),
            ("contains", 2) => bin(
                "in",
                P_CMP,
                &a[0],
                &J::atom(str_of(&a[1]), Kind::Str),
                Kind::Bool,
            ),
            ("hasPrefix", 2) => J::with_prec(
                format!("{} is startingwith({})", a[1].at(P_FILTER), a[0].code),
                P_CMP,
                Kind::Bool,
            ),
            ("hasSuffix", 2) => J::with_prec(
                format!("{} is endingwith({})", a[1].at(P_FILTER), a[0].code),
                P_CMP,
                Kind::Bool,
            ),
            ("b64enc", 1) => a[0].filter("b64encode", &[], Kind::Str),
            ("b64dec", 1) => a[0].filter("b64decode", &[], Kind::Str),
            ("sha256sum", 1) => a[0].filter("sha256", &[], Kind::Str),
            ("sha1sum", 1) => a[0].filter("sha1", &[], Kind::Str),
            ("list", _) => J::atom(
                format!("[{}]", a.iter().map(code).collect::<Vec<_>>().join(", ")),
                Kind::List,
            ),
            ("get", 2) => J::atom(
                format!("{}.get({}, \"\")", a[0].at(P_ATOM), a[1].code),
                Kind::Any,
            ),
            ("hasKey", 2) => bin("in", P_CMP, &a[1], &a[0], Kind::Bool),
            ("has", 2) => bin("in", P_CMP, &a[0], &a[1], Kind::Bool),
            ("index", _) if n >= 2 => {
                let mut s = a[0].at(P_ATOM);
                for k in &a[1..] {
                    s = format!("{s}[{}]", k.code);
                }
                J::atom(s, Kind::Any)
            }
            ("keys", 1) => J::atom(format!("{} | list", a[0].at(P_FILTER)), Kind::List).filter(
                "sort",
                &[],
                Kind::List,
            ),
            ("sortAlpha", 1) => a[0]
                .filter("map", &["\"go_str\"".into()], Kind::List)
                .filter("sort", &[], Kind::List),
            ("uniq", 1) => a[0].filter("unique", &[], Kind::List),
            ("first", 1) => a[0].filter("first", &[], Kind::Any),
            ("last", 1) => a[0].filter("last", &[], Kind::Any),
            ("append", 2) => bin(
                "+",
                P_ADD,
                &a[0],
                &J::atom(format!("[{}]", a[1].code), Kind::List),
                Kind::List,
            ),
            ("prepend", 2) => bin(
                "+",
                P_ADD,
                &J::atom(format!("[{}]", a[1].code), Kind::List),
                &a[0],
                Kind::List,
            ),
            ("concat", _) if n > 0 => J::with_prec(
                a.iter()
                    .map(|j| j.at(P_MUL))
                    .collect::<Vec<_>>()
                    .join(" + "),
                P_ADD,
                Kind::List,
            ),
            ("until", 1) => J::atom(format!("range({})", a[0].code), Kind::List),
            ("untilStep", 3) => J::atom(
                format!("range({}, {}, {})", a[0].code, a[1].code, a[2].code),
                Kind::List,
            ),
            ("len", 1) => a[0].filter("length", &[], Kind::Num),
            ("int" | "int64" | "atoi", 1) => a[0].filter("int", &[], Kind::Num),
            ("float64", 1) => a[0].filter("float", &[], Kind::Any),
            ("join", 2) => a[1]
                .filter("map", &["\"go_str\"".into()], Kind::List)
                .filter("join", &[code(&a[0])], Kind::Str),
            ("splitList", 2) => J::atom(
                format!("{}.split({})", str_of(&a[1]), a[0].code),
                Kind::List,
            ),
            ("eq", _) if n >= 2 => {
                let parts: Vec<String> = a[1..]
                    .iter()
                    .map(|r| format!("{} == {}", a[0].at(P_ADD), r.at(P_ADD)))
                    .collect();
                if parts.len() == 1 {
                    J::with_prec(parts[0].clone(), P_CMP, Kind::Bool)
                } else {
                    J::with_prec(parts.join(" or "), P_OR, Kind::Bool)
                }
            }
            ("ne", 2) => bin("!=", P_CMP, &a[0], &a[1], Kind::Bool),
            ("lt", 2) => bin("<", P_CMP, &a[0], &a[1], Kind::Bool),
            ("le", 2) => bin("<=", P_CMP, &a[0], &a[1], Kind::Bool),
            ("gt", 2) => bin(">", P_CMP, &a[0], &a[1], Kind::Bool),
            ("ge", 2) => bin(">=", P_CMP, &a[0], &a[1], Kind::Bool),
            ("and", _) if n >= 2 => J::with_prec(
                a.iter()
                    .map(|j| j.at(P_NOT))
                    .collect::<Vec<_>>()
                    .join(" and "),
                P_AND,
                all_kind(&a),
            ),
            ("or", _) if n >= 2 => J::with_prec(
                a.iter()
                    .map(|j| j.at(P_AND))
                    .collect::<Vec<_>>()
                    .join(" or "),
                P_OR,
                all_kind(&a),
            ),
            ("not", 1) => J::with_prec(format!("not {}", a[0].at(P_CMP)), P_NOT, Kind::Bool),
            ("add", _) if n >= 2 => J::with_prec(
                a.iter()
                    .map(|j| format!("{} | int", j.at(P_FILTER)))
                    .map(|s| format!("({s})"))
                    .collect::<Vec<_>>()
                    .join(" + "),
                P_ADD,
                Kind::Num,
            ),
            ("add1", 1) => J::with_prec(
                format!("({} | int) + 1", a[0].at(P_FILTER)),
                P_ADD,
                Kind::Num,
            ),
            ("sub", 2) => J::with_prec(
                format!(
                    "({} | int) - ({} | int)",
                    a[0].at(P_FILTER),
                    a[1].at(P_FILTER)
                ),
                P_ADD,
                Kind::Num,
            ),
            ("mul", _) if n >= 2 => J::with_prec(
                a.iter()
                    .map(|j| format!("({} | int)", j.at(P_FILTER)))
                    .collect::<Vec<_>>()
                    .join(" * "),
                P_MUL,
                Kind::Num,
            ),
            ("max", _) if n >= 1 => J::atom(
                format!(
                    "[{}] | map(\"int\") | max",
                    a.iter().map(code).collect::<Vec<_>>().join(", ")
                ),
                Kind::Num,
            ),
            ("min", _) if n >= 1 => J::atom(
                format!(
                    "[{}] | map(\"int\") | min",
                    a.iter().map(code).collect::<Vec<_>>().join(", ")
                ),
                Kind::Num,
            ),
            ("semverCompare", 2) => J::atom(
                format!("semver_compare({}, {})", a[0].code, a[1].code),
                Kind::Bool,
            ),
            ("regexMatch", 2) => a[1].filter("regex_match", &[code(&a[0])], Kind::Bool),
            ("regexFind", 2) => a[1].filter("regex_find", &[code(&a[0])], Kind::Str),
            ("regexReplaceAll", 3) => {
                a[1].filter("regex_replace", &[code(&a[0]), code(&a[2])], Kind::Str)
            }
            ("kindIs", 2) => match a[0].code.as_str() {
                "\"string\"" => J::with_prec(
                    format!("{} is string", a[1].at(P_FILTER)),
                    P_CMP,
                    Kind::Bool,
                ),
                "\"bool\"" => J::with_prec(
                    format!("{} is boolean", a[1].at(P_FILTER)),
                    P_CMP,
                    Kind::Bool,
                ),
                "\"map\"" => J::with_prec(
                    format!("{} is mapping", a[1].at(P_FILTER)),
                    P_CMP,
                    Kind::Bool,
                ),
                "\"slice\"" => J::with_prec(
                    format!("({0} is sequence and {0} is not string)", a[1].at(P_FILTER)),
                    P_CMP,
                    Kind::Bool,
                ),
                "\"invalid\"" => {
                    J::with_prec(format!("{} is none", a[1].at(P_FILTER)), P_CMP, Kind::Bool)
                }
                _ => self.unsupported(&format!(
                    "`kindIs {}` (Helm's numbers from values files are float64)",
                    a[0].code
                )),
            },
            ("merge", _) if n >= 2 => a[0].filter(
                "merge",
                &a[1..].iter().map(code).collect::<Vec<_>>(),
                Kind::Map,
            ),
            ("mergeOverwrite", _) if n >= 2 => a[0].filter(
                "merge_overwrite",
                &a[1..].iter().map(code).collect::<Vec<_>>(),
                Kind::Map,
            ),
            ("deepCopy", 1) => a[0].clone(),
            ("lookup", 4) => J::atom(
                format!(
                    "lookup({})",
                    a.iter().map(code).collect::<Vec<_>>().join(", ")
                ),
                Kind::Map,
            ),
            ("tpl", 2) => {
                self.unsupported("`tpl` (tack renders the string as Jinja, not as a Go template)");
                a[0].filter("tpl", &[], Kind::Str)
            }
            ("urlquery", 1) => a[0].filter("urlencode", &[], Kind::Str),
            ("uuidv4", 0) => J::atom("uuidv4()", Kind::Str),
            ("randAlphaNum", 1) => J::atom(format!("rand_alphanum({})", a[0].code), Kind::Str),
            ("randAlpha", 1) => J::atom(format!("rand_alpha({})", a[0].code), Kind::Str),
            ("randNumeric", 1) => J::atom(format!("rand_numeric({})", a[0].code), Kind::Str),
            _ => self.unsupported(&format!("the function `{name}` with {n} argument(s)")),
        }
    }
}

fn contains_root(v: &Val) -> bool {
    match v {
        Val::Root => true,
        Val::Dict(d) => d.iter().any(|(_, v)| contains_root(v)),
        _ => false,
    }
}

/// The value as text the way Sprig converts arguments to strings.
fn str_of(j: &J) -> String {
    if j.kind == Kind::Str {
        j.at(P_ATOM)
    } else {
        format!("({} | go_str)", j.at(P_FILTER))
    }
}

fn join(a: Kind, b: Kind) -> Kind {
    if a == b {
        a
    } else {
        Kind::Any
    }
}

fn all_kind(a: &[J]) -> Kind {
    a.iter().map(|j| j.kind).reduce(join).unwrap_or(Kind::Any)
}
