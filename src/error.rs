//! Exit codes and the error kinds that carry one.

use std::fmt;

/// Exit code: success.
pub const OK: i32 = 0;
/// Exit code: the command failed.
pub const FAILURE: i32 = 1;
/// Exit code: the command line was wrong (clap uses it too).
pub const USAGE: i32 = 2;

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
