//! Writes Jinja source from text and tags so that tack's environment (`trim_blocks` and `lstrip_blocks`
//! on) prints exactly the text it was given.
//!
//! A Go trim marker becomes Jinja's `-`, which trims the same text unless that text holds white space
//! Go does not trim (e.g. a no-break space); then the text is trimmed here instead. `{%+`/`+%}` are
//! written where Jinja's block rules would otherwise eat white space that Go prints.

use super::lexer::is_go_space;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagKind {
    /// `{{ … }}`
    Var,
    /// `{% … %}`
    Block,
    /// `{# … #}`
    Comment,
}

#[derive(Debug, Clone)]
enum Piece {
    Text(String),
    Tag {
        kind: TagKind,
        body: String,
        trim_l: bool,
        trim_r: bool,
    },
}

/// Jinja output under construction.
#[derive(Debug, Default, Clone)]
pub struct Out {
    pieces: Vec<Piece>,
    /// The next text loses its leading white space (a removed tag's `-}}`).
    pending_trim: bool,
}

impl Out {
    /// Literal text; `{` that would start a Jinja tag is written as an expression.
    pub fn text(&mut self, s: &str) {
        let mut start = 0;
        let b = s.as_bytes();
        for i in 0..b.len() {
            if b[i] == b'{' && matches!(b.get(i + 1), Some(b'{' | b'%' | b'#')) {
                self.push_text(&s[start..i]);
                self.tag(TagKind::Var, "\"{\"", false, false);
                start = i + 1;
            }
        }
        self.push_text(&s[start..]);
    }

    fn push_text(&mut self, s: &str) {
        let s = if std::mem::take(&mut self.pending_trim) {
            s.trim_start_matches(is_go_space)
        } else {
            s
        };
        if s.is_empty() {
            return;
        }
        if let Some(Piece::Text(t)) = self.pieces.last_mut() {
            t.push_str(s);
        } else {
            self.pieces.push(Piece::Text(s.to_string()));
        }
    }

    /// A Go tag that prints nothing: only its trimming of the text around it.
    pub fn gap(&mut self, trim_l: bool, trim_r: bool) {
        if trim_l {
            if let Some(Piece::Text(t)) = self.pieces.last_mut() {
                let n = t.trim_end_matches(is_go_space).len();
                t.truncate(n);
            }
        }
        self.pending_trim = trim_r;
    }

    pub fn tag(&mut self, kind: TagKind, body: &str, trim_l: bool, trim_r: bool) {
        self.pending_trim = false;
        self.pieces.push(Piece::Tag {
            kind,
            body: body.to_string(),
            trim_l,
            trim_r,
        });
    }

    pub fn block(&mut self, body: &str, trim_l: bool, trim_r: bool) {
        self.tag(TagKind::Block, body, trim_l, trim_r);
    }

    pub fn append(&mut self, other: Out) {
        for p in other.pieces {
            match p {
                Piece::Text(t) => self.push_text(&t),
                tag => self.pieces.push(tag),
            }
        }
    }

    /// The Jinja source; the first piece is taken to start a line (files start with it, or with an
    /// import line that ends in a newline).
    pub fn finish(mut self) -> String {
        // A `{` right before a tag would merge with the tag's opening brace.
        let mut i = 0;
        while i + 1 < self.pieces.len() {
            let fix = matches!((&self.pieces[i], &self.pieces[i + 1]), (Piece::Text(t), Piece::Tag { .. }) if t.ends_with('{'));
            if fix {
                if let Piece::Text(t) = &mut self.pieces[i] {
                    t.pop();
                }
                self.pieces.insert(
                    i + 1,
                    Piece::Tag {
                        kind: TagKind::Var,
                        body: "\"{\"".into(),
                        trim_l: false,
                        trim_r: false,
                    },
                );
            }
            i += 1;
        }
        self.resolve_trims();
        let mut out = String::new();
        for (i, p) in self.pieces.iter().enumerate() {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Tag {
                    kind,
                    body,
                    trim_l,
                    trim_r,
                } => {
                    let prev = match i.checked_sub(1).map(|j| &self.pieces[j]) {
                        Some(Piece::Text(t)) => Some(t.as_str()),
                        Some(_) => Some(""),
                        None => None,
                    };
                    let next = match self.pieces.get(i + 1) {
                        Some(Piece::Text(t)) => t.as_str(),
                        _ => "",
                    };
                    let file_start = i == 0 || (i == 1 && matches!(self.pieces[0], Piece::Text(_)));
                    let left = left_marker(*kind, prev, *trim_l, file_start);
                    let right = right_marker(*kind, next, *trim_r);
                    let (open, close) = match kind {
                        TagKind::Var => ("{{", "}}"),
                        TagKind::Block => ("{%", "%}"),
                        TagKind::Comment => ("{#", "#}"),
                    };
                    out.push_str(open);
                    out.push_str(left);
                    out.push(' ');
                    out.push_str(body);
                    out.push(' ');
                    out.push_str(right);
                    out.push_str(close);
                }
            }
        }
        out
    }
}

impl Out {
    /// Where Jinja's `-` would trim more than Go's, trim the text here and drop the marker.
    fn resolve_trims(&mut self) {
        for i in 0..self.pieces.len() {
            let (want_l, want_r) = match &self.pieces[i] {
                Piece::Tag { trim_l, trim_r, .. } => (*trim_l, *trim_r),
                Piece::Text(_) => continue,
            };
            if want_l && i > 0 {
                if let Piece::Text(t) = &mut self.pieces[i - 1] {
                    let go = t.trim_end_matches(is_go_space).len();
                    if t[..go].ends_with(char::is_whitespace) {
                        t.truncate(go);
                        self.set_trim(i, Some(false), None);
                    }
                }
            }
            if want_r {
                if let Some(Piece::Text(t)) = self.pieces.get_mut(i + 1) {
                    let go = t.trim_start_matches(is_go_space).to_string();
                    if go.starts_with(char::is_whitespace) {
                        *t = go;
                        self.set_trim(i, None, Some(false));
                    }
                }
            }
        }
    }

    fn set_trim(&mut self, i: usize, l: Option<bool>, r: Option<bool>) {
        if let Piece::Tag { trim_l, trim_r, .. } = &mut self.pieces[i] {
            if let Some(l) = l {
                *trim_l = l;
            }
            if let Some(r) = r {
                *trim_r = r;
            }
        }
    }
}

fn left_marker(kind: TagKind, prev: Option<&str>, trim: bool, file_start: bool) -> &'static str {
    let prev_text = prev.unwrap_or("");
    if trim {
        return "-";
    }
    if kind == TagKind::Var {
        return "";
    }
    // lstrip_blocks removes spaces and tabs between the start of the line and the tag.
    let line_tail = match prev_text.rfind(['\n', '\r']) {
        Some(p) => &prev_text[p + 1..],
        None if file_start => prev_text,
        None => return "",
    };
    if !line_tail.is_empty() && line_tail.chars().all(char::is_whitespace) {
        "+"
    } else {
        ""
    }
}

fn right_marker(kind: TagKind, next: &str, trim: bool) -> &'static str {
    if trim {
        return "-";
    }
    if kind != TagKind::Var && next.starts_with(['\n', '\r']) {
        "+"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_tags_keep_surrounding_white_space() {
        let mut o = Out::default();
        o.text("a:\n  ");
        o.block("if x", false, false);
        o.text("\n  b \u{a0} \n");
        o.block("endif", true, false);
        o.text("\n");
        o.gap(true, true);
        o.text(" \n c");
        assert_eq!(o.finish(), "a:\n  {%+ if x +%}\n  b \u{a0}{% endif %}c");
    }

    #[test]
    fn braces_in_text_are_escaped() {
        let mut o = Out::default();
        o.text("x {% y {# z {");
        o.tag(TagKind::Var, "v", false, false);
        assert_eq!(
            o.finish(),
            "x {{ \"{\" }}% y {{ \"{\" }}# z {{ \"{\" }}{{ v }}"
        );
    }
}
