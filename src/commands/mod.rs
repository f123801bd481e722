//! Commands: one file per command. Each parses its flags into settings and targets, runs operations over the
//! targets with the bounded runner, and hands the results to the printer. A single release is a list of one
//! target, so a command has one code path; only the presentation differs (a stack prints one block per
//! instance and a summary table, a single release prints its result and its events as they happen).

mod clusters;
mod complete;
mod convert;
mod dependency;
mod diff;
mod examples;
mod get;
mod hints;
mod history;
mod import;
mod install;
mod lint;
mod list;
mod package;
mod present;

use hints::usage_hint;
use present::{formatted, report, report_as, single, summary};
mod registry;
mod rollback;
mod show;
mod status;
mod template;
mod test;
mod uninstall;
mod unlock;
mod values;
mod version;

use crate::cli::{self, Cli, Command};
use crate::cluster::{self, lookup::ClusterLookup, Cluster};
use crate::deadline::Deadline;
use crate::error;
use crate::ops::render::{Phase, RenderSettings};
use crate::ops::stack::{self as stack_ops, RenderedJob};
use crate::ops::target::Targets;
use crate::output::{runs, Printer};
use crate::render::tpl::Lookup;
use crate::settings::Settings;
use crate::stack::runner::{self, Done, InstanceRun, Job};
use anyhow::Result;
use clap::FromArgMatches;
use clusters::Clusters;
use std::future::Future;
use std::sync::Arc;

/// What every command gets: the resolved global settings and the printer.
pub struct Ctx {
    pub settings: Settings,
    pub printer: Arc<Printer>,
    /// When the command started: `--timeout` bounds everything before the first write from here.
    pub started: std::time::Instant,
}

/// Parse the command line, run the command and return the process exit code.
pub fn run() -> i32 {
    let started = std::time::Instant::now();
    complete::answer_if_asked();
    let matches = match complete::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            let argv: Vec<String> = std::env::args().collect();
            if let Some(hint) = usage_hint(&e, &argv) {
                eprintln!("\nhint: {hint}");
            }
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    error::OK
                }
                _ => error::USAGE,
            };
        }
    };
    let parsed = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return error::USAGE;
        }
    };
    let printer = Arc::new(Printer::new(parsed.global.no_color, parsed.global.quiet));
    crate::events::set_global(printer.clone());
    let ctx = Ctx {
        settings: Settings::new(&parsed.global),
        printer,
        started,
    };
    let sub = matches.subcommand().map(|(_, m)| m);
    let sets = sub.map(cli::ordered_sets).unwrap_or_default();
    let result = match &parsed.command {
        Command::Template(a) => template::run(&ctx, a, &sets),
        Command::Values(a) => values::run(&ctx, a, &sets),
        Command::Lint(a) => lint::run(&ctx, a, &sets),
        Command::Install(a) => install::run(&ctx, a, &sets, None, None),
        Command::Upgrade(a) => install::run(
            &ctx,
            &a.common,
            &sets,
            Some((a.install, &a.reuse)),
            a.plan.as_deref(),
        ),
        Command::Diff(a) => diff::run(&ctx, a, sub),
        Command::Rollback(a) => rollback::run(&ctx, a),
        Command::Uninstall(a) => uninstall::run(&ctx, a),
        Command::History(a) => history::run(&ctx, a),
        Command::Status(a) => status::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Get(a) => get::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Unlock(a) => unlock::run(&ctx, a),
        Command::Test(a) => test::run(&ctx, a),
        Command::Version(a) => version::run(&ctx, a),
        Command::Convert(a) => convert::run(&ctx, a),
        Command::Package(a) => package::package(&ctx, a),
        Command::Push(a) => package::push(&ctx, a),
        Command::Pull(a) => package::pull(&ctx, a),
        Command::Registry(c) => registry::run(&ctx, c),
        Command::Dependency(c) => dependency::run(&ctx, c),
        Command::Import(c) => import::run(&ctx, c),
        Command::Completions { shell, r#static } => complete::script(*shell, *r#static)
            .map(|s| ctx.printer.stdout(&s))
            .map_err(Into::into),
    };
    match result {
        Ok(()) => error::OK,
        Err(e) => {
            if e.downcast_ref::<error::Reported>().is_none() {
                ctx.printer.error(&e);
            }
            error::exit_code(&e)
        }
    }
}

/// The bound `--timeout` puts on everything a command asks the API server before its first write, counted
/// from the command's start; time allowed for waiting on the release lock comes on top.
fn deadline(
    ctx: &Ctx,
    timeout: std::time::Duration,
    wait_for_lock: Option<std::time::Duration>,
) -> crate::deadline::Deadline {
    crate::deadline::Deadline::after(ctx.started, timeout, wait_for_lock)
}

/// A runtime and a connected client.
fn connect(ctx: &Ctx) -> Result<(tokio::runtime::Runtime, Cluster)> {
    let rt = cluster::runtime()?;
    let c = rt.block_on(cluster::connect(&ctx.settings.cluster()))?;
    Ok((rt, c))
}

/// Render every target (with `lookup` against `c` for the selected ones), learn unknown kinds' scopes, run
/// the isolation guard (`what` ends its refusal, e.g. "nothing was written"), and split the selected targets
/// into jobs and failed renders.
fn rendered_jobs(
    targets: &Targets,
    rs: &RenderSettings,
    phase: Phase,
    cluster: Option<(&tokio::runtime::Runtime, &Clusters, &Deadline)>,
    what: &str,
) -> Result<(Vec<Job<RenderedJob>>, Vec<InstanceRun>)> {
    // `lookup` reads the target's own cluster (nothing for one that cannot be reached)
    let lookup_for = |t: &crate::ops::target::Target| -> Option<Arc<dyn Lookup>> {
        let (rt, clusters, deadline) = cluster?;
        let c = clusters.get(t).ok()?;
        Some(Arc::new(ClusterLookup {
            client: c.client.clone(),
            handle: rt.handle().clone(),
            deadline: Some(deadline.on(&c.server)),
        }) as Arc<dyn Lookup>)
    };
    let rendered = stack_ops::render_all_with(targets, rs, phase, &lookup_for);
    let mut scopes = stack_ops::offline_scopes(&rendered);
    if let (true, Some((rt, clusters, deadline))) = (targets.from_stack, cluster) {
        for (_, c) in clusters.reachable() {
            // kinds whose scope is still unknown past the deadline are left to the guard, and the
            // instances' own calls then fail on the same deadline
            let learn = stack_ops::discover_scopes(c, &rendered, &mut scopes);
            let _ = rt.block_on(async { tokio::time::timeout_at(deadline.at, learn).await });
        }
    }
    stack_ops::refuse(&stack_ops::isolation(targets, &rendered, &scopes), what)?;
    Ok(stack_ops::into_jobs(targets, rendered))
}

/// Let every selected target remember what its release recorded (env, tier, values; see `ops::recall`),
/// showing what is reused and, prominently, what the command line changes. Returns the changes by target.
fn recall_layers(
    ctx: &Ctx,
    rt: &tokio::runtime::Runtime,
    clusters: &clusters::Clusters,
    targets: &mut Targets,
    reuse: crate::ops::recall::Reuse,
    deadline: &Deadline,
) -> Result<std::collections::BTreeMap<String, Vec<String>>> {
    use crate::ops::recall;
    let mut changed = std::collections::BTreeMap::new();
    let stack = targets.from_stack;
    // the selected targets' records are read side by side (a stack's instances wait on the API server, not
    // on each other), up to 16 at once; what was read is applied in order
    let reads = targets.selected().map(|t| async move {
        // an unreachable cluster fails the target's job later, with its own error
        let c = clusters.get(t).ok()?;
        let bound = deadline.on(&c.server);
        let read = crate::deadline::within(
            Some(&bound),
            "reading what the release recorded",
            recall::recorded(&c, &t.namespace, &t.name),
        );
        Some(read.await.map_err(|e| {
            e.context(format!(
                "cannot read what {} recorded (its env, tier and values)",
                t.describe()
            ))
        }))
    });
    let reads: Vec<_> = rt.block_on(futures::StreamExt::collect(futures::StreamExt::buffered(
        futures::stream::iter(reads),
        16,
    )));
    for (t, read) in targets.all.iter_mut().filter(|t| t.selected).zip(reads) {
        let Some(read) = read else {
            continue;
        };
        let rec = read?;
        let r = recall::apply(t, rec, reuse);
        let who = if stack {
            format!("instance `{}`: ", t.name)
        } else {
            String::new()
        };
        for n in &r.notes {
            ctx.printer.info(&format!("{who}{n}"));
        }
        for ch in &r.changes {
            ctx.printer.warn(&format!(
                "{who}{ch} (changed from revision {})",
                r.revision.unwrap_or_default()
            ));
        }
        if !r.changes.is_empty() {
            changed.insert(t.name.clone(), r.changes);
        }
    }
    Ok(changed)
}

/// A chart whose values folder has env or tier layers, deployed without naming one, most likely misses its
/// production settings: a warning, or with `--strict` a refusal before anything is written.
fn check_unnamed_layers(ctx: &Ctx, targets: &Targets, strict: bool) -> Result<()> {
    let mut problems = Vec::new();
    for t in targets.selected() {
        let (envs, tiers) = crate::values::layer_files_available(&t.layers.values_dir);
        for (what, given, found) in [
            ("env", &t.layers.env, envs),
            ("tier", &t.layers.tier, tiers),
        ] {
            if given.is_none() && !found.is_empty() {
                problems.push(format!(
                    "{} names no {what}, but `{}` has {what} layers ({}); the chart's defaults are deployed\n\nhint: pass --{what} {}",
                    t.describe(),
                    t.layers.values_dir.display(),
                    found.join(", "),
                    found[0]
                ));
            }
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    if !strict {
        for p in &problems {
            ctx.printer.warn(p);
        }
        return Ok(());
    }
    Err(anyhow::Error::new(error::Problems {
        summary: "--strict: refusing to deploy without the env and tier layers the chart has; nothing was written"
            .into(),
        errors: problems,
    }))
}

/// Whether the tier policy stops a deploy: `allowed` names the override flag the user gave, if any.
pub struct PolicyGate<'a> {
    pub override_flag: &'static str,
    pub allowed: bool,
    /// Ends the refusal, e.g. "nothing was written".
    pub what: &'a str,
}

/// Check every job's tier policy before anything is written: errors refuse the whole command (each finding
/// printed, then one summary), unless the override flag was given, which is logged as a warning.
fn check_policies(jobs: &mut [Job<RenderedJob>], gate: &PolicyGate) -> Result<()> {
    let mut errors = Vec::new();
    let mut refused = Vec::new();
    for job in jobs.iter_mut() {
        let (target, prepared) = (&job.payload.target, &job.payload.prepared);
        let (policy, report) = crate::ops::policy::check(target, prepared)?;
        if report.has_errors() {
            if gate.allowed {
                crate::events::warn(format!(
                    "{}: {} tier-policy error{} of tier `{}` overridden by {}",
                    target.describe(),
                    report.errors(),
                    if report.errors() == 1 { "" } else { "s" },
                    report.tier,
                    gate.override_flag
                ));
            } else {
                errors.extend(crate::ops::policy::lines(&report).0);
                refused.push(format!("{} (tier `{}`)", target.name, report.tier));
            }
        }
        job.payload.policy = Some(policy);
    }
    if refused.is_empty() {
        return Ok(());
    }
    Err(anyhow::Error::new(error::Problems {
        summary: format!(
            "{} breaks its tier policy ({} error{}); {}\n\nhint: fix the findings above, exempt an object with a reasoned `tack.dev/policy-exempt` annotation, or pass {} to deploy anyway (it is logged)",
            refused.join(", "),
            errors.len(),
            if errors.len() == 1 { "" } else { "s" },
            gate.what,
            gate.override_flag
        ),
        errors,
    }))
}

/// Run `work` over `jobs` on `rt`, at most the targets' concurrency at once in each cluster of `clusters`
/// (all clusters in parallel). For a stack each instance's
/// events are captured and its block printed to stdout as it ends; `decided` runs (failed renders, skips)
/// come first. The result is in target order.
fn run_jobs<T, F, Fut>(
    ctx: &Ctx,
    (rt, clusters): (&tokio::runtime::Runtime, &Clusters),
    targets: &Targets,
    jobs: Vec<Job<T>>,
    decided: Vec<InstanceRun>,
    blocks: bool,
    work: F,
) -> Vec<InstanceRun>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<Done>>,
{
    let printer = &ctx.printer;
    let stack = targets.from_stack;
    let on_done = |run: &InstanceRun| {
        if stack && blocks {
            printer.stdout(&format!("{}\n", runs::block(printer.out(), run)));
        }
    };
    for r in &decided {
        on_done(r);
    }
    let opts = runner::RunOptions {
        concurrency: targets.run.concurrency * clusters.len().max(1),
        ..targets.run
    };
    let bounded = |(permits, payload): (Option<Arc<tokio::sync::Semaphore>>, T)| {
        let fut = work(payload);
        async move {
            let _permit = match &permits {
                Some(p) => p.acquire().await.ok(),
                None => None,
            };
            fut.await
        }
    };
    let jobs = clusters.bound(jobs);
    let mut all = rt.block_on(runner::run_each(jobs, opts, stack, on_done, bounded));
    all.extend(decided);
    let order = targets.selected_names();
    all.sort_by_key(|r| order.iter().position(|s| s == &r.name));
    all
}
