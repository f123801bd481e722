//! Shared helpers of the CLI test crates: run the real `tack` binary with no cluster and no colour.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run `tack ARGS` from the repository root: (exit code, stdout, stderr).
pub fn tack(args: &[&str]) -> (i32, String, String) {
    tack_in(&repo(), args)
}

/// Run `tack ARGS` from `dir`, with no kubeconfig and no colour.
pub fn tack_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tack"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .env_remove("TACK_NAMESPACE")
        .output()
        .expect("run tack");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
