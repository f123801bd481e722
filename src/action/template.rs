//! `tack template`: render a chart to a YAML stream in install order, or into a folder of files.

use super::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx};
use crate::cli::TemplateArgs;
use crate::manifest::{self, Document};
use crate::values::SetArg;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub fn run(ctx: &Ctx, args: &TemplateArgs, sets: &[SetArg]) -> Result<()> {
    if args.stack.active() {
        return super::stack::offline::template(ctx, args, sets);
    }
    let chart = load_chart(super::positional(&args.chart, "CHART")?)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let opts = render_options(&args.name, &ctx.namespace(), &args.render);
    let prepared = prepare(chart, &req, &opts)?;
    print_warnings(&prepared.resolved);
    let prepared = prepared.into_result()?;
    let docs = select_docs(prepared.docs, args)?;
    match &args.output_dir {
        None => {
            print!("{}", manifest::to_stream(&docs));
        }
        Some(dir) => {
            for path in write_dir(dir, &docs)? {
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

/// The documents `--skip-crds` and `--show-only` keep.
pub fn select_docs(mut docs: Vec<Document>, args: &TemplateArgs) -> Result<Vec<Document>> {
    if args.skip_crds {
        docs.retain(|d| !d.source.split('/').any(|s| s == "crds"));
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

/// Write each template's documents to `dir/<chart>/templates/<file>`; returns the files written.
pub fn write_dir(dir: &Path, docs: &[Document]) -> Result<Vec<PathBuf>> {
    let mut by_file: BTreeMap<&str, Vec<Document>> = BTreeMap::new();
    for d in docs {
        by_file
            .entry(d.display.as_str())
            .or_default()
            .push(d.clone());
    }
    let mut written = Vec::new();
    for (display, group) in by_file {
        let path = dir.join(display);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, manifest::to_stream(&group))
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
