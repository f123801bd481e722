//! The layer stack: which files and flags make up the values of one render, in which order, and
//! how a values folder tells envs from tiers.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};

use super::merge::merge;
use super::path::Positions;
use super::set::apply_assignment;
use super::set_apply::{check_conflict, SetBudget};
use super::set_parser::parse_set;
use super::yaml::load_yaml_file;
use super::{Layer, LayerRequest, Origin, Resolved, Values};

/// Names read as envs when a folder has no `layers.yaml`.
pub const KNOWN_ENVS: &[&str] = &["dev", "staging", "prod"];
/// Names read as tiers when a folder has no `layers.yaml`.
pub const KNOWN_TIERS: &[&str] = &["private", "work", "public"];

/// Build every layer of `req` and merge them, lowest first.
pub fn resolve(req: &LayerRequest) -> Result<Resolved> {
    let mut layers = Vec::new();
    let mut warnings = Vec::new();
    let mut file_layer = |label: String, path: &Path, layers: &mut Vec<Layer>| -> Result<()> {
        let (tree, positions, w) = load_yaml_file(path)?;
        warnings.extend(w);
        layers.push(Layer {
            label,
            origin: Origin::File(path.to_path_buf()),
            tree,
            positions,
            assignments: Vec::new(),
        });
        Ok(())
    };

    if let Some(chart) = &req.chart_values {
        if chart.exists() {
            file_layer("chart defaults".into(), chart, &mut layers)?;
        } else {
            layers.push(Layer {
                label: "chart defaults".into(),
                origin: Origin::File(chart.clone()),
                tree: Values::Object(Default::default()),
                positions: Positions::new(),
                assignments: Vec::new(),
            });
        }
    }

    if req.env.is_some() || req.tier.is_some() {
        let dir = &req.values_dir;
        if !dir.is_dir() {
            bail!(
                "values folder `{}` does not exist\n\nhint: it must hold `<env>.yaml` and `<tier>.yaml` files for --env/--tier",
                dir.display()
            );
        }
        let catalog = layer_catalog(dir)?;
        if let Some(env) = &req.env {
            check_name(env, "env", &catalog.envs, dir)?;
            file_layer(
                format!("env `{env}`"),
                &dir.join(format!("{env}.yaml")),
                &mut layers,
            )?;
        }
        if let Some(tier) = &req.tier {
            check_name(tier, "tier", &catalog.tiers, dir)?;
            file_layer(
                format!("tier `{tier}`"),
                &dir.join(format!("{tier}.yaml")),
                &mut layers,
            )?;
        }
        if let (Some(env), Some(tier)) = (&req.env, &req.tier) {
            let combo = dir.join(format!("{env}-{tier}.yaml"));
            if combo.is_file() {
                file_layer(format!("env-tier `{env}-{tier}`"), &combo, &mut layers)?;
            }
        }
    }

    if let Some((label, tree)) = &req.previous {
        layers.push(Layer {
            label: label.clone(),
            origin: Origin::File(PathBuf::from(format!("({label})"))),
            tree: tree.clone(),
            positions: Positions::new(),
            assignments: Vec::new(),
        });
    }

    for file in &req.files {
        file_layer(format!("-f {}", file.display()), file, &mut layers)?;
    }

    // The files merged; each flag is then checked and applied over it in place, which is what `fold`
    // computes, so the result is the final values.
    let mut values = fold(&layers, layers.len());
    let mut budget = SetBudget::default();
    for (n, arg) in req.sets.iter().enumerate() {
        let assignments = parse_set(arg, &req.base_dir)?;
        budget.charge(arg, n + 1, &assignments)?;
        let mut tree = Values::Object(Default::default());
        let mut positions = Positions::new();
        for (i, a) in assignments.iter().enumerate() {
            check_conflict(&values, arg, n + 1, &assignments, i, &layers)?;
            apply_assignment(&mut values, a);
            apply_assignment(&mut tree, a);
            positions.insert(a.path.clone(), 1, a.column);
        }
        layers.push(Layer {
            label: arg.kind.flag().to_string(),
            origin: Origin::Flag(arg.to_string()),
            tree,
            positions,
            assignments,
        });
    }

    Ok(Resolved {
        values,
        layers,
        warnings,
    })
}

/// What the user gave on top of the chart and its env and tier layers: the `-f` files, the `--set*` flags and
/// reused values of a previous revision, merged (an empty map when none). A release records it so a later
/// upgrade can reuse it (`--reuse-values`).
pub fn overrides(resolved: &Resolved) -> Values {
    let mut acc = Values::Object(Default::default());
    for layer in &resolved.layers {
        let user = matches!(layer.origin, Origin::Flag(_))
            || layer.label.starts_with("-f ")
            || layer.label.starts_with("values of revision");
        if user {
            apply_layer(&mut acc, layer, false);
        }
    }
    acc
}

/// The values after the first `upto` layers. The lowest file layer is taken as it is (so a chart
/// can declare `key: null`); every later file layer merges over it, flag layers assign in place.
pub(crate) fn fold(layers: &[Layer], upto: usize) -> Values {
    let mut acc = Values::Object(Default::default());
    for (i, layer) in layers.iter().take(upto).enumerate() {
        apply_layer(&mut acc, layer, i == 0);
    }
    acc
}

pub(crate) fn apply_layer(acc: &mut Values, layer: &Layer, lowest: bool) {
    match layer.origin {
        Origin::File(_) if lowest => *acc = layer.tree.clone(),
        Origin::File(_) => merge(acc, &layer.tree),
        Origin::Flag(_) => {
            for a in &layer.assignments {
                apply_assignment(acc, a);
            }
        }
    }
}

/// The envs and tiers a values folder offers, and whether `layers.yaml` declared them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LayerCatalog {
    pub envs: Vec<String>,
    pub tiers: Vec<String>,
    pub declared: bool,
}

/// The envs and tiers that exist in `values_dir` (sorted); empty lists if the folder is missing
/// or its `layers.yaml` is broken (use [`layer_catalog`] to see that error).
pub fn layer_files_available(values_dir: &Path) -> (Vec<String>, Vec<String>) {
    match layer_catalog(values_dir) {
        Ok(c) => (c.envs, c.tiers),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

/// Read `layers.yaml` if present, otherwise classify the folder's `*.yaml` files:
/// known tier names are tiers; `<a>-<b>.yaml` is an env-tier combination when `<b>` is a tier
/// or another file's name and `<a>` is a known env or another file's name; the rest are envs.
pub fn layer_catalog(values_dir: &Path) -> Result<LayerCatalog> {
    let declared = values_dir.join("layers.yaml");
    if declared.is_file() {
        return read_declared(&declared);
    }
    let entries = match std::fs::read_dir(values_dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LayerCatalog::default()),
        Err(e) => {
            return Err(e).with_context(|| {
                format!("failed to list values folder `{}`", values_dir.display())
            })
        }
    };
    let mut stems: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry
            .with_context(|| format!("failed to list values folder `{}`", values_dir.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".yaml") {
            if !stem.is_empty() && !stem.starts_with('.') && entry.path().is_file() {
                stems.push(stem.to_string());
            }
        }
    }
    stems.sort();
    let exists = |s: &str| stems.iter().any(|x| x == s);
    let is_combo = |s: &str| {
        s.match_indices('-').any(|(i, _)| {
            let (a, b) = (&s[..i], &s[i + 1..]);
            (KNOWN_TIERS.contains(&b) || exists(b)) && (KNOWN_ENVS.contains(&a) || exists(a))
        })
    };
    let mut catalog = LayerCatalog::default();
    for stem in &stems {
        if KNOWN_TIERS.contains(&stem.as_str()) {
            catalog.tiers.push(stem.clone());
        } else if !is_combo(stem) {
            catalog.envs.push(stem.clone());
        }
    }
    Ok(catalog)
}

fn read_declared(path: &Path) -> Result<LayerCatalog> {
    let (tree, positions, _) = load_yaml_file(path)?;
    let list = |key: &str| -> Result<Vec<String>> {
        let Some(v) = tree.get(key) else {
            return Ok(Vec::new());
        };
        let at = positions
            .get(&[super::PathSeg::Key(key.into())])
            .map(|(l, c)| format!(":{l}:{c}"))
            .unwrap_or_default();
        let items = v
            .as_array()
            .ok_or_else(|| anyhow!("{}{at}: `{key}` must be a list of names", path.display()))?;
        let mut names = items
            .iter()
            .map(|i| match i {
                Values::String(s) if valid_name(s) => Ok(s.clone()),
                other => Err(anyhow!(
                    "{}{at}: `{key}` holds {other}, which is not a usable layer name",
                    path.display()
                )),
            })
            .collect::<Result<Vec<_>>>()?;
        names.sort();
        Ok(names)
    };
    Ok(LayerCatalog {
        envs: list("envs")?,
        tiers: list("tiers")?,
        declared: true,
    })
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_name(name: &str, what: &str, available: &[String], dir: &Path) -> Result<()> {
    if !valid_name(name) {
        bail!(
            "{what} name `{name}` is not valid\n\nhint: use letters, digits, `-`, `_` and `.` only"
        );
    }
    let file: PathBuf = dir.join(format!("{name}.yaml"));
    let listed = available.iter().any(|a| a == name);
    if listed && file.is_file() {
        return Ok(());
    }
    let list = if available.is_empty() {
        "none".to_string()
    } else {
        available
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let problem = if listed {
        format!(
            "{what} `{name}` is declared but `{}` does not exist",
            file.display()
        )
    } else if file.is_file() {
        format!(
            "`{}` exists but is not one of the {what}s of `{}`",
            file.display(),
            dir.display()
        )
    } else {
        format!(
            "{what} `{name}` not found: there is no `{}`",
            file.display()
        )
    };
    let mut msg = format!(
        "{problem}\n{what}s available in `{}`: {list}",
        dir.display()
    );
    if let Some(best) = crate::suggest::closest(name, available.iter().map(String::as_str)) {
        msg.push_str(&format!("\n\nhint: did you mean `{best}`?"));
    }
    Err(anyhow!(msg))
}

#[cfg(test)]
#[path = "layers_tests.rs"]
mod tests;
