//! `tack convert`: write a tack chart from a Helm chart and report what could not be converted exactly.

use super::Ctx;
use crate::cli::ConvertArgs;
use crate::convert::{self, ConvertOptions};
use crate::error::{reported, FAILURE};
use anyhow::Result;
use std::time::Instant;

pub fn run(ctx: &Ctx, args: &ConvertArgs) -> Result<()> {
    let start = Instant::now();
    let opts = ConvertOptions {
        env_layers: args.env_layers,
    };
    let report = convert::convert(&args.helm_chart, &args.out_dir, &opts)?;
    let printer = &ctx.printer;
    let err = printer.err();
    for u in &report.unsupported {
        printer.stderr(&format!("{} {u}\n", err.yellow("not converted:")));
    }
    if !report.layers.is_empty() {
        let dir = args.out_dir.join("values");
        printer.info(&format!(
            "env layers {} written to `{}`: `tack template {} --env {}` takes them when there is no `./values` folder (else add `--values-dir {}`)",
            report.layers.join(", "),
            dir.display(),
            args.out_dir.display(),
            report.layers[0],
            dir.display()
        ));
    }
    printer.stdout(&format!(
        "converted `{}` into `{}`: {} chart{}, {} template{}, {} macro{} ({} ms)\n",
        args.helm_chart.display(),
        args.out_dir.display(),
        report.charts,
        if report.charts == 1 { "" } else { "s" },
        report.templates,
        if report.templates == 1 { "" } else { "s" },
        report.macros,
        if report.macros == 1 { "" } else { "s" },
        start.elapsed().as_millis()
    ));
    if report.unsupported.is_empty() {
        return Ok(());
    }
    let n = report.unsupported.len();
    let msg = format!(
        "{n} construct{} could not be converted exactly; the converted templates fail where they are used",
        if n == 1 { "" } else { "s" }
    );
    if args.allow_partial {
        printer.warn(&msg);
        return Ok(());
    }
    printer.stderr(&format!(
        "{} {msg}\n\nhint: rewrite them in the converted chart, or pass --allow-partial to keep the partial chart\n",
        err.red("error:")
    ));
    Err(reported(FAILURE, msg))
}
