//! Linting: load, validate and render a chart and check every object, collecting all problems at once;
//! the env × tier combinations a values folder offers, for `--matrix`.

use super::render::{render_target, Phase, Prepared, RenderSettings};
use super::target::Target;
use crate::manifest::Document;
use crate::names::{is_dns_subdomain, is_label_value};
use crate::values as vals;
use serde_json::Value;

/// Problems found for one combination of layers.
#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    /// Policy exemptions in force, each with its reason (kept visible, never a failure).
    pub notes: Vec<String>,
    pub objects: usize,
    /// The tier policy's own report, for `-o json|sarif|junit`.
    pub policy: Option<crate::policy::Report>,
    /// Secrets and ConfigMaps the pods need that the chart does not render (see [`external`]).
    pub references: Vec<super::references::Reference>,
    /// Objects whose kinds the cluster must serve (checked with `--cluster`).
    pub needed: Vec<super::served::Needed>,
}

/// Turn the unrendered references of `report` into warnings, except those declared with `--external
/// KIND/NAME`; a declared name that nothing references is a warning too (a stale declaration).
pub fn external(report: &mut Report, declared: &[String]) {
    for r in &report.references {
        if !declared.iter().any(|d| d == &r.key()) {
            report.warnings.push(format!(
                "{}: {} references {} `{}`, which the chart does not render: it must exist before the pods start\n  hint: if it is created outside the chart (`kubectl create secret`, an operator), say so with `--external {}`",
                r.template,
                r.from,
                r.kind,
                r.name,
                r.key()
            ));
        }
    }
    for d in declared {
        if !report.references.iter().any(|r| &r.key() == d) {
            report.warnings.push(format!(
                "--external {d}: no pod of this chart references it (or the chart renders it itself)"
            ));
        }
    }
}

/// Lint one target: render it offline and check the result; every problem lands in the report.
pub fn lint_target(target: &Target, rs: &RenderSettings) -> Report {
    let mut report = Report::default();
    match render_target(target, rs, Phase::Offline, None) {
        Ok(prepared) => lint_prepared(target, &prepared, &mut report),
        Err(e) => report.errors.push(format!("{e:#}")),
    }
    report
}

/// The env × tier combinations the values folder offers (env only, tier only, or none when it has neither).
pub fn matrix(values_dir: &std::path::Path) -> Vec<(Option<String>, Option<String>)> {
    let (envs, tiers) = vals::layer_files_available(values_dir);
    let mut combos: Vec<(Option<String>, Option<String>)> = Vec::new();
    match (envs.is_empty(), tiers.is_empty()) {
        (true, true) => combos.push((None, None)),
        (false, true) => combos.extend(envs.iter().map(|e| (Some(e.clone()), None))),
        (true, false) => combos.extend(tiers.iter().map(|t| (None, Some(t.clone())))),
        (false, false) => {
            for e in &envs {
                for t in &tiers {
                    combos.push((Some(e.clone()), Some(t.clone())));
                }
            }
        }
    }
    combos
}

/// The checks of a rendered chart: values warnings, render errors, Chart.yaml, every object, and the tier
/// policy (Pod Security Standards and production checks).
pub fn lint_prepared(target: &Target, prepared: &Prepared, report: &mut Report) {
    report
        .warnings
        .extend(prepared.resolved.warnings.iter().map(|w| w.to_string()));
    report.errors.extend(prepared.errors.iter().cloned());
    if prepared.chart.meta.api_version.as_deref() != Some("v2") {
        report.warnings.push(format!(
            "{}/Chart.yaml: `apiVersion` should be `v2`",
            prepared.chart.dir.display()
        ));
    }
    let mut open_top: Vec<String> = prepared
        .chart
        .meta
        .dependencies
        .iter()
        .map(|d| d.values_key().to_string())
        .collect();
    open_top.push("global".into());
    let schema = prepared.chart.schema.as_ref().map(|(_, s)| s);
    for unknown in vals::unknown_keys(&prepared.resolved, schema, &open_top) {
        report.warnings.push(unknown.to_string());
    }
    for doc in &prepared.docs {
        check_object(doc, report);
    }
    report.references = super::references::unrendered(&prepared.docs);
    report.needed = super::served::needed(prepared);
    report.objects = prepared.docs.len();
    match super::policy::check(target, prepared) {
        Ok((_, policy)) => {
            let (errors, warnings, exempt) = super::policy::lines(&policy);
            report.errors.extend(errors);
            report.warnings.extend(warnings);
            report.notes.extend(exempt);
            report.policy = Some(policy);
        }
        Err(e) => report.errors.push(format!("{e:#}")),
    }
}

/// Object-level checks that the API server would reject, plus deploy-safety warnings.
fn check_object(doc: &Document, report: &mut Report) {
    let at = format!(
        "{} (rendered line {}): {}",
        doc.source,
        doc.start_line,
        doc.id()
    );
    if !is_dns_subdomain(doc.name()) {
        report.errors.push(format!(
            "{at}: name `{}` is not a valid Kubernetes name (lower-case letters, digits, `-` and `.`, at most 253 characters)",
            doc.name()
        ));
    }
    if let Some(labels) = doc.object()["metadata"]["labels"].as_object() {
        for (k, v) in labels {
            match v {
                Value::String(s) if is_label_value(s) => {}
                Value::String(s) => report.errors.push(format!(
                    "{at}: label `{k}` has invalid value `{s}` (at most 63 characters: letters, digits, `-`, `_`, `.`)"
                )),
                other => report.errors.push(format!(
                    "{at}: label `{k}` must be a string, found `{other}`; quote it in the template (`| quote`)"
                )),
            }
        }
    }
    for (path, container) in containers(doc.object()) {
        let cname = container["name"].as_str().unwrap_or("?");
        // pinned images and resources are the tier policy's `image-pinned` and `resources` checks
        if container["image"].as_str().is_none() {
            report
                .errors
                .push(format!("{at}: container `{cname}` has no image ({path})"));
        }
    }
}

/// Containers of a workload or pod, with their path in the object.
fn containers(obj: &Value) -> Vec<(String, &Value)> {
    let spec = match obj["kind"].as_str().unwrap_or_default() {
        "Pod" => &obj["spec"],
        "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
            &obj["spec"]["template"]["spec"]
        }
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    for key in ["initContainers", "containers"] {
        if let Some(list) = spec[key].as_array() {
            for (i, c) in list.iter().enumerate() {
                out.push((format!("{key}[{i}]"), c));
            }
        }
    }
    out
}
