//! Bounded retries of API requests that the server asks us to repeat (429 with `retryAfterSeconds`), that
//! failed transiently (etcd timeouts, 503/504), or that found no server (refused or dropped connections while
//! the API server restarts), so one busy moment or one restart of the server does not fail a release.

use std::future::Future;
use std::time::{Duration, Instant};

/// How long requests are repeated while the server cannot be reached at all (an API server restarting takes
/// a few seconds); the caller's own bound (`--timeout`) may end them sooner.
pub const UNREACHABLE_PATIENCE: Duration = Duration::from_secs(8);
/// How long writes are repeated while a server that already answered in this run cannot be reached: a restart
/// or failover of the control plane in the middle of a release can take tens of seconds on a busy machine,
/// and giving up half-way leaves a release failed with part of its objects applied. The caller's own bound
/// (`--timeout`) still ends them sooner; a server never reached fails after [`UNREACHABLE_PATIENCE`].
pub const RESTART_PATIENCE: Duration = Duration::from_secs(30);
/// The longest pause between two attempts to reach a server that is not there.
const UNREACHABLE_MAX_DELAY: Duration = Duration::from_secs(2);

/// Whether `err` says the server could not be reached or dropped the connection (refused, reset, closed
/// before answering): nothing came back, so an idempotent request can be sent again.
pub fn unreachable(err: &kube::Error) -> bool {
    if matches!(err, kube::Error::Api(_)) {
        return false;
    }
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionRefused
                    | ConnectionReset
                    | ConnectionAborted
                    | BrokenPipe
                    | UnexpectedEof
                    | NotConnected
            ) {
                return true;
            }
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("connection refused")
            || text.contains("connection reset")
            || text.contains("connection closed before message completed")
            || text.contains("broken pipe")
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// [`unreachable`] for an error somewhere in an `anyhow` chain.
pub fn unreachable_in(err: &anyhow::Error) -> bool {
    err.chain()
        .any(|e| e.downcast_ref::<kube::Error>().is_some_and(unreachable))
}

/// How often and how long to retry.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    /// Attempts in total, including the first.
    pub attempts: u32,
    /// First backoff when the server names no delay; doubles per attempt.
    pub base_delay: Duration,
    /// Upper bound for any single delay, including the server's `retryAfterSeconds`.
    pub max_delay: Duration,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            attempts: 6,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// If `err` is worth retrying, how long to wait first (`attempt` counts from 0).
pub fn retry_delay(err: &kube::Error, attempt: u32, budget: &Budget) -> Option<Duration> {
    let kube::Error::Api(status) = err else {
        return None;
    };
    let backoff = budget
        .base_delay
        .saturating_mul(1u32 << attempt.min(16))
        .min(budget.max_delay);
    let server_delay = status
        .details
        .as_ref()
        .map(|d| d.retry_after_seconds)
        .filter(|s| *s > 0)
        .map(|s| Duration::from_secs(u64::from(s)).min(budget.max_delay));
    let message = status.message.to_ascii_lowercase();
    let transient = match status.code {
        429 => true,
        502..=504 => true,
        500 => {
            message.contains("etcdserver")
                || message.contains("timed out")
                || message.contains("timeout")
                || status.reason == "ServerTimeout"
                || status.reason == "Timeout"
        }
        _ => false,
    };
    transient.then(|| server_delay.unwrap_or(backoff))
}

/// Run `op` until it succeeds, fails for good, or the budget is spent; the last error is returned. While the
/// server cannot be reached at all, `op` is repeated for up to [`UNREACHABLE_PATIENCE`] whatever the budget's
/// attempts: `op` must be idempotent (reads, server-side apply, deletes).
pub async fn retry<T, F, Fut>(budget: Budget, op: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    retry_within(budget, UNREACHABLE_PATIENCE, op).await
}

/// [`retry`] with its own patience for an unreachable server.
pub async fn retry_within<T, F, Fut>(
    budget: Budget,
    patience: Duration,
    mut op: F,
) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let start = Instant::now();
    let (mut attempt, mut missed) = (0, 0u32);
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if unreachable(&e) => {
                let delay = budget
                    .base_delay
                    .saturating_mul(1u32 << missed.min(16))
                    .min(UNREACHABLE_MAX_DELAY);
                missed += 1;
                if start.elapsed() + delay > patience {
                    return Err(e);
                }
                tokio::time::sleep(delay).await;
            }
            Err(e) => {
                attempt += 1;
                match retry_delay(&e, attempt - 1, &budget) {
                    Some(delay) if attempt < budget.attempts => tokio::time::sleep(delay).await,
                    _ => return Err(e),
                }
            }
        }
    }
}

/// The server's own words for a failed request, without the debug dump that `kube::Error` prints.
pub fn api_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(s) => {
            let mut m = s.message.trim().to_string();
            if m.is_empty() {
                m = "the server gave no message".into();
            }
            match (s.reason.is_empty(), s.code) {
                (false, 0) => format!("{m} ({})", s.reason),
                (false, code) => format!("{m} ({} {code})", s.reason),
                (true, 0) => m,
                (true, code) => format!("{m} ({code})"),
            }
        }
        other => other.to_string(),
    }
}

/// A failed request as an error that says what was attempted and what to do.
pub fn describe(err: kube::Error, what: &str, server: &str) -> anyhow::Error {
    let server = if server.is_empty() {
        "the API server".to_string()
    } else {
        format!("the API server at `{server}`")
    };
    match &err {
        kube::Error::Api(s) if s.code == 401 => anyhow::anyhow!(
            "failed to {what}: {server} rejected the credentials (401 Unauthorized)\n\nhint: check the user of the kubeconfig context, or log in again"
        ),
        kube::Error::Api(s) if s.code == 403 => anyhow::anyhow!(
            "failed to {what}: {}\n\nhint: the kubeconfig user lacks permission for this",
            api_message(&err)
        ),
        kube::Error::Api(_) => anyhow::anyhow!("failed to {what}: {}", api_message(&err)),
        _ => anyhow::Error::new(err).context(format!(
            "failed to {what}: cannot reach {server}\n\nhint: check that the cluster is up and that the kubeconfig points at it"
        )),
    }
}

/// The HTTP status code of an API error, if it is one.
pub fn status_code(err: &kube::Error) -> Option<u16> {
    match err {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::StatusDetails;
    use kube::core::Status;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn api(code: u16, reason: &str, message: &str, retry_after: u32) -> kube::Error {
        let mut s = Status::failure(message, reason).with_code(code);
        if retry_after > 0 {
            s.details = Some(StatusDetails {
                name: String::new(),
                group: String::new(),
                kind: String::new(),
                uid: String::new(),
                causes: vec![],
                retry_after_seconds: retry_after,
            });
        }
        kube::Error::Api(Box::new(s))
    }

    #[test]
    fn too_many_requests_waits_as_the_server_says() {
        let b = Budget::default();
        let e = api(429, "TooManyRequests", "slow down", 3);
        assert_eq!(retry_delay(&e, 0, &b), Some(Duration::from_secs(3)));
        let e = api(429, "TooManyRequests", "slow down", 3600);
        assert_eq!(retry_delay(&e, 0, &b), Some(b.max_delay));
        let e = api(429, "TooManyRequests", "slow down", 0);
        assert_eq!(retry_delay(&e, 2, &b), Some(Duration::from_millis(800)));
    }

    #[test]
    fn etcd_timeouts_are_transient_but_validation_errors_are_not() {
        let b = Budget::default();
        let e = api(500, "", "etcdserver: request timed out", 0);
        assert!(retry_delay(&e, 0, &b).is_some());
        assert!(retry_delay(&api(503, "ServiceUnavailable", "x", 0), 0, &b).is_some());
        assert!(retry_delay(&api(422, "Invalid", "bad", 0), 0, &b).is_none());
        assert!(retry_delay(&api(409, "Conflict", "c", 0), 0, &b).is_none());
        assert!(retry_delay(&api(500, "InternalError", "boom", 0), 0, &b).is_none());
    }

    fn quick() -> Budget {
        Budget {
            attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        }
    }

    #[tokio::test]
    async fn retries_are_bounded_and_stop_on_success() {
        let calls = AtomicU32::new(0);
        let got = retry(quick(), || async {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            if n < 2 {
                Err(api(429, "TooManyRequests", "slow down", 1))
            } else {
                Ok(n)
            }
        })
        .await;
        assert_eq!(got.unwrap(), 2);

        let calls = AtomicU32::new(0);
        let got: Result<(), _> = retry(quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(503, "ServiceUnavailable", "busy", 0))
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), quick().attempts);

        let calls = AtomicU32::new(0);
        let got: Result<(), _> = retry(quick(), || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err(api(422, "Invalid", "bad", 0))
        })
        .await;
        assert!(got.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn api_messages_are_short() {
        let e = api(404, "NotFound", "configmaps \"x\" not found", 0);
        assert_eq!(api_message(&e), "configmaps \"x\" not found (NotFound 404)");
    }
}
