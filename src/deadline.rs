//! One bound, counted from the command's start, on everything a command asks the API server before its
//! first write (reading records and history, discovery, `lookup`, the namespace and served-kinds checks, the
//! lock): a server that hangs instead of refusing makes the command stop near `--timeout` with nothing
//! written, rather than after one long client read timeout per request.

use std::future::Future;
use std::time::Duration;

/// When the preparation of a command must be over, and the flag that set it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    pub at: tokio::time::Instant,
    /// `--timeout` as given (shown in the error).
    pub limit: Duration,
    /// The API server the bounded calls go to (named in the error; empty when not known).
    pub server: String,
    /// `limit` plus the time allowed for waiting on the lock: how far [`Deadline::for_turn`] reaches.
    span: Duration,
}

impl Deadline {
    /// `limit` after `started`, plus `extra` (time the user allowed for waiting on the release lock).
    pub fn after(
        started: std::time::Instant,
        limit: Duration,
        extra: Option<Duration>,
    ) -> Deadline {
        let span = limit + extra.unwrap_or_default();
        Deadline {
            at: tokio::time::Instant::from_std(started + span),
            limit,
            server: String::new(),
            span,
        }
    }

    /// The deadline of a job whose turn comes now: a stack instance that waited for others (`--concurrency`)
    /// gets its whole span from here, never less than the command's own deadline.
    pub fn for_turn(&self) -> Deadline {
        Deadline {
            at: self.at.max(tokio::time::Instant::now() + self.span),
            ..self.clone()
        }
    }

    /// The same deadline for calls to the API server at `server`.
    pub fn on(&self, server: &str) -> Deadline {
        Deadline {
            server: server.to_string(),
            ..self.clone()
        }
    }

    /// The error for a preparation that did not finish in time.
    pub fn exceeded(&self, doing: &str) -> anyhow::Error {
        let who = if self.server.is_empty() {
            "the Kubernetes API server".to_string()
        } else {
            format!("the Kubernetes API server at `{}`", self.server)
        };
        anyhow::Error::new(crate::error::TimedOut).context(format!(
            "{who} did not answer in time: --timeout {} ran out while {doing}; nothing was written\n\nhint: check that the server is healthy (`kubectl get --raw /readyz`) and reachable, or raise --timeout",
            show(self.limit)
        ))
    }
}

/// Run `fut` within `deadline` (unbounded when `None`); past it, `fut` is dropped and the error names the
/// server and what was being done (`doing`).
pub async fn within<T>(
    deadline: Option<&Deadline>,
    doing: &str,
    fut: impl Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    match deadline {
        None => fut.await,
        Some(d) => match tokio::time::timeout_at(d.at, fut).await {
            Ok(r) => r,
            Err(_) => Err(d.exceeded(doing)),
        },
    }
}

/// A duration as the user would type it (`90s`, `5m`, `1.5s`).
pub fn show(d: Duration) -> String {
    let secs = d.as_secs();
    if d.subsec_millis() != 0 {
        format!("{:.1}s", d.as_secs_f64())
    } else if secs >= 60 && secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_future_past_the_deadline_is_dropped_with_an_error_naming_server_and_step() {
        let started = std::time::Instant::now();
        let d = Deadline::after(started, Duration::from_secs(3), None).on("https://127.0.0.1:6443");
        let slow = async {
            tokio::time::sleep(Duration::from_secs(10)).await;
            Ok::<_, anyhow::Error>(1)
        };
        let err = within(Some(&d), "reading the history", slow)
            .await
            .unwrap_err();
        let text = format!("{err:#}");
        assert!(text.contains("https://127.0.0.1:6443"), "{text}");
        assert!(
            text.contains("--timeout 3s ran out while reading the history"),
            "{text}"
        );
        assert!(text.contains("nothing was written"), "{text}");
        assert!(err.downcast_ref::<crate::error::TimedOut>().is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn a_future_within_the_deadline_or_without_one_gives_its_own_result() {
        let d = Deadline::after(std::time::Instant::now(), Duration::from_secs(3), None);
        let quick = async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok::<_, anyhow::Error>(7)
        };
        assert_eq!(within(Some(&d), "x", quick).await.unwrap(), 7);
        let slow = async {
            tokio::time::sleep(Duration::from_secs(100)).await;
            Ok::<_, anyhow::Error>(8)
        };
        assert_eq!(within(None, "x", slow).await.unwrap(), 8);
    }

    #[tokio::test(start_paused = true)]
    async fn a_job_whose_turn_comes_late_gets_its_whole_span_from_then() {
        let d = Deadline::after(std::time::Instant::now(), Duration::from_secs(3), None);
        assert_eq!(
            d.for_turn().at,
            d.at,
            "a job that starts at once keeps the command's deadline"
        );
        tokio::time::sleep(Duration::from_secs(10)).await;
        let late = d.for_turn();
        assert_eq!(
            late.at,
            tokio::time::Instant::now() + Duration::from_secs(3)
        );
        assert_eq!(late.limit, Duration::from_secs(3));
    }

    #[test]
    fn lock_waiting_extends_the_deadline() {
        let now = std::time::Instant::now();
        let plain = Deadline::after(now, Duration::from_secs(3), None);
        let waiting = Deadline::after(now, Duration::from_secs(3), Some(Duration::from_secs(60)));
        assert_eq!(waiting.at - plain.at, Duration::from_secs(60));
        assert_eq!(show(Duration::from_secs(300)), "5m");
        assert_eq!(show(Duration::from_secs(90)), "90s");
        assert_eq!(show(Duration::from_millis(1500)), "1.5s");
    }
}
