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

/// Whether a dependency is enabled: the first `condition` path that holds a boolean decides; default on.
pub(super) fn dependency_enabled(condition: Option<&str>, values: &Values) -> bool {
    let Some(cond) = condition else { return true };
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
                return b;
            }
        }
    }
    true
}
