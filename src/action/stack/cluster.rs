//! The cluster side of stack commands: connect once, run per-instance jobs through the runner, and for
//! commands that render (install, upgrade, and `tack diff`), the whole flow in [`for_each_rendered`]:
//! render every instance (with `lookup` for the selected ones), learn unknown kinds' scopes from the API
//! server, run the isolation guard, then one job per selected instance that rendered.

use super::{
    isolation, offline_scopes, refuse, render_all, render_failed, skipped, Plan, RenderSpec,
    RenderedInstance,
};
use crate::action::cluster_deployer::ClusterLookup;
use crate::action::install::target;
use crate::action::{Ctx, Prepared};
use crate::cluster::{self, resources::Resolver, Cluster};
use crate::render::tpl::Lookup;
use crate::stack::guard::Scopes;
use crate::stack::runner::{self, Done, InstanceRun, Job};
use crate::stack::Instance;
use anyhow::Result;
use std::future::Future;
use std::sync::Arc;

/// A runtime and a connected client for the stack's jobs.
pub fn connect(ctx: &Ctx) -> Result<(tokio::runtime::Runtime, Cluster)> {
    let rt = cluster::runtime()?;
    let c = rt.block_on(cluster::connect(&target(ctx)))?;
    Ok((rt, c))
}

/// Print an instance's block to stdout, followed by a blank line.
pub fn print_block(run: &InstanceRun) {
    println!("{}", runner::block(run));
}

/// Run `work` over `jobs` on `rt`. `decided` are runs settled before (failed renders, skips); `on_done`
/// sees those first, then each job as it ends. The result is in stack-file order.
pub fn run_jobs<T, F, Fut>(
    rt: &tokio::runtime::Runtime,
    plan: &Plan,
    jobs: Vec<Job<T>>,
    decided: Vec<InstanceRun>,
    mut on_done: impl FnMut(&InstanceRun),
    work: F,
) -> Vec<InstanceRun>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<Done>>,
{
    for r in &decided {
        on_done(r);
    }
    let mut runs = rt.block_on(runner::run_each(jobs, plan.run, on_done, work));
    runs.extend(decided);
    runs.sort_by_key(|r| plan.selected.iter().position(|s| s == &r.name));
    runs
}

/// The jobs of the selected instances, each carrying its instance.
pub fn instance_jobs(plan: &Plan) -> Vec<Job<Instance>> {
    plan.stack
        .instances
        .iter()
        .filter(|i| plan.is_selected(&i.name))
        .map(|i| Job {
            name: i.name.clone(),
            namespace: i.namespace.clone(),
            payload: i.clone(),
        })
        .collect()
}

/// Kinds neither built in nor defined by a rendered CRD: ask the API server for their scope.
async fn discover_scopes(c: &Cluster, rendered: &[RenderedInstance], scopes: &mut Scopes) {
    let resolver = Resolver::new(c.client.clone());
    let docs = rendered
        .iter()
        .filter_map(|r| r.outcome.as_ref().ok())
        .flat_map(|p| p.docs.iter());
    for d in docs {
        if scopes.knows(d.group(), d.kind()) {
            continue;
        }
        if let Ok((_, namespaced)) = resolver.resolve(d.api_version(), d.kind()).await {
            scopes.set(d.group(), d.kind(), !namespaced);
        }
    }
}

/// A selected instance that rendered cleanly, handed to a job.
pub struct RenderedJob {
    pub instance: Instance,
    /// The render: chart, resolved values (with provenance), documents in install order, notes.
    pub prepared: Prepared,
    /// Values-loading warnings, formatted; start the instance's output with them.
    pub warnings: String,
}

/// Connect, render every instance, guard, then run `work(cluster, job)` for each selected instance that
/// rendered, at most `plan.run.concurrency` at once. A guard violation fails before any job runs (`what`
/// ends its message, e.g. "nothing was written"). Instances that fail to render become failed runs; with
/// `--fail-fast` no job runs then. `on_done` sees each run as it ends; the result is in stack-file order;
/// print it with `runner::summary` and end with `runner::finish`.
pub fn for_each_rendered<F, Fut>(
    ctx: &Ctx,
    plan: &Plan,
    mut spec: RenderSpec,
    what: &str,
    on_done: impl FnMut(&InstanceRun),
    work: F,
) -> Result<Vec<InstanceRun>>
where
    F: Fn(Cluster, RenderedJob) -> Fut,
    Fut: Future<Output = Result<Done>>,
{
    let (rt, c) = connect(ctx)?;
    let lookup: Arc<dyn Lookup> = Arc::new(ClusterLookup {
        client: c.client.clone(),
        handle: rt.handle().clone(),
    });
    spec.lookup = Some(lookup);
    let rendered = render_all(plan, &spec);
    let mut scopes = offline_scopes(&rendered);
    rt.block_on(discover_scopes(&c, &rendered, &mut scopes));
    refuse(&isolation(plan, &rendered, &scopes), what)?;

    let any_broken = rendered.iter().any(|r| r.selected && r.failure().is_some());
    let mut decided = Vec::new();
    let mut jobs = Vec::new();
    for r in rendered.into_iter().filter(|r| r.selected) {
        if r.failure().is_some() {
            decided.push(render_failed(&r));
            continue;
        }
        if plan.run.fail_fast && any_broken {
            let why = "not started: another instance failed to render and --fail-fast is set";
            decided.push(skipped(&r.instance, why));
            continue;
        }
        let warnings = r.warnings();
        if let Ok(prepared) = r.outcome {
            jobs.push(Job {
                name: r.instance.name.clone(),
                namespace: r.instance.namespace.clone(),
                payload: RenderedJob {
                    instance: r.instance,
                    prepared,
                    warnings,
                },
            });
        }
    }
    Ok(run_jobs(&rt, plan, jobs, decided, on_done, |job| {
        work(c.clone(), job)
    }))
}
