//! Per-object exemptions: `tack.dev/policy-exempt: "RULE[, RULE]: reason"` on an object's metadata.
//! An exemption must name known rules and carry a reason; a malformed one is itself an error.

use super::rules::{self, RuleKind};
use serde_json::Value;

/// The annotation that exempts an object from named rules.
pub const ANNOTATION: &str = "tack.dev/policy-exempt";

/// One accepted exemption of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub rules: Vec<String>,
    pub reason: String,
}

/// Parse the exemption annotation of an object: accepted grants, and messages for malformed entries.
/// Entries are separated by newlines or `;`.
pub fn parse(object: &Value) -> (Vec<Grant>, Vec<String>) {
    let Some(text) = object["metadata"]["annotations"][ANNOTATION].as_str() else {
        return (Vec::new(), Vec::new());
    };
    let mut grants = Vec::new();
    let mut problems = Vec::new();
    for entry in text
        .split(['\n', ';'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (ids, reason) = match entry.split_once(':') {
            Some((ids, reason)) => (ids, reason.trim()),
            None => (entry, ""),
        };
        let ids: Vec<String> = ids
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if reason.is_empty() {
            problems.push(format!(
                "exemption `{entry}` has no reason: write `{}: why it is needed (ticket)`",
                ids.join(", ")
            ));
            continue;
        }
        let unknown: Vec<&String> = ids
            .iter()
            .filter(|id| rules::rule(id).is_none_or(|r| r.kind == RuleKind::Meta))
            .collect();
        if ids.is_empty() || !unknown.is_empty() {
            problems.push(format!(
                "exemption `{}` names no known rule{}",
                entry.split(':').next().unwrap_or(entry).trim(),
                if unknown.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({})",
                        unknown
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ));
            continue;
        }
        grants.push(Grant {
            rules: ids,
            reason: reason.to_string(),
        });
    }
    (grants, problems)
}
