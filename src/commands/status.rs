//! `tack status`: the state of a release (or of each selected stack instance): revision, status, objects,
//! notes and any held lock; `-o json|yaml` for machines (one list for a stack).

use super::{run_jobs, Ctx};
use crate::cli::{LayerArgs, ReadFormat, StatusArgs};
use crate::ops::inspect;
use crate::ops::stack::target_jobs;
use crate::ops::target::Target;
use crate::output::release;
use crate::settings::{self, Positionals};
use crate::stack::runner::Done;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    let pos = Positionals {
        name: args.name.as_deref(),
        needs_name: true,
        ..Default::default()
    };
    let targets = settings::targets(&ctx.settings, &args.stack, pos, &LayerArgs::default(), &[])?;
    let (rt, clusters) = super::clusters::connect(ctx, &targets)?;
    let (revision, format) = (args.revision, args.output);
    let style = ctx.printer.out();
    let table = format == ReadFormat::Table;
    let from_stack = targets.from_stack;
    let all = run_jobs(
        ctx,
        (&rt, &clusters),
        &targets,
        target_jobs(&targets),
        Vec::new(),
        table,
        |t: Target| {
            let c = clusters.get(&t);
            async move {
                let c = c?;
                let (rel, view) = inspect::status(&c, &t.namespace, &t.name, revision).await?;
                let text = super::formatted(
                    format,
                    from_stack,
                    || release::status_text(style, &rel, &view),
                    &view,
                )?;
                Ok(Done {
                    revision: Some(rel.revision),
                    result: rel.status.as_str().to_string(),
                    text,
                })
            }
        },
    );
    super::report_as(ctx, &targets, all, format)
}
