//! The per-object status display of long waits: on a terminal it redraws in place (the objects not yet ready
//! and a count of those that are); elsewhere, and inside a stack instance's block, one plain line per change.

use super::Style;
use crate::events::Progress;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// What was shown last, so only changes are printed and a redraw can erase the previous frame.
#[derive(Default)]
pub struct LiveStatus {
    drawn: usize,
    last: BTreeMap<String, Progress>,
}

impl LiveStatus {
    /// One line per object whose state changed since the last call.
    pub fn changes(&mut self, rows: &[(String, Progress)]) -> String {
        let mut out = String::new();
        for (name, p) in rows {
            if self.last.get(name) != Some(p) {
                let _ = writeln!(out, "  {name}: {}", describe(p));
                self.last.insert(name.clone(), p.clone());
            }
        }
        out
    }

    /// A frame that replaces the previous one on a terminal.
    pub fn redraw(&mut self, style: Style, rows: &[(String, Progress)]) -> String {
        let mut out = String::new();
        if self.drawn > 0 {
            let _ = write!(out, "\x1b[{}A\x1b[J", self.drawn);
        }
        let ready = rows.iter().filter(|(_, p)| *p == Progress::Ready).count();
        let mut lines = vec![format!("  {}/{} ready", ready, rows.len())];
        for (name, p) in rows {
            match p {
                Progress::Ready => {}
                Progress::Waiting(_) => {
                    lines.push(format!("  {} {name}: {}", style.yellow("…"), describe(p)))
                }
                Progress::Failed(_) => {
                    lines.push(format!("  {} {name}: {}", style.red("✗"), describe(p)))
                }
            }
        }
        for l in &lines {
            out.push_str(l);
            out.push('\n');
        }
        self.drawn = lines.len();
        out
    }
}

fn describe(p: &Progress) -> String {
    match p {
        Progress::Ready => "ready".into(),
        Progress::Waiting(why) => format!("waiting: {why}"),
        Progress::Failed(why) => format!("failed: {why}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_lines_only_for_changes() {
        let mut s = LiveStatus::default();
        let w = vec![("a".to_string(), Progress::Waiting("0/1".into()))];
        assert_eq!(s.changes(&w), "  a: waiting: 0/1\n");
        assert_eq!(s.changes(&w), "");
        let r = vec![("a".to_string(), Progress::Ready)];
        assert_eq!(s.changes(&r), "  a: ready\n");
    }
}
