//! `tack unlock`: remove the operation lock of a release whose holder is gone.

use super::{connect, Ctx};
use crate::cli::UnlockArgs;
use crate::ops::inspect;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let ns = ctx.settings.namespace();
    let name = &args.name;
    let (rt, c) = connect(ctx)?;
    let (lock, removed) = rt.block_on(inspect::unlock(&c, &ns, name))?;
    let printer = &ctx.printer;
    match (lock, removed) {
        (Some(l), true) => {
            if !l.stale(jiff::Timestamp::now()) {
                printer.warn(&format!(
                    "the lock was live: {} may still be running",
                    l.holder
                ));
            }
            printer.stdout(&format!(
                "removed the lock of release `{name}` held by {}\n",
                l.holder
            ));
        }
        _ => printer.stdout(&format!(
            "release `{name}` in namespace `{ns}` is not locked\n"
        )),
    }
    Ok(())
}
