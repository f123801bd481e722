//! Values of subcharts: each subchart's defaults overlaid with what the parent sets under its key, plus
//! `global`, and whether a dependency's `condition` enables it.

use crate::chart::Chart;
use crate::values::{self, Values};
use anyhow::Result;

/// Fill in the values of enabled subcharts: each subchart's defaults, overlaid with what the parent sets
/// under the subchart's key, plus the parent's `global`. The result is what templates see as `values`.
pub fn coalesce_subcharts(chart: &Chart, values: &mut Values) -> Result<()> {
    if !values.is_object() {
        *values = Values::Object(Default::default());
    }
    for (dep, sub) in chart.dependencies() {
        let key = dep.values_key().to_string();
        let mut sub_values = match &sub.values_file {
            Some(p) => values::load_yaml_file(p)?.0,
            None => Values::Object(Default::default()),
        };
        if let Some(over) = values.get(&key) {
            if over.is_object() {
                values::merge(&mut sub_values, over);
            }
        }
        let mut global = sub_values
            .get("global")
            .cloned()
            .unwrap_or_else(|| Values::Object(Default::default()));
        if let Some(g) = values.get("global") {
            values::merge(&mut global, g);
        }
        if let Some(obj) = sub_values.as_object_mut() {
            obj.insert("global".into(), global);
        }
        coalesce_subcharts(sub, &mut sub_values)?;
        values[key.as_str()] = sub_values;
    }
    Ok(())
}

/// Whether a dependency is enabled, as Helm decides: the first of its `condition` paths (in the parent's
/// values) that holds a boolean decides; without one, its `tags` do (on when any of them is true in the top
/// chart's `tags`, off when all that are set are false); default on.
pub(super) fn dependency_enabled(
    dep: &crate::chart::Dependency,
    values: &Values,
    tags: &Values,
) -> bool {
    if let Some(on) = dep.condition.as_deref().and_then(|c| condition(c, values)) {
        return on;
    }
    let set: Vec<bool> = dep
        .tags
        .iter()
        .filter_map(|t| tags.get(t.as_str()).and_then(Values::as_bool))
        .collect();
    set.is_empty() || set.contains(&true)
}

/// The value of the first path of `cond` that holds a boolean.
fn condition(cond: &str, values: &Values) -> Option<bool> {
    for path in cond.split(',') {
        let mut cur = values;
        let mut found = true;
        for seg in path.trim().split('.') {
            match cur.get(seg) {
                Some(v) => cur = v,
                None => {
                    found = false;
                    break;
                }
            }
        }
        if found {
            if let Some(b) = cur.as_bool() {
                return Some(b);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::Dependency;
    use serde_json::json;

    fn dep(condition: Option<&str>, tags: &[&str]) -> Dependency {
        serde_json::from_value(json!({
            "name": "db",
            "condition": condition,
            "tags": tags,
        }))
        .unwrap()
    }

    /// (condition, tags, parent values, top tags, enabled) — Helm's rules: a condition that resolves wins,
    /// then any true tag enables, all set tags false disables, nothing set leaves it on.
    #[test]
    fn conditions_then_tags_decide_as_helm_does() {
        type Case<'a> = (
            Option<&'a str>,
            &'a [&'a str],
            serde_json::Value,
            serde_json::Value,
            bool,
        );
        let cases: &[Case] = &[
            (None, &[], json!({}), json!({}), true),
            (
                Some("db.enabled"),
                &[],
                json!({"db": {"enabled": false}}),
                json!({}),
                false,
            ),
            (Some("db.enabled"), &[], json!({"db": {}}), json!({}), true),
            (
                Some("x.on,db.enabled"),
                &[],
                json!({"db": {"enabled": false}}),
                json!({}),
                false,
            ),
            (
                None,
                &["backend"],
                json!({}),
                json!({"backend": false}),
                false,
            ),
            (
                None,
                &["backend"],
                json!({}),
                json!({"frontend": false}),
                true,
            ),
            (
                None,
                &["backend", "data"],
                json!({}),
                json!({"backend": false, "data": true}),
                true,
            ),
            (
                None,
                &["backend", "data"],
                json!({}),
                json!({"backend": false, "data": false}),
                false,
            ),
            (
                None,
                &["backend", "data"],
                json!({}),
                json!({"backend": false}),
                false,
            ),
            // a condition that resolves overrides the tags, either way
            (
                Some("db.enabled"),
                &["backend"],
                json!({"db": {"enabled": true}}),
                json!({"backend": false}),
                true,
            ),
            (
                Some("db.enabled"),
                &["backend"],
                json!({"db": {"enabled": false}}),
                json!({"backend": true}),
                false,
            ),
            // a condition that does not resolve leaves the decision to the tags
            (
                Some("db.enabled"),
                &["backend"],
                json!({}),
                json!({"backend": false}),
                false,
            ),
            // a tag that is not a boolean counts as unset
            (
                None,
                &["backend"],
                json!({}),
                json!({"backend": "no"}),
                true,
            ),
        ];
        for (i, (cond, tags, values, top, want)) in cases.iter().enumerate() {
            let values: Values = serde_json::from_value(values.clone()).unwrap();
            let top: Values = serde_json::from_value(top.clone()).unwrap();
            assert_eq!(
                dependency_enabled(&dep(*cond, tags), &values, &top),
                *want,
                "case {i}: condition {cond:?}, tags {tags:?}"
            );
        }
    }
}
