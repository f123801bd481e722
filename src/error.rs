//! Exit codes and the error kinds that carry one, so the exit code never depends on an error's wording.

use std::fmt;

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: the command failed.
pub const FAILURE: i32 = 1;
/// Exit code: the command line was wrong (clap uses it too).
pub const USAGE: i32 = 2;
/// Exit code of `diff --exit-code` when something would change.
pub const CHANGES: i32 = 2;
/// Exit code: interrupted by Ctrl-C or SIGTERM (128 + SIGINT).
pub const INTERRUPTED: i32 = 130;

/// A failure whose details were already printed; only the exit code remains to be returned.
#[derive(Debug)]
pub struct Reported {
    pub code: i32,
    pub summary: String,
}

impl fmt::Display for Reported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Reported {}

/// Return early with an already-reported failure.
pub fn reported(code: i32, summary: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Reported {
        code,
        summary: summary.into(),
    })
}

/// The command line asks for something impossible; exits with [`USAGE`].
#[derive(Debug)]
pub struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// A usage error with a message and a hint.
pub fn usage(msg: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Usage(msg.into()))
}

/// The operation was stopped by the user (Ctrl-C); the lifecycle core has recorded it and released the lock.
#[derive(Debug)]
pub struct Interrupted {
    pub signal: &'static str,
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interrupted ({})", self.signal)
    }
}

impl std::error::Error for Interrupted {}

/// A command stopped because `--timeout` ran out before the API server answered (see `crate::deadline`).
#[derive(Debug)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "timed out")
    }
}

impl std::error::Error for TimedOut {}

/// Whether `e` (or any error in its chain) is an [`Interrupted`].
pub fn is_interrupted(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.downcast_ref::<Interrupted>().is_some())
}

/// Several problems found at once (a chart that did not render, an isolation guard that refused): each is
/// printed as its own error, then the summary.
#[derive(Debug)]
pub struct Problems {
    pub errors: Vec<String>,
    pub summary: String,
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary)
    }
}

impl std::error::Error for Problems {}

/// The render errors of a chart as one error.
pub fn render_failed(errors: Vec<String>) -> anyhow::Error {
    let summary = match errors.len() {
        1 => "rendering failed".to_string(),
        n => format!("rendering failed with {n} errors"),
    };
    anyhow::Error::new(Problems { errors, summary })
}

/// The exit code an error ends the process with.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    if let Some(r) = e.downcast_ref::<Reported>() {
        return r.code;
    }
    if is_interrupted(e) {
        return INTERRUPTED;
    }
    if e.downcast_ref::<Usage>().is_some() {
        return USAGE;
    }
    FAILURE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_error_kind_not_its_text() {
        let i = anyhow::Error::new(Interrupted { signal: "Ctrl-C" }).context("upgrade of `web`");
        assert_eq!(exit_code(&i), INTERRUPTED);
        assert_eq!(
            exit_code(&anyhow::anyhow!("interrupted by nothing")),
            FAILURE
        );
        assert_eq!(exit_code(&reported(CHANGES, "changes")), CHANGES);
    }
}
