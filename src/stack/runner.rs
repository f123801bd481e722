//! Running one job per stack instance: in parallel up to a bound, each instance's lines captured into one
//! block (never interleaved with another's), one failure not stopping the others unless asked, and a summary
//! table at the end. Every stack command, and `tack diff`, runs its per-instance work through [`run_each`].

use crate::error::{reported, FAILURE};
use crate::output;
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
    /// Lines printed through `output` while the job ran (warnings, progress).
    pub captured: String,
    /// The job's own output ([`Done::text`]).
    pub text: String,
    /// The error that ended the job, with its causes.
    pub error: Option<String>,
    pub duration: Duration,
}

/// Run `work` for every job, at most `opts.concurrency` at once, capturing what each prints. `on_done` sees
/// each run as it ends (to print its block right away); the result holds every run in the jobs' order.
///
/// The jobs run concurrently on the calling task (their work is waiting on the API server), so their
/// futures need not be `Send`; `work` is called only when a job starts.
pub async fn run_each<T, F, Fut>(
    jobs: Vec<Job<T>>,
    opts: RunOptions,
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
                captured: String::new(),
                text: String::new(),
                error: None,
                duration: Duration::ZERO,
            };
            if stop.load(Ordering::SeqCst) {
                run.text = "not started: another instance failed and --fail-fast is set\n".into();
                return (index, run);
            }
            let start = Instant::now();
            let guarded = std::panic::AssertUnwindSafe(work(job.payload)).catch_unwind();
            let (result, captured) = output::capture(guarded).await;
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

/// An error and its causes, one per line, as `output::print_error` shows them.
pub fn error_text(e: &anyhow::Error) -> String {
    let mut chain = e.chain();
    let mut out = chain
        .next()
        .map(|top| format!("{} {top}", output::red("error:")))
        .unwrap_or_default();
    for cause in chain {
        out.push_str(&format!("\n  {} {cause}", output::dim("caused by:")));
    }
    out
}

/// An instance's block: a header line, then what it printed, its output and its error.
pub fn block(run: &InstanceRun) -> String {
    let header = format!(
        "==> instance `{}` (namespace `{}`)",
        run.name, run.namespace
    );
    let mut out = format!("{}\n", output::bold(&header));
    out.push_str(&run.captured);
    out.push_str(&run.text);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if let Some(e) = &run.error {
        out.push_str(e);
        out.push('\n');
    }
    out
}

/// The summary table: instance, namespace, revision, result, duration.
pub fn summary(runs: &[InstanceRun]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let result = match r.state {
                State::Ok => output::green(&r.result),
                State::Failed => output::red(&r.result),
                State::Skipped => output::yellow(&r.result),
            };
            vec![
                r.name.clone(),
                r.namespace.clone(),
                r.revision.map_or("-".to_string(), |v| v.to_string()),
                result,
                format!("{:.1}s", r.duration.as_secs_f64()),
            ]
        })
        .collect();
    output::table(
        &["INSTANCE", "NAMESPACE", "REVISION", "RESULT", "DURATION"],
        &rows,
    )
}

/// Fail (already reported) when any instance failed or was skipped, naming them; `Ok` otherwise.
pub fn finish(runs: &[InstanceRun]) -> Result<()> {
    let bad: Vec<&str> = runs
        .iter()
        .filter(|r| r.state != State::Ok)
        .map(|r| r.name.as_str())
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let msg = format!(
        "{} of {} instance{} did not succeed: {}",
        bad.len(),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        bad.join(", ")
    );
    eprintln!("{}", output::red(&msg));
    Err(reported(FAILURE, msg))
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
        output::warn(format!("about {name}"));
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
            |r| seen.push(r.name.clone()),
            work,
        )
        .await;
        let names: Vec<&str> = runs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["a", "bad", "b"]);
        assert_eq!(seen, ["bad", "b", "a"], "on_done sees them as they end");
        assert_eq!(runs[0].state, State::Ok);
        assert_eq!(runs[0].captured, "warning: about a\n");
        assert_eq!(runs[0].text, "did a\n");
        assert_eq!(runs[1].state, State::Failed);
        assert_eq!(runs[1].error.as_deref(), Some("error: bad broke"));
        let b = block(&runs[1]);
        assert_eq!(
            b,
            "==> instance `bad` (namespace `ns-bad`)\nwarning: about bad\nerror: bad broke\n"
        );
        let table = summary(&runs);
        assert!(
            table.starts_with("INSTANCE  NAMESPACE  REVISION  RESULT  DURATION\n"),
            "{table}"
        );
        assert!(
            table.contains("bad       ns-bad     -         failed"),
            "{table}"
        );
        let err = finish(&runs).unwrap_err().to_string();
        assert_eq!(err, "1 of 3 instances did not succeed: bad");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fail_fast_skips_what_has_not_started() {
        let opts = RunOptions {
            concurrency: 1,
            fail_fast: true,
        };
        let runs = run_each(jobs(&["bad", "a", "b"]), opts, |_| {}, work).await;
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
