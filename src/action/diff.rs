//! `tack diff`: what `upgrade --install`, `rollback` or another stored revision would change. This file picks
//! the two sides (the live cluster through server-side dry runs in `diff/live.rs`, stored records, or offline
//! renders and files in `diff/offline.rs`), builds the plan with the pure core in `crate::diff`, prints it in
//! the chosen format and turns it into the exit code (0 no changes, 2 changes with `--exit-code`, 1 errors).

mod live;
mod offline;
mod stack;

use super::cluster_deployer::ClusterLookup;
use super::deploy::{current_deployed, load, manifest_objects, read_history};
use super::install::target;
use super::rollback::pick_target;
use super::{layer_request, load_chart, prepare, print_warnings, render_options, Ctx};
use crate::cli::{
    self, DiffArgs, DiffCommand, DiffFormat, DiffOutputArgs, DiffRevisionsArgs, DiffRollbackArgs,
    DiffUpgradeArgs,
};
use crate::cluster::apply::{ApplyOptions, Stats};
use crate::cluster::{self, Cluster};
use crate::diff::{self, render_json, render_markdown, render_text, Against, DriftCheck, Plan};
use crate::output;
use crate::release::Release;
use crate::storage::secrets::SecretStore;
use anyhow::Result;
use clap::ArgMatches;
use serde_json::Value;
use std::io::IsTerminal;
use std::sync::Arc;

pub fn run(ctx: &Ctx, args: &DiffArgs, matches: Option<&ArgMatches>) -> Result<()> {
    match &args.what {
        None => upgrade(ctx, &args.upgrade, matches),
        Some(DiffCommand::Upgrade(a)) => upgrade(
            ctx,
            a,
            matches.and_then(|m| m.subcommand_matches("upgrade")),
        ),
        Some(DiffCommand::Rollback(a)) => rollback(ctx, a),
        Some(DiffCommand::Revisions(a)) => revisions(ctx, a),
    }
}

/// The core's options from the flags; a bad `--ignore` path is an error naming it.
fn diff_options(args: &DiffOutputArgs) -> Result<diff::Options> {
    let ignore = args
        .ignore
        .iter()
        .map(|p| diff::paths::parse(p).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    Ok(diff::Options {
        ignore,
        show_secrets: args.show_secrets,
    })
}

fn apply_options(name: &str, ns: &str, adopt: bool, force_conflicts: bool) -> ApplyOptions {
    ApplyOptions {
        adopt,
        force_conflicts,
        dry_run: true,
        ..ApplyOptions::new(name, ns)
    }
}

/// API requests made, printed to stderr with the global `--stats` flag (used by tests/bench/diff.sh).
#[derive(Default)]
struct Counters {
    apply: Stats,
    record_reads: usize,
}

impl Counters {
    fn report(&self, enabled: bool) {
        if enabled {
            eprintln!("{}", self.line());
        }
    }

    fn line(&self) -> String {
        let (reads, writes) = self.apply.snapshot();
        format!(
            "tack stats: {reads} live object reads (LIST/GET), {writes} dry-run patches, {} release record reads",
            self.record_reads
        )
    }
}

/// The deployed revision of a release (for pruning and drift), read with its history.
async fn deployed_record(
    store: &SecretStore,
    ns: &str,
    name: &str,
    counters: &mut Counters,
) -> Result<(Option<Release>, DriftCheck)> {
    let history = read_history(store, ns, name).await?;
    counters.record_reads += 1;
    let Some(current) = current_deployed(&history, ns, name) else {
        return Ok((None, DriftCheck::NoRecord));
    };
    counters.record_reads += 1;
    match load(store, ns, name, current.revision).await {
        Ok(rel) => Ok((Some(rel), DriftCheck::Checked(current.revision))),
        Err(e) => {
            output::warn(format!(
                "{e:#}; continuing without it: no drift check, and objects only that revision had are not shown as deletions"
            ));
            Ok((None, DriftCheck::NoRecord))
        }
    }
}

fn upgrade(ctx: &Ctx, args: &DiffUpgradeArgs, matches: Option<&ArgMatches>) -> Result<()> {
    let sets = matches.map(cli::ordered_sets).unwrap_or_default();
    if args.stack.active() {
        return stack::run(ctx, args, &sets);
    }
    let name = super::positional(&args.name, "NAME")?.clone();
    let chart_path = super::positional(&args.chart, "CHART")?.clone();
    crate::release::validate_name(&name)?;
    let options = diff_options(&args.diff)?;
    if args.offline {
        let plan = offline::plan(ctx, args, &name, &chart_path, &sets, &options)?;
        return finish(&plan, &args.diff);
    }
    let ns = ctx.namespace();
    let chart = load_chart(&chart_path)?;
    let req = layer_request(&chart, &args.layers, &sets)?;
    let mut ropts = render_options(&name, &ns, &args.render);
    ropts.is_install = false;
    ropts.is_upgrade = true;
    let rt = cluster::runtime()?;
    let mut counters = Counters::default();
    let plan = rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        let store = SecretStore::new(c.client.clone());
        let (record, drift) = deployed_record(&store, &ns, &name, &mut counters).await?;
        ropts.lookup = Some(Arc::new(ClusterLookup {
            client: c.client.clone(),
            handle: tokio::runtime::Handle::current(),
        }));
        let prepared = tokio::task::block_in_place(|| prepare(chart, &req, &ropts))?;
        print_warnings(&prepared.resolved);
        let prepared = prepared.into_result()?;
        let desired: Vec<Value> = prepared.docs.iter().map(|d| d.object.clone()).collect();
        let release = Target {
            name: &name,
            namespace: &ns,
            adopt: args.adopt,
            force_conflicts: args.force_conflicts,
        };
        let deployed = (record, drift);
        upgrade_plan(&c, &release, desired, deployed, &options, &counters.apply).await
    })?;
    counters.report(ctx.stats);
    finish(&plan, &args.diff)
}

/// The release an upgrade diff is about, and how the operation would take over what is not its own.
struct Target<'a> {
    name: &'a str,
    namespace: &'a str,
    adopt: bool,
    force_conflicts: bool,
}

/// The plan of upgrading `target` to `desired` (its rendered objects) against the live cluster; `deployed`
/// is what [`deployed_record`] found. Used by `tack diff NAME CHART` and by each instance of a stack.
async fn upgrade_plan(
    c: &Cluster,
    target: &Target<'_>,
    desired: Vec<Value>,
    deployed: (Option<Release>, DriftCheck),
    options: &diff::Options,
    stats: &Stats,
) -> Result<Plan> {
    let (record, drift) = deployed;
    let operation = match &record {
        Some(_) => "upgrade".to_string(),
        None => "install (no deployed revision yet)".to_string(),
    };
    let aopts = apply_options(
        target.name,
        target.namespace,
        target.adopt,
        target.force_conflicts,
    );
    let g = live::gather(c, desired, record.as_ref(), &aopts, stats).await?;
    let subject = diff::Subject {
        release: target.name.to_string(),
        namespace: target.namespace.to_string(),
        operation,
        against: Against::Live,
        drift,
    };
    Ok(diff::build(subject, g.inputs, g.drift, g.notes, options))
}

fn rollback(ctx: &Ctx, args: &DiffRollbackArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let options = diff_options(&args.diff)?;
    let ns = ctx.namespace();
    let rt = cluster::runtime()?;
    let mut counters = Counters::default();
    let plan = rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        let store = SecretStore::new(c.client.clone());
        let history = read_history(&store, &ns, &args.name).await?;
        counters.record_reads += 1;
        let rev = pick_target(&history, args.revision, &args.name)?;
        let stored = load(&store, &ns, &args.name, rev).await?;
        counters.record_reads += 1;
        let desired = manifest_objects(&stored)?;
        let (record, drift) = deployed_record(&store, &ns, &args.name, &mut counters).await?;
        let aopts = apply_options(&args.name, &ns, args.adopt, args.force_conflicts);
        let g = live::gather(&c, desired, record.as_ref(), &aopts, &counters.apply).await?;
        let subject = diff::Subject {
            release: args.name.clone(),
            namespace: ns.clone(),
            operation: format!("rollback to revision {rev}"),
            against: Against::Live,
            drift,
        };
        Ok::<_, anyhow::Error>(diff::build(subject, g.inputs, g.drift, g.notes, &options))
    })?;
    counters.report(ctx.stats);
    finish(&plan, &args.diff)
}

fn revisions(ctx: &Ctx, args: &DiffRevisionsArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let options = diff_options(&args.diff)?;
    let ns = ctx.namespace();
    let rt = cluster::runtime()?;
    let (from, to) = rt.block_on(async {
        let c = cluster::connect(&target(ctx)).await?;
        let store = SecretStore::new(c.client.clone());
        let from = load(&store, &ns, &args.name, args.from).await;
        let to = load(&store, &ns, &args.name, args.to).await;
        Ok::<_, anyhow::Error>((
            from.map_err(|e| revision_hint(e, &args.name, &ns))?,
            to.map_err(|e| revision_hint(e, &args.name, &ns))?,
        ))
    })?;
    let placed = |rel: &Release| -> Result<Vec<Value>> {
        let mut objs = manifest_objects(rel)?;
        objs.iter_mut()
            .for_each(|o| diff::normalize::fill_namespace(o, &ns));
        Ok(objs)
    };
    let inputs = diff::plan::pair(placed(&from)?, placed(&to)?);
    let subject = diff::Subject {
        release: args.name.clone(),
        namespace: ns.clone(),
        operation: format!("revision {}", args.to),
        against: Against::Revision(args.from),
        drift: DriftCheck::NotApplicable,
    };
    let plan = diff::build(subject, inputs, Vec::new(), Vec::new(), &options);
    finish(&plan, &args.diff)
}

fn revision_hint(e: anyhow::Error, name: &str, ns: &str) -> anyhow::Error {
    e.context(format!(
        "cannot diff revisions of `{name}`\n\nhint: see the revisions kept with `tack history {name} -n {ns}`"
    ))
}

/// Print the plan in the chosen format and turn it into the exit code.
fn finish(plan: &Plan, args: &DiffOutputArgs) -> Result<()> {
    let color = output::color() && std::io::stdout().is_terminal();
    let text = match args.output {
        DiffFormat::Diff => render_text::render(
            plan,
            &render_text::TextOptions {
                context: args.context,
                color,
            },
        ),
        DiffFormat::Summary => render_text::render_summary(plan, color),
        DiffFormat::Markdown => render_markdown::render(plan, args.context),
        DiffFormat::Json => render_json::render(plan, args.context),
    };
    print!("{text}");
    match diff::exit_code(plan, args.exit_code) {
        crate::error::OK => Ok(()),
        crate::error::FAILURE => {
            let n = plan.counts().errors;
            let summary = format!(
                "the server refused {n} object{} in the dry run, so the operation would fail; see the error notes above",
                diff::plural(n)
            );
            output::print_error(&anyhow::anyhow!("{summary}"));
            Err(crate::error::reported(crate::error::FAILURE, summary))
        }
        code => Err(crate::error::reported(code, "changes found")),
    }
}
