//! Rendering every target of a command and guarding their isolation: each target is rendered with its own
//! layers (in parallel); for a stack, the unselected instances too, so the isolation guard can check the
//! selected ones against them before anything is written. Then the targets that rendered become jobs for the
//! bounded runner, and those that did not become failed runs.

use super::render::{render_target, Phase, Prepared, RenderSettings};
use super::target::{Target, Targets};
use crate::cluster::{resources::Resolver, Cluster};
use crate::error::Problems;
use crate::events::{self, Event};
use crate::render::tpl::Lookup;
use crate::stack::guard::{self, Rendered, Scopes, Violation};
use crate::stack::runner::{error_text, InstanceRun, Job, State};
use crate::stack::Instance;
use anyhow::Result;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One target after rendering.
pub struct RenderedInstance {
    pub target: Target,
    /// The render (possibly with collected errors), or the fatal error that stopped it.
    pub outcome: Result<Prepared, anyhow::Error>,
    pub duration: Duration,
}

impl RenderedInstance {
    /// Why the target cannot be deployed: a fatal error or the collected render errors (plain text).
    pub fn failure(&self) -> Option<String> {
        match &self.outcome {
            Err(e) => Some(error_text(e)),
            Ok(p) if !p.errors.is_empty() => Some(
                p.errors
                    .iter()
                    .map(|e| format!("error: {e}"))
                    .collect::<Vec<_>>()
                    .join("\n\n"),
            ),
            Ok(_) => None,
        }
    }

    /// Values-loading warnings.
    pub fn warnings(&self) -> Vec<Event> {
        match &self.outcome {
            Ok(p) => p
                .resolved
                .warnings
                .iter()
                .map(|w| Event::Warning(w.to_string()))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Render every target, at most `concurrency` at once (and no more than there are cores: rendering keeps a
/// core busy); `lookup` is given to the selected ones only (the others
/// render offline: they are only checked against).
pub fn render_all(
    targets: &Targets,
    rs: &RenderSettings,
    phase: Phase,
    lookup: Option<Arc<dyn Lookup>>,
) -> Vec<RenderedInstance> {
    render_all_with(targets, rs, phase, &|_| lookup.clone())
}

/// [`render_all`] with the `lookup` of each target's cluster (`lookup_for`), for stacks across clusters.
pub fn render_all_with(
    targets: &Targets,
    rs: &RenderSettings,
    phase: Phase,
    lookup_for: &(dyn Fn(&Target) -> Option<Arc<dyn Lookup>> + Sync),
) -> Vec<RenderedInstance> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    parallel_map(&targets.all, targets.run.concurrency.min(cores), |t| {
        let start = Instant::now();
        let lookup = if t.selected { lookup_for(t) } else { None };
        let outcome = render_target(t, rs, phase, lookup);
        RenderedInstance {
            target: t.clone(),
            outcome,
            duration: start.elapsed(),
        }
    })
}

/// `f` over `items` on up to `n` threads, results in the items' order.
pub fn parallel_map<T: Sync, R: Send>(items: &[T], n: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<R>>> =
        std::sync::Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..n.clamp(1, items.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(item) = items.get(i) else { break };
                let r = f(item);
                results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect()
}

/// The kinds' scopes that the rendered CRDs tell.
pub fn offline_scopes(rendered: &[RenderedInstance]) -> Scopes {
    Scopes::from_docs(
        rendered
            .iter()
            .filter_map(|r| r.outcome.as_ref().ok())
            .flat_map(|p| p.docs.iter()),
    )
}

/// Kinds neither built in nor defined by a rendered CRD: ask the API server for their scope.
pub async fn discover_scopes(c: &Cluster, rendered: &[RenderedInstance], scopes: &mut Scopes) {
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

/// Run the isolation guard over the rendered stack instances (nothing to check for a single release).
/// Unselected instances that failed to render are left out with a warning.
pub fn isolation(
    targets: &Targets,
    rendered: &[RenderedInstance],
    scopes: &Scopes,
) -> Vec<Violation> {
    if !targets.from_stack {
        return Vec::new();
    }
    let mut checked = Vec::new();
    for r in rendered {
        let Some(inst) = &r.target.instance else {
            continue;
        };
        match &r.outcome {
            Ok(p) => checked.push(Rendered {
                instance: inst,
                docs: &p.docs,
                selected: r.target.selected,
            }),
            Err(_) if !r.target.selected => events::warn(format!(
                "instance `{}` ({}) does not render, so the isolation of the selected instances is not checked against it",
                inst.name,
                inst.at()
            )),
            Err(_) => {}
        }
    }
    let namespaces: Vec<(&Instance, bool)> = targets
        .all
        .iter()
        .filter_map(|t| t.instance.as_ref().map(|i| (i, t.selected)))
        .collect();
    // within each cluster the rules hold; across clusters a shared ingress host is only a warning
    let (violations, warnings) = guard::check_clusters(&checked, &namespaces, scopes);
    for w in warnings {
        events::warn(w);
    }
    violations
}

/// The guard's violations as one error (each printed, then the summary); nothing may be written after this.
pub fn refuse(violations: &[Violation], what: &str) -> Result<()> {
    if violations.is_empty() {
        return Ok(());
    }
    let n = violations.len();
    Err(anyhow::Error::new(Problems {
        errors: violations.iter().map(|v| v.message.clone()).collect(),
        summary: format!(
            "isolation guard: {n} problem{} in the stack; {what}",
            if n == 1 { "" } else { "s" }
        ),
    }))
}

/// A run for a target that ran nothing.
pub fn skipped(t: &Target, why: &str) -> InstanceRun {
    InstanceRun {
        name: t.name.clone(),
        namespace: t.namespace.clone(),
        state: State::Skipped,
        revision: None,
        result: "skipped".into(),
        captured: Vec::new(),
        text: format!("{why}\n"),
        error: None,
        failure: None,
        duration: Duration::ZERO,
    }
}

/// A run for a target whose render failed.
pub fn render_failed(r: RenderedInstance) -> InstanceRun {
    let error = r.failure();
    let captured = r.warnings();
    let failure = match r.outcome {
        Err(e) => e,
        Ok(p) => crate::error::render_failed(p.errors),
    };
    InstanceRun {
        name: r.target.name.clone(),
        namespace: r.target.namespace.clone(),
        state: State::Failed,
        revision: None,
        result: "render failed".into(),
        captured,
        text: String::new(),
        error,
        failure: Some(Arc::new(failure)),
        duration: r.duration,
    }
}

/// A selected target that rendered cleanly, handed to a job.
pub struct RenderedJob {
    pub target: Target,
    /// The render: chart, resolved values (with provenance), documents in install order, notes.
    pub prepared: Prepared,
    /// The tier policy that applies, once checked (commands that deploy check it before any write).
    pub policy: Option<crate::policy::Policy>,
}

/// The selected targets that rendered become jobs; the others become failed runs (and with `--fail-fast`,
/// one broken render skips every job).
pub fn into_jobs(
    targets: &Targets,
    rendered: Vec<RenderedInstance>,
) -> (Vec<Job<RenderedJob>>, Vec<InstanceRun>) {
    let any_broken = rendered
        .iter()
        .any(|r| r.target.selected && r.failure().is_some());
    let mut decided = Vec::new();
    let mut jobs = Vec::new();
    for r in rendered.into_iter().filter(|r| r.target.selected) {
        if r.failure().is_some() {
            decided.push(render_failed(r));
            continue;
        }
        if targets.run.fail_fast && any_broken {
            let why = "not started: another instance failed to render and --fail-fast is set";
            decided.push(skipped(&r.target, why));
            continue;
        }
        if let Ok(prepared) = r.outcome {
            jobs.push(Job {
                name: r.target.name.clone(),
                namespace: r.target.namespace.clone(),
                payload: RenderedJob {
                    target: r.target,
                    prepared,
                    policy: None,
                },
            });
        }
    }
    (jobs, decided)
}

/// Jobs carrying each selected target (commands that do not render: rollback, uninstall, status).
pub fn target_jobs(targets: &Targets) -> Vec<Job<Target>> {
    targets
        .selected()
        .map(|t| Job {
            name: t.name.clone(),
            namespace: t.namespace.clone(),
            payload: t.clone(),
        })
        .collect()
}
