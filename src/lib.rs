//! tack: render Jinja charts from layered values, diff them against a cluster and manage tracked releases.
//!
//! The library holds everything; `main.rs` only maps the result of [`run`] to an exit code.

pub mod action;
pub mod chart;
pub mod cli;
pub mod cluster;
pub mod diff;
pub mod error;
pub mod manifest;
pub mod output;
pub mod policy;
pub mod release;
pub mod render;
pub mod stack;
pub mod storage;
pub mod values;

use clap::{CommandFactory, FromArgMatches};

/// Parse the command line, run the command and return the process exit code.
pub fn run() -> i32 {
    let matches = match cli::Cli::command().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    error::OK
                }
                _ => error::USAGE,
            };
        }
    };
    let parsed = match cli::Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return error::USAGE;
        }
    };
    output::init_color(parsed.global.no_color);
    let ctx = action::Ctx {
        namespace: parsed.global.namespace.clone(),
        kubeconfig: parsed.global.kubeconfig.clone(),
        kube_context: parsed.global.kube_context.clone(),
        stats: parsed.global.stats,
    };
    let sub = matches.subcommand().map(|(_, m)| m);
    let sets = sub.map(cli::ordered_sets).unwrap_or_default();
    let result = match &parsed.command {
        cli::Command::Template(a) => action::template::run(&ctx, a, &sets),
        cli::Command::Values(a) => action::values::run(&ctx, a, &sets),
        cli::Command::Lint(a) => action::lint::run(&ctx, a, &sets),
        cli::Command::Install(a) => action::install::run(&ctx, a, &sets, None),
        cli::Command::Upgrade(a) => action::install::run(&ctx, &a.common, &sets, Some(a.install)),
        cli::Command::Diff(a) => action::diff::run(&ctx, a, sub),
        cli::Command::Rollback(a) => action::rollback::run(&ctx, a),
        cli::Command::Uninstall(a) => action::uninstall::run(&ctx, a),
        cli::Command::History(a) => action::inspect::history(&ctx, a),
        cli::Command::Status(a) => action::inspect::status(&ctx, a),
        cli::Command::List(a) => action::inspect::list(&ctx, a),
        cli::Command::Get(a) => action::inspect::get(&ctx, a),
        cli::Command::Unlock(a) => action::inspect::unlock(&ctx, a),
        cli::Command::Version(a) => action::version::run(&ctx, a),
        cli::Command::Completions { shell } => {
            let mut cmd = cli::Cli::command();
            clap_complete::generate(*shell, &mut cmd, "tack", &mut std::io::stdout());
            Ok(())
        }
    };
    match result {
        Ok(()) => error::OK,
        Err(e) => {
            if let Some(r) = e.downcast_ref::<error::Reported>() {
                return r.code;
            }
            output::print_error(&e);
            error::FAILURE
        }
    }
}
