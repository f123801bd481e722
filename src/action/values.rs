//! `tack values`: print the merged values of a chart, or explain where one key's value comes from.

use super::{layer_request, load_chart, print_warnings, Ctx};
use crate::cli::{ValuesArgs, ValuesFormat};
use crate::values::{self as vals, SetArg};
use anyhow::Result;

pub fn run(_ctx: &Ctx, args: &ValuesArgs, sets: &[SetArg]) -> Result<()> {
    let chart = load_chart(&args.chart)?;
    let req = layer_request(&chart, &args.layers, sets)?;
    let resolved = vals::resolve(&req)?;
    print_warnings(&resolved);
    if let Some(path) = &args.explain {
        let explanation = vals::explain(&resolved, path)?;
        match args.output {
            ValuesFormat::Yaml => println!("{}", explanation.to_string().trim_end()),
            ValuesFormat::Json => println!("{}", serde_json::to_string_pretty(&explanation)?),
        }
        return Ok(());
    }
    let mut values = resolved.values.clone();
    crate::render::coalesce_subcharts(&chart, &mut values)?;
    match args.output {
        ValuesFormat::Yaml => {
            let text = crate::render::filters::json_to_yaml(&values);
            println!("{}", text.trim_end());
        }
        ValuesFormat::Json => println!("{}", serde_json::to_string_pretty(&values)?),
    }
    Ok(())
}
