//! The terminal renderers: `-o diff` (a header per object, a coloured unified diff of its YAML, Secret keys as
//! size and digest, then the plan summary) and `-o summary` (one line per object). Colour comes only from
//! `crate::output` and only when asked.

use super::unified::{hunks, LineKind};
use super::{
    summary_line, warning_lines, Action, DriftCheck, DriftEntry, Entry, NoteLevel, Plan, SecretKey,
};
use crate::style;

/// How to render text.
#[derive(Debug, Clone, Copy)]
pub struct TextOptions {
    /// Unchanged lines shown around each change.
    pub context: usize,
    /// Colour through `crate::output` (which also honours NO_COLOR and --no-color).
    pub color: bool,
}

struct Paint(bool);

impl Paint {
    fn with(&self, f: fn(&str) -> String, text: &str) -> String {
        if self.0 {
            f(text)
        } else {
            text.to_string()
        }
    }
}

/// `-o diff`: every changed object with its diff, drift, then the summary.
pub fn render(plan: &Plan, opts: &TextOptions) -> String {
    let p = Paint(opts.color);
    let mut out = header(plan, &p);
    for e in plan.shown() {
        out.push('\n');
        entry(&mut out, e, opts, &p);
    }
    hooks(&mut out, plan, &p);
    if !plan.drift.is_empty() {
        out.push('\n');
        out.push_str(&p.with(style::bold, &drift_title(plan)));
        out.push('\n');
        for d in &plan.drift {
            out.push('\n');
            drift(&mut out, d, opts, &p);
        }
    }
    out.push('\n');
    footer(&mut out, plan, &p);
    out
}

/// `-o summary`: one line per object that changes or drifted, then the summary.
pub fn render_summary(plan: &Plan, color: bool) -> String {
    let p = Paint(color);
    let mut out = header(plan, &p);
    let shown: Vec<&Entry> = plan.shown().collect();
    if !shown.is_empty() || !plan.drift.is_empty() {
        out.push('\n');
    }
    for e in shown {
        let mut line = format!(
            "  {} {:<9} {}",
            marker(e.action, &p),
            e.action.as_str(),
            e.object
        );
        for n in &e.notes {
            line.push_str(&format!(" [{}]", n.level.as_str()));
        }
        out.push_str(&line);
        out.push('\n');
    }
    if !plan.hooks.is_empty() {
        out.push('\n');
    }
    for h in &plan.hooks {
        out.push_str(&format!(
            "  {} {:<9} {h}\n",
            p.with(style::dim, ">"),
            "will run"
        ));
    }
    for d in &plan.drift {
        let what = if d.missing {
            "deleted in the cluster".to_string()
        } else {
            d.paths.join(", ")
        };
        out.push_str(&format!(
            "  {} {:<9} {} ({what})\n",
            p.with(style::yellow, "!"),
            "drift",
            d.object
        ));
    }
    out.push('\n');
    footer(&mut out, plan, &p);
    out
}

/// The hooks section: hooks run, they are not compared.
fn hooks(out: &mut String, plan: &Plan, p: &Paint) {
    if plan.hooks.is_empty() {
        return;
    }
    out.push('\n');
    out.push_str(&p.with(style::bold, "Hooks (run by the operation, not compared):"));
    out.push('\n');
    for h in &plan.hooks {
        out.push_str(&format!("  will run: {h}\n"));
    }
}

fn header(plan: &Plan, p: &Paint) -> String {
    let mut out = p.with(style::dim, &plan.subject.describe());
    out.push('\n');
    for n in &plan.notes {
        out.push_str(&format!("{} {n}\n", p.with(style::yellow, "note:")));
    }
    out
}

fn footer(out: &mut String, plan: &Plan, p: &Paint) {
    out.push_str(&p.with(style::bold, &summary_line(&plan.counts())));
    out.push('\n');
    for w in warning_lines(plan) {
        out.push_str(&p.with(style::yellow, &w));
        out.push('\n');
    }
}

fn drift_title(plan: &Plan) -> String {
    match plan.subject.drift {
        DriftCheck::Checked(r) => format!(
            "Drift: changed in the cluster since revision {r} was applied (- as revision {r} set it, + as it is live)"
        ),
        _ => "Drift: changed in the cluster (- as recorded, + as it is live)".into(),
    }
}

fn marker(action: Action, p: &Paint) -> String {
    match action {
        Action::Add => p.with(style::green, "+"),
        Action::Change => p.with(style::yellow, "~"),
        Action::Delete => p.with(style::red, "-"),
        Action::Unchanged => " ".into(),
    }
}

fn entry(out: &mut String, e: &Entry, opts: &TextOptions, p: &Paint) {
    let state = match e.action {
        Action::Add => p.with(style::green, e.action.heading()),
        Action::Delete => p.with(style::red, e.action.heading()),
        Action::Change => p.with(style::yellow, e.action.heading()),
        Action::Unchanged => e.action.heading().to_string(),
    };
    out.push_str(&format!(
        "{}: {state}\n",
        p.with(style::bold, &e.object.to_string())
    ));
    for n in &e.notes {
        let label = format!("{}:", n.level.as_str());
        let label = match n.level {
            NoteLevel::Error => p.with(style::red, &label),
            NoteLevel::Conflict => p.with(style::yellow, &label),
            NoteLevel::Info => p.with(style::cyan, &label),
        };
        out.push_str(&format!("  {label} {}\n", indent_rest(&n.message)));
    }
    secret_keys(out, &e.secret_keys, p);
    lines(out, &e.before, &e.after, opts.context, p);
}

fn drift(out: &mut String, d: &DriftEntry, opts: &TextOptions, p: &Paint) {
    let state = if d.missing {
        "drift (deleted in the cluster)"
    } else {
        "drift"
    };
    out.push_str(&format!(
        "{}: {}\n",
        p.with(style::bold, &d.object.to_string()),
        p.with(style::yellow, state)
    ));
    secret_keys(out, &d.secret_keys, p);
    lines(out, &d.recorded, &d.live, opts.context, p);
}

fn secret_keys(out: &mut String, keys: &[SecretKey], p: &Paint) {
    if keys.is_empty() {
        return;
    }
    out.push_str("  secret data (values hidden; size and sha256 prefix shown):\n");
    let width = keys
        .iter()
        .map(|k| k.key.chars().count())
        .max()
        .unwrap_or(0);
    for k in keys {
        let sides = match (&k.before, &k.after) {
            (Some(b), Some(a)) if b != a => format!("{b} → {a}"),
            (Some(b), _) => b.clone(),
            (None, Some(a)) => a.clone(),
            (None, None) => String::new(),
        };
        let change = format!("{:<9}", k.change.as_str());
        let change = match k.change {
            super::KeyChange::Added => p.with(style::green, &change),
            super::KeyChange::Removed => p.with(style::red, &change),
            super::KeyChange::Changed => p.with(style::yellow, &change),
            super::KeyChange::Unchanged => change,
        };
        out.push_str(&format!("    {change}  {:<width$}  {sides}\n", k.key));
    }
}

fn lines(out: &mut String, before: &str, after: &str, context: usize, p: &Paint) {
    for h in hunks(before, after, context) {
        out.push_str(&p.with(style::cyan, &h.header));
        out.push('\n');
        for (kind, text) in &h.lines {
            let line = format!("{}{text}", kind.marker());
            out.push_str(&match kind {
                LineKind::Removed => p.with(style::red, &line),
                LineKind::Added => p.with(style::green, &line),
                LineKind::Context => line,
            });
            out.push('\n');
        }
    }
}

fn indent_rest(text: &str) -> String {
    text.trim_end().replace('\n', "\n    ")
}
