//! `tack list`: the releases of a namespace (or of all with `-A`), latest revision each, filtered by status,
//! name (`--filter`) and release labels (`-l`).

use super::{connect, Ctx};
use crate::cli::{ListArgs, ReadFormat};
use crate::ops::inspect;
use crate::output::release;
use crate::release::Status;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let ns = (!args.all_namespaces).then(|| ctx.settings.namespace());
    let wanted: Option<Status> = args.status.as_deref().map(str::parse).transpose()?;
    let filter = match &args.filter {
        Some(f) => Some(regex::Regex::new(f).map_err(|e| {
            crate::error::usage(format!(
                "invalid --filter `{f}`: {e}\n\nhint: --filter takes a regular expression over release names, e.g. `^shop-`"
            ))
        })?),
        None => None,
    };
    let selector = match &args.selector {
        Some(s) => Some(crate::stack::selector::parse(s).map_err(|e| {
            crate::error::usage(format!(
                "invalid -l (it selects on the labels releases were given with `--labels`): {e:#}"
            ))
        })?),
        None => None,
    };
    let (rt, c) = connect(ctx)?;
    let mut latest = rt.block_on(inspect::list(&c, ns.as_deref(), wanted))?;
    if let Some(f) = &filter {
        latest.retain(|s| f.is_match(&s.name));
    }
    if let Some(sel) = &selector {
        latest.retain(|s| sel.matches(&s.labels));
    }
    let printer = &ctx.printer;
    if args.short {
        let names: String = latest.iter().map(|s| format!("{}\n", s.name)).collect();
        printer.stdout(&names);
        return Ok(());
    }
    match args.output {
        ReadFormat::Table if latest.is_empty() => printer.info(&format!(
            "no releases{}",
            ns.map(|n| format!(" in namespace `{n}` (use -A for all)"))
                .unwrap_or_default()
        )),
        ReadFormat::Table => printer.stdout(&release::list_table(printer.out(), &latest)),
        f => printer.stdout(&release::data_text(f == ReadFormat::Yaml, &latest)?),
    }
    Ok(())
}
