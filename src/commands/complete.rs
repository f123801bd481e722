//! Shell completion: `tack completions SHELL` prints a script that asks tack itself for candidates, and
//! the completers answer from the user's world: env and tier names from `./values`, instance names from
//! `./tack.yaml`, release names from the cluster (with a short timeout, silently nothing when unreachable).

use crate::cli::{Cli, GlobalArgs};
use clap::CommandFactory;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

/// The environment variable a registration script sets when it asks tack for candidates.
const VAR: &str = "COMPLETE";

/// The whole clap command: flags from `cli`, examples on every command, completers on the values that name
/// things of the user's.
pub fn command() -> clap::Command {
    let cmd = super::examples::attach(Cli::command());
    with_completers(cmd)
}

/// Answer a completion request (when the shell's script set `COMPLETE`) and exit; otherwise return.
pub fn answer_if_asked() {
    clap_complete::CompleteEnv::with_factory(command)
        .var(VAR)
        .complete();
}

/// The script that registers tack's completion in `shell`: dynamic (asks tack), or with `static_script`
/// the fixed script clap generates from the flags alone.
pub fn script(shell: clap_complete::Shell, static_script: bool) -> std::io::Result<String> {
    let mut out = Vec::new();
    if static_script {
        clap_complete::generate(shell, &mut command(), "tack", &mut out);
    } else {
        use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
        let completer: &dyn EnvCompleter = match shell {
            clap_complete::Shell::Bash => &Bash,
            clap_complete::Shell::Elvish => &Elvish,
            clap_complete::Shell::Fish => &Fish,
            clap_complete::Shell::PowerShell => &Powershell,
            _ => &Zsh,
        };
        completer.write_registration(VAR, "tack", "tack", "tack", &mut out)?;
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Commands whose first positional is the name of an installed release.
const RELEASE_NAMED: &[&str] = &[
    "upgrade",
    "rollback",
    "uninstall",
    "history",
    "status",
    "unlock",
    "test",
];

fn with_completers(mut cmd: clap::Command) -> clap::Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        // `mut_args` keeps the arguments in place (`mut_arg` would move one to the end, and with it a
        // positional's index)
        cmd = cmd.mut_subcommand(&name, |sub| {
            sub.mut_args(|a| {
                let completer = match a.get_id().as_str() {
                    "env" => Some(ArgValueCompleter::new(envs)),
                    "tier" => Some(ArgValueCompleter::new(tiers)),
                    "instances" | "instance" | "compare" => Some(ArgValueCompleter::new(instances)),
                    "name" if RELEASE_NAMED.contains(&name.as_str()) || name == "get" => {
                        Some(ArgValueCompleter::new(releases))
                    }
                    _ => None,
                };
                match completer {
                    Some(c) => a.add(c),
                    None => a,
                }
            })
        });
    }
    cmd
}

fn candidates(
    names: impl IntoIterator<Item = String>,
    current: &OsStr,
) -> Vec<CompletionCandidate> {
    let prefix = current.to_string_lossy();
    names
        .into_iter()
        .filter(|n| n.starts_with(prefix.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// `--values-dir` as typed so far on the command line, else `values`.
fn values_dir() -> std::path::PathBuf {
    flag_value(&["--values-dir"])
        .unwrap_or_else(|| "values".into())
        .into()
}

fn envs(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(
        crate::values::layer_files_available(&values_dir()).0,
        current,
    )
}

fn tiers(current: &OsStr) -> Vec<CompletionCandidate> {
    candidates(
        crate::values::layer_files_available(&values_dir()).1,
        current,
    )
}

fn instances(current: &OsStr) -> Vec<CompletionCandidate> {
    let path = flag_value(&["--stack"]);
    match crate::stack::file::Stack::load(path.as_deref().map(Path::new)) {
        Ok(stack) => candidates(stack.instances.into_iter().map(|i| i.name), current),
        Err(_) => Vec::new(),
    }
}

/// Release names in the namespace the command line names (else the kubeconfig context's), read from the
/// records' labels only; nothing when the cluster does not answer within two seconds.
fn releases(current: &OsStr) -> Vec<CompletionCandidate> {
    let global = GlobalArgs {
        namespace: flag_value(&["-n", "--namespace"])
            .or_else(|| std::env::var("TACK_NAMESPACE").ok()),
        kubeconfig: flag_value(&["--kubeconfig"]).map(Into::into),
        kube_context: flag_value(&["--kube-context"]),
        no_color: true,
        quiet: true,
        stats: false,
    };
    let settings = crate::settings::Settings::new(&global);
    let Ok(rt) = crate::cluster::runtime() else {
        return Vec::new();
    };
    let ns = settings.namespace();
    let listed = rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(2), async {
            let c = crate::cluster::connect(&settings.cluster()).await?;
            crate::ops::inspect::list(&c, Some(&ns), None).await
        })
        .await
    });
    match listed {
        Ok(Ok(list)) => candidates(list.into_iter().map(|s| s.name), current),
        _ => Vec::new(),
    }
}

/// The value of the last of `flags` on the command line being completed (`-n shop`, `--namespace=shop`).
fn flag_value(flags: &[&str]) -> Option<String> {
    let words: Vec<String> = std::env::args().skip_while(|a| a != "--").skip(1).collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        for f in flags {
            if w == f {
                if let Some(v) = words.get(i + 1) {
                    found = Some(v.clone());
                }
            } else if let Some(v) = w.strip_prefix(&format!("{f}=")) {
                found = Some(v.to_string());
            }
        }
    }
    found.filter(|v| !v.is_empty())
}
