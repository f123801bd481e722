//! `tack import helm`: take over a release that Helm manages (see `ops::import`).

use super::{connect, Ctx};
use crate::cli::{ImportCommand, ImportHelmArgs, ReadFormat};
use crate::ops::import::{self, ImportOptions};
use crate::output::{import as text, release};
use anyhow::Result;
use std::time::Instant;

pub fn run(ctx: &Ctx, cmd: &ImportCommand) -> Result<()> {
    match cmd {
        ImportCommand::Helm(args) => helm(ctx, args),
    }
}

fn helm(ctx: &Ctx, args: &ImportHelmArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let opts = ImportOptions {
        namespace: ctx.settings.namespace(),
        name: args.name.clone(),
        dry_run: args.dry_run,
        remove_helm_records: args.remove_helm_records,
        helm_managers: args.helm_field_managers.clone(),
        wait_for_lock: args.wait_for_lock,
    };
    let (rt, c) = connect(ctx)?;
    let start = Instant::now();
    let report = rt.block_on(import::import_helm(&c, &opts))?;
    let seconds = start.elapsed().as_secs_f64();
    let out = match args.output {
        ReadFormat::Table => text::report_text(ctx.printer.out(), &report, seconds),
        f => release::data_text(f == ReadFormat::Yaml, &report)?,
    };
    ctx.printer.stdout(&out);
    Ok(())
}
