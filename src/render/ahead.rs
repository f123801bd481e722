//! Rendering a chart's templates side by side on every core. Templates do not see each other's output, so a
//! chart of many templates renders them on several threads; what they rendered is used only when it is
//! what rendering them one at a time gives: every template rendered without an error and all of them
//! together stayed within the render's budget. Otherwise the chart renders again, one template at a time,
//! so errors, fuel and limits behave exactly as they always have.

use super::budget::{Budget, Used};
use minijinja::value::Value;
use minijinja::Environment;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
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

/// The output of every job, with what `on.each` returned for it (called on the rendering threads, once for
/// each piece `on.cut` makes of it), in job order; or `None` when they must render one at a time: too few,
/// one core, a failed template, or more than the budget used in all. `budget` is charged with what the
/// returned output used, and only then.
pub(super) fn render<T: Send>(
    jobs: &[Job],
    // each thread's environment (a clone of the chart's, fuelled with what is left) and the names its
    // templates see
    setup: &(dyn Fn() -> (Environment<'static>, BTreeMap<String, Value>) + Sync),
    on: &OnRendered<T>,
    budget: &mut Budget,
) -> Option<Vec<(String, Option<Vec<T>>)>> {
    let cores = thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    if cores < 2 || jobs.len() < MIN_TEMPLATES {
        return None;
    }
    let share = budget.share();
    let queue = Queue {
        state: Mutex::new(State {
            texts: vec![None; jobs.len()],
            pieces: vec![0; jobs.len()],
            ..State::default()
        }),
        changed: Condvar::new(),
        jobs: jobs.len(),
    };
    let work = || {
        let mut mine = Budget::from_share(&share);
        let (env, base) = setup();
        let mut checked = Vec::new();
        while let Some(task) = queue.next() {
            let i = match task {
                Task::Check(piece) => {
                    let text = &piece.text[piece.from..piece.to];
                    checked.push((piece.job, piece.index, (on.each)(text, piece.lines_before)));
                    continue;
                }
                Task::Render(i) => i,
            };
            let job = &jobs[i];
            let ctx = super::template_context(&base, &job.shown, &job.base_path);
            let guard = Rendering(&queue);
            let rendered = mine.template(|sink| {
                let t = env.template_from_named_str(job.rel, job.source)?;
                let captured = t.render_captured_to(ctx, sink)?;
                Ok(captured.state().fuel_levels().map(|(used, _)| used))
            });
            std::mem::forget(guard);
            let bounds = match &rendered {
                Ok(text) if !job.notes => bounds(text, on),
                _ => Vec::new(),
            };
            let mut state = queue.lock();
            state.rendering -= 1;
            match rendered {
                Ok(text) => {
                    let text = Arc::new(text);
                    state.pieces[i] = bounds.len();
                    let pieces = bounds.into_iter().enumerate().rev();
                    state
                        .waiting
                        .extend(pieces.map(|(index, (from, to, lines_before))| Piece {
                            job: i,
                            index,
                            text: text.clone(),
                            from,
                            to,
                            lines_before,
                        }));
                    state.texts[i] = Some(text);
                }
                Err(_) => state.failed = true,
            }
            drop(state);
            queue.changed.notify_all();
        }
        (checked, mine.used_of(&share))
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
    let state = queue.state.into_inner().unwrap_or_else(|e| e.into_inner());
    if state.failed || !Budget::fits(&share, used) {
        return None;
    }
    let mut checks: Vec<Vec<Option<T>>> = state
        .pieces
        .iter()
        .map(|&n| (0..n).map(|_| None).collect())
        .collect();
    for (done, _) in results {
        for (job, index, t) in done {
            checks[job][index] = Some(t);
        }
    }
    let mut out = Vec::with_capacity(jobs.len());
    for ((job, text), checks) in jobs.iter().zip(state.texts).zip(checks) {
        // every piece was checked and dropped its share of the text
        let text = Arc::unwrap_or_clone(text?);
        let checks = (!job.notes).then(|| checks.into_iter().collect::<Option<Vec<T>>>());
        out.push((text, checks.flatten()));
    }
    budget.charge(used);
    Some(out)
}

/// What the rendering threads do with what a template rendered (not NOTES).
pub struct OnRendered<'a, T> {
    /// Called on the output, or on each piece of it: (text, lines before it in the output).
    pub each: &'a (dyn Fn(&str, usize) -> T + Sync),
    /// Where to cut an output so that its pieces go to whichever threads are free: (byte offset, lines
    /// before it) of each piece after the first; none to take it whole.
    pub cut: &'a (dyn Fn(&str) -> Vec<(usize, usize)> + Sync),
}

/// Where the pieces of `text` to hand to `on.each` lie: (from, to, lines before), the whole text when
/// `on.cut` makes no cut.
fn bounds<T>(text: &str, on: &OnRendered<T>) -> Vec<(usize, usize, usize)> {
    let cuts = (on.cut)(text);
    let starts = std::iter::once((0, 0)).chain(cuts.iter().copied());
    let ends = cuts
        .iter()
        .map(|&(at, _)| at)
        .chain(std::iter::once(text.len()));
    starts
        .zip(ends)
        .map(|((from, lines_before), to)| (from, to, lines_before))
        .collect()
}

/// A piece of a template's output, waiting to be checked.
struct Piece {
    job: usize,
    /// Its position among the pieces of that output.
    index: usize,
    text: Arc<String>,
    from: usize,
    to: usize,
    lines_before: usize,
}

/// What a thread does next: render a template, or check a piece of what one rendered (`on.each`).
enum Task {
    Render(usize),
    Check(Piece),
}

/// The work of a side-by-side render. Threads render templates first and check their output after: when
/// no template is left to start, a thread checks what the others rendered instead of waiting for the last
/// (often the longest) template to finish. (Checking first whenever 1 MiB of output waited was tried: the
/// same wall time, 2.5 MiB more peak memory.)
struct Queue {
    state: Mutex<State>,
    /// Signalled when a template finishes rendering.
    changed: Condvar,
    jobs: usize,
}

#[derive(Default)]
struct State {
    /// The next template to render.
    next: usize,
    /// Templates being rendered.
    rendering: usize,
    /// Pieces of output waiting to be checked.
    waiting: Vec<Piece>,
    /// What each template rendered, once it has.
    texts: Vec<Option<Arc<String>>>,
    /// How many pieces each template's output was cut into.
    pieces: Vec<usize>,
    /// A template failed: the side-by-side result will not be used.
    failed: bool,
}

/// Held while a template renders: should the render panic, the others stop instead of waiting for it.
struct Rendering<'a>(&'a Queue);

impl Drop for Rendering<'_> {
    fn drop(&mut self) {
        let mut state = self.0.lock();
        state.rendering -= 1;
        state.failed = true;
        drop(state);
        self.0.changed.notify_all();
    }
}

impl Queue {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next task, `None` when there is none left (or a template failed).
    fn next(&self) -> Option<Task> {
        let mut state = self.lock();
        loop {
            if state.failed {
                return None;
            }
            if state.next < self.jobs {
                state.next += 1;
                state.rendering += 1;
                return Some(Task::Render(state.next - 1));
            }
            // the latest output first: it is the likeliest to be still in the cache
            if let Some(piece) = state.waiting.pop() {
                return Some(Task::Check(piece));
            }
            if state.rendering == 0 {
                return None;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}
