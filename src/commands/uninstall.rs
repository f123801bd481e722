//! `tack uninstall`: delete a release's (or each selected stack instance's) objects and records.

use super::{report, run_jobs, Ctx};
use crate::cli::{LayerArgs, UninstallArgs};
use crate::ops::stack::target_jobs;
use crate::ops::target::Target;
use crate::ops::uninstall::{uninstall_options, uninstall_release};
use crate::output::release;
use crate::settings::{self, Positionals};
use crate::stack::runner::Done;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &UninstallArgs) -> Result<()> {
    let pos = Positionals {
        name: args.name.as_deref(),
        needs_name: true,
        ..Default::default()
    };
    let targets = settings::targets(&ctx.settings, &args.stack, pos, &LayerArgs::default(), &[])?;
    let (rt, clusters) = super::clusters::connect(ctx, &targets)?;
    let (keep, wait_for_lock) = (args.keep_history, args.wait_for_lock);
    let (no_hooks, timeout, delete_crds) = (args.no_hooks, args.timeout, args.delete_crds);
    let deadline = super::deadline(ctx, timeout, wait_for_lock);
    let command = settings::command_line();
    let style = ctx.printer.out();
    let all = run_jobs(
        ctx,
        (&rt, &clusters),
        &targets,
        target_jobs(&targets),
        Vec::new(),
        true,
        |t: Target| {
            let c = clusters.get(&t);
            let mut opts = uninstall_options(&t.namespace, &t.name, wait_for_lock, &command);
            opts.no_hooks = no_hooks;
            opts.timeout = timeout;
            opts.delete_crds = delete_crds;
            let deadline = &deadline;
            async move {
                let c = c?;
                opts.prepare_by = Some(deadline.for_turn().on(&c.server));
                let (changes, rev) = uninstall_release(&c, &opts, keep).await?;
                Ok(Done {
                    revision: Some(rev),
                    result: "uninstalled".into(),
                    text: release::uninstall_text(
                        style,
                        (&t.name, &t.namespace),
                        rev,
                        keep,
                        &changes,
                    ),
                })
            }
        },
    );
    report(ctx, &targets, all)
}
