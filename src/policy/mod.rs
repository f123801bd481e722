//! Tier policies: each security tier (private, work, public) enforces a Pod Security Standards level and
//! a set of production checks on the rendered manifest, offline, before anything reaches the cluster.
//!
//! Pure: the command layer resolves a [`Policy`] ([`resolve`]), calls [`evaluate`] on the rendered
//! documents and prints the [`Report`] with one of the renderers in [`render`].

pub mod config;
pub mod exempt;
pub mod locate;
pub mod namespace;
pub mod pod;
pub mod production;
pub mod pss;
pub mod render;
pub mod rules;
pub mod selector;

pub use config::{
    load_chart_policy, merge, parse_chart_policy, parse_spec, resolve, ChartPolicy, Checks, Policy,
    PolicySpec, Setting,
};
pub use namespace::{labels_to_add, namespace_labels};

use crate::manifest::Document;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A Pod Security Standards level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "privileged" => Some(Level::Privileged),
            "baseline" => Some(Level::Baseline),
            "restricted" => Some(Level::Restricted),
            _ => None,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How serious a finding is: errors fail lint and refuse install/upgrade/diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule broken at one field of an object, before tier and severity are attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub rule: &'static str,
    /// Field path in the object, `spec.template.spec.containers[0].securityContext.privileged`.
    pub path: String,
    /// What is wrong; never contains a secret value.
    pub message: String,
}

/// The object a finding is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectRef {
    pub kind: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
}

impl ObjectRef {
    fn of(doc: &Document) -> ObjectRef {
        ObjectRef {
            kind: doc.kind().to_string(),
            namespace: doc.namespace().map(str::to_string),
            name: doc.name().to_string(),
        }
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{}/{}/{}", self.kind, ns, self.name),
            None => write!(f, "{}/{}", self.kind, self.name),
        }
    }
}

/// One policy finding, with everything needed to find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    pub tier: String,
    /// The Pod Security Standards level the rule belongs to (PSS controls only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    pub object: ObjectRef,
    /// Chart-relative template path (`templates/deployment.yaml.j2`).
    pub template: String,
    /// The `# Source:` name (`webapp/templates/deployment.yaml`).
    pub display: String,
    /// 1-based line of the template's rendered output holding the field (or its nearest parent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    pub path: String,
    pub message: String,
    pub fix: String,
}

/// An exemption declared on an object, and the findings it waived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Exemption {
    pub object: ObjectRef,
    pub template: String,
    pub rules: Vec<String>,
    pub reason: String,
    /// How many findings it waived (0 means the exemption is no longer needed).
    pub waived: usize,
}

/// An object that was checked, and its template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    pub object: ObjectRef,
    pub template: String,
}

/// The result of checking a manifest against a policy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub tier: String,
    pub level: Option<Level>,
    pub objects: usize,
    /// Every object checked, in manifest order (for per-object test reports).
    pub checked: Vec<Checked>,
    pub findings: Vec<Finding>,
    pub exemptions: Vec<Exemption>,
}

impl Report {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }
    fn count(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == s).count()
    }
    /// Whether install/upgrade/diff must refuse (any error-severity finding).
    pub fn has_errors(&self) -> bool {
        self.errors() > 0
    }
}

/// The Pod Security Standards violations of one object at `level` (`None` for objects without a pod
/// template). An empty list means the API server's PodSecurity admission admits it.
pub fn pss_violations(object: &serde_json::Value, level: Level) -> Option<Vec<Violation>> {
    pod::pod_template(object).map(|pod| pss::check(level, &pod))
}

/// Check every document against `policy`. `release_namespace` is where objects without a namespace go.
pub fn evaluate(docs: &[Document], policy: &Policy, release_namespace: Option<&str>) -> Report {
    let opts = production::Options {
        require_digest: policy.require_digest,
        require_network_policy: policy.require_network_policy,
        release_namespace,
    };
    let mut report = Report {
        tier: policy.tier.clone(),
        level: Some(policy.level),
        objects: docs.len(),
        ..Default::default()
    };
    for doc in docs {
        report.checked.push(Checked {
            object: ObjectRef::of(doc),
            template: doc.source.clone(),
        });
        let (grants, problems) = exempt::parse(doc.object());
        // where each path is written: worked out (a YAML parse of the text) only for an object with findings
        let lines = std::cell::OnceCell::new();
        let finding = |rule: &str, severity: Severity, path: String, message: String| {
            let meta = rules::rule(rule);
            Finding {
                rule: rule.to_string(),
                severity,
                tier: policy.tier.clone(),
                level: match meta.map(|r| r.kind) {
                    Some(rules::RuleKind::Pss(l)) => Some(l),
                    _ => None,
                },
                object: ObjectRef::of(doc),
                template: doc.source.clone(),
                display: doc.display.clone(),
                line: locate::find(lines.get_or_init(|| locate::line_index(&doc.text)), &path)
                    .map(|l| doc.start_line + l - 1),
                path,
                message,
                fix: meta.map(|r| r.fix.to_string()).unwrap_or_default(),
            }
        };
        for p in problems {
            report.findings.push(finding(
                "exemption",
                Severity::Error,
                format!("metadata.annotations.\"{}\"", exempt::ANNOTATION),
                p,
            ));
        }
        let mut violations: Vec<(Violation, Severity)> = Vec::new();
        if let Some(pod) = pod::pod_template(doc.object()) {
            violations.extend(
                pss::check(policy.level, &pod)
                    .into_iter()
                    .map(|v| (v, Severity::Error)),
            );
        }
        let pss_paths: Vec<String> = violations.iter().map(|(v, _)| v.path.clone()).collect();
        for v in production::check(doc, docs, &opts) {
            // host access the Pod Security level already refuses is reported once, as that error
            if v.rule == "host-access" && pss_paths.iter().any(|p| v.path.starts_with(p.as_str())) {
                continue;
            }
            if let Some(s) = policy.severity(v.rule) {
                violations.push((v, s));
            }
        }
        let mut waived = vec![0usize; grants.len()];
        for (v, severity) in violations {
            if let Some(i) = grants
                .iter()
                .position(|g| g.rules.iter().any(|r| r == v.rule))
            {
                waived[i] += 1;
                continue;
            }
            report
                .findings
                .push(finding(v.rule, severity, v.path, v.message));
        }
        for (g, n) in grants.into_iter().zip(waived) {
            report.exemptions.push(Exemption {
                object: ObjectRef::of(doc),
                template: doc.source.clone(),
                rules: g.rules,
                reason: g.reason,
                waived: n,
            });
        }
    }
    report
}

/// Everything a command needs for one release: read the chart's `policy.yaml`, resolve the policy of
/// `tier` (tier default < chart < `stack`, the merged `policy:` of tack.yaml) and check `docs`.
pub fn check_release(
    docs: &[Document],
    chart_dir: &std::path::Path,
    tier: Option<&str>,
    stack: Option<&PolicySpec>,
    release_namespace: Option<&str>,
) -> anyhow::Result<(Policy, Report)> {
    let chart = load_chart_policy(chart_dir)?;
    let policy = resolve(tier, chart.as_ref(), stack);
    let report = evaluate(docs, &policy, release_namespace);
    Ok((policy, report))
}

/// The error that stops install/upgrade/diff before any write when the report has errors, naming the
/// flag that overrides it; `None` when there are no errors.
pub fn refusal(report: &Report, override_flag: &str) -> Option<anyhow::Error> {
    if !report.has_errors() {
        return None;
    }
    let mut rules: Vec<&str> = report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| f.rule.as_str())
        .collect();
    rules.sort();
    rules.dedup();
    Some(anyhow::anyhow!(
        "the manifest breaks the policy of tier `{}` ({} error{}: {}); nothing was written\n\n\
         hint: fix the findings above (`tack lint` lists them with the template, line and fix), exempt an \
         object with a reasoned `{}` annotation, or pass {override_flag} to deploy anyway (it is logged)",
        report.tier,
        report.errors(),
        if report.errors() == 1 { "" } else { "s" },
        rules.join(", "),
        exempt::ANNOTATION,
    ))
}

#[cfg(test)]
mod tests;
