//! `tack unlock`: remove the operation lock of a release whose holder is gone (a live one only with --force).

use super::{connect, Ctx};
use crate::cli::UnlockArgs;
use crate::ops::inspect::{self, Unlocked};
use anyhow::{bail, Result};

pub fn run(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let ns = ctx.settings.namespace();
    let name = &args.name;
    let (rt, c) = connect(ctx)?;
    let outcome = rt.block_on(inspect::unlock(&c, &ns, name, args.force))?;
    let printer = &ctx.printer;
    match outcome {
        Unlocked::Removed { lock, live } => {
            if live {
                printer.warn(&format!(
                    "the lock was not known to be stale: {} may still be running, and its next write will fail",
                    lock.holder
                ));
            }
            printer.stdout(&format!(
                "removed the lock of release `{name}` held by {}\n",
                lock.holder
            ));
        }
        Unlocked::Live(lock) => bail!(
            "the lock of release `{name}` in namespace `{ns}` is live: held by {}\n\nhint: wait for that operation to finish; if its process is gone (another machine or container), run `tack unlock {name} -n {ns} --force`",
            crate::ops::lock::describe(&lock)
        ),
        Unlocked::NotLocked => printer.stdout(&format!(
            "release `{name}` in namespace `{ns}` is not locked\n"
        )),
    }
    Ok(())
}
