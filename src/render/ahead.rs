//! Rendering a chart's templates side by side on every core. Templates do not see each other's output, so a
//! chart of many templates renders them on several threads; what they rendered is used only when it is
//! what rendering them one at a time gives: every template rendered without an error and all of them
//! together stayed within the render's budget. Otherwise the chart renders again, one template at a time,
//! so errors, fuel and limits behave exactly as they always have.

use super::budget::{Budget, Used};
use minijinja::value::Value;
use minijinja::Environment;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;

/// Charts with fewer templates than this render on the calling thread: a thread costs more than it saves.
const MIN_TEMPLATES: usize = 8;

/// One template to render.
pub(super) struct Job<'a> {
    /// Name relative to `templates/`, as the environment knows it.
    pub rel: &'a str,
    pub source: &'a str,
    /// `template.name` and `template.basePath` as the template sees them.
    pub shown: String,
    pub base_path: String,
    /// NOTES: its text is not given to `each`.
    pub notes: bool,
}

/// The output of every job, with what `each` returned for it (called where it rendered), in job order; or
/// `None` when they must render one at a time: too few, one core, a failed template, or more than the
/// budget used in all. `budget` is charged with what the returned output used, and only then.
pub(super) fn render<T: Send>(
    jobs: &[Job],
    // each thread's environment (a clone of the chart's, fuelled with what is left) and the names its
    // templates see
    setup: &(dyn Fn() -> (Environment<'static>, BTreeMap<String, Value>) + Sync),
    each: &(dyn Fn(&str) -> T + Sync),
    budget: &mut Budget,
) -> Option<Vec<(String, Option<T>)>> {
    let cores = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if cores < 2 || jobs.len() < MIN_TEMPLATES {
        return None;
    }
    let share = budget.share();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let work = || {
        let mut mine = Budget::from_share(&share);
        let (env, base) = setup();
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(job) = jobs.get(i) else { break };
            let ctx = super::template_context(&base, &job.shown, &job.base_path);
            let rendered = mine.template(|sink| {
                let t = env.template_from_named_str(job.rel, job.source)?;
                let captured = t.render_captured_to(ctx, sink)?;
                Ok(captured.state().fuel_levels().map(|(used, _)| used))
            });
            match rendered {
                Ok(text) => {
                    let checked = (!job.notes).then(|| each(&text));
                    done.push((i, (text, checked)));
                }
                Err(_) => failed.store(true, Ordering::Relaxed),
            }
        }
        (done, mine.used_of(&share))
    };
    let results = thread::scope(|s| {
        let handles: Vec<_> = (1..cores.min(jobs.len())).map(|_| s.spawn(work)).collect();
        // this thread renders too; its own budget is put back as it was below
        let mut results = vec![work()];
        for h in handles {
            match h.join() {
                Ok(r) => results.push(r),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        results
    });
    Budget::resume(&share);
    let used = results
        .iter()
        .fold(Used::default(), |sum, (_, used)| sum.add(*used));
    if failed.load(Ordering::Relaxed) || !Budget::fits(&share, used) {
        return None;
    }
    let mut out: Vec<Option<(String, Option<T>)>> = (0..jobs.len()).map(|_| None).collect();
    for (done, _) in results {
        for (i, text) in done {
            out[i] = Some(text);
        }
    }
    let out: Option<Vec<(String, Option<T>)>> = out.into_iter().collect();
    if out.is_some() {
        budget.charge(used);
    }
    out
}
