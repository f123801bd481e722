//! The template environment: minijinja configured for Kubernetes YAML, and rendering of a chart and its
//! subcharts into named documents. Pure: nothing here touches the cluster or the disk.

mod ahead;
mod budget;
mod capabilities;
mod environment;
pub mod errors;
pub mod files;
pub mod filters;
pub mod format;
mod subcharts;
pub mod tpl;

use crate::chart::Chart;
use crate::values::Values;
use anyhow::Result;
use minijinja::value::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use capabilities::capabilities;
pub use capabilities::{check_kube_version, parse_kube_version};
pub use errors::TemplateError;
pub use subcharts::coalesce_subcharts;
use subcharts::dependency_enabled;

/// Instructions a whole chart render (every template, subchart and `tpl` call together) may execute before
/// rendering is stopped (a guard against endless loops).
pub const DEFAULT_FUEL: u64 = 50_000_000;
pub use ahead::OnRendered;
pub use budget::DEFAULT_MAX_OUTPUT;
/// Kubernetes version templates see when no cluster is asked.
pub const DEFAULT_KUBE_VERSION: &str = "v1.32.0";

/// Everything about a render that does not come from the chart or its values.
#[derive(Clone)]
pub struct RenderOptions {
    pub release_name: String,
    pub namespace: String,
    pub revision: u64,
    pub is_install: bool,
    pub is_upgrade: bool,
    /// Kubernetes version as `v1.32.0`.
    pub kube_version: String,
    /// Extra API versions (`group/version` or `group/version/Kind`) added to the offline list.
    pub api_versions: Vec<String>,
    /// Print undefined values as empty strings instead of failing.
    pub lenient: bool,
    /// Template instructions the whole render may execute (`--fuel`); `None` does not meter.
    pub fuel: Option<u64>,
    /// Bytes of output the whole render may produce (`--max-output`).
    pub max_output: u64,
    /// Bytes of memory the render may add to what the process holds (`--max-render-memory`); `None` does
    /// not limit. Past it tack stops with an error (see [`crate::limits::RenderMemory`]).
    pub max_memory: Option<u64>,
    /// Show values in error excerpts (`--show-secrets`); by default they are masked.
    pub show_secrets: bool,
    /// Seed for `rand_*` functions, for reproducible tests.
    pub rng_seed: Option<u64>,
    /// Where `lookup` reads from; `None` renders offline (`lookup` returns `{}`).
    pub lookup: Option<Arc<dyn tpl::Lookup>>,
    /// Also render NOTES of subcharts.
    pub subchart_notes: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            release_name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_install: true,
            is_upgrade: false,
            kube_version: DEFAULT_KUBE_VERSION.into(),
            api_versions: Vec::new(),
            lenient: false,
            fuel: Some(DEFAULT_FUEL),
            max_output: DEFAULT_MAX_OUTPUT,
            max_memory: Some(crate::limits::DEFAULT_MAX_RENDER_MEMORY),
            show_secrets: false,
            rng_seed: None,
            lookup: None,
            subchart_notes: false,
        }
    }
}

/// The text one chart file produced.
#[derive(Debug, Clone)]
pub struct RenderedFile {
    /// Path relative to the top chart (`charts/db/templates/statefulset.yaml.j2`).
    pub source: String,
    /// Name for `# Source:` lines (`app/charts/db/templates/statefulset.yaml`).
    pub display: String,
    pub text: String,
}

/// The result of rendering a chart.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub files: Vec<RenderedFile>,
    pub crds: Vec<RenderedFile>,
    pub notes: Option<String>,
    /// Values of the Secrets templates read through `lookup` (decoded `data` and `stringData`). Output that
    /// may contain them goes through [`crate::manifest::mask::scrub`] before it is printed.
    pub secret_values: Vec<String>,
}

/// Every template error of a render (rendering continues past the first one so lint can report all).
#[derive(Debug)]
pub struct RenderErrors(pub Vec<TemplateError>);

impl fmt::Display for RenderErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RenderErrors {}

/// Render `chart` (values already merged and coalesced with [`coalesce_subcharts`]).
///
/// The whole render shares one budget ([`RenderOptions::fuel`], [`RenderOptions::max_output`]).
pub fn render_chart(
    chart: &Chart,
    values: &Values,
    opts: &RenderOptions,
) -> Result<Rendered, RenderErrors> {
    let on = OnRendered {
        each: &|_, _| (),
        cut: &|_| Vec::new(),
    };
    render_chart_with(chart, values, opts, &on).map(|(rendered, _)| rendered)
}

/// [`render_chart`], also calling `on.each` on the text of templates as they render (or on each piece
/// `on.cut` makes of it), on the rendering threads: large charts render on every core, and a thread with
/// no template left to start checks what others rendered. What it returned comes back for each of
/// [`Rendered::files`], piece by piece, `None` where it was not called (files not rendered side by side).
pub fn render_chart_with<T: Send>(
    chart: &Chart,
    values: &Values,
    opts: &RenderOptions,
    on: &OnRendered<T>,
) -> Result<(Rendered, Vec<Checked<T>>), RenderErrors> {
    let _memory = crate::limits::RenderMemory::arm(opts.max_memory);
    let seen = tpl::SeenSecrets::default();
    let mut run = Run {
        opts,
        out: Rendered::default(),
        on,
        done: Vec::new(),
        errs: Vec::new(),
        budget: budget::Budget::start(opts.fuel, opts.max_output),
        seen: seen.clone(),
        tags: values.get("tags").cloned().unwrap_or(Values::Null),
    };
    render_into(chart, values, "", &chart.meta.name, true, &mut run);
    let Run {
        mut out,
        done,
        errs,
        ..
    } = run;
    out.secret_values = seen.take();
    if errs.is_empty() {
        Ok((out, done))
    } else {
        Err(RenderErrors(errs))
    }
}

/// What `on.each` returned for the pieces of one template's output, in order; `None` where it was not called.
pub type Checked<T> = Option<Vec<T>>;

/// The state of one chart render, shared by the chart and its subcharts.
struct Run<'a, T> {
    opts: &'a RenderOptions,
    out: Rendered,
    /// Called on each template's text where it renders ([`render_chart_with`]).
    on: &'a OnRendered<'a, T>,
    /// What `on.each` returned, for each of `out.files`.
    done: Vec<Checked<T>>,
    errs: Vec<TemplateError>,
    budget: budget::Budget,
    seen: tpl::SeenSecrets,
    /// The top chart's `tags` values: they enable or disable dependencies at every depth.
    tags: Values,
}

fn render_into<T: Send>(
    chart: &Chart,
    values: &Values,
    prefix: &str,
    display: &str,
    top: bool,
    run: &mut Run<T>,
) {
    let opts = run.opts;
    for (dep, sub) in chart.dependencies() {
        if sub.is_library() || !dependency_enabled(&dep, values, &run.tags) {
            continue;
        }
        let key = dep.values_key();
        let sub_values = values
            .get(key)
            .cloned()
            .unwrap_or_else(|| Values::Object(Default::default()));
        let sub_prefix = format!("{prefix}charts/{}/", sub.meta.name);
        let sub_display = format!("{display}/charts/{key}");
        render_into(sub, &sub_values, &sub_prefix, &sub_display, false, run);
    }
    for crd in &chart.crds {
        match crd.text() {
            Ok(t) => run.out.crds.push(RenderedFile {
                source: format!("{prefix}{}", crd.path),
                display: format!("{display}/{}", crd.path),
                text: t.to_string(),
            }),
            Err(e) => run.errs.push(plain_error(
                &format!("{prefix}{}", crd.path),
                format!("{e:#}"),
            )),
        }
    }
    if chart.is_library() {
        return;
    }

    let tpl_prefix = format!("{prefix}templates/");
    let environment::ChartEnv {
        mut env,
        sources,
        errs: mut syntax,
    } = environment::build_env(chart, opts, &tpl_prefix, &run.seen);
    // a chart with a syntax error anywhere renders nothing and reports every such error (in file order)
    // and nothing else; its templates compile one at a time, so what rendered before the first is undone
    let (files_before, errs_before, notes_before) =
        (run.out.files.len(), run.errs.len(), run.out.notes.clone());
    debug_assert_eq!(run.done.len(), files_before);
    let base = base_context(chart, values, opts);
    let mut ahead = render_ahead(
        &env,
        chart,
        values,
        &sources,
        display,
        top,
        !syntax.is_empty(),
        run,
    );
    for (at, file) in chart.templates.iter().enumerate() {
        let rel = &file.path["templates/".len()..];
        let base_name = rel.rsplit('/').next().unwrap_or(rel);
        if base_name.starts_with('_') {
            continue;
        }
        let source = format!("{prefix}{}", file.path);
        let out_rel = rel.strip_suffix(".j2").unwrap_or(rel);
        let shown = format!("{display}/templates/{out_rel}");
        let is_notes = out_rel == "NOTES.txt";
        if is_notes && !top && !opts.subchart_notes {
            continue;
        }
        let mut checked = None;
        let text = if rel.ends_with(".j2") {
            if !sources.contains_key(rel) {
                continue; // unreadable: reported by build_env
            }
            if let Some((text, done)) = ahead.as_mut().and_then(|a| a.remove(&at)) {
                checked = done;
                text
            } else {
                if let Err(e) = env.get_template(rel) {
                    syntax.push((
                        at,
                        errors::convert(&e, &source, &tpl_prefix, opts.show_secrets),
                    ));
                    continue;
                }
                if !syntax.is_empty() || run.budget.exhausted() {
                    // compiled for its syntax errors only: the template that used up the fuel has reported
                    // it, and the rest would only repeat it
                    env.remove_template(rel);
                    continue;
                }
                let ctx = template_context(&base, &shown, &format!("{display}/templates"));
                env.set_fuel(run.budget.fuel_left());
                let rendered = run.budget.template(|sink| {
                    let t = env.get_template(rel)?;
                    let captured = t.render_captured_to(ctx, sink)?;
                    Ok(captured.state().fuel_levels().map(|(used, _)| used))
                });
                env.remove_template(rel);
                match rendered {
                    Ok(t) => t,
                    Err(e) => {
                        run.errs
                            .push(errors::convert(&e, &source, &tpl_prefix, opts.show_secrets));
                        continue;
                    }
                }
            }
        } else {
            match file.text() {
                Ok(t) => t.to_string(),
                Err(e) => {
                    run.errs.push(plain_error(&source, format!("{e:#}")));
                    continue;
                }
            }
        };
        if is_notes {
            let notes = run.out.notes.get_or_insert_with(String::new);
            notes.push_str(&text);
        } else {
            run.out.files.push(RenderedFile {
                source,
                display: shown,
                text,
            });
            run.done.push(checked);
        }
    }
    if !syntax.is_empty() {
        run.out.files.truncate(files_before);
        run.done.truncate(files_before);
        run.errs.truncate(errs_before);
        run.out.notes = notes_before;
        syntax.sort_by_key(|(at, _)| *at);
        run.errs.extend(syntax.into_iter().map(|(_, e)| e));
    }
}

/// The chart's templates rendered side by side ([`ahead`]), by position among its templates, when that
/// gives what rendering them one at a time would: not after a syntax error or once the fuel is used up,
/// and not with seeded `rand_*` functions (whose values depend on the order of calls).
#[allow(clippy::too_many_arguments)]
fn render_ahead<T: Send>(
    shared: &minijinja::Environment<'static>,
    chart: &Chart,
    values: &Values,
    sources: &BTreeMap<String, String>,
    display: &str,
    top: bool,
    syntax_errors: bool,
    run: &mut Run<T>,
) -> Option<BTreeMap<usize, (String, Checked<T>)>> {
    if syntax_errors || run.budget.exhausted() || run.opts.rng_seed.is_some() {
        return None;
    }
    let mut at = Vec::new();
    let mut jobs = Vec::new();
    for (i, file) in chart.templates.iter().enumerate() {
        let rel = &file.path["templates/".len()..];
        let base_name = rel.rsplit('/').next().unwrap_or(rel);
        let out_rel = rel.strip_suffix(".j2").unwrap_or(rel);
        if base_name.starts_with('_')
            || (out_rel == "NOTES.txt" && !top && !run.opts.subchart_notes)
        {
            continue;
        }
        let Some(source) = sources.get(rel) else {
            continue;
        };
        at.push(i);
        jobs.push(ahead::Job {
            rel,
            source,
            shown: format!("{display}/templates/{out_rel}"),
            base_path: format!("{display}/templates"),
            notes: out_rel == "NOTES.txt",
        });
    }
    let (opts, fuel) = (run.opts, run.budget.fuel_left());
    // each thread builds the values templates see: values shared between threads would have every lookup
    // count references on the same memory from every core
    let setup = || {
        let mut env = shared.clone();
        env.set_fuel(fuel);
        (env, base_context(chart, values, opts))
    };
    let texts = ahead::render(&jobs, &setup, run.on, &mut run.budget)?;
    Some(at.into_iter().zip(texts).collect())
}

/// What one template sees: the chart's names plus `template.name` and `template.basePath`.
fn template_context(base: &BTreeMap<String, Value>, name: &str, base_path: &str) -> Value {
    let mut ctx = base.clone();
    ctx.insert(
        "template".into(),
        Value::from_pairs([
            ("name", Value::from(name)),
            ("basePath", Value::from(base_path)),
        ]),
    );
    Value::from_pairs(ctx)
}

fn plain_error(source: &str, message: String) -> TemplateError {
    TemplateError {
        source: source.to_string(),
        location: None,
        message,
        chain: Vec::new(),
        excerpt: None,
    }
}

fn base_context(chart: &Chart, values: &Values, opts: &RenderOptions) -> BTreeMap<String, Value> {
    let mut ctx = BTreeMap::new();
    ctx.insert(
        "values".to_string(),
        Value::from(minijinja::value::Serde(values)),
    );
    ctx.insert(
        "chart".to_string(),
        Value::from(minijinja::value::Serde(&chart.raw)),
    );
    ctx.insert(
        "release".to_string(),
        Value::from_pairs([
            ("name", Value::from(opts.release_name.clone())),
            ("namespace", Value::from(opts.namespace.clone())),
            ("revision", Value::from(opts.revision)),
            ("isInstall", Value::from(opts.is_install)),
            ("isUpgrade", Value::from(opts.is_upgrade)),
            ("service", Value::from("tack")),
        ]),
    );
    ctx.insert("capabilities".to_string(), capabilities(opts));
    ctx.insert(
        "files".to_string(),
        Value::from_object(files::Files::new(
            chart
                .files
                .iter()
                .map(|f| (f.path.clone(), f.bytes.clone())),
        )),
    );
    ctx
}

#[cfg(test)]
#[path = "hostile_tests.rs"]
mod hostile_tests;

#[cfg(test)]
#[path = "ahead_tests.rs"]
mod ahead_tests;
