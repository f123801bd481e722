//! Kinds the cluster does not serve, found before any write: each is named with its object, the template
//! that renders it and the value that switches that template on, so the user can install the CRD that
//! defines it or turn the template off, instead of meeting a bare "no kind" error halfway through a deploy.

use super::render::Prepared;
use crate::chart::Chart;
use crate::cluster::apply::BatchKinds;
use crate::cluster::resources::{is_unknown_kind, Resolver};
use crate::cluster::Cluster;
use crate::values::Values;
use anyhow::Result;
use std::collections::{BTreeMap, BTreeSet};

/// An object whose kind must be served by the cluster, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Needed {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// Chart-relative path of the template that rendered it.
    pub template: String,
    /// `path=value` of the values that the template's conditions test and that are on here.
    pub switches: Vec<String>,
}

/// The objects of a rendered chart whose kinds the cluster must already serve (kinds defined by a CRD of
/// the same chart are left out: the deploy creates them first).
pub fn needed(prepared: &Prepared) -> Vec<Needed> {
    // only CustomResourceDefinitions define kinds: the other objects need not be read whole here
    let crds: Vec<serde_json::Value> = prepared
        .docs
        .iter()
        .filter(|d| d.kind() == "CustomResourceDefinition")
        .map(|d| d.object().clone())
        .collect();
    let batch = BatchKinds::of(&crds);
    // one template renders many objects: its switches are worked out once
    let mut switched: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    prepared
        .docs
        .iter()
        .filter_map(|d| {
            let api_version = d.api_version().to_string();
            let kind = d.kind().to_string();
            if batch.scope(&api_version, &kind).is_some() {
                return None;
            }
            Some(Needed {
                name: d.name().to_string(),
                template: d.source.clone(),
                switches: switched
                    .entry(&d.source)
                    .or_insert_with(|| switches(&prepared.chart, &d.source, &prepared.values))
                    .clone(),
                api_version,
                kind,
            })
        })
        .collect()
}

/// Fail, naming every object whose kind the cluster does not serve, before anything is written. `what`
/// says what was not done ("nothing was written").
pub async fn check(c: &Cluster, needed: &[Needed], what: &str) -> Result<()> {
    let resolver = Resolver::new(c.client.clone());
    let kinds: BTreeSet<(&str, &str)> = needed
        .iter()
        .map(|n| (n.api_version.as_str(), n.kind.as_str()))
        .collect();
    let mut unserved = BTreeSet::new();
    for (api_version, kind) in kinds {
        match resolver.resolve(api_version, kind).await {
            Ok(_) => {}
            Err(e) if is_unknown_kind(&e) => {
                unserved.insert((api_version, kind));
            }
            // the server could not answer: the deploy itself reports that, with the server's address
            Err(_) => return Ok(()),
        }
    }
    let missing: Vec<&Needed> = needed
        .iter()
        .filter(|n| unserved.contains(&(n.api_version.as_str(), n.kind.as_str())))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(anyhow::anyhow!("{}", unserved_text(&missing, what)))
}

/// The error for objects whose kinds the cluster does not serve.
pub fn unserved_text(missing: &[&Needed], what: &str) -> String {
    let mut out = String::from("the cluster does not serve every kind the chart renders:\n");
    let mut offs = Vec::new();
    for m in missing {
        out.push_str(&format!(
            "  - {} {} (`{}`, from {}",
            m.kind, m.name, m.api_version, m.template
        ));
        if m.switches.is_empty() {
            out.push_str(")\n");
        } else {
            out.push_str(&format!(", switched on by {})\n", m.switches.join(", ")));
            for s in &m.switches {
                let path = s.split('=').next().unwrap_or(s);
                let off = format!("--set {path}=false");
                if !offs.contains(&off) {
                    offs.push(off);
                }
            }
        }
    }
    let groups: BTreeSet<&str> = missing
        .iter()
        .map(|m| m.api_version.split('/').next().unwrap_or(""))
        .collect();
    out.push_str(&format!(
        "\n{what}\n\nhint: install the CustomResourceDefinitions of {} first",
        groups.into_iter().collect::<Vec<_>>().join(", ")
    ));
    if !offs.is_empty() {
        out.push_str(&format!(
            ", or turn the template off with {}",
            offs.join(" ")
        ));
    }
    out
}

/// `path=value` of every value that an `if` of the template at `source` tests and that is truthy in
/// `values`. A template of a subchart (`charts/db/templates/...`) sees its values under the subchart's name.
pub fn switches(chart: &Chart, source: &str, values: &Values) -> Vec<String> {
    let (mut chart, mut rest, mut prefix) = (chart, source, String::new());
    while let Some(after) = rest.strip_prefix("charts/") {
        let Some((sub, tail)) = after.split_once('/') else {
            break;
        };
        let Some(found) = chart.subcharts.iter().find(|c| {
            c.dir.file_name().and_then(|n| n.to_str()) == Some(sub) || c.meta.name == sub
        }) else {
            break;
        };
        prefix.push_str(&found.meta.name);
        prefix.push('.');
        chart = found;
        rest = tail;
    }
    let Some(text) = chart
        .templates
        .iter()
        .find(|t| t.path == rest)
        .and_then(|t| t.text().ok())
    else {
        return Vec::new();
    };
    conditions(text)
        .into_iter()
        .filter_map(|path| {
            let full = format!("{prefix}{path}");
            let mut v = values;
            for key in full.split('.') {
                v = v.get(key)?;
            }
            truthy(v).then(|| format!("{full}={}", shown(v)))
        })
        .collect()
}

/// The `values.a.b` paths that `{% if ... %}` tags of a template test, in order, once each.
fn conditions(text: &str) -> Vec<String> {
    let tag = regex::Regex::new(r"\{%-?\s*(?:el)?if\s+(.*?)\s*-?%\}").expect("valid pattern");
    let path =
        regex::Regex::new(r"\bvalues\.([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)")
            .expect("valid pattern");
    let mut out: Vec<String> = Vec::new();
    for cond in tag.captures_iter(text) {
        for p in path.captures_iter(&cond[1]) {
            if !out.iter().any(|o| o == &p[1]) {
                out.push(p[1].to_string());
            }
        }
    }
    out
}

fn truthy(v: &Values) -> bool {
    match v {
        Values::Null => false,
        Values::Bool(b) => *b,
        Values::Number(n) => n.as_f64() != Some(0.0),
        Values::String(s) => !s.is_empty(),
        Values::Array(a) => !a.is_empty(),
        Values::Object(o) => !o.is_empty(),
    }
}

/// A scalar as `--set` would write it; collections only by their kind (never their contents).
fn shown(v: &Values) -> String {
    match v {
        Values::Bool(_) | Values::Number(_) => v.to_string(),
        Values::String(_) => "(a string)".into(),
        Values::Array(_) => "(a list)".into(),
        _ => "(a map)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_are_the_values_paths_of_if_tags() {
        let text = "{% import \"_helpers.j2\" as h %}\n{% if values.metrics.serviceMonitor.enabled and not values.x %}\nkind: A\n{%- elif values.other -%}\n{{ values.notACondition }}\n{% endif %}";
        assert_eq!(
            conditions(text),
            vec!["metrics.serviceMonitor.enabled", "x", "other"]
        );
        assert!(conditions("kind: A\nname: {{ values.name }}").is_empty());
    }

    #[test]
    fn only_true_values_are_shown_and_strings_are_not_printed() {
        assert!(truthy(&serde_json::json!(true)));
        assert!(!truthy(&serde_json::json!(false)));
        assert!(!truthy(&serde_json::json!("")));
        assert!(!truthy(&serde_json::json!(0)));
        assert_eq!(shown(&serde_json::json!(true)), "true");
        assert_eq!(shown(&serde_json::json!("hunter2")), "(a string)");
    }

    #[test]
    fn the_error_names_kind_template_switch_and_what_to_do() {
        let n = Needed {
            api_version: "monitoring.coreos.com/v1".into(),
            kind: "ServiceMonitor".into(),
            name: "shop-api".into(),
            template: "templates/servicemonitor.yaml.j2".into(),
            switches: vec!["metrics.serviceMonitor.enabled=true".into()],
        };
        let text = unserved_text(&[&n], "nothing was written");
        assert!(text.contains("ServiceMonitor shop-api (`monitoring.coreos.com/v1`, from templates/servicemonitor.yaml.j2, switched on by metrics.serviceMonitor.enabled=true)"), "{text}");
        assert!(text.contains("nothing was written"), "{text}");
        assert!(text.contains("monitoring.coreos.com first, or turn the template off with --set metrics.serviceMonitor.enabled=false"), "{text}");
    }
}
