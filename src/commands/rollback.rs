//! `tack rollback`: roll a release (or each selected stack instance) back to an earlier revision.

use super::{run_jobs, Ctx};
use crate::cli::{LayerArgs, RollbackArgs};
use crate::ops::rollback::rollback_release;
use crate::ops::stack::target_jobs;
use crate::ops::target::Target;
use crate::output::release;
use crate::settings::{self, Positionals};
use crate::stack::runner::Done;
use anyhow::{bail, Result};

pub fn run(ctx: &Ctx, args: &RollbackArgs) -> Result<()> {
    let mut revision = args.revision;
    let mut name = args.name.as_deref();
    if settings::stack_active(&args.stack) {
        // with instances, a lone positional is the revision
        if let Some(n) = name {
            match n.parse::<u64>() {
                Ok(rev) if revision.is_none() => {
                    revision = Some(rev);
                    name = None;
                }
                _ => settings::no_positionals(&[("NAME", true)])?,
            }
        }
    }
    let pos = Positionals {
        name,
        needs_name: true,
        ..Default::default()
    };
    let targets = settings::targets(&ctx.settings, &args.stack, pos, &LayerArgs::default(), &[])?;
    let selected = targets.selected_names();
    if revision.is_some() && selected.len() > 1 {
        bail!(
            "a revision number belongs to one release, but {} instances are selected ({})\n\nhint: select one with --instance NAME, or leave the revision out to roll each back to its previously deployed revision",
            selected.len(),
            selected.join(", ")
        );
    }
    let deadline = super::deadline(ctx, args.deploy.timeout, args.deploy.wait_for_lock);
    let (rt, clusters) = super::clusters::connect(ctx, &targets)?;
    let command = settings::command_line();
    let style = ctx.printer.out();
    let (format, from_stack) = (args.deploy.output, targets.from_stack);
    let all = run_jobs(
        ctx,
        (&rt, &clusters),
        &targets,
        target_jobs(&targets),
        Vec::new(),
        format == crate::cli::ReadFormat::Table,
        |t: Target| {
            let mut dopts = settings::deploy_options(&t.namespace, &t.name, &args.deploy, &command);
            let c = clusters.get(&t);
            let deadline = &deadline;
            async move {
                let c = c?;
                dopts.prepare_by = Some(deadline.for_turn().on(&c.server));
                let (rev, out) = rollback_release(&c, revision, &dopts).await?;
                let verb = format!("rolled back to revision {rev}:");
                Ok(Done {
                    revision: Some(out.release.revision),
                    result: format!("rolled back to {rev}"),
                    text: super::formatted(
                        format,
                        from_stack,
                        || release::outcome_text(style, &verb, &out.release, &out.changes),
                        &release::outcome_data(&out.release, &out.changes),
                    )?,
                })
            }
        },
    );
    super::report_as(ctx, &targets, all, format)
}
