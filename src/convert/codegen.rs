//! Turns the Go template tree into Jinja: control structures, variables with Go's scoping, `.`/`$`
//! rebinding inside `with` and `range`, and the root object's parts (`.Values` → `values`).

use std::collections::BTreeMap;

use super::emit::{Out, TagKind};
use super::expr::{snake, Kind, Val, J, P_ATOM, RESERVED};
use super::lexer::Tag;
use super::parser::{Cond, Node, Pipe, RangeNode};
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

pub(super) struct Var {
    go: String,
    pub(super) val: Val,
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

    pub(super) fn dot(&self) -> Val {
        self.scopes.last().expect("scope").dot.clone()
    }

    fn push_scope(&mut self, dot: Val) {
        self.scopes.push(Scope {
            dot,
            vars: Vec::new(),
        });
    }

    pub(super) fn lookup_var(&self, name: &str) -> Option<&Var> {
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
