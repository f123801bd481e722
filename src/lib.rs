//! tack: render Jinja charts from layered values, diff them against a cluster and manage tracked releases.
//!
//! Data flows one way: `commands` parse flags into `settings` (targets, render and deploy options), run
//! `ops` (operations: option structs in, data out, events instead of printing) and hand the results to
//! `output`, the only module that prints. `main.rs` only maps the result of [`run`] to an exit code.

pub mod chart;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod convert;
pub mod deadline;
pub mod diff;
pub mod error;
pub mod events;
pub mod helm_record;
pub mod limits;
pub mod manifest;
pub mod names;
pub mod oci;
pub mod ops;
pub mod output;
pub mod package;
pub mod policy;
pub mod redact;
pub mod release;
pub mod render;
pub mod settings;
pub mod stack;
pub mod storage;
pub mod style;
pub mod suggest;
pub mod values;

/// Parse the command line, run the command and return the process exit code.
pub fn run() -> i32 {
    commands::run()
}
