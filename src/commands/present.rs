//! How finished runs are shown: a stack's summary table and closing line, a single release's output or its
//! error, and `-o json|yaml` data gathered into one list for a stack.
use super::Ctx;
use crate::ops::target::Targets;
use crate::output::runs;
use crate::stack::runner::{InstanceRun, State};
use anyhow::Result;
use std::sync::Arc;

/// Present finished runs: for a stack the summary table and the closing line; for a single release its
/// events and output, or its error as the command's error.
pub(super) fn report(ctx: &Ctx, targets: &Targets, all: Vec<InstanceRun>) -> Result<()> {
    if targets.from_stack {
        ctx.printer.stdout(&summary(ctx, targets, &all));
        return runs::finish(&ctx.printer, &all);
    }
    let run = single(ctx, all)?;
    ctx.printer.stdout(&run.text);
    Ok(())
}

/// A run's output in the chosen format: `text()` for a table, else the data, pretty for one release and one
/// JSON line for a stack instance (gathered into one list by [`report_as`]).
pub(super) fn formatted<T: serde::Serialize>(
    format: crate::cli::ReadFormat,
    from_stack: bool,
    text: impl FnOnce() -> String,
    data: &T,
) -> Result<String> {
    use crate::cli::ReadFormat;
    Ok(match format {
        ReadFormat::Table => text(),
        _ if from_stack => serde_json::to_string(data)?,
        f => crate::output::release::data_text(f == ReadFormat::Yaml, data)?,
    })
}

/// [`report`] for commands with `-o json|yaml`: a stack's runs become one list of
/// `{instance, namespace, release, error}`, each `release` the data its run returned.
pub(super) fn report_as(
    ctx: &Ctx,
    targets: &Targets,
    all: Vec<InstanceRun>,
    format: crate::cli::ReadFormat,
) -> Result<()> {
    use crate::cli::ReadFormat;
    if format == ReadFormat::Table || !targets.from_stack {
        return report(ctx, targets, all);
    }
    let list: Vec<serde_json::Value> = all
        .iter()
        .map(|r| {
            serde_json::json!({
                "instance": r.name,
                "namespace": r.namespace,
                "release": serde_json::from_str::<serde_json::Value>(&r.text).ok(),
                "error": r.error.as_deref().map(crate::output::strip_ansi),
            })
        })
        .collect();
    ctx.printer.stdout(&crate::output::release::data_text(
        format == ReadFormat::Yaml,
        &list,
    )?);
    runs::finish(&ctx.printer, &all)
}

/// The summary table of a stack's runs, with the cluster of each instance when the stack file names them.
pub(super) fn summary(ctx: &Ctx, targets: &Targets, all: &[InstanceRun]) -> String {
    let cluster_of = |name: &str| {
        targets
            .all
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.cluster_name())
    };
    runs::summary_in(ctx.printer.out(), all, &cluster_of)
}

/// The one run of a single release: its captured events are shown, a failure becomes the command's error.
pub(super) fn single(ctx: &Ctx, all: Vec<InstanceRun>) -> Result<InstanceRun> {
    let Some(mut run) = all.into_iter().next() else {
        anyhow::bail!("nothing was selected");
    };
    for e in std::mem::take(&mut run.captured) {
        crate::events::Sink::event(&*ctx.printer, e);
    }
    match run.state {
        State::Ok => Ok(run),
        _ => Err(match run.failure.take().map(Arc::try_unwrap) {
            Some(Ok(e)) => e,
            _ => {
                let text = run.error.clone().unwrap_or_else(|| run.text.clone());
                anyhow::anyhow!("{}", text.trim().trim_start_matches("error: "))
            }
        }),
    }
}
