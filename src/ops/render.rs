//! The render pipeline every command shares: chart → layered values → render → checked objects in install
//! order, for one [`Target`]. Problems in the chart's output are collected, not printed.

use super::target::Target;
use crate::chart::Chart;
use crate::manifest::{self, Document, Problem};
use crate::render::tpl::Lookup;
use crate::render::{self, RenderErrors, RenderOptions};
use crate::values::{self as vals, LayerRequest, Resolved, Values};
use anyhow::{Context, Result};
use std::sync::Arc;

/// How templates are rendered, from the render flags.
#[derive(Debug, Clone, Default)]
pub struct RenderSettings {
    /// `--kube-version`, normalised to `vX.Y.Z`.
    pub kube_version: Option<String>,
    pub api_versions: Vec<String>,
    pub lenient: bool,
    /// `lookup` renders `{}` even with a cluster at hand.
    pub no_lookup: bool,
    pub fuel: u64,
    /// Bytes of output the whole chart may render.
    pub max_output: u64,
    /// Bytes of memory rendering may add.
    pub max_memory: u64,
    /// Show values in error excerpts and `lookup` Secret values in output.
    pub show_secrets: bool,
    /// `--version` of a registry chart: exact, or a semver range.
    pub chart_version: Option<String>,
}

/// Which operation the render is for (templates see `release.isInstall` / `release.isUpgrade`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Offline,
    Install,
    Upgrade,
}

/// Render options for release `name` in `namespace`.
pub fn render_options(
    name: &str,
    namespace: &str,
    rs: &RenderSettings,
    phase: Phase,
) -> RenderOptions {
    let mut opts = RenderOptions {
        release_name: name.to_string(),
        namespace: namespace.to_string(),
        api_versions: rs.api_versions.clone(),
        lenient: rs.lenient,
        fuel: Some(rs.fuel),
        max_output: rs.max_output,
        max_memory: Some(rs.max_memory),
        show_secrets: rs.show_secrets,
        is_install: phase == Phase::Install,
        is_upgrade: phase == Phase::Upgrade,
        ..RenderOptions::default()
    };
    if let Some(v) = &rs.kube_version {
        opts.kube_version = v.clone();
    }
    opts
}

/// Load a target's chart (errors here are fatal).
pub fn load_chart(target: &Target) -> Result<Chart> {
    load_chart_at(target, None)
}

/// Load a target's chart; a registry chart (`oci://...`) at `version` is first resolved to a cached,
/// digest-verified copy, and where it came from is kept in [`Chart::source`].
pub fn load_chart_at(target: &Target, version: Option<&str>) -> Result<Chart> {
    let Some(path) = &target.chart else {
        anyhow::bail!("{} names no chart", target.describe());
    };
    let given = path.to_string_lossy();
    if crate::oci::is_oci(&given) {
        let resolved =
            crate::oci::resolve_chart(&given, version).with_context(|| match &target.instance {
                Some(inst) => format!(
                    "instance `{}` ({}): cannot pull its chart",
                    inst.name,
                    inst.at()
                ),
                None => format!("cannot pull chart `{given}`"),
            })?;
        let mut chart = Chart::load(&resolved.dir)?;
        chart.source = Some(resolved.source);
        return Ok(chart);
    }
    if version.is_some() {
        return Err(crate::error::usage(format!(
            "--version applies to registry charts (`oci://...`), and `{given}` is a folder or package\n\nhint: leave out --version, or name the chart as `oci://HOST/PATH/NAME`"
        )));
    }
    let packaged = path.is_file() && (given.ends_with(".tgz") || given.ends_with(".tar.gz"));
    if !path.is_dir() && !packaged {
        let e = chart_path_error(path);
        return Err(match &target.instance {
            Some(inst) => e.context(format!(
                "instance `{}` ({}): cannot load its chart",
                inst.name,
                inst.at()
            )),
            None => e,
        });
    }
    if let Some(file) = crate::convert::helm_template_in(path) {
        let shown = path.display();
        anyhow::bail!(
            "`{shown}` is a Helm chart: `{}` is written in Go templates, and tack renders charts written in Jinja\n\nhint: convert it once with `tack convert {shown} {}-tack`, then use the converted chart (see docs/convert.md)",
            file.strip_prefix(path).unwrap_or(&file).display(),
            shown.to_string().trim_end_matches('/')
        );
    }
    match &target.instance {
        Some(inst) => Chart::load(path).with_context(|| {
            format!(
                "instance `{}` ({}): cannot load its chart",
                inst.name,
                inst.at()
            )
        }),
        None => Chart::load(path),
    }
}

/// Why `path` is no chart folder, and what tack accepts instead.
fn chart_path_error(path: &std::path::Path) -> anyhow::Error {
    let shown = path.display().to_string();
    if path.is_file() {
        return anyhow::anyhow!(
            "`{shown}` is a file, not a chart\n\nhint: pass a folder that holds Chart.yaml, a packaged chart (`.tgz`, see `tack package`) or `oci://HOST/PATH/NAME`"
        );
    }
    let first = shown.split('/').next().unwrap_or_default();
    let repo_ref = shown.split('/').count() == 2
        && !std::path::Path::new(first).is_dir()
        && !shown.starts_with('.')
        && shown
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '/');
    // chart folders near the one asked for: siblings of its parent, and charts/ of the current folder
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut near: Vec<String> = Vec::new();
    for dir in [parent, std::path::Path::new("charts")] {
        if let Ok(rd) = std::fs::read_dir(dir) {
            for e in rd.flatten() {
                if e.path().join("Chart.yaml").is_file() {
                    near.push(
                        e.path()
                            .display()
                            .to_string()
                            .trim_start_matches("./")
                            .to_string(),
                    );
                }
            }
        }
    }
    near.sort();
    near.dedup();
    let guess = crate::suggest::closest(&shown, near.iter().map(String::as_str));
    let mut msg = format!("chart folder `{shown}` does not exist");
    if repo_ref {
        msg.push_str(
            " (it looks like a Helm repository reference, `repo/name`; tack reads chart folders)",
        );
    }
    match (guess, near.is_empty()) {
        (Some(g), _) => msg.push_str(&format!("\n\nhint: did you mean `{g}`?")),
        (None, false) => msg.push_str(&format!(
            "\n\nhint: pass a folder that holds Chart.yaml; nearby: {}{}",
            near.iter().take(6).cloned().collect::<Vec<_>>().join(", "),
            if near.len() > 6 { ", ..." } else { "" }
        )),
        (None, true) => msg.push_str("\n\nhint: pass a folder that holds Chart.yaml"),
    }
    anyhow::anyhow!(msg)
}

/// The values request of a target once its chart is loaded.
pub fn layer_request(target: &Target, chart: &Chart) -> LayerRequest {
    LayerRequest {
        chart_values: chart.values_file.clone(),
        ..target.layers.clone()
    }
}

/// Render one target: its chart with its layers; `lookup` reads the cluster unless `--no-lookup`.
pub fn render_target(
    target: &Target,
    rs: &RenderSettings,
    phase: Phase,
    lookup: Option<Arc<dyn Lookup>>,
) -> Result<Prepared> {
    crate::release::validate_name(&target.name)?;
    let chart = load_chart_at(target, rs.chart_version.as_deref())?;
    let req = layer_request(target, &chart);
    let mut opts = render_options(&target.name, &target.namespace, rs, phase);
    if !rs.no_lookup {
        opts.lookup = lookup;
    }
    let mut prepared = prepare(chart, &req, &opts)?;
    if let Some(inst) = &target.instance {
        crate::stack::compare::label_set_layers(
            &mut prepared.resolved,
            &inst.name,
            &inst.file,
            &inst.set,
        );
    }
    Ok(prepared)
}

/// The result of the render pipeline, with every problem found along the way.
pub struct Prepared {
    pub chart: Chart,
    pub resolved: Resolved,
    /// Merged values with subchart values filled in: what templates saw.
    pub values: Values,
    pub docs: Vec<Document>,
    pub notes: Option<String>,
    /// Values of Secrets templates read through `lookup`: output that may hold them is scrubbed.
    pub secret_values: Vec<String>,
    /// Errors: schema violations, template errors, invalid objects, duplicates.
    pub errors: Vec<String>,
}

impl Prepared {
    /// Fail with every collected error ([`crate::error::Problems`]), or hand back the result.
    pub fn into_result(self) -> Result<Prepared> {
        if self.errors.is_empty() {
            return Ok(self);
        }
        Err(crate::error::render_failed(self.errors))
    }

    /// Whether [`Prepared::scrub`] would change anything: `lookup` read Secret values and they are not to be
    /// shown.
    pub fn masks(&self, show: bool) -> bool {
        !show && !self.secret_values.is_empty()
    }

    /// `text` with the values of Secrets read through `lookup` (and their base64) masked, unless `show`.
    pub fn scrub(&self, text: String, show: bool) -> String {
        if !self.masks(show) {
            text
        } else {
            crate::manifest::mask::scrub(&text, &self.secret_values)
        }
    }

    /// The values-loading warnings, as events of the running operation.
    pub fn emit_warnings(&self) {
        for w in &self.resolved.warnings {
            crate::events::warn(w);
        }
    }
}

/// Output of one template is checked on the rendering threads ([`prepare`]) in pieces of about this size,
/// so that a template with a long loop is checked on every core.
const CHECK_PIECE: usize = 32 * 1024;

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
        if let Err(e) = render::check_kube_version(&chart.meta.name, constraint, &opts.kube_version)
        {
            errors.push(e);
        }
    }

    let mut values = resolved.values.clone();
    render::coalesce_subcharts(&chart, &mut values)?;

    let mut docs = Vec::new();
    let mut notes = None;
    let mut secret_values = Vec::new();
    // a template's documents are checked on the rendering threads, a long output in pieces that go to
    // whichever threads are free, not on one while the others wait
    let check = render::OnRendered {
        each: &manifest::check_piece,
        cut: &|text: &str| manifest::cuts(text, CHECK_PIECE),
    };
    match render::render_chart_with(&chart, &values, opts, &check) {
        Ok((rendered, checked)) => {
            let mut problems: Vec<Problem> = Vec::new();
            let files: Vec<manifest::Rendered> = rendered
                .crds
                .iter()
                .chain(rendered.files.iter())
                .map(|f| manifest::Rendered {
                    source: &f.source,
                    display: &f.display,
                    text: &f.text,
                })
                .collect();
            // CRDs come first; templates were checked on the rendering threads
            let checked = std::iter::repeat_with(|| None)
                .take(rendered.crds.len())
                .chain(
                    checked
                        .into_iter()
                        .map(|c| c.map(manifest::CheckedFile::join)),
                )
                .collect();
            docs = manifest::parse_checked(&files, checked, opts.show_secrets, &mut problems);
            problems.extend(manifest::find_duplicates(&docs, &opts.namespace));
            for d in &docs {
                if let Err(message) = manifest::hooks::spec(d.hook_fields()) {
                    problems.push(Problem {
                        source: d.source.clone(),
                        line: Some(d.start_line),
                        message: format!("{}: {message}", d.id()),
                        excerpt: None,
                    });
                }
            }
            errors.extend(problems.iter().map(|p| p.to_string()));
            manifest::sort_install_order(&mut docs);
            notes = rendered.notes;
            secret_values = rendered.secret_values;
        }
        Err(RenderErrors(errs)) => errors.extend(errs.iter().map(|e| e.to_string())),
    }
    Ok(Prepared {
        chart,
        resolved,
        values,
        docs,
        notes,
        secret_values,
        errors,
    })
}
