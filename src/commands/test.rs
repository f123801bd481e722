//! `tack test`: run the tests of a release's deployed revision and report each with its pods' exit status
//! (and logs with `--logs`); exit 1 when any test failed.

use super::{connect, Ctx};
use crate::cli::TestArgs;
use crate::error;
use crate::ops::chart_tests;
use crate::output::release;
use crate::settings;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &TestArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let ns = ctx.settings.namespace();
    let (rt, c) = connect(ctx)?;
    let opts = chart_tests::options(
        &ns,
        &args.name,
        (args.timeout, args.wait_for_lock),
        &settings::command_line(),
    );
    let suite = rt.block_on(chart_tests::test_release(&c, &opts, args.logs))?;
    ctx.printer
        .stdout(&release::test_text(ctx.printer.out(), &args.name, &suite));
    match suite.failed() {
        0 => Ok(()),
        n => Err(error::reported(
            error::FAILURE,
            format!(
                "{n} of {} tests of `{}` failed",
                suite.outcomes.len(),
                args.name
            ),
        )),
    }
}
