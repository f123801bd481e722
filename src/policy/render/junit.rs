//! JUnit XML output for CI test reports: one test case per checked object, failing when the object
//! has error findings; warnings and exemptions go to the case's output.

use crate::policy::{Report, Severity};
use std::fmt::Write;

/// The report as a JUnit XML document (one `testsuite` named after the tier).
pub fn junit(report: &Report) -> String {
    let failed = report
        .checked
        .iter()
        .filter(|c| {
            report
                .findings
                .iter()
                .any(|f| f.object == c.object && f.severity == Severity::Error)
        })
        .count();
    let suite = format!("tack policy (tier {})", report.tier);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
        esc(&suite),
        report.checked.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
        esc(&suite),
        report.checked.len()
    );
    for c in &report.checked {
        let findings: Vec<_> = report
            .findings
            .iter()
            .filter(|f| f.object == c.object && f.template == c.template)
            .collect();
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            esc(&c.template),
            esc(&c.object.to_string())
        );
        let errors: Vec<_> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .collect();
        let mut output = String::new();
        for f in findings.iter().filter(|f| f.severity == Severity::Warning) {
            let _ = writeln!(output, "warning[{}] {}: {}", f.rule, f.path, f.message);
        }
        for e in report.exemptions.iter().filter(|e| e.object == c.object) {
            let _ = writeln!(output, "exempt[{}]: {}", e.rules.join(", "), e.reason);
        }
        if errors.is_empty() && output.is_empty() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        if !errors.is_empty() {
            let rules: Vec<&str> = errors.iter().map(|f| f.rule.as_str()).collect();
            let mut body = String::new();
            for f in &errors {
                let line = f
                    .line
                    .map(|l| format!(" (rendered line {l})"))
                    .unwrap_or_default();
                let _ = writeln!(
                    body,
                    "error[{}] {}{line} at {}: {}\nfix: {}",
                    f.rule, f.display, f.path, f.message, f.fix
                );
            }
            let _ = writeln!(
                out,
                "      <failure type=\"policy\" message=\"{}\">{}</failure>",
                esc(&format!(
                    "{} policy error(s): {}",
                    errors.len(),
                    rules.join(", ")
                )),
                esc(&body)
            );
        }
        if !output.is_empty() {
            let _ = writeln!(out, "      <system-out>{}</system-out>", esc(&output));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {}
            c => out.push(c),
        }
    }
    out
}
