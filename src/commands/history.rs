//! `tack history`: the revisions of a release.

use super::{connect, Ctx};
use crate::cli::{HistoryArgs, ReadFormat};
use crate::ops::inspect;
use crate::output::release;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let ns = ctx.settings.namespace();
    let (rt, c) = connect(ctx)?;
    let mut h = rt.block_on(inspect::history(&c, &ns, &args.name))?;
    if let Some(max) = args.max {
        h.drain(..h.len().saturating_sub(max));
    }
    let text = match args.output {
        ReadFormat::Table => release::history_table(ctx.printer.out(), &h),
        f => release::data_text(f == ReadFormat::Yaml, &h)?,
    };
    ctx.printer.stdout(&text);
    Ok(())
}
