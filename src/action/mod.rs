//! Commands: each file holds one command's options and its `run`; this file holds the render pipeline they
//! share (chart → layered values → render → checked objects in install order).

pub mod cluster_deployer;
pub mod deploy;
pub mod diff;
pub mod inspect;
pub mod install;
pub mod lint;
pub mod lock;
pub mod records;
pub mod rollback;
pub mod stack;
pub mod template;
pub mod uninstall;
pub mod values;
pub mod version;

use crate::chart::Chart;
use crate::cli::{LayerArgs, RenderArgs};
use crate::manifest::{self, Document, Problem};
use crate::render::{self, RenderErrors, RenderOptions};
use crate::values::{self as vals, LayerRequest, Resolved, SetArg, Values};
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What a command needs from the global flags.
#[derive(Debug, Clone, Default)]
pub struct Ctx {
    pub namespace: Option<String>,
    pub kubeconfig: Option<PathBuf>,
    pub kube_context: Option<String>,
    /// Print API request counts when done.
    pub stats: bool,
}

impl Ctx {
    /// The namespace of the release: `-n`, else `default`.
    pub fn namespace(&self) -> String {
        self.namespace.clone().unwrap_or_else(|| "default".into())
    }
}

/// A positional argument that stack flags made optional: present, or a usage error saying what to do.
pub fn positional<'a, T>(value: &'a Option<T>, what: &str) -> Result<&'a T> {
    match value {
        Some(v) => Ok(v),
        None => {
            crate::output::print_error(&anyhow::anyhow!(
                "missing {what}\n\nhint: give {what} on the command line, or work on the instances of a stack file \
                 (tack.yaml) with --all, -l SELECTOR or --instance NAME"
            ));
            Err(crate::error::reported(
                crate::error::USAGE,
                format!("missing {what}"),
            ))
        }
    }
}

/// Build the values request from layer flags; `sets` come in command-line order.
pub fn layer_request(chart: &Chart, layers: &LayerArgs, sets: &[SetArg]) -> Result<LayerRequest> {
    let base_dir = std::env::current_dir().context("failed to read the current directory")?;
    Ok(LayerRequest {
        chart_values: chart.values_file.clone(),
        values_dir: layers.values_dir.clone(),
        env: layers.env.clone(),
        tier: layers.tier.clone(),
        files: layers.files.clone(),
        sets: sets.to_vec(),
        base_dir,
    })
}

/// The result of the render pipeline, with every problem found along the way.
pub struct Prepared {
    pub chart: Chart,
    pub resolved: Resolved,
    /// Merged values with subchart values filled in: what templates saw.
    pub values: Values,
    pub docs: Vec<Document>,
    pub notes: Option<String>,
    /// Errors: schema violations, template errors, invalid objects, duplicates.
    pub errors: Vec<String>,
}

impl Prepared {
    /// Print every collected error and fail, or hand back the result.
    pub fn into_result(self) -> Result<Prepared> {
        if self.errors.is_empty() {
            return Ok(self);
        }
        for e in &self.errors {
            eprintln!("{} {e}\n", crate::output::red("error:"));
        }
        let n = self.errors.len();
        let summary = if n == 1 {
            "rendering failed".to_string()
        } else {
            format!("rendering failed with {n} errors")
        };
        eprintln!("{}", crate::output::red(&summary));
        Err(crate::error::reported(crate::error::FAILURE, summary))
    }
}

/// Render options from the command-line flags.
pub fn render_options(name: &str, namespace: &str, args: &RenderArgs) -> RenderOptions {
    let mut opts = RenderOptions {
        release_name: name.to_string(),
        namespace: namespace.to_string(),
        api_versions: args.api_versions.clone(),
        lenient: args.lenient,
        fuel: Some(args.fuel),
        ..RenderOptions::default()
    };
    if let Some(v) = &args.kube_version {
        opts.kube_version = if v.starts_with('v') {
            v.clone()
        } else {
            format!("v{v}")
        };
    }
    opts
}

/// Load a chart (errors here are fatal).
pub fn load_chart(path: &Path) -> Result<Chart> {
    Chart::load(path)
}

/// Run values → render → manifest for a loaded chart. Fatal errors (unreadable values files, bad `--set`)
/// return `Err`; problems in the chart's output are collected in [`Prepared::errors`].
pub fn prepare(chart: Chart, req: &LayerRequest, opts: &RenderOptions) -> Result<Prepared> {
    let resolved = vals::resolve(req)?;
    let mut errors = Vec::new();

    if let Some((schema_path, schema)) = &chart.schema {
        if let Err(violations) = vals::validate_schema(schema, schema_path, &resolved) {
            for v in violations {
                errors.push(v.to_string());
            }
        }
    }
    if let Some(constraint) = &chart.meta.kube_version {
        if !render::filters::semver_matches(constraint, &opts.kube_version).unwrap_or(true) {
            errors.push(format!(
                "chart `{}` requires Kubernetes `{constraint}` but the target is `{}`\n\nhint: pass --kube-version, or relax `kubeVersion` in Chart.yaml",
                chart.meta.name, opts.kube_version
            ));
        }
    }

    let mut values = resolved.values.clone();
    render::coalesce_subcharts(&chart, &mut values)?;

    let mut docs = Vec::new();
    let mut notes = None;
    match render::render_chart(&chart, &values, opts) {
        Ok(rendered) => {
            let mut problems: Vec<Problem> = Vec::new();
            for f in rendered.crds.iter().chain(rendered.files.iter()) {
                docs.extend(manifest::parse_rendered(
                    &f.source,
                    &f.display,
                    &f.text,
                    &mut problems,
                ));
            }
            problems.extend(manifest::find_duplicates(&docs, &opts.namespace));
            errors.extend(problems.iter().map(|p| p.to_string()));
            manifest::sort_install_order(&mut docs);
            notes = rendered.notes;
        }
        Err(RenderErrors(errs)) => errors.extend(errs.iter().map(|e| e.to_string())),
    }
    Ok(Prepared {
        chart,
        resolved,
        values,
        docs,
        notes,
        errors,
    })
}

/// Print the warnings values loading produced.
pub fn print_warnings(resolved: &Resolved) {
    for w in &resolved.warnings {
        crate::output::warn(w);
    }
}
