//! `tack diff --offline`: compare the new render with a saved manifest (`--against-manifest`, e.g. the output
//! of `tack get manifest` or `tack template`) or with a second render (`--against-values`, `--against-set`,
//! `--against-chart`), for CI jobs without cluster access. Makes no cluster call: `lookup` renders empty,
//! namespaces are filled in from the built-in list of cluster-scoped kinds, and drift cannot be seen.

use crate::action::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx};
use crate::cli::{DiffUpgradeArgs, LayerArgs};
use crate::diff::{self, normalize::fill_namespace, Against, DriftCheck, Plan};
use crate::values::{SetArg, SetKind};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::Path;

/// Build the offline plan for `tack diff --offline NAME CHART ...`.
pub fn plan(
    ctx: &Ctx,
    args: &DiffUpgradeArgs,
    name: &str,
    chart: &Path,
    sets: &[SetArg],
    options: &diff::Options,
) -> Result<Plan> {
    let ns = ctx.namespace();
    let render_one = |chart: &Path, layers: &LayerArgs, sets: &[SetArg], side: &str| {
        render(chart, layers, sets, args, name, &ns, side)
    };
    let after = render_one(chart, &args.layers, sets, "the new render")?;
    let uses_render = !args.against_values.is_empty()
        || !args.against_set.is_empty()
        || args.against_chart.is_some();
    let (before, against) = match (&args.against_manifest, uses_render) {
        (Some(file), _) => (
            read_manifest(file, &ns)?,
            Against::Manifest(file.display().to_string()),
        ),
        (None, true) => {
            let old_chart = args.against_chart.as_deref().unwrap_or(chart);
            let mut layers = args.layers.clone();
            if !args.against_values.is_empty() {
                layers.files = args.against_values.clone();
            }
            let old_sets: Vec<SetArg> = if args.against_set.is_empty() {
                sets.to_vec()
            } else {
                args.against_set
                    .iter()
                    .map(|s| SetArg {
                        kind: SetKind::Set,
                        expr: s.clone(),
                    })
                    .collect()
            };
            let what = describe_render(old_chart, &layers, !args.against_set.is_empty());
            let side = "the comparison render (--against-*)";
            (render_one(old_chart, &layers, &old_sets, side)?, Against::Render(what))
        }
        (None, false) => bail!(
            "--offline needs something to compare with\n\nhint: pass --against-manifest FILE (e.g. saved from `tack get manifest {name}`), or --against-values FILE, --against-set KEY=VAL or --against-chart DIR for a second render"
        ),
    };
    let subject = diff::Subject {
        release: name.to_string(),
        namespace: ns.clone(),
        operation: "upgrade".into(),
        against,
        drift: DriftCheck::Offline,
    };
    let inputs = diff::plan::pair(before, after);
    Ok(diff::build(
        subject,
        inputs,
        Vec::new(),
        Vec::new(),
        options,
    ))
}

/// Render a chart without a cluster and place its objects in the release namespace.
fn render(
    chart_path: &Path,
    layers: &LayerArgs,
    sets: &[SetArg],
    args: &DiffUpgradeArgs,
    name: &str,
    ns: &str,
    side: &str,
) -> Result<Vec<Value>> {
    let chart = load_chart(chart_path)?;
    let req = layer_request(&chart, layers, sets)?;
    let mut opts = render_options(name, ns, &args.render);
    opts.is_install = false;
    opts.is_upgrade = true;
    let prepared = prepare(chart, &req, &opts)?;
    print_warnings(&prepared.resolved);
    if !prepared.errors.is_empty() {
        eprintln!(
            "{} rendering {side} from `{}` failed:",
            crate::output::red("error:"),
            chart_path.display()
        );
    }
    let prepared = prepared.into_result()?;
    Ok(placed(
        prepared.docs.into_iter().map(|d| d.object).collect(),
        ns,
    ))
}

fn placed(mut objects: Vec<Value>, ns: &str) -> Vec<Value> {
    objects.iter_mut().for_each(|o| fill_namespace(o, ns));
    objects
}

/// The objects of a saved YAML stream; Secret values may already be masked (they compare by digest).
pub fn read_manifest(file: &Path, ns: &str) -> Result<Vec<Value>> {
    let text = std::fs::read_to_string(file).with_context(|| {
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
    Ok(placed(docs.into_iter().map(|d| d.object).collect(), ns))
}

/// "`charts/webapp` with -f a.yaml, b.yaml and --against-set values", for headers.
fn describe_render(chart: &Path, layers: &LayerArgs, own_sets: bool) -> String {
    let mut parts = vec![format!("`{}`", chart.display())];
    if let Some(e) = &layers.env {
        parts.push(format!("--env {e}"));
    }
    if let Some(t) = &layers.tier {
        parts.push(format!("--tier {t}"));
    }
    if !layers.files.is_empty() {
        let files: Vec<String> = layers
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect();
        parts.push(format!("-f {}", files.join(", ")));
    }
    if own_sets {
        parts.push("the --against-set values".into());
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
