//! `-o markdown`: a plan ready to paste as a pull-request comment: the summary, a table of objects, and a
//! collapsible `<details>` section per object holding a fenced `diff` block. Kept under the size a comment
//! may have; what does not fit is counted, not cut mid-object.

use super::unified::{hunks, plain};
use super::{summary_line, warning_lines, DriftCheck, Plan, SecretKey};

/// Comments larger than this are refused by common code hosts (65,536); stay well below.
pub const MAX_CHARS: usize = 60_000;
/// Rows of the summary table before the rest are counted instead.
const MAX_ROWS: usize = 300;

/// Render `plan` as markdown, with `context` unchanged lines around each change.
pub fn render(plan: &Plan, context: usize) -> String {
    let mut out = format!(
        "### tack diff: release `{}` in namespace `{}`\n\n{}\n\n**{}**\n",
        plan.subject.release,
        plan.subject.namespace,
        upper_first(&plan.subject.comparison()),
        summary_line(&plan.counts())
    );
    let warnings = warning_lines(plan);
    if !warnings.is_empty() || !plan.notes.is_empty() {
        out.push('\n');
        for w in warnings.iter().chain(plan.notes.iter()) {
            out.push_str(&format!("> {}\n", cell(w)));
        }
    }
    if !plan.hooks.is_empty() {
        out.push_str("\nHooks (run by the operation, not compared):\n\n");
        for h in &plan.hooks {
            out.push_str(&format!("- will run: {}\n", cell(h)));
        }
    }

    let mut rows: Vec<[String; 3]> = plan
        .shown()
        .map(|e| {
            let notes: Vec<String> = e
                .notes
                .iter()
                .map(|n| format!("{}: {}", n.level.as_str(), n.message))
                .collect();
            [
                e.action.as_str().to_string(),
                format!("`{}`", e.object),
                notes.join("; "),
            ]
        })
        .collect();
    rows.extend(plan.drift.iter().map(|d| {
        let what = if d.missing {
            "deleted in the cluster".to_string()
        } else {
            d.paths
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        ["drift".to_string(), format!("`{}`", d.object), what]
    }));
    if !rows.is_empty() {
        out.push_str("\n| Change | Object | Notes |\n| --- | --- | --- |\n");
        for r in rows.iter().take(MAX_ROWS) {
            out.push_str(&format!("| {} | {} | {} |\n", r[0], r[1], cell(&r[2])));
        }
        if rows.len() > MAX_ROWS {
            out.push_str(&format!(
                "\n…and {} more rows; run `tack diff -o summary` for all of them.\n",
                rows.len() - MAX_ROWS
            ));
        }
    }

    let sections = object_sections(plan, context);
    fit(&mut out, sections, MAX_CHARS);
    out
}

/// The collapsible `<details>` section of every shown object, then of every drifted one.
pub(crate) fn object_sections(plan: &Plan, context: usize) -> Vec<String> {
    let mut sections: Vec<String> = plan
        .shown()
        .map(|e| {
            let notes: String = e
                .notes
                .iter()
                .map(|n| format!("> **{}:** {}\n", n.level.as_str(), cell(&n.message)))
                .collect();
            section(
                &format!(
                    "<code>{}</code>: {}",
                    html(&e.object.to_string()),
                    e.action.heading()
                ),
                &notes,
                &e.secret_keys,
                &e.before,
                &e.after,
                context,
            )
        })
        .collect();
    let drift_label = match plan.subject.drift {
        DriftCheck::Checked(r) => format!("drift since revision {r} (- as applied, + live)"),
        _ => "drift (- as recorded, + live)".into(),
    };
    sections.extend(plan.drift.iter().map(|d| {
        let state = if d.missing {
            format!("{drift_label}: deleted in the cluster")
        } else {
            drift_label.clone()
        };
        section(
            &format!("<code>{}</code>: {state}", html(&d.object.to_string())),
            "",
            &d.secret_keys,
            &d.recorded,
            &d.live,
            context,
        )
    }));
    sections
}

/// Append `sections` to `out` while it stays within `limit` characters; the rest are counted in a line.
pub(crate) fn fit(out: &mut String, sections: Vec<String>, limit: usize) {
    let total = sections.len();
    for (i, s) in sections.into_iter().enumerate() {
        if out.len() + s.len() > limit {
            out.push_str(&format!(
                "\n…{} more object diff{} left out to keep this comment under {} characters; run `tack diff` to see {}.\n",
                total - i,
                super::plural(total - i),
                MAX_CHARS,
                if total - i == 1 { "it" } else { "them" }
            ));
            break;
        }
        out.push_str(&s);
    }
}

fn section(
    summary: &str,
    notes: &str,
    keys: &[SecretKey],
    before: &str,
    after: &str,
    context: usize,
) -> String {
    let mut s = format!("\n<details>\n<summary>{summary}</summary>\n\n");
    if !notes.is_empty() {
        s.push_str(notes);
        s.push('\n');
    }
    if !keys.is_empty() {
        s.push_str("Secret data (values hidden; size and sha256 prefix shown):\n\n| Key | Change | Before | After |\n| --- | --- | --- | --- |\n");
        for k in keys {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                k.key,
                k.change.as_str(),
                k.before.as_deref().unwrap_or(""),
                k.after.as_deref().unwrap_or("")
            ));
        }
        s.push('\n');
    }
    let body = plain(&hunks(before, after, context));
    if !body.is_empty() {
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        s.push_str(&format!("{fence}diff\n{body}{fence}\n\n"));
    }
    s.push_str("</details>\n");
    s
}

pub(crate) fn upper_first(text: &str) -> String {
    let mut c = text.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// Text safe inside a table cell or a one-line quote.
pub(crate) fn cell(text: &str) -> String {
    text.trim()
        .replace('|', "\\|")
        .replace("\n\n", "<br>")
        .replace('\n', "<br>")
}

fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fences_outgrow_backticks_in_the_content() {
        assert_eq!(longest_backtick_run("a ``` b ` c"), 3);
        let s = section("x", "", &[], "a: 1\n", "a: \"```\"\n", 3);
        assert!(s.contains("````diff\n"), "{s}");
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a | b\nc"), "a \\| b<br>c");
    }
}
