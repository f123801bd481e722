//! `tack show values|chart|layers|readme|crds|all CHART`: a chart's own files, as written, before installing
//! it. No cluster is contacted; a registry chart is pulled into the cache.

use super::Ctx;
use crate::cli::{LayerArgs, ShowArgs, ShowWhat, StackArgs};
use crate::ops::show::{self, Shown};
use crate::settings::{self, Positionals};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    settings::registry(&args.registry);
    let pos = Positionals {
        name: None,
        chart: Some(&args.chart),
        needs_name: false,
        needs_chart: true,
    };
    let targets = settings::targets(
        &ctx.settings,
        &StackArgs::default(),
        pos,
        &LayerArgs::default(),
        &[],
    )?;
    let Some(target) = targets.selected().next() else {
        anyhow::bail!("no chart was named");
    };
    let chart = crate::ops::render::load_chart_at(target, args.chart_version.as_deref())?;
    let shown = show::read(&chart, &args.values_dir)?;
    let text = match args.what {
        ShowWhat::Chart => shown.chart_yaml.clone(),
        ShowWhat::Values => match &shown.values {
            Some(v) => v.clone(),
            None => {
                ctx.printer
                    .info(&format!("chart `{}` has no values.yaml", chart.meta.name));
                String::new()
            }
        },
        ShowWhat::Layers => {
            if shown.layers.is_empty() {
                ctx.printer.info(&format!(
                    "no env or tier layers in `{}` (<ENV>.yaml, <TIER>.yaml)\n\nhint: name the folder with --values-dir",
                    args.values_dir.display()
                ));
            }
            files(&shown.layers)
        }
        ShowWhat::Readme => match &shown.readme {
            Some((_, text)) => text.clone(),
            None => {
                ctx.printer
                    .info(&format!("chart `{}` has no README", chart.meta.name));
                String::new()
            }
        },
        ShowWhat::Crds => files(&shown.crds),
        ShowWhat::All => all(&shown),
    };
    ctx.printer.stdout(&ends_with_newline(text));
    Ok(())
}

/// Files one after another, each after a comment naming it, separated as YAML documents.
fn files(list: &[(String, String)]) -> String {
    list.iter()
        .map(|(path, text)| format!("---\n# Source: {path}\n{}", ends_with_newline(text.clone())))
        .collect()
}

/// Every part, as `helm show all` prints them: separated by `---`.
fn all(s: &Shown) -> String {
    let mut parts = vec![ends_with_newline(s.chart_yaml.clone())];
    if let Some(v) = &s.values {
        parts.push(format!(
            "# Source: values.yaml\n{}",
            ends_with_newline(v.clone())
        ));
    }
    if !s.layers.is_empty() {
        parts.push(files(&s.layers).trim_start_matches("---\n").to_string());
    }
    if let Some((path, text)) = &s.readme {
        parts.push(format!(
            "# Source: {path}\n{}",
            ends_with_newline(text.clone())
        ));
    }
    if !s.crds.is_empty() {
        parts.push(files(&s.crds).trim_start_matches("---\n").to_string());
    }
    parts.join("---\n")
}

fn ends_with_newline(mut s: String) -> String {
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    s
}
