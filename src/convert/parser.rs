//! Builds the syntax tree of a Go template from the lexer's items: control structures, pipelines,
//! commands and operands, and the `define`d templates of the file.

use super::lexer::{Item, Tag, Tok, TokKind};
use anyhow::{bail, Result};

#[derive(Debug, Clone)]
pub enum Node {
    Text(String),
    Comment(Tag, String),
    Action(Tag, Pipe),
    If(Cond),
    With(Cond),
    Range(RangeNode),
    /// `{{ template "name" pipe }}`
    Template(Tag, String, Option<Pipe>),
    Break(Tag),
    Continue(Tag),
    /// Tags that print nothing here (a `define` block): only their trimming of the text around them.
    Gap(Tag),
}

/// `if`/`with`: branches (`else if` chains) and an optional `else`.
#[derive(Debug, Clone)]
pub struct Cond {
    pub branches: Vec<(Tag, Pipe, Vec<Node>)>,
    pub els: Option<(Tag, Vec<Node>)>,
    pub end: Tag,
}

#[derive(Debug, Clone)]
pub struct RangeNode {
    pub tag: Tag,
    pub pipe: Pipe,
    pub body: Vec<Node>,
    pub els: Option<(Tag, Vec<Node>)>,
    pub end: Tag,
}

#[derive(Debug, Clone, Default)]
pub struct Pipe {
    /// Variables declared (`:=`) or assigned (`=`).
    pub vars: Vec<String>,
    pub assign: bool,
    pub cmds: Vec<Vec<Operand>>,
}

#[derive(Debug, Clone)]
pub enum Operand {
    /// `.A.B` (empty for a lone `.`)
    Field(Vec<String>),
    /// `$x.A.B` (`$` has an empty name)
    Var(String, Vec<String>),
    Ident(String),
    Str(String),
    Num(String),
    Bool(bool),
    Nil,
    /// `(pipe).A.B`
    Paren(Box<Pipe>, Vec<String>),
}

/// A named template from `define` or `block`.
#[derive(Debug, Clone)]
pub struct Define {
    pub name: String,
    pub line: usize,
    /// The `define` tag (its right trim applies to the body) and the `end` tag (its left trim does).
    pub open: Tag,
    pub end: Tag,
    pub body: Vec<Node>,
}

/// A parsed file: its top-level nodes and the templates it defines.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    pub nodes: Vec<Node>,
    pub defines: Vec<Define>,
}

pub fn parse(items: Vec<Item>) -> Result<Parsed> {
    let mut p = Parser {
        items,
        pos: 0,
        defines: Vec::new(),
        pending_else: Vec::new(),
    };
    let (nodes, stop) = p.list()?;
    if let Some((tag, word)) = stop {
        bail!("line {}: unexpected `{word}`", tag.line);
    }
    Ok(Parsed {
        nodes,
        defines: p.defines,
    })
}

struct Parser {
    items: Vec<Item>,
    pos: usize,
    defines: Vec<Define>,
    /// Tokens after `else` (e.g. `if x` of `else if x`), taken by the enclosing `if`/`with`.
    pending_else: Vec<Tok>,
}

/// What ended a list: `end`, `else` (with the rest of its tokens).
type Stop = Option<(Tag, String)>;

impl Parser {
    /// Nodes up to `end`/`else`; returns the stop keyword (`end`, `else`, `else if`…) with its tag.
    fn list(&mut self) -> Result<(Vec<Node>, Stop)> {
        let mut nodes = Vec::new();
        while self.pos < self.items.len() {
            let item = self.items[self.pos].clone();
            self.pos += 1;
            match item {
                Item::Text(t) => nodes.push(Node::Text(t)),
                Item::Comment(tag, t) => nodes.push(Node::Comment(tag, t)),
                Item::Action(tag, toks) => {
                    let kw = match toks.first().map(|t| &t.kind) {
                        Some(TokKind::Ident(w)) => w.clone(),
                        _ => String::new(),
                    };
                    let rest = if toks.is_empty() {
                        &toks[..]
                    } else {
                        &toks[1..]
                    };
                    match kw.as_str() {
                        "end" => return Ok((nodes, Some((tag, "end".into())))),
                        "else" => {
                            // Put the remaining tokens back for the caller (else if / else with).
                            self.pending_else = rest.to_vec();
                            return Ok((nodes, Some((tag, "else".into()))));
                        }
                        "if" | "with" => {
                            let c = self.cond(tag, rest, &kw)?;
                            nodes.push(if kw == "if" {
                                Node::If(c)
                            } else {
                                Node::With(c)
                            });
                        }
                        "range" => {
                            let pipe = pipeline(rest, tag.line, true)?;
                            let (body, stop) = self.list()?;
                            let (els, end) = match stop {
                                Some((t, w)) if w == "end" => (None, t),
                                Some((t, _))
                                    if std::mem::take(&mut self.pending_else).is_empty() =>
                                {
                                    let (eb, stop2) = self.list()?;
                                    (Some((t, eb)), expect_end(stop2, tag.line)?)
                                }
                                _ => bail!("line {}: `range` is not closed by `end`", tag.line),
                            };
                            nodes.push(Node::Range(RangeNode {
                                tag,
                                pipe,
                                body,
                                els,
                                end,
                            }));
                        }
                        "define" | "block" => {
                            let Some(TokKind::Str(name)) = rest.first().map(|t| &t.kind) else {
                                bail!("line {}: `{kw}` needs a quoted name", tag.line);
                            };
                            let (body, stop) = self.list()?;
                            let end = expect_end(stop, tag.line)?;
                            self.defines.push(Define {
                                name: name.clone(),
                                line: tag.line,
                                open: tag,
                                end,
                                body,
                            });
                            let outer = Tag {
                                line: tag.line,
                                trim_l: tag.trim_l,
                                trim_r: end.trim_r,
                            };
                            if kw == "block" {
                                let arg = pipeline(&rest[1..], tag.line, false)?;
                                nodes.push(Node::Template(outer, name.clone(), Some(arg)));
                            } else {
                                nodes.push(Node::Gap(outer));
                            }
                        }
                        "template" => {
                            let Some(TokKind::Str(name)) = rest.first().map(|t| &t.kind) else {
                                bail!("line {}: `template` needs a quoted name", tag.line);
                            };
                            let arg = if rest.len() > 1 {
                                Some(pipeline(&rest[1..], tag.line, false)?)
                            } else {
                                None
                            };
                            nodes.push(Node::Template(tag, name.clone(), arg));
                        }
                        "break" => nodes.push(Node::Break(tag)),
                        "continue" => nodes.push(Node::Continue(tag)),
                        _ => nodes.push(Node::Action(tag, pipeline(&toks, tag.line, true)?)),
                    }
                }
            }
        }
        Ok((nodes, None))
    }

    fn cond(&mut self, tag: Tag, toks: &[Tok], kw: &str) -> Result<Cond> {
        let mut branches = vec![(tag, pipeline(toks, tag.line, true)?, Vec::new())];
        loop {
            let (body, stop) = self.list()?;
            branches.last_mut().expect("one branch").2 = body;
            let Some((stag, word)) = stop else {
                bail!("line {}: `{kw}` is not closed by `end`", tag.line);
            };
            if word == "end" {
                return Ok(Cond {
                    branches,
                    els: None,
                    end: stag,
                });
            }
            let rest = std::mem::take(&mut self.pending_else);
            match rest.first().map(|t| &t.kind) {
                None => {
                    let (eb, stop2) = self.list()?;
                    let end = expect_end(stop2, tag.line)?;
                    return Ok(Cond {
                        branches,
                        els: Some((stag, eb)),
                        end,
                    });
                }
                Some(TokKind::Ident(w)) if w == kw => {
                    branches.push((stag, pipeline(&rest[1..], stag.line, true)?, Vec::new()));
                }
                _ => bail!("line {}: unsupported `else` form", stag.line),
            }
        }
    }
}

fn expect_end(stop: Stop, line: usize) -> Result<Tag> {
    match stop {
        Some((t, w)) if w == "end" => Ok(t),
        _ => bail!("line {line}: block is not closed by `end`"),
    }
}

/// Parse a pipeline; `decl` allows a leading `$x :=` / `$x, $y :=` / `$x =`.
pub fn pipeline(toks: &[Tok], line: usize, decl: bool) -> Result<Pipe> {
    let mut pipe = Pipe::default();
    let mut i = 0;
    if decl {
        let mut j = 0;
        let mut vars = Vec::new();
        while let Some(TokKind::Var(v)) = toks.get(j).map(|t| &t.kind) {
            vars.push(v.clone());
            j += 1;
            if toks.get(j).map(|t| &t.kind) == Some(&TokKind::Comma) {
                j += 1;
            } else {
                break;
            }
        }
        match toks.get(j).map(|t| &t.kind) {
            Some(TokKind::Declare) if !vars.is_empty() => {
                pipe.vars = vars;
                i = j + 1;
            }
            Some(TokKind::Assign) if vars.len() == 1 => {
                pipe.vars = vars;
                pipe.assign = true;
                i = j + 1;
            }
            _ => {}
        }
    }
    let mut cmd = Vec::new();
    while i < toks.len() {
        match &toks[i].kind {
            TokKind::Pipe => {
                if cmd.is_empty() {
                    bail!("line {line}: empty command in pipeline");
                }
                pipe.cmds.push(std::mem::take(&mut cmd));
                i += 1;
            }
            _ => {
                let (op, n) = operand(&toks[i..], line)?;
                cmd.push(op);
                i += n;
            }
        }
    }
    if cmd.is_empty() {
        bail!("line {line}: missing value in action");
    }
    pipe.cmds.push(cmd);
    Ok(pipe)
}

/// One operand and the number of tokens it used (with touching `.field` chains).
fn operand(toks: &[Tok], line: usize) -> Result<(Operand, usize)> {
    let mut n = 1;
    let mut op = match &toks[0].kind {
        TokKind::Field(f) => {
            let mut fields = vec![f.clone()];
            while let Some(Tok {
                kind: TokKind::Field(g),
                spaced: false,
            }) = toks.get(n)
            {
                fields.push(g.clone());
                n += 1;
            }
            return Ok((Operand::Field(fields), n));
        }
        TokKind::Dot => Operand::Field(Vec::new()),
        TokKind::Var(v) => Operand::Var(v.clone(), Vec::new()),
        TokKind::Ident(w) => match w.as_str() {
            "true" => Operand::Bool(true),
            "false" => Operand::Bool(false),
            "nil" => Operand::Nil,
            _ => Operand::Ident(w.clone()),
        },
        TokKind::Str(s) => Operand::Str(s.clone()),
        TokKind::Num(s) => Operand::Num(s.clone()),
        TokKind::Char(c) => Operand::Num((*c as u32).to_string()),
        TokKind::LParen => {
            let mut depth = 0;
            let mut end = None;
            for (k, t) in toks.iter().enumerate() {
                match t.kind {
                    TokKind::LParen => depth += 1,
                    TokKind::RParen => {
                        depth -= 1;
                        if depth == 0 {
                            end = Some(k);
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let Some(end) = end else {
                bail!("line {line}: unclosed `(`");
            };
            n = end + 1;
            Operand::Paren(Box::new(pipeline(&toks[1..end], line, true)?), Vec::new())
        }
        other => bail!("line {line}: unexpected {other:?} in action"),
    };
    let mut chain = Vec::new();
    while let Some(Tok {
        kind: TokKind::Field(g),
        spaced: false,
    }) = toks.get(n)
    {
        chain.push(g.clone());
        n += 1;
    }
    if !chain.is_empty() {
        op = match op {
            Operand::Var(v, _) => Operand::Var(v, chain),
            Operand::Paren(p, _) => Operand::Paren(p, chain),
            _ => bail!("line {line}: a field cannot follow this value"),
        };
    }
    Ok((op, n))
}
