//! Line diffs of two YAML texts as unified-diff hunks (the `similar` crate), shared by the text, markdown and
//! JSON renderers so all three show the same lines.

use similar::{ChangeTag, TextDiff};

/// What a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Context,
    Removed,
    Added,
}

impl LineKind {
    /// The unified-diff marker: ` `, `-` or `+`.
    pub fn marker(self) -> char {
        match self {
            LineKind::Context => ' ',
            LineKind::Removed => '-',
            LineKind::Added => '+',
        }
    }
}

/// One hunk: its `@@ -a,b +c,d @@` header and its lines (without newlines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hunk {
    pub header: String,
    pub lines: Vec<(LineKind, String)>,
}

/// The hunks turning `before` into `after`, with `context` unchanged lines around each change.
pub fn hunks(before: &str, after: &str, context: usize) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(before, after);
    let mut out = Vec::new();
    for group in diff.grouped_ops(context) {
        let (Some(first), Some(last)) = (group.first(), group.last()) else {
            continue;
        };
        let old = first.old_range().start..last.old_range().end;
        let new = first.new_range().start..last.new_range().end;
        let mut lines = Vec::new();
        for op in &group {
            for change in diff.iter_changes(op) {
                let kind = match change.tag() {
                    ChangeTag::Equal => LineKind::Context,
                    ChangeTag::Delete => LineKind::Removed,
                    ChangeTag::Insert => LineKind::Added,
                };
                let text = change.value().trim_end_matches(['\n', '\r']).to_string();
                lines.push((kind, text));
            }
        }
        out.push(Hunk {
            header: format!(
                "@@ -{} +{} @@",
                range(old.start, old.len()),
                range(new.start, new.len())
            ),
            lines,
        });
    }
    out
}

/// `start,len` as unified diffs write it (1-based; an empty range names the line before it).
fn range(start: usize, len: usize) -> String {
    match len {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

/// The hunks as plain unified-diff text (no colour), ending with a newline when not empty.
pub fn plain(hunks: &[Hunk]) -> String {
    let mut out = String::new();
    for h in hunks {
        out.push_str(&h.header);
        out.push('\n');
        for (kind, text) in &h.lines {
            out.push(kind.marker());
            out.push_str(text);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_have_headers_and_context() {
        let before = "a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n";
        let after = "a: 1\nb: 2\nc: 3\nd: 40\ne: 5\nf: 6\ng: 7\n";
        let h = hunks(before, after, 1);
        assert_eq!(plain(&h), "@@ -3,3 +3,3 @@\n c: 3\n-d: 4\n+d: 40\n e: 5\n");
        let h = hunks(before, after, 0);
        assert_eq!(plain(&h), "@@ -4 +4 @@\n-d: 4\n+d: 40\n");
        assert!(hunks(before, before, 3).is_empty());
    }

    #[test]
    fn additions_and_deletions_are_one_hunk() {
        let h = hunks("", "a: 1\nb: 2\n", 3);
        assert_eq!(plain(&h), "@@ -0,0 +1,2 @@\n+a: 1\n+b: 2\n");
        let h = hunks("a: 1\n", "", 3);
        assert_eq!(plain(&h), "@@ -1 +0,0 @@\n-a: 1\n");
    }
}
