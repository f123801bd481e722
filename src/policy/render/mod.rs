//! Policy reports as text: human-readable, JSON, SARIF 2.1.0 (code scanning) and JUnit XML (CI test
//! reports). Pure functions from a [`Report`] to a string; colour and printing belong to the caller.

mod junit;
mod sarif;

pub use junit::junit;
pub use sarif::sarif;

use super::Report;
use std::fmt::Write;

/// The report as lines a person reads: one block per finding, then exemptions and a summary.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let _ = writeln!(out, "{}[{}] {}", f.severity.as_str(), f.rule, f.object);
        let at = match f.line {
            Some(l) => format!("{} (rendered line {l})", f.display),
            None => f.display.clone(),
        };
        let _ = writeln!(out, "  --> {at}, from {}", f.template);
        let _ = writeln!(out, "  at {}", f.path);
        let _ = writeln!(out, "  {}", f.message);
        if !f.fix.is_empty() {
            let _ = writeln!(out, "  fix: {}", f.fix);
        }
    }
    for e in &report.exemptions {
        let _ = writeln!(
            out,
            "exempt[{}] {}: {} ({} finding{} waived)",
            e.rules.join(", "),
            e.object,
            e.reason,
            e.waived,
            if e.waived == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(out, "{}", summary(report));
    out
}

/// `policy (tier public, restricted): 2 errors, 1 warning, 1 exemption, 7 objects`.
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    let level = report.level.map(|l| format!(", {l}")).unwrap_or_default();
    format!(
        "policy (tier {}{level}): {}, {}, {}, {}",
        report.tier,
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        plural(report.exemptions.len(), "exemption"),
        plural(report.objects, "object"),
    )
}

/// The report as pretty JSON: `{tier, level, objects, errors, warnings, findings, exemptions}`.
pub fn json(report: &Report) -> String {
    let value = serde_json::json!({
        "tier": report.tier,
        "level": report.level,
        "objects": report.objects,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "findings": report.findings,
        "exemptions": report.exemptions,
    });
    serde_json::to_string_pretty(&value).unwrap_or_default()
}
