//! `tack template`: render a chart (or every selected stack instance) to a YAML stream in install order, or
//! into a folder of files. No cluster is contacted.

use super::{rendered_jobs, Ctx};
use crate::cli::TemplateArgs;
use crate::manifest::{self, Document};
use crate::ops::render::Phase;
use crate::output::runs;
use crate::settings::{self, Positionals};
use crate::stack::guard::Scopes;
use crate::stack::runner::{InstanceRun, State};
use crate::values::SetArg;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(ctx: &Ctx, args: &TemplateArgs, sets: &[SetArg]) -> Result<()> {
    let pos = Positionals {
        name: Some(&args.name),
        chart: args.chart.as_deref(),
        needs_name: false,
        needs_chart: true,
    };
    // a GitOps tool (Argo CD plugin parameters, ARGOCD_ENV_*) may supply what the flags leave out
    let (mut stack, mut layers) = (args.stack.clone(), args.layers.clone());
    settings::gitops::apply(&mut stack, &mut layers, &|k| std::env::var(k).ok())?;
    let targets = settings::targets(&ctx.settings, &stack, pos, &layers, sets)?;
    let mut rs = settings::render_settings(&args.render)?;
    rs.show_secrets = args.show_secrets;
    let show = args.show_secrets;
    let (jobs, decided) =
        rendered_jobs(&targets, &rs, Phase::Offline, None, "nothing was printed")?;
    let printer = &ctx.printer;
    if !targets.from_stack {
        if let Some(run) = decided.into_iter().next() {
            super::single(ctx, vec![run])?;
            return Ok(());
        }
        let Some(job) = jobs.into_iter().next() else {
            return Ok(());
        };
        let mut prepared = job.payload.prepared;
        prepared.emit_warnings();
        // the scopes come from every rendered document, before --show-only and --skip-crds pick some
        let scopes = args
            .set_namespace
            .then(|| Scopes::from_docs(&prepared.docs));
        let mut docs = select_docs(std::mem::take(&mut prepared.docs), args)?;
        if let Some(scopes) = &scopes {
            docs = in_namespace(docs, &job.payload.target.namespace, scopes);
        }
        let scrub = |text: String| prepared.scrub(text, show);
        match &args.output_dir {
            // nothing to mask: written piece by piece, not joined into one string first
            None if !prepared.masks(show) => printer.stdout_parts(manifest::stream_parts(&docs)),
            None => printer.stdout(&scrub(manifest::to_stream(&docs))),
            Some(dir) => {
                for path in write_dir(dir, &docs, &scrub)? {
                    printer.info(&format!("wrote {}", path.display()));
                }
            }
        }
        // the command ends here and the process with it: freeing thousands of parsed objects one by one
        // would only add to its time (plain data, nothing to close or flush)
        std::mem::forget(docs);
        return Ok(());
    }
    // a stack: one stream per instance, each after a comment naming it; namespaced objects carry the
    // instance's namespace, so the stream can be applied as is
    let scopes = Scopes::from_docs(jobs.iter().flat_map(|j| j.payload.prepared.docs.iter()));
    let mut all: Vec<InstanceRun> = Vec::new();
    let mut stream = String::new();
    // all or nothing: part of a stack piped to `kubectl apply`, or written where a GitOps tool reads it,
    // would deploy part of the stack
    let complete = decided.is_empty();
    let jobs_rendered = !jobs.is_empty();
    for run in decided {
        printer.stderr(&runs::block(printer.err(), &run));
        all.push(run);
    }
    for job in jobs {
        let t = &job.payload.target;
        let docs: Vec<Document> = job
            .payload
            .prepared
            .docs
            .iter()
            .filter(|d| !args.skip_crds || !is_crd_file(d))
            .filter(|d| {
                args.show_only.is_empty() || args.show_only.iter().any(|w| matches_show_only(d, w))
            })
            .cloned()
            .collect();
        let docs = in_namespace(docs, &t.namespace, &scopes);
        let run = InstanceRun {
            name: t.name.clone(),
            namespace: t.namespace.clone(),
            state: State::Ok,
            revision: None,
            result: format!(
                "{} object{}",
                docs.len(),
                if docs.len() == 1 { "" } else { "s" }
            ),
            captured: job
                .payload
                .prepared
                .resolved
                .warnings
                .iter()
                .map(|w| crate::events::Event::Warning(w.to_string()))
                .collect(),
            text: String::new(),
            error: None,
            failure: None,
            duration: std::time::Duration::ZERO,
        };
        if !run.captured.is_empty() {
            printer.stderr(&runs::block(printer.err(), &run));
        }
        let scrub = |text: String| job.payload.prepared.scrub(text, show);
        match &args.output_dir {
            Some(_) if !complete => {}
            Some(dir) => {
                // one folder per instance, under one per cluster when the stack file names clusters
                let sub = match t.cluster_name() {
                    Some(c) => format!("{c}/{}", t.name),
                    None => t.name.clone(),
                };
                let dir = crate::limits::safe_join(dir, &sub)?;
                for path in write_dir(&dir, &docs, &scrub)? {
                    printer.info(&format!("wrote {}", path.display()));
                }
            }
            None => {
                let cluster = t
                    .cluster_name()
                    .map(|c| format!(", cluster {c}"))
                    .unwrap_or_default();
                stream.push_str(&format!(
                    "# Instance: {} (namespace {}{cluster})\n",
                    t.name, t.namespace
                ));
                stream.push_str(&scrub(manifest::to_stream(&docs)));
            }
        }
        all.push(run);
    }
    let order = targets.selected_names();
    all.sort_by_key(|r| order.iter().position(|s| s == &r.name));
    if complete {
        printer.stdout(&stream);
    } else if jobs_rendered {
        printer.info(&format!(
            "no manifests were {}: an instance failed to render",
            if args.output_dir.is_some() {
                "written"
            } else {
                "printed"
            }
        ));
    }
    let cluster_of = |name: &str| {
        targets
            .all
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.cluster_name())
    };
    printer.stderr(&runs::summary_in(printer.err(), &all, &cluster_of));
    runs::finish(printer, &all)
}

/// `docs` with every namespaced object that names no namespace put in `namespace`.
fn in_namespace(docs: Vec<Document>, namespace: &str, scopes: &Scopes) -> Vec<Document> {
    docs.into_iter()
        .map(|d| {
            if scopes.is_cluster_scoped(&d) {
                d
            } else {
                manifest::set_namespace(&d, namespace)
            }
        })
        .collect()
}

fn is_crd_file(d: &Document) -> bool {
    d.source.split('/').any(|s| s == "crds")
}

/// The documents `--skip-crds` and `--show-only` keep.
pub fn select_docs(mut docs: Vec<Document>, args: &TemplateArgs) -> Result<Vec<Document>> {
    if args.skip_crds {
        docs.retain(|d| !is_crd_file(d));
    }
    if !args.show_only.is_empty() {
        for wanted in &args.show_only {
            if !docs.iter().any(|d| matches_show_only(d, wanted)) {
                let mut known: Vec<String> = docs.iter().map(|d| d.source.clone()).collect();
                known.dedup();
                bail!(
                    "--show-only `{wanted}` matches no rendered template\n\nhint: templates with output: {}",
                    known.join(", ")
                );
            }
        }
        docs.retain(|d| args.show_only.iter().any(|w| matches_show_only(d, w)));
    }
    Ok(docs)
}

/// Write each template's documents to `dir/<chart>/templates/<file>` (never outside `dir`), each file's text
/// through `scrub`; returns the files written.
pub fn write_dir(
    dir: &Path,
    docs: &[Document],
    scrub: &dyn Fn(String) -> String,
) -> Result<Vec<PathBuf>> {
    let mut by_file: BTreeMap<&str, Vec<Document>> = BTreeMap::new();
    for d in docs {
        by_file
            .entry(d.display.as_str())
            .or_default()
            .push(d.clone());
    }
    let mut written = Vec::new();
    for (display, group) in by_file {
        let path = crate::limits::safe_join(dir, display)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, scrub(manifest::to_stream(&group)))
            .with_context(|| format!("failed to write `{}`", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// `--show-only` accepts the chart-relative source, with or without `.j2`, or the `# Source:` name.
pub fn matches_show_only(d: &Document, wanted: &str) -> bool {
    let wanted = wanted.trim_start_matches("./");
    d.source == wanted
        || d.source.strip_suffix(".j2") == Some(wanted)
        || d.display == wanted
        || d.display.ends_with(&format!("/{wanted}"))
}
