//! `tack diff --offline`: compare the new render with a saved manifest (`--against-manifest`, e.g. the output
//! of `tack get manifest` or `tack template`) or with a second render (`--against-values`, `--against-set`,
//! `--against-chart`), for CI jobs without cluster access. Makes no cluster call: `lookup` renders empty,
//! namespaces are filled in from the built-in list of cluster-scoped kinds, and drift cannot be seen. Hooks
//! are listed apart as what the upgrade would run, as in a live diff.

use crate::diff::{self, normalize::fill_namespace, DriftCheck, Plan};
use crate::manifest::hooks::Event;
use crate::ops::render::{render_target, Phase, RenderSettings};
use crate::ops::target::Target;
use crate::values::{SetArg, SetKind};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// What the new render is compared with.
#[derive(Debug, Clone, Default)]
pub struct Against {
    /// A saved YAML stream.
    pub manifest: Option<PathBuf>,
    /// A second render with these `-f` files instead of the target's.
    pub values: Vec<PathBuf>,
    /// A second render with these `--set` flags instead of the target's.
    pub set: Vec<String>,
    /// A second render from this chart instead of the target's.
    pub chart: Option<PathBuf>,
}

/// Build the offline plan for `tack diff --offline NAME CHART ...`.
pub fn plan(
    target: &Target,
    rs: &RenderSettings,
    against: &Against,
    options: &diff::Options,
) -> Result<Plan> {
    let (name, ns) = (target.name.as_str(), target.namespace.as_str());
    let after = render(target, rs, "the new render")?;
    let uses_render =
        !against.values.is_empty() || !against.set.is_empty() || against.chart.is_some();
    let (before, against_what) = match (&against.manifest, uses_render) {
        (Some(file), _) => (
            read_manifest(file, ns)?,
            diff::Against::Manifest(file.display().to_string()),
        ),
        (None, true) => {
            let mut old = target.clone();
            if let Some(chart) = &against.chart {
                old.chart = Some(chart.clone());
            }
            if !against.values.is_empty() {
                old.layers.files = against.values.clone();
            }
            if !against.set.is_empty() {
                old.layers.sets = against
                    .set
                    .iter()
                    .map(|s| SetArg {
                        kind: SetKind::Set,
                        expr: s.clone(),
                    })
                    .collect();
            }
            let what = describe_render(&old, !against.set.is_empty());
            let side = "the comparison render (--against-*)";
            (render(&old, rs, side)?, diff::Against::Render(what))
        }
        (None, false) => bail!(
            "--offline needs something to compare with\n\nhint: pass --against-manifest FILE (e.g. saved from `tack get manifest {name}`), or --against-values FILE, --against-set KEY=VAL or --against-chart DIR for a second render"
        ),
    };
    let subject = diff::Subject {
        release: name.to_string(),
        namespace: ns.to_string(),
        operation: "upgrade".into(),
        against: against_what,
        drift: DriftCheck::Offline,
    };
    // hooks are not objects of the release: listed apart, as what the upgrade would run
    let (after, hooks) = crate::ops::hooks::split(after)?;
    let (before, _) = crate::ops::hooks::split(before)?;
    let inputs = diff::plan::pair(before, after);
    let mut plan = diff::build(subject, inputs, Vec::new(), Vec::new(), options);
    plan.hooks = super::will_run(&hooks, &[Event::PreUpgrade, Event::PostUpgrade]);
    Ok(plan)
}

/// Render a target without a cluster and place its objects in the release namespace.
fn render(target: &Target, rs: &RenderSettings, side: &str) -> Result<Vec<Value>> {
    let prepared = render_target(target, rs, Phase::Upgrade, None)?;
    prepared.emit_warnings();
    if !prepared.errors.is_empty() {
        let chart = target
            .chart
            .as_deref()
            .unwrap_or(Path::new("?"))
            .display()
            .to_string();
        return Err(anyhow::Error::new(crate::error::Problems {
            summary: format!("rendering {side} from `{chart}` failed"),
            errors: prepared.errors,
        }));
    }
    Ok(placed(
        prepared.docs.into_iter().map(|d| d.into_object()).collect(),
        &target.namespace,
    ))
}

fn placed(mut objects: Vec<Value>, ns: &str) -> Vec<Value> {
    objects.iter_mut().for_each(|o| fill_namespace(o, ns));
    objects
}

/// The objects of a saved YAML stream; Secret values may already be masked (they compare by digest).
pub fn read_manifest(file: &Path, ns: &str) -> Result<Vec<Value>> {
    let text = crate::limits::read_capped(file, crate::limits::DEFAULT_MAX_MANIFEST_BYTES, "manifest")
        .with_context(|| {
            format!(
                "cannot read the manifest `{}`\n\nhint: save one with `tack get manifest NAME > FILE` or `tack template CHART > FILE`",
                file.display()
            )
        })?;
    let shown = file.display().to_string();
    let mut problems = Vec::new();
    let docs = crate::manifest::parse_rendered(&shown, &shown, &text, &mut problems);
    if let Some(p) = problems.first() {
        bail!(
            "the manifest `{shown}` is not a valid YAML stream of objects: {p}\n\nhint: pass the output of `tack get manifest` or `tack template`"
        );
    }
    Ok(placed(
        docs.into_iter().map(|d| d.into_object()).collect(),
        ns,
    ))
}

/// "`charts/webapp` --env prod -f a.yaml, b.yaml and the --against-set values", for headers.
fn describe_render(t: &Target, own_sets: bool) -> String {
    let chart = t.chart.as_deref().unwrap_or(Path::new("?"));
    let mut parts = vec![format!("`{}`", chart.display())];
    if let Some(e) = &t.layers.env {
        parts.push(format!("--env {e}"));
    }
    if let Some(tier) = &t.layers.tier {
        parts.push(format!("--tier {tier}"));
    }
    if !t.layers.files.is_empty() {
        let files: Vec<String> = t
            .layers
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        parts.push(format!("-f {}", files.join(", ")));
    }
    if own_sets {
        parts.push("with the --against-set values".into());
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_read_and_placed() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("m.yaml");
        std::fs::write(
            &file,
            "---\n# Source: x\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: n\n",
        )
        .unwrap();
        let objs = read_manifest(&file, "shop").unwrap();
        assert_eq!(objs[0]["metadata"]["namespace"], "shop");
        assert!(objs[1]["metadata"].get("namespace").is_none());
        let missing = read_manifest(&dir.path().join("nope.yaml"), "shop").unwrap_err();
        assert!(format!("{missing:#}").contains("nope.yaml"), "{missing:#}");
        std::fs::write(&file, "kind: [").unwrap();
        let bad = read_manifest(&file, "shop").unwrap_err().to_string();
        assert!(bad.contains("m.yaml") && bad.contains("hint:"), "{bad}");
    }
}
