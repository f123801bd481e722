//! `tack template`: render a chart to a YAML stream in install order, or into a folder of files.

use super::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx};
use crate::cli::TemplateArgs;
use crate::manifest::{self, Document};
use crate::values::SetArg;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

pub fn run(ctx: &Ctx, args: &TemplateArgs, sets: &[SetArg]) -> Result<()> {
    let chart = load_chart(&args.chart)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let opts = render_options(&args.name, &ctx.namespace(), &args.render);
    let prepared = prepare(chart, &req, &opts)?;
    print_warnings(&prepared.resolved);
    let prepared = prepared.into_result()?;

    let mut docs: Vec<Document> = prepared.docs;
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

    match &args.output_dir {
        None => {
            print!("{}", manifest::to_stream(&docs));
        }
        Some(dir) => {
            let mut by_file: BTreeMap<&str, Vec<Document>> = BTreeMap::new();
            for d in &docs {
                by_file
                    .entry(d.display.as_str())
                    .or_default()
                    .push(d.clone());
            }
            for (display, group) in by_file {
                let path = dir.join(display);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent)
                        .with_context(|| format!("failed to create `{}`", parent.display()))?;
                }
                std::fs::write(&path, manifest::to_stream(&group))
                    .with_context(|| format!("failed to write `{}`", path.display()))?;
                eprintln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

/// `--show-only` accepts the chart-relative source, with or without `.j2`, or the `# Source:` name.
fn matches_show_only(d: &Document, wanted: &str) -> bool {
    let wanted = wanted.trim_start_matches("./");
    d.source == wanted
        || d.source.strip_suffix(".j2") == Some(wanted)
        || d.display == wanted
        || d.display.ends_with(&format!("/{wanted}"))
}
