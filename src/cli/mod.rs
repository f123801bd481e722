//! Command-line types (clap derive) and nothing else: no logic lives here. Only `settings` and `commands`
//! read them. This file holds the top-level command; each group of commands has its flags in a file of its own.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod chart;
mod diff;
mod inputs;
mod parse;
mod release;

pub use chart::*;
pub use diff::*;
pub use inputs::*;
pub use parse::*;
pub use release::*;

#[derive(Debug, Parser)]
#[command(
    name = "tack",
    version,
    about = "Render Jinja charts from layered values, preview diffs and manage releases on Kubernetes",
    long_about = "tack renders chart templates written in Jinja from layered values (chart defaults < env < tier \
< -f files < --set), previews what would change on a cluster, and installs, upgrades, rolls back and uninstalls \
tracked releases.\n\nRendering (`template`, `values`, `lint`) never talks to a cluster.",
    propagate_version = true
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Namespace of the release (and the default for namespaced objects)
    #[arg(short = 'n', long, global = true, env = "TACK_NAMESPACE")]
    pub namespace: Option<String>,
    /// Path of the kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)
    #[arg(long, global = true, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the current context)
    #[arg(long, global = true, value_name = "NAME")]
    pub kube_context: Option<String>,
    /// Never colour output (also honoured: NO_COLOR)
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Print only results, warnings and errors: no progress or information lines
    #[arg(short = 'q', long, global = true)]
    pub quiet: bool,
    /// Print API request counts (object reads and writes) to stderr when done
    #[arg(long, global = true, hide = true)]
    pub stats: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render a chart to a YAML stream, in install order (no cluster needed)
    #[command(disable_version_flag = true)]
    Template(TemplateArgs),
    /// Print the merged values of a chart, or explain where one key's value comes from
    Values(ValuesArgs),
    /// Check a chart: metadata, schema, templates and every rendered object
    #[command(disable_version_flag = true)]
    Lint(LintArgs),
    /// Install a chart as a new release
    #[command(disable_version_flag = true)]
    Install(InstallArgs),
    /// Upgrade a release to a new chart or new values (`--install` installs it if missing)
    #[command(disable_version_flag = true)]
    Upgrade(UpgradeArgs),
    /// Show what an upgrade (`tack diff NAME CHART`), a rollback or another revision would change
    #[command(
        long_about = "Show what would change, compared with the live cluster: `tack diff NAME CHART` for what \
`tack upgrade --install` would do now, `tack diff rollback NAME [REVISION]`, and `tack diff revisions NAME A B`. \
Server-side dry runs give the desired state, so defaults, admission and drift show. Secret values are never \
printed (size and digest instead) unless --show-secrets. `rollback`, `revisions` and `upgrade` are reserved \
first words: diff a release named like one with `tack diff upgrade NAME CHART`. See docs/diff.md."
    )]
    #[command(disable_version_flag = true)]
    Diff(Box<DiffArgs>),
    /// Roll a release back to an earlier revision (default: the one deployed before the current)
    Rollback(RollbackArgs),
    /// Delete a release's objects and records
    Uninstall(UninstallArgs),
    /// List the revisions of a release
    History(HistoryArgs),
    /// Show the state of a release: revision, status, objects, notes, and any held lock
    Status(StatusArgs),
    /// List releases
    List(ListArgs),
    /// Print what a revision holds: all, manifest, values, metadata, notes or hooks
    Get(GetArgs),
    /// Print a chart's files before installing it: values (with comments), chart, readme, crds, layers, all
    #[command(disable_version_flag = true)]
    Show(ShowArgs),
    /// Remove the operation lock of a release whose holder is gone
    Unlock(UnlockArgs),
    /// Run the tests of a release (its `helm.sh/hook: test` objects) and report each; exit 1 if any fails
    Test(TestArgs),
    /// Print the client version and, when a cluster is reachable, the server version
    Version(VersionArgs),
    /// Turn a Helm chart (Go templates) into a tack chart (Jinja) that renders the same objects
    #[command(
        long_about = "Turn a Helm chart (Go templates) into a tack chart (Jinja) that renders the same objects: \
named templates become macros in templates/_helpers.j2, pipelines become filters, values.yaml keeps its comments, \
subcharts are converted too. A construct that cannot be converted exactly is reported with file and line, and the \
command fails unless --allow-partial (the converted template then fails where it is used, never renders something \
else). See docs/convert.md.",
        after_help = "Examples:\n  tack convert ./my-helm-chart ./my-chart\n  tack convert ./my-helm-chart ./my-chart --env-layers   # values-prod.yaml -> values/prod.yaml"
    )]
    Convert(ConvertArgs),
    /// Package a chart folder as NAME-VERSION.tgz (reproducible: same input, same bytes)
    Package(PackageArgs),
    /// Push a chart package to an OCI registry
    Push(PushArgs),
    /// Pull a chart from an OCI registry (a package, or unpacked with --untar)
    #[command(disable_version_flag = true)]
    Pull(PullArgs),
    /// Log in to or out of an OCI registry
    #[command(subcommand)]
    Registry(RegistryCommand),
    /// Manage a chart's dependencies and its Chart.lock
    #[command(subcommand)]
    Dependency(DependencyCommand),
    /// Take over a release that Helm manages: its revisions become tack records, its objects tack's
    #[command(subcommand)]
    Import(ImportCommand),
    /// Print a shell completion script (it asks tack for env, tier, instance and release names)
    Completions {
        /// The shell to complete for
        shell: clap_complete::Shell,
        /// Print the fixed script generated from the flags alone, which never calls back into tack
        #[arg(long = "static")]
        r#static: bool,
    },
}
