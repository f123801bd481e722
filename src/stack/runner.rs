//! Running one job per target: in parallel up to a bound, each job's events captured (so a stack instance's
//! lines come out as one block, never interleaved with another's), one failure not stopping the others unless
//! asked. Every release command runs its per-target work through [`run_each`]; `output::runs` prints the
//! blocks and the summary table.

use crate::events::{self, Event};
use anyhow::Result;
use futures::FutureExt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How instances run.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Most instances worked on at once (at least 1).
    pub concurrency: usize,
    /// After a failure, start no further instance.
    pub fail_fast: bool,
}

/// One instance's work, with whatever the job needs (`payload`).
pub struct Job<T> {
    pub name: String,
    pub namespace: String,
    pub payload: T,
}

/// What a job reports when it succeeds.
#[derive(Clone, Debug, Default)]
pub struct Done {
    /// The release revision it left deployed (or read), if any.
    pub revision: Option<u64>,
    /// A few words for the summary table: `installed`, `upgraded`, `no changes`, `12 objects`, ...
    pub result: String,
    /// The instance's output block.
    pub text: String,
}

/// How an instance's job ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Ok,
    Failed,
    /// Not started: `--fail-fast` after another instance failed.
    Skipped,
}

/// One instance's run, ready to print.
#[derive(Clone, Debug)]
pub struct InstanceRun {
    pub name: String,
    pub namespace: String,
    pub state: State,
    pub revision: Option<u64>,
    /// The summary-table cell.
    pub result: String,
    /// Events the job reported while it ran (warnings, notes, progress), when captured.
    pub captured: Vec<Event>,
    /// The job's own output ([`Done::text`]).
    pub text: String,
    /// The error that ended the job, with its causes, as plain text.
    pub error: Option<String>,
    /// The error itself, for a single release that reports it as the command's error.
    pub failure: Option<std::sync::Arc<anyhow::Error>>,
    pub duration: Duration,
}

/// Run `work` for every job, at most `opts.concurrency` at once. With `capture`, each job's events are kept in
/// its run (for a block); without, they go to the global sink as they happen (a single release, shown live).
/// `on_done` sees each run as it ends (to print its block right away); the result holds every run in the
/// jobs' order.
///
/// The jobs run concurrently on the calling task (their work is waiting on the API server), so their
/// futures need not be `Send`; `work` is called only when a job starts.
pub async fn run_each<T, F, Fut>(
    jobs: Vec<Job<T>>,
    opts: RunOptions,
    capture: bool,
    mut on_done: impl FnMut(&InstanceRun),
    work: F,
) -> Vec<InstanceRun>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = Result<Done>>,
{
    use futures::StreamExt;
    let stop = AtomicBool::new(false);
    let total = jobs.len();
    let (stop, work) = (&stop, &work);
    let mut stream = futures::stream::iter(jobs.into_iter().enumerate())
        .map(|(index, job)| async move {
            let mut run = InstanceRun {
                name: job.name,
                namespace: job.namespace,
                state: State::Skipped,
                revision: None,
                result: "skipped".into(),
                captured: Vec::new(),
                text: String::new(),
                error: None,
                failure: None,
                duration: Duration::ZERO,
            };
            if stop.load(Ordering::SeqCst) {
                run.text = "not started: another instance failed and --fail-fast is set\n".into();
                return (index, run);
            }
            let start = Instant::now();
            let guarded = std::panic::AssertUnwindSafe(work(job.payload)).catch_unwind();
            let (result, captured) = if capture {
                events::capture(guarded).await
            } else {
                (guarded.await, Vec::new())
            };
            run.duration = start.elapsed();
            run.captured = captured;
            match result {
                Ok(Ok(done)) => {
                    run.state = State::Ok;
                    run.revision = done.revision;
                    run.result = done.result;
                    run.text = done.text;
                }
                Ok(Err(e)) => {
                    run.state = State::Failed;
                    run.result = "failed".into();
                    run.error = Some(error_text(&e));
                    run.failure = Some(std::sync::Arc::new(e));
                }
                Err(_) => {
                    run.state = State::Failed;
                    run.result = "failed".into();
                    run.error = Some("the job panicked (a bug in tack)".into());
                }
            }
            if run.state == State::Failed && opts.fail_fast {
                stop.store(true, Ordering::SeqCst);
            }
            (index, run)
        })
        .buffer_unordered(opts.concurrency.max(1));
    let mut runs: Vec<Option<InstanceRun>> = vec![None; total];
    while let Some((index, run)) = stream.next().await {
        on_done(&run);
        runs[index] = Some(run);
    }
    runs.into_iter().flatten().collect()
}

/// An error and its causes, one per line, without colour.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut chain = e.chain();
    let mut out = chain
        .next()
        .map(|top| format!("error: {top}"))
        .unwrap_or_default();
    for cause in chain {
        out.push_str(&format!("\n  caused by: {cause}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jobs(names: &[&str]) -> Vec<Job<String>> {
        names
            .iter()
            .map(|n| Job {
                name: n.to_string(),
                namespace: format!("ns-{n}"),
                payload: n.to_string(),
            })
            .collect()
    }

    async fn work(name: String) -> Result<Done> {
        events::warn(format!("about {name}"));
        // finish in reverse order to show the result keeps the jobs' order
        let delay = match name.as_str() {
            "a" => 60,
            "b" => 30,
            _ => 1,
        };
        tokio::time::sleep(Duration::from_millis(delay)).await;
        if name == "bad" {
            anyhow::bail!("bad broke");
        }
        Ok(Done {
            revision: Some(1),
            result: "ok".into(),
            text: format!("did {name}\n"),
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_all_captures_each_and_keeps_order() {
        let opts = RunOptions {
            concurrency: 3,
            fail_fast: false,
        };
        let mut seen = Vec::new();
        let runs = run_each(
            jobs(&["a", "bad", "b"]),
            opts,
            true,
            |r| seen.push(r.name.clone()),
            work,
        )
        .await;
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "bad", "b"]);
        assert_eq!(seen, ["bad", "b", "a"], "on_done sees them as they end");
        assert_eq!(runs[0].state, State::Ok);
        assert_eq!(runs[0].captured, vec![Event::Warning("about a".into())]);
        assert_eq!(runs[0].text, "did a\n");
        assert_eq!(runs[1].state, State::Failed);
        assert_eq!(runs[1].error.as_deref(), Some("error: bad broke"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fail_fast_skips_what_has_not_started() {
        let opts = RunOptions {
            concurrency: 1,
            fail_fast: true,
        };
        let runs = run_each(jobs(&["bad", "a", "b"]), opts, true, |_| {}, work).await;
        let states: Vec<State> = runs.iter().map(|r| r.state).collect();
        assert_eq!(states, [State::Failed, State::Skipped, State::Skipped]);
        assert!(runs[1].text.contains("--fail-fast"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrency_is_bounded() {
        use std::sync::atomic::AtomicUsize;
        let now = std::sync::Arc::new(AtomicUsize::new(0));
        let peak = std::sync::Arc::new(AtomicUsize::new(0));
        let opts = RunOptions {
            concurrency: 2,
            fail_fast: false,
        };
        let runs = run_each(
            jobs(&["a", "b", "c", "d", "e"]),
            opts,
            false,
            |_| {},
            |_| {
                let (now, peak) = (now.clone(), peak.clone());
                async move {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    Ok(Done::default())
                }
            },
        )
        .await;
        assert_eq!(runs.len(), 5);
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }
}
