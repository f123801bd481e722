//! The read commands: `history`, `status`, `list`, `get manifest|values|notes`, and `unlock`.

use super::deploy;
use super::install::target;
use super::Ctx;
use crate::cli::{GetArgs, GetWhat, HistoryArgs, ListArgs, ReadFormat, StatusArgs, UnlockArgs};
use crate::cluster;
use crate::output;
use crate::release::{Release, Status, Summary};
use crate::storage::secrets::SecretStore;
use crate::storage::{latest_per_release, ReleaseStore};
use anyhow::{bail, Result};
use serde::Serialize;

fn with_store<T>(ctx: &Ctx, f: impl AsyncFnOnce(&SecretStore) -> Result<T>) -> Result<T> {
    let rt = cluster::runtime()?;
    rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        let store = SecretStore::new(c.client.clone());
        f(&store).await
    })
}

pub fn print_data<T: Serialize>(format: ReadFormat, data: &T) -> Result<()> {
    match format {
        ReadFormat::Json => println!("{}", serde_json::to_string_pretty(data)?),
        ReadFormat::Yaml => {
            let v = serde_json::to_value(data)?;
            println!("{}", crate::render::filters::json_to_yaml(&v).trim_end());
        }
        ReadFormat::Table => unreachable!("tables are printed by the caller"),
    }
    Ok(())
}

pub fn status_cell(s: Status) -> String {
    match s {
        Status::Deployed => output::green(s.as_str()),
        Status::Failed => output::red(s.as_str()),
        s if s.is_pending() => output::yellow(s.as_str()),
        s => s.as_str().to_string(),
    }
}

pub fn history(ctx: &Ctx, args: &HistoryArgs) -> Result<()> {
    let ns = ctx.namespace();
    let h = with_store(ctx, async |store| {
        deploy::read_history(store, &ns, &args.name).await
    })?;
    if h.is_empty() {
        bail!(
            "release `{}` not found in namespace `{ns}`\n\nhint: see `tack list -A`",
            args.name
        );
    }
    if args.output != ReadFormat::Table {
        return print_data(args.output, &h);
    }
    let rows: Vec<Vec<String>> = h
        .iter()
        .map(|s| {
            vec![
                s.revision.to_string(),
                s.updated.clone(),
                status_cell(s.status),
                s.chart.clone(),
                s.app_version.clone().unwrap_or_default(),
                s.description.lines().next().unwrap_or("").to_string(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "REVISION",
                "UPDATED",
                "STATUS",
                "CHART",
                "APP VERSION",
                "DESCRIPTION"
            ],
            &rows
        )
    );
    Ok(())
}

/// What `tack status` shows, also its JSON/YAML form.
#[derive(Serialize)]
pub struct StatusView {
    #[serde(flatten)]
    pub summary: Summary,
    pub objects: Vec<String>,
    pub notes: Option<String>,
    pub lock: Option<String>,
}

/// Read a release's revision (default: the latest) and describe its lock.
pub async fn read_status<S: ReleaseStore>(
    store: &S,
    ns: &str,
    name: &str,
    revision: Option<u64>,
) -> Result<(Release, StatusView)> {
    let h = deploy::read_history(store, ns, name).await?;
    let Some(latest) = h.last() else {
        bail!("release `{name}` not found in namespace `{ns}`\n\nhint: see `tack list -A`");
    };
    let rev = revision.unwrap_or(latest.revision);
    let release = deploy::load(store, ns, name, rev).await?;
    let lock = store.read_lock(ns, name).await?;
    let lock_text = lock.map(|l| {
        let stale = if l.stale(jiff::Timestamp::now()) {
            " (stale: its holder is gone; `tack unlock` removes it)"
        } else {
            ""
        };
        format!("held by {}{stale}", super::lock::describe(&l))
    });
    let view = StatusView {
        summary: release.summary(),
        objects: release.objects.iter().map(|o| o.to_string()).collect(),
        notes: release.notes.clone(),
        lock: lock_text,
    };
    Ok((release, view))
}

pub fn status(ctx: &Ctx, args: &StatusArgs) -> Result<()> {
    if args.stack.active() {
        return super::stack::lifecycle::status(ctx, args);
    }
    let name = super::positional(&args.name, "NAME")?.clone();
    let ns = ctx.namespace();
    let (release, view) = with_store(ctx, async |store| {
        read_status(store, &ns, &name, args.revision).await
    })?;
    if args.output != ReadFormat::Table {
        return print_data(args.output, &view);
    }
    print!("{}", status_text(&release, view.lock.as_deref()));
    Ok(())
}

/// The table form of `tack status`.
pub fn status_text(r: &Release, lock: Option<&str>) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", output::bold("NAME:"), r.name);
    let _ = writeln!(out, "{} {}", output::bold("NAMESPACE:"), r.namespace);
    let _ = writeln!(out, "{} {}", output::bold("REVISION:"), r.revision);
    let _ = writeln!(out, "{} {}", output::bold("STATUS:"), status_cell(r.status));
    let _ = writeln!(
        out,
        "{} {}-{}",
        output::bold("CHART:"),
        r.chart.name,
        r.chart.version
    );
    let _ = writeln!(
        out,
        "{} {}",
        output::bold("LAST DEPLOYED:"),
        r.last_deployed
    );
    let _ = writeln!(out, "{} {}", output::bold("DESCRIPTION:"), r.description);
    if let Some(l) = lock {
        let _ = writeln!(out, "{} {}", output::bold("LOCK:"), output::yellow(l));
    }
    let _ = writeln!(out, "{} ({})", output::bold("OBJECTS:"), r.objects.len());
    for o in &r.objects {
        let _ = writeln!(out, "  {o}");
    }
    if let Some(n) = &r.notes {
        if !n.trim().is_empty() {
            let _ = writeln!(out, "{}\n{}", output::bold("NOTES:"), n.trim_end());
        }
    }
    out
}

pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let ns = (!args.all_namespaces).then(|| ctx.namespace());
    let wanted: Option<Status> = args.status.as_deref().map(str::parse).transpose()?;
    let (all, warnings) = with_store(ctx, async |store| store.list(ns.as_deref()).await)?;
    for w in warnings {
        output::warn(w);
    }
    let latest: Vec<Summary> = latest_per_release(&all)
        .into_iter()
        .filter(|s| wanted.is_none_or(|w| s.status == w))
        .collect();
    if args.output != ReadFormat::Table {
        return print_data(args.output, &latest);
    }
    if latest.is_empty() {
        eprintln!(
            "no releases{}",
            ns.map(|n| format!(" in namespace `{n}` (use -A for all)"))
                .unwrap_or_default()
        );
        return Ok(());
    }
    let rows: Vec<Vec<String>> = latest
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.namespace.clone(),
                s.revision.to_string(),
                s.updated.clone(),
                status_cell(s.status),
                s.chart.clone(),
                s.app_version.clone().unwrap_or_default(),
            ]
        })
        .collect();
    print!(
        "{}",
        output::table(
            &[
                "NAME",
                "NAMESPACE",
                "REVISION",
                "UPDATED",
                "STATUS",
                "CHART",
                "APP VERSION"
            ],
            &rows
        )
    );
    Ok(())
}

pub fn get(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    let ns = ctx.namespace();
    let name = args.name.clone();
    let rel = with_store(ctx, async |store| {
        let rev = match args.revision {
            Some(r) => r,
            None => match deploy::read_history(store, &ns, &name).await?.last() {
                Some(s) => s.revision,
                None => bail!(
                    "release `{name}` not found in namespace `{ns}`\n\nhint: see `tack list -A`"
                ),
            },
        };
        deploy::load(store, &ns, &name, rev).await
    })?;
    match args.what {
        GetWhat::Notes => print!("{}", rel.notes.unwrap_or_default()),
        GetWhat::Manifest => {
            if args.show_secrets {
                print!("{}", rel.manifest);
            } else {
                let mut problems = Vec::new();
                let docs = crate::manifest::parse_rendered(
                    "manifest",
                    "manifest",
                    &rel.manifest,
                    &mut problems,
                );
                let mut out = String::new();
                for d in &docs {
                    let obj = crate::manifest::mask_secret(&d.object);
                    out.push_str("---\n");
                    out.push_str(crate::render::filters::json_to_yaml(&obj).trim_end());
                    out.push('\n');
                }
                print!("{out}");
            }
        }
        GetWhat::Values => {
            let values = if args.show_secrets {
                rel.values
            } else {
                crate::values::redacted(&rel.values)
            };
            println!(
                "{}",
                crate::render::filters::json_to_yaml(&values).trim_end()
            );
        }
    }
    Ok(())
}

pub fn unlock(ctx: &Ctx, args: &UnlockArgs) -> Result<()> {
    let ns = ctx.namespace();
    let name = args.name.clone();
    let (lock, removed) = with_store(ctx, async |store| {
        let lock = store.read_lock(&ns, &name).await?;
        let removed = store.unlock(&ns, &name, None).await?;
        Ok((lock, removed))
    })?;
    match (lock, removed) {
        (Some(l), true) => {
            if !l.stale(jiff::Timestamp::now()) {
                output::warn(format!(
                    "the lock was live: {} may still be running",
                    l.holder
                ));
            }
            println!("removed the lock of release `{name}` held by {}", l.holder);
        }
        _ => println!("release `{name}` in namespace `{ns}` is not locked"),
    }
    Ok(())
}
