//! How Go template expressions become Jinja: pipelines and commands, operands, variables, method calls on
//! Helm's objects (`.Files.Get`, `.Capabilities.APIVersions.Has`), and the fields of the root object's parts
//! (`.Release.Name` → `release.name`, `.Values.x` → `values.x`).

use super::codegen::Gen;
use super::expr::{attr, kind_of_default, Kind, Part, Val, J, P_ATOM};
use super::parser::{Operand, Pipe};

impl<'a> Gen<'a> {
    // ------------------------------------------------------------------ expressions

    pub fn pipe(&mut self, p: &Pipe) -> Val {
        if !p.vars.is_empty() {
            return Val::Expr(self.unsupported("a variable declared inside parentheses"));
        }
        let mut prev: Option<Val> = None;
        for cmd in &p.cmds {
            prev = Some(self.command(cmd, prev));
        }
        prev.expect("a pipeline has a command")
    }

    fn command(&mut self, ops: &[Operand], prev: Option<Val>) -> Val {
        if let Operand::Ident(name) = &ops[0] {
            let mut args: Vec<Val> = ops[1..].iter().map(|o| self.operand(o)).collect();
            args.extend(prev);
            return self.call(name, args);
        }
        if let Some(v) = self.method_call(ops, prev.clone()) {
            return v;
        }
        if ops.len() > 1 || prev.is_some() {
            return Val::Expr(
                self.unsupported("arguments given to a value that is not a function"),
            );
        }
        self.operand(&ops[0])
    }

    /// `.Files.Get "x"`, `.Capabilities.APIVersions.Has "x"`, `(.Files.Glob "x").AsConfig`.
    fn method_call(&mut self, ops: &[Operand], prev: Option<Val>) -> Option<Val> {
        let (base, fields): (Val, &Vec<String>) = match &ops[0] {
            Operand::Field(f) if !f.is_empty() => (self.dot(), f),
            Operand::Var(v, f) if !f.is_empty() => (self.var(v), f),
            Operand::Paren(p, f) if !f.is_empty() => (self.pipe(p), f),
            _ => return None,
        };
        let (last, head) = fields.split_last().expect("fields");
        let method = last.as_str();
        let is_method = matches!(
            method,
            "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets" | "Has"
        );
        if !is_method {
            return None;
        }
        let mut obj = base;
        for f in head {
            obj = self.field(obj, f);
        }
        let mut args: Vec<Val> = ops[1..].iter().map(|o| self.operand(o)).collect();
        args.extend(prev);
        let args: Vec<J> = args.into_iter().map(|a| self.expr_of(a)).collect();
        let codes: Vec<String> = args.iter().map(|a| a.code.clone()).collect();
        let j = match (&obj, method) {
            (Val::Part(Part::Files), "Get") if codes.len() == 1 => {
                J::atom(format!("files.get({})", codes[0]), Kind::Str)
            }
            (Val::Part(Part::Files), "GetBytes") if codes.len() == 1 => {
                J::atom(format!("files.get_bytes({})", codes[0]), Kind::Any)
            }
            (Val::Part(Part::Files), "Lines") if codes.len() == 1 => {
                J::atom(format!("files.lines({})", codes[0]), Kind::List)
            }
            (Val::Part(Part::Files), "Glob") if codes.len() == 1 => {
                J::atom(format!("files.glob({})", codes[0]), Kind::Glob)
            }
            (Val::Expr(g), "AsConfig") if g.kind == Kind::Glob && codes.is_empty() => {
                J::atom(format!("{}.as_config()", g.at(P_ATOM)), Kind::Str)
            }
            (Val::Expr(g), "AsSecrets") if g.kind == Kind::Glob && codes.is_empty() => {
                J::atom(format!("{}.as_secrets()", g.at(P_ATOM)), Kind::Str)
            }
            (Val::Part(Part::ApiVersions), "Has") if codes.len() == 1 => J::with_prec(
                format!(
                    "{} in capabilities.apiVersions",
                    args[0].at(super::expr::P_ADD)
                ),
                super::expr::P_CMP,
                Kind::Bool,
            ),
            (Val::Expr(_), _) => return None,
            _ => self.unsupported(&format!("the method `{method}` here")),
        };
        Some(Val::Expr(j))
    }

    fn var(&mut self, name: &str) -> Val {
        match self.lookup_var(name) {
            Some(v) => v.val.clone(),
            None => Val::Expr(self.unsupported(&format!("the undefined variable `${name}`"))),
        }
    }

    pub fn operand(&mut self, op: &Operand) -> Val {
        match op {
            Operand::Field(fields) => {
                let mut v = self.dot();
                for f in fields {
                    v = self.field(v, f);
                }
                v
            }
            Operand::Var(name, fields) => {
                let mut v = self.var(name);
                for f in fields {
                    v = self.field(v, f);
                }
                v
            }
            Operand::Paren(p, fields) => {
                let mut v = self.pipe(p);
                for f in fields {
                    v = self.field(v, f);
                }
                v
            }
            Operand::Ident(name) => self.call(name, Vec::new()),
            Operand::Str(s) => Val::Expr(J::atom(super::expr::str_lit(s), Kind::Str)),
            Operand::Num(n) => Val::Expr(
                number(n).unwrap_or_else(|| self.unsupported(&format!("the number `{n}`"))),
            ),
            Operand::Bool(b) => Val::Expr(J::atom(if *b { "true" } else { "false" }, Kind::Bool)),
            Operand::Nil => Val::Expr(J::atom("none", Kind::Any)),
        }
    }

    pub fn field(&mut self, v: Val, name: &str) -> Val {
        let s = |code: &str, kind| Val::Expr(J::path(code, kind));
        match v {
            Val::Root => match name {
                "Values" => {
                    let mut j = J::path("values", Kind::Map);
                    j.vpath = Some(Vec::new());
                    Val::Expr(j)
                }
                "Release" => Val::Part(Part::Release),
                "Chart" => Val::Part(Part::Chart),
                "Capabilities" => Val::Part(Part::Capabilities),
                "Files" => Val::Part(Part::Files),
                "Template" => Val::Part(Part::Template),
                "Subcharts" => Val::Expr(self.unsupported("`.Subcharts`")),
                // Helm's root is a map of the names above: any other field is missing, which Go templates
                // (missingkey=zero) read as nil
                _ => Val::Expr(J::atom("none", Kind::Any)),
            },
            Val::Part(Part::Release) => match name {
                "Name" => s("release.name", Kind::Str),
                "Namespace" => s("release.namespace", Kind::Str),
                "Revision" => s("release.revision", Kind::Num),
                "IsInstall" => s("release.isInstall", Kind::Bool),
                "IsUpgrade" => s("release.isUpgrade", Kind::Bool),
                "Service" => s("release.service", Kind::Str),
                other => Val::Expr(self.unsupported(&format!("`.Release.{other}`"))),
            },
            Val::Part(Part::Chart) => {
                let key = match name {
                    "APIVersion" => "apiVersion".to_string(),
                    other => {
                        let mut c = other.chars();
                        match c.next() {
                            Some(f) => f.to_lowercase().chain(c).collect(),
                            None => String::new(),
                        }
                    }
                };
                let kind = match self.info.meta.get(key.as_str()) {
                    Some(serde_yaml::Value::String(_)) => Kind::Str,
                    _ => Kind::Any,
                };
                let mut j = J::path(attr(&J::path("chart", Kind::Map), &key), kind);
                j.vpath = None;
                Val::Expr(j)
            }
            Val::Part(Part::Capabilities) => match name {
                "KubeVersion" => Val::Part(Part::KubeVersion),
                "APIVersions" => Val::Part(Part::ApiVersions),
                other => Val::Expr(self.unsupported(&format!("`.Capabilities.{other}`"))),
            },
            Val::Part(Part::KubeVersion) => match name {
                "Version" | "GitVersion" => s("capabilities.kubeVersion.version", Kind::Str),
                "Major" => s("capabilities.kubeVersion.major", Kind::Str),
                "Minor" => s("capabilities.kubeVersion.minor", Kind::Str),
                other => {
                    Val::Expr(self.unsupported(&format!("`.Capabilities.KubeVersion.{other}`")))
                }
            },
            Val::Part(Part::Template) => match name {
                "Name" => s("template.name", Kind::Str),
                "BasePath" => s("template.basePath", Kind::Str),
                other => Val::Expr(self.unsupported(&format!("`.Template.{other}`"))),
            },
            Val::Part(p) => Val::Expr(self.unsupported(&format!("`.{name}` of {p:?}"))),
            Val::Dict(entries) => match entries.into_iter().find(|(k, _)| k == name) {
                Some((_, v)) => v,
                None => Val::Expr(J::atom("none", Kind::Any)),
            },
            Val::Expr(j) => {
                let vpath = j.vpath.as_ref().map(|p| {
                    let mut p = p.clone();
                    p.push(name.to_string());
                    p
                });
                let kind = match &vpath {
                    Some(p) => kind_of_default(&self.info.values, p),
                    None => Kind::Any,
                };
                let mut out = J::path(attr(&j, name), kind);
                out.pure = j.pure;
                out.vpath = vpath;
                Val::Expr(out)
            }
        }
    }

    /// A Jinja expression for a value.
    pub fn expr_of(&mut self, v: Val) -> J {
        match v {
            Val::Expr(j) => j,
            Val::Root => self.unsupported("the whole root context `.`/`$` used as a value"),
            Val::Part(Part::Release) => J::path("release", Kind::Map),
            Val::Part(Part::Chart) => J::path("chart", Kind::Map),
            Val::Part(Part::Files) => J::path("files", Kind::Any),
            Val::Part(Part::Template) => J::path("template", Kind::Map),
            Val::Part(Part::Capabilities) => J::path("capabilities", Kind::Map),
            Val::Part(Part::KubeVersion) => J::path("capabilities.kubeVersion.version", Kind::Str),
            Val::Part(Part::ApiVersions) => J::path("capabilities.apiVersions", Kind::List),
            Val::Dict(entries) => {
                let mut parts = Vec::new();
                for (k, v) in entries {
                    let j = self.expr_of(v);
                    parts.push(format!("{}: {}", super::expr::str_lit(&k), j.code));
                }
                J::atom(format!("{{{}}}", parts.join(", ")), Kind::Map)
            }
        }
    }
}

/// A Go number literal as a Jinja literal.
fn number(n: &str) -> Option<J> {
    let clean = n.replace('_', "");
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b.to_string()),
        None => (false, clean.trim_start_matches('+').to_string()),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.chars().all(|c| c.is_ascii_digit())
    {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else {
        lower.parse::<i64>().ok()
    };
    if let Some(i) = int {
        let i = if neg { -i } else { i };
        return Some(J::with_prec(
            i.to_string(),
            if neg { 6 } else { P_ATOM },
            Kind::Num,
        ));
    }
    let f: f64 = lower.parse().ok()?;
    let f = if neg { -f } else { f };
    let mut text = format!("{f:?}");
    if !text.contains(['.', 'e']) {
        text.push_str(".0");
    }
    Some(J::with_prec(text, if neg { 6 } else { P_ATOM }, Kind::Any))
}
