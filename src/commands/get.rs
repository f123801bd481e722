//! `tack get all|manifest|values|metadata|notes|hooks`: what a stored revision holds, Secret values and
//! secret-looking values masked unless `--show-secrets`.

use super::{connect, Ctx};
use crate::cli::{GetArgs, GetWhat, ReadFormat};
use crate::ops::inspect;
use crate::output::release::{data_text, metadata_text};
use crate::release::Release;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    if args.all && args.what != GetWhat::Values {
        return Err(crate::error::usage(
            "--all belongs to `tack get values`\n\nhint: `tack get all NAME` prints every part of a revision",
        ));
    }
    if args.output != ReadFormat::Table && !matches!(args.what, GetWhat::Values | GetWhat::Metadata)
    {
        return Err(crate::error::usage(
            "-o json|yaml belongs to `tack get values` and `tack get metadata`\n\nhint: `tack status NAME -o json` gives a revision's objects and notes as data",
        ));
    }
    let ns = ctx.settings.namespace();
    let (rt, c) = connect(ctx)?;
    let rel = rt.block_on(inspect::get(&c, &ns, &args.name, args.revision))?;
    let show = args.show_secrets;
    let style = ctx.printer.out();
    let text = match args.what {
        GetWhat::All => all_text(ctx, &rel, show)?,
        GetWhat::Notes => rel.notes.clone().unwrap_or_default(),
        GetWhat::Hooks => inspect::hooks_text(&rel, show)?,
        GetWhat::Manifest if show => rel.manifest.clone(),
        GetWhat::Manifest => inspect::masked_manifest(&rel),
        GetWhat::Metadata => match args.output {
            ReadFormat::Table => {
                metadata_text(style, &inspect::metadata(&rel), &inspect::layers_line(&rel))
            }
            f => data_text(f == ReadFormat::Yaml, &inspect::metadata(&rel))?,
        },
        GetWhat::Values => {
            let values = if args.all {
                inspect::computed_values(&rel, show)
            } else {
                inspect::given_values(&rel, show)
            };
            match args.output {
                ReadFormat::Json => data_text(false, &values)?,
                ReadFormat::Yaml => yaml(&values),
                ReadFormat::Table => {
                    format!("{}\n{}", values_heading(&rel, args.all), yaml(&values))
                }
            }
        }
    };
    ctx.printer.stdout(&text);
    Ok(())
}

fn yaml(v: &serde_json::Value) -> String {
    format!("{}\n", crate::render::filters::json_to_yaml(v).trim_end())
}

/// A YAML comment saying which values these are.
fn values_heading(rel: &Release, all: bool) -> String {
    if all {
        format!(
            "# computed values of revision {}: chart defaults < {}",
            rel.revision,
            inspect::layers_line(rel).replace(", ", " < ")
        )
    } else {
        format!(
            "# values given to revision {} ({}); the env and tier layers are the chart's files, --all adds them and the defaults",
            rel.revision,
            inspect::layers_line(rel)
        )
    }
}

/// `tack get all`: every part of a revision under a heading, as Helm's `get all` prints them.
fn all_text(ctx: &Ctx, rel: &Release, show: bool) -> Result<String> {
    let style = ctx.printer.out();
    let head = |t: &str| style.bold(&format!("{t}:"));
    let mut out = metadata_text(style, &inspect::metadata(rel), &inspect::layers_line(rel));
    out.push_str(&format!(
        "\n{}\n{}",
        head("USER-SUPPLIED VALUES"),
        yaml(&inspect::given_values(rel, show))
    ));
    out.push_str(&format!(
        "\n{}\n{}",
        head("COMPUTED VALUES"),
        yaml(&inspect::computed_values(rel, show))
    ));
    let hooks = inspect::hooks_text(rel, show)?;
    if !hooks.is_empty() {
        out.push_str(&format!("\n{}\n{hooks}", head("HOOKS")));
    }
    let manifest = if show {
        rel.manifest.clone()
    } else {
        inspect::masked_manifest(rel)
    };
    out.push_str(&format!("\n{}\n{}", head("MANIFEST"), manifest));
    if let Some(notes) = rel.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        out.push_str(&format!("\n{}\n{}\n", head("NOTES"), notes.trim_end()));
    }
    Ok(out)
}
