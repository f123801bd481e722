//! The tier policy of a rendered target: which policy applies (tier default < the chart's `policy.yaml` <
//! the instance's `policy:` in tack.yaml) and what it finds in the target's objects.

use super::render::Prepared;
use super::target::Target;
use crate::policy::{self, Finding, Policy, Report, Severity};
use anyhow::Result;

/// Check a rendered target against its tier's policy.
pub fn check(target: &Target, prepared: &Prepared) -> Result<(Policy, Report)> {
    policy::check_release(
        &prepared.docs,
        &prepared.chart.dir,
        target.layers.tier.as_deref(),
        target.instance.as_ref().and_then(|i| i.policy.as_ref()),
        Some(&target.namespace),
    )
}

/// One finding as a lint line: where, which rule, what and how to fix it.
pub fn finding_line(f: &Finding) -> String {
    let at = match f.line {
        Some(l) => format!("{} (rendered line {l})", f.template),
        None => f.template.clone(),
    };
    let mut out = format!(
        "{at}: {}: policy `{}` (tier {}): {} (at {})",
        f.object, f.rule, f.tier, f.message, f.path
    );
    if !f.fix.is_empty() {
        out.push_str(&format!("\n\nhint: {}", f.fix));
    }
    out
}

/// The findings of `report` as (error lines, warning lines, exemption lines).
pub fn lines(report: &Report) -> (Vec<String>, Vec<String>, Vec<String>) {
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut exempt = Vec::new();
    for f in &report.findings {
        match f.severity {
            Severity::Error => errors.push(finding_line(f)),
            _ => warnings.push(finding_line(f)),
        }
    }
    for e in &report.exemptions {
        exempt.push(format!(
            "{}: exempt from policy `{}`: {} ({} finding{} waived)",
            e.object,
            e.rules.join("`, `"),
            e.reason,
            e.waived,
            if e.waived == 1 { "" } else { "s" }
        ));
    }
    (errors, warnings, exempt)
}
