//! SARIF 2.1.0 output, the format code-scanning services ingest: one run, the rule catalog as the
//! tool's rules, one result per finding located in its template file.

use crate::policy::rules::{RuleKind, RULES};
use crate::policy::Report;
use serde_json::{json, Value};

/// The report as a SARIF 2.1.0 log. `chart_dir` prefixes template paths so the locations resolve
/// from the repository root (`charts/webapp`); pass `""` when paths are already repository-relative.
pub fn sarif(report: &Report, chart_dir: &str) -> String {
    let rules: Vec<Value> = RULES
        .iter()
        .map(|r| {
            let tag = match r.kind {
                RuleKind::Pss(l) => format!("pod-security-{l}"),
                RuleKind::Production => "production".into(),
                RuleKind::Meta => "policy".into(),
            };
            json!({
                "id": r.id,
                "name": r.title,
                "shortDescription": {"text": r.title},
                "fullDescription": {"text": r.rationale},
                "help": {"text": r.fix},
                "properties": {"tags": [tag]},
            })
        })
        .collect();
    let uri = |template: &str| {
        let dir = chart_dir.trim_end_matches('/');
        if dir.is_empty() {
            template.to_string()
        } else {
            format!("{dir}/{template}")
        }
    };
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut physical = json!({"artifactLocation": {"uri": uri(&f.template)}});
            if let Some(line) = f.line {
                physical["region"] = json!({"startLine": line});
            }
            json!({
                "ruleId": f.rule,
                "ruleIndex": RULES.iter().position(|r| r.id == f.rule),
                "level": f.severity.as_str(),
                "message": {"text": format!("{}: {} (at {}; rendered line of {}). Fix: {}",
                    f.object, f.message, f.path, f.display, f.fix)},
                "locations": [{
                    "physicalLocation": physical,
                    "logicalLocations": [{"fullyQualifiedName": format!("{}:{}", f.object, f.path)}],
                }],
                "properties": {"tier": f.tier, "object": f.object.to_string(), "path": f.path},
            })
        })
        .collect();
    let exemptions: Vec<Value> = report
        .exemptions
        .iter()
        .map(|e| {
            json!({"object": e.object.to_string(), "template": uri(&e.template),
                   "rules": e.rules, "reason": e.reason, "waived": e.waived})
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tack",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
            "properties": {"tier": report.tier, "level": report.level, "exemptions": exemptions},
        }],
    });
    serde_json::to_string_pretty(&log).unwrap_or_default()
}
