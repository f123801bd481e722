//! Turns the Go template tree into Jinja: control structures, variables with Go's scoping, `.`/`$`
//! rebinding inside `with` and `range`, and the root object's parts (`.Values` → `values`).

use std::collections::BTreeMap;

use super::emit::{Out, TagKind};
use super::expr::{attr, kind_of_default, snake, Kind, Part, Val, J, P_ATOM, RESERVED};
use super::lexer::Tag;
use super::parser::{Cond, Node, Operand, Pipe, RangeNode};
use super::Unsupported;

/// How a named template is called: with the root object, with a `dict` (key → whether the entry is the
/// root object), or with any other value.
#[derive(Debug, Clone, PartialEq)]
pub enum Shape {
    Root,
    Dict(Vec<(String, bool)>),
    Opaque,
    Conflict,
}

impl Shape {
    pub fn merge(self, other: Shape) -> Shape {
        match (self, other) {
            (a, b) if a == b => a,
            (Shape::Dict(mut a), Shape::Dict(b)) => {
                for (k, root) in b {
                    match a.iter().find(|(ka, _)| *ka == k) {
                        Some((_, r)) if *r != root => return Shape::Conflict,
                        Some(_) => {}
                        None => a.push((k, root)),
                    }
                }
                a.sort();
                Shape::Dict(a)
            }
            (Shape::Dict(d), Shape::Opaque) | (Shape::Opaque, Shape::Dict(d))
                if d.iter().all(|(_, r)| !r) =>
            {
                Shape::Opaque
            }
            _ => Shape::Conflict,
        }
    }
}

/// A `define`d template as a macro.
#[derive(Debug, Clone)]
pub struct Macro {
    pub jname: String,
    pub shape: Shape,
}

/// What the generator knows about the chart.
pub struct ChartInfo {
    pub meta: serde_yaml::Value,
    pub values: serde_yaml::Value,
}

struct Var {
    go: String,
    val: Val,
    loop_depth: usize,
}

struct Scope {
    dot: Val,
    vars: Vec<Var>,
}

pub struct Gen<'a> {
    pub info: &'a ChartInfo,
    pub macros: &'a BTreeMap<String, Macro>,
    pub file: String,
    pub in_helpers: bool,
    pub issues: Vec<Unsupported>,
    /// Shapes of the calls seen, by template name.
    pub calls: Vec<(String, Shape)>,
    pub uses_h: bool,
    scopes: Vec<Scope>,
    loop_depth: usize,
    pub(super) line: usize,
}

impl<'a> Gen<'a> {
    pub fn new(
        info: &'a ChartInfo,
        macros: &'a BTreeMap<String, Macro>,
        file: &str,
        in_helpers: bool,
        dot: Val,
    ) -> Gen<'a> {
        Gen {
            info,
            macros,
            file: file.to_string(),
            in_helpers,
            issues: Vec::new(),
            calls: Vec::new(),
            uses_h: false,
            scopes: vec![Scope {
                vars: vec![Var {
                    go: String::new(),
                    val: dot.clone(),
                    loop_depth: 0,
                }],
                dot,
            }],
            loop_depth: 0,
            line: 0,
        }
    }

    /// Records a construct that cannot be converted exactly and returns an expression that fails the
    /// render with the same message, so the converted chart never renders something different.
    pub fn unsupported(&mut self, what: &str) -> J {
        let issue = Unsupported {
            file: self.file.clone(),
            line: self.line,
            construct: what.to_string(),
        };
        let msg = format!(
            "not converted from Helm: {what} ({}:{})",
            issue.file, issue.line
        );
        self.issues.push(issue);
        J::atom(format!("fail({})", super::expr::str_lit(&msg)), Kind::Any)
    }

    fn dot(&self) -> Val {
        self.scopes.last().expect("scope").dot.clone()
    }

    fn push_scope(&mut self, dot: Val) {
        self.scopes.push(Scope {
            dot,
            vars: Vec::new(),
        });
    }

    fn lookup_var(&self, name: &str) -> Option<&Var> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|s| s.vars.iter().rev())
            .find(|v| v.go == name)
    }

    /// A Jinja variable name based on `base` that no visible variable, macro or reserved name uses.
    pub fn fresh(&self, base: &str) -> String {
        let base = snake(base);
        let taken = |n: &str| {
            RESERVED.contains(&n)
                || self.macros.values().any(|m| m.jname == n)
                || self
                    .scopes
                    .iter()
                    .flat_map(|s| &s.vars)
                    .any(|v| matches!(&v.val, Val::Expr(j) if j.code == n))
        };
        if !taken(&base) {
            return base;
        }
        (2..)
            .map(|i| format!("{base}_{i}"))
            .find(|n| !taken(n))
            .expect("a free name")
    }

    fn declare(&mut self, go: &str, val: Val) {
        let depth = self.loop_depth;
        self.scopes.last_mut().expect("scope").vars.push(Var {
            go: go.to_string(),
            val,
            loop_depth: depth,
        });
    }

    // ------------------------------------------------------------------ nodes

    pub fn nodes(&mut self, nodes: &[Node], out: &mut Out) {
        for n in nodes {
            self.node(n, out);
        }
    }

    fn node(&mut self, n: &Node, out: &mut Out) {
        match n {
            Node::Text(t) => out.text(t),
            Node::Comment(tag, text) => out.tag(
                TagKind::Comment,
                &text.trim().replace("#}", "# }"),
                tag.trim_l,
                tag.trim_r,
            ),
            Node::Action(tag, pipe) => {
                self.line = tag.line;
                self.action(*tag, pipe, out);
            }
            Node::If(c) => self.cond(c, false, out),
            Node::With(c) => self.cond(c, true, out),
            Node::Range(r) => self.range(r, out),
            Node::Template(tag, name, arg) => {
                self.line = tag.line;
                let arg = match arg {
                    Some(p) => self.pipe(p),
                    None => Val::Expr(J::atom("none", Kind::Any)),
                };
                let call = self.include(name, arg);
                out.tag(TagKind::Var, &self.print(call), tag.trim_l, tag.trim_r);
            }
            Node::Gap(tag) => out.gap(tag.trim_l, tag.trim_r),
            Node::Break(tag) => out.block("break", tag.trim_l, tag.trim_r),
            Node::Continue(tag) => out.block("continue", tag.trim_l, tag.trim_r),
        }
    }

    fn action(&mut self, tag: Tag, pipe: &Pipe, out: &mut Out) {
        if pipe.vars.is_empty() {
            let v = self.pipe(pipe);
            let code = self.print(v);
            out.tag(TagKind::Var, &code, tag.trim_l, tag.trim_r);
            return;
        }
        if pipe.vars.len() > 1 {
            let j = self.unsupported("declaring two variables outside `range`");
            out.tag(TagKind::Var, &j.code, tag.trim_l, tag.trim_r);
            return;
        }
        let name = &pipe.vars[0];
        let val = self.pipe(&Pipe {
            vars: Vec::new(),
            assign: false,
            cmds: pipe.cmds.clone(),
        });
        if pipe.assign {
            let target = self.lookup_var(name).map(|v| (v.val.clone(), v.loop_depth));
            match target {
                Some((Val::Expr(j), depth)) if depth == self.loop_depth && j.pure => {
                    let value = self.expr_of(val);
                    out.block(
                        &format!("set {} = {}", j.code, value.code),
                        tag.trim_l,
                        tag.trim_r,
                    );
                }
                _ => {
                    let j = self.unsupported(&format!(
                        "assigning `${name}` inside `range` or to a variable that holds a context"
                    ));
                    out.tag(TagKind::Var, &j.code, tag.trim_l, tag.trim_r);
                }
            }
            return;
        }
        match val {
            Val::Expr(j) => {
                let jname = self.fresh(name);
                out.block(&format!("set {jname} = {}", j.code), tag.trim_l, tag.trim_r);
                let mut var = J::path(jname, j.kind);
                var.vpath = None;
                self.declare(name, Val::Expr(var));
            }
            other => {
                out.gap(tag.trim_l, tag.trim_r);
                self.declare(name, other)
            }
        }
    }

    /// The Jinja code that prints a value the way Go prints it.
    pub fn print(&mut self, v: Val) -> String {
        let j = self.expr_of(v);
        match j.kind {
            Kind::Str | Kind::Bool | Kind::Num => j.code,
            _ => j.filter("go_str", &[], Kind::Str).code,
        }
    }

    fn cond(&mut self, c: &Cond, with: bool, out: &mut Out) {
        let mut closers = 0usize;
        for (i, (tag, pipe, body)) in c.branches.iter().enumerate() {
            self.line = tag.line;
            if !pipe.vars.is_empty() {
                let j = self.unsupported("a variable declared in an `if`/`with` condition");
                out.tag(TagKind::Var, &j.code, tag.trim_l, tag.trim_r);
                continue;
            }
            let v = self.pipe(pipe);
            let kw = if i == 0 { "if" } else { "elif" };
            let mut dot = None;
            let test = match v {
                Val::Root | Val::Part(_) => "true".to_string(),
                Val::Dict(ref d) => (if d.is_empty() { "false" } else { "true" }).to_string(),
                Val::Expr(ref j) if !with || j.pure => j.code.clone(),
                Val::Expr(ref j) if i == 0 => {
                    let name = self.fresh("it");
                    out.block(&format!("set {name} = {}", j.code), tag.trim_l, false);
                    let mut bound = J::path(name.clone(), j.kind);
                    bound.vpath = j.vpath.clone();
                    dot = Some(Val::Expr(bound));
                    name
                }
                Val::Expr(_) => self.unsupported("`else with` on a computed value").code,
            };
            if with && dot.is_none() {
                dot = Some(v.clone());
            }
            out.block(&format!("{kw} {test}"), tag.trim_l, tag.trim_r);
            if i == 0 {
                closers += 1;
            }
            match dot {
                Some(d) if with => {
                    self.push_scope(d);
                    self.nodes(body, out);
                    self.scopes.pop();
                }
                _ => {
                    self.push_scope(self.dot());
                    self.nodes(body, out);
                    self.scopes.pop();
                }
            }
        }
        if let Some((tag, body)) = &c.els {
            out.block("else", tag.trim_l, tag.trim_r);
            self.push_scope(self.dot());
            self.nodes(body, out);
            self.scopes.pop();
        }
        if closers > 0 {
            out.block("endif", c.end.trim_l, c.end.trim_r);
        }
    }

    fn range(&mut self, r: &RangeNode, out: &mut Out) {
        self.line = r.tag.line;
        if r.pipe.assign || r.pipe.vars.len() > 2 {
            let j = self.unsupported("this `range` form");
            out.tag(TagKind::Var, &j.code, r.tag.trim_l, r.tag.trim_r);
            return;
        }
        let subject = self.pipe(&Pipe {
            vars: Vec::new(),
            assign: false,
            cmds: r.pipe.cmds.clone(),
        });
        let subject = self.expr_of(subject);
        let elem_base = match (r.pipe.vars.last(), &subject.vpath) {
            (Some(v), _) if r.pipe.vars.len() == 2 || r.pipe.vars.len() == 1 => v.clone(),
            (_, Some(p)) if !p.is_empty() => singular(p.last().expect("segment")),
            _ => "item".to_string(),
        };
        let elem = self.fresh(&elem_base);
        let key_go = if r.pipe.vars.len() == 2 {
            Some(r.pipe.vars[0].clone())
        } else {
            None
        };
        let mut elem_j = J::path(elem.clone(), Kind::Any);
        if subject.kind == Kind::List {
            elem_j.vpath = None;
        }
        self.push_scope(Val::Expr(elem_j.clone()));
        let key = key_go.as_ref().map(|k| self.fresh(k));
        let head = match (subject.kind, &key) {
            (Kind::List, None) => format!("for {elem} in {}", subject.at(P_ATOM)),
            (Kind::List, Some(k)) => {
                format!(
                    "for {k}, {elem} in {}",
                    subject.filter("go_pairs", &[], Kind::List).code
                )
            }
            (Kind::Map, k) => format!(
                "for {}, {elem} in {}",
                k.clone().unwrap_or_else(|| "_".into()),
                subject.filter("items", &[], Kind::List).code
            ),
            (_, k) => format!(
                "for {}, {elem} in {}",
                k.clone().unwrap_or_else(|| "_".into()),
                subject.filter("go_pairs", &[], Kind::List).code
            ),
        };
        out.block(&head, r.tag.trim_l, r.tag.trim_r);
        self.loop_depth += 1;
        if let (Some(kg), Some(k)) = (&key_go, &key) {
            self.declare(kg, Val::Expr(J::path(k.clone(), Kind::Any)));
        }
        if let Some(v) = r.pipe.vars.last() {
            self.declare(v, Val::Expr(elem_j));
        }
        self.nodes(&r.body, out);
        self.loop_depth -= 1;
        self.scopes.pop();
        if let Some((tag, body)) = &r.els {
            out.block("else", tag.trim_l, tag.trim_r);
            self.push_scope(self.dot());
            self.nodes(body, out);
            self.scopes.pop();
        }
        out.block("endfor", r.end.trim_l, r.end.trim_r);
    }

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

fn singular(word: &str) -> String {
    if let Some(stem) = word.strip_suffix("ies") {
        format!("{stem}y")
    } else if word.len() > 3 && word.ends_with('s') && !word.ends_with("ss") {
        word[..word.len() - 1].to_string()
    } else {
        "item".to_string()
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
