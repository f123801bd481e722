//! `tack values`: print the merged values of a chart, or explain where one key's value comes from.

use super::{layer_request, load_chart, print_warnings, Ctx};
use crate::chart::Chart;
use crate::cli::{ValuesArgs, ValuesFormat};
use crate::values::{self as vals, Resolved, SetArg};
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &ValuesArgs, sets: &[SetArg]) -> Result<()> {
    if args.instance.is_some() || args.stack.is_some() {
        return super::stack::offline::values(ctx, args, sets);
    }
    let chart = load_chart(super::positional(&args.chart, "CHART")?)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let resolved = vals::resolve(&req)?;
    print_warnings(&resolved);
    print_values(&chart, &resolved, args)
}

/// Print merged values (with subchart values filled in), or explain `--explain`'s key.
pub fn print_values(chart: &Chart, resolved: &Resolved, args: &ValuesArgs) -> Result<()> {
    if let Some(path) = &args.explain {
        let explanation = vals::explain(resolved, path)?;
        match args.output {
            ValuesFormat::Yaml => println!("{}", explanation.to_string().trim_end()),
            ValuesFormat::Json => println!("{}", serde_json::to_string_pretty(&explanation)?),
        }
        return Ok(());
    }
    let mut values = resolved.values.clone();
    crate::render::coalesce_subcharts(chart, &mut values)?;
    match args.output {
        ValuesFormat::Yaml => {
            let text = crate::render::filters::json_to_yaml(&values);
            println!("{}", text.trim_end());
        }
        ValuesFormat::Json => println!("{}", serde_json::to_string_pretty(&values)?),
    }
    Ok(())
}
