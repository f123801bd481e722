//! What a refused command line gets besides clap's own message: the tack spelling of a flag typed from
//! Helm habit, the `=` a `--dry-run` value needs, or the nearest flag of the subcommand.
use crate::cli::Cli;
use clap::CommandFactory;

/// Flags users type from Helm habit, and tack's own.
const HELM_FLAGS: &[(&str, &str)] = &[
    ("--take-ownership", "--adopt"),
    ("--rollback-on-failure", "--atomic"),
    ("--detailed-exitcode", "--exit-code"),
    ("--force", "--force-conflicts"),
    ("--reuse-values", "--reuse-values (on upgrade and diff)"),
    ("--output-dir", "--output-dir (on template)"),
    (
        "--include-crds",
        "nothing: crds/ files are always included (leave them out with --skip-crds)",
    ),
    (
        "--create-namespace",
        "--create-namespace (on install and upgrade)",
    ),
    ("--skip-tests", "nothing: tests run only with `tack test`"),
    (
        "--disable-openapi-validation",
        "nothing: the API server validates every object",
    ),
    ("--debug", "nothing: errors already show their causes"),
];

/// A hint for a command line clap refused: the tack spelling of a Helm flag, the `=` a `--dry-run` value
/// needs, or the nearest flag of the subcommand.
pub(super) fn usage_hint(err: &clap::Error, argv: &[String]) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = arg.split('=').next().unwrap_or(arg);
    if let Some((_, tack)) = HELM_FLAGS.iter().find(|(helm, _)| *helm == flag) {
        return Some(format!("`{flag}` is Helm's; in tack use {tack}"));
    }
    let pos = argv.iter().position(|a| a == arg)?;
    if pos > 0 && argv[pos - 1] == "--dry-run" && matches!(arg.as_str(), "client" | "server") {
        return Some(format!(
            "a --dry-run value is attached with `=`: `--dry-run={arg}`"
        ));
    }
    let flag = flag.strip_prefix("--")?;
    let cmd = Cli::command();
    let sub = argv
        .iter()
        .skip(1)
        .find_map(|a| cmd.find_subcommand(a.as_str()))
        .unwrap_or(&cmd);
    let longs: Vec<&str> = sub
        .get_arguments()
        .chain(cmd.get_arguments())
        .filter_map(|a| a.get_long())
        .collect();
    crate::suggest::closest(flag, longs.iter().copied())
        .map(|best| format!("did you mean `--{best}`?"))
}
