//! `tack values`: print the merged values of a chart or a stack instance, explain where one key's value
//! comes from, or compare two instances key by key.

use super::Ctx;
use crate::chart::Chart;
use crate::cli::{StackArgs, ValuesArgs, ValuesFormat};
use crate::ops::render::{layer_request, load_chart};
use crate::ops::target::Target;
use crate::settings::{self, Positionals};
use crate::stack::compare::{compare, label_set_layers};
use crate::values::{self as vals, Resolved, SetArg};
use anyhow::{bail, Result};

pub fn run(ctx: &Ctx, args: &ValuesArgs, sets: &[SetArg]) -> Result<()> {
    let stack_args = StackArgs {
        stack: args.stack.clone(),
        instances: args.instance.iter().cloned().collect(),
        ..Default::default()
    };
    if settings::stack_active(&stack_args) && args.instance.is_none() {
        bail!("`tack values --stack` needs the instance to print\n\nhint: pass --instance NAME (and --compare OTHER to compare two)");
    }
    let pos = Positionals {
        chart: args.chart.as_deref(),
        needs_chart: true,
        ..Default::default()
    };
    let targets = settings::targets(&ctx.settings, &stack_args, pos, &args.layers, sets)?;
    let Some(target) = targets.selected().next() else {
        bail!("no instance selected");
    };
    let (chart, resolved) = resolve(ctx, target)?;
    let printer = &ctx.printer;
    let Some(other) = &args.compare else {
        return print_values(ctx, &chart, &resolved, args);
    };
    if args.explain.is_some() {
        bail!("--explain and --compare do not combine\n\nhint: --compare already names the layer behind each differing key; use --explain with one --instance");
    }
    let other_args = StackArgs {
        instances: vec![other.clone()],
        ..stack_args
    };
    let theirs_targets = settings::targets(&ctx.settings, &other_args, pos, &args.layers, sets)?;
    let Some(theirs_target) = theirs_targets.selected().next() else {
        bail!("no instance `{other}` selected");
    };
    let (_, theirs) = resolve(ctx, theirs_target)?;
    let cmp = compare((&target.name, &resolved), (other, &theirs));
    match args.output {
        ValuesFormat::Yaml => printer.stdout(&cmp.to_string()),
        ValuesFormat::Json => printer.stdout(&format!("{}\n", serde_json::to_string_pretty(&cmp)?)),
    }
    Ok(())
}

/// Load a target's chart and resolve its values; an instance's warnings name it.
fn resolve(ctx: &Ctx, target: &Target) -> Result<(Chart, Resolved)> {
    let chart = load_chart(target)?;
    let mut resolved = vals::resolve(&layer_request(target, &chart))?;
    match &target.instance {
        Some(inst) => {
            label_set_layers(&mut resolved, &inst.name, &inst.file, &inst.set);
            for w in &resolved.warnings {
                ctx.printer.warn(&format!("instance `{}`: {w}", inst.name));
            }
        }
        None => {
            for w in &resolved.warnings {
                ctx.printer.warn(&w.to_string());
            }
        }
    }
    Ok((chart, resolved))
}

/// Print merged values (with subchart values filled in), or explain `--explain`'s key.
fn print_values(ctx: &Ctx, chart: &Chart, resolved: &Resolved, args: &ValuesArgs) -> Result<()> {
    let printer = &ctx.printer;
    if let Some(path) = &args.explain {
        let explanation = vals::explain(resolved, path)?;
        match args.output {
            ValuesFormat::Yaml => {
                printer.stdout(&format!("{}\n", explanation.to_string().trim_end()))
            }
            ValuesFormat::Json => printer.stdout(&format!(
                "{}\n",
                serde_json::to_string_pretty(&explanation)?
            )),
        }
        return Ok(());
    }
    let mut values = resolved.values.clone();
    crate::render::coalesce_subcharts(chart, &mut values)?;
    if !args.show_secrets {
        values = vals::redacted(&values);
    }
    match args.output {
        ValuesFormat::Yaml => printer.stdout(&format!(
            "{}\n",
            crate::render::filters::json_to_yaml(&values).trim_end()
        )),
        ValuesFormat::Json => {
            printer.stdout(&format!("{}\n", serde_json::to_string_pretty(&values)?))
        }
    }
    Ok(())
}
