//! Flags of `tack diff` and its forms (upgrade, rollback, revisions), and its output formats.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::*;

/// `tack diff`: `NAME CHART` directly, or one of the subcommands.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct DiffArgs {
    #[command(subcommand)]
    pub what: Option<DiffCommand>,
    #[command(flatten)]
    pub upgrade: DiffUpgradeArgs,
}

#[derive(Debug, Subcommand)]
pub enum DiffCommand {
    /// What `tack upgrade --install NAME CHART` would change (the same as `tack diff NAME CHART`)
    Upgrade(Box<DiffUpgradeArgs>),
    /// What `tack rollback NAME [REVISION]` would change
    Rollback(DiffRollbackArgs),
    /// What differs between two stored revisions of a release (B compared with A)
    Revisions(DiffRevisionsArgs),
}

/// Output format of `tack diff`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum DiffFormat {
    /// A header per object and a unified diff of its YAML
    #[default]
    Diff,
    /// One line per object
    Summary,
    /// A pull-request comment: summary table and a collapsible diff per object
    Markdown,
    /// The documented JSON schema (tack.dev/diff/v1)
    Json,
}

/// Options every form of `tack diff` takes.
#[derive(Debug, Args, Clone)]
pub struct DiffOutputArgs {
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "diff")]
    pub output: DiffFormat,
    /// Unchanged lines shown around each change
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub context: usize,
    /// Exit 2 when something would change or drifted, 0 when not (1 on errors)
    #[arg(long)]
    pub exit_code: bool,
    /// Print Secret values (base64, as stored) instead of their size and digest
    #[arg(long)]
    pub show_secrets: bool,
    /// Leave a field out of the comparison, e.g. `spec.replicas`, `Deployment:spec.replicas`,
    /// `metadata.labels["app.kubernetes.io/version"]` (repeatable)
    #[arg(long, value_name = "PATH")]
    pub ignore: Vec<String>,
    /// How long the diff may wait for the API server in all, e.g. `90s`, `5m` (a diff writes nothing)
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Args, Clone)]
pub struct DiffUpgradeArgs {
    /// Release name (not with --all, -l or --instance)
    pub name: Option<String>,
    /// Chart directory (not with --all, -l or --instance)
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub layers: LayerArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    #[command(flatten)]
    pub diff: DiffOutputArgs,
    /// Diff as `--adopt` would apply: take over existing objects that are not this release's
    #[arg(long)]
    pub adopt: bool,
    /// Diff as `--force-conflicts` would apply: take over fields other field managers own
    #[arg(long)]
    pub force_conflicts: bool,
    /// Diff even when the manifest breaks the tier policy (as `--allow-policy-violations` would deploy)
    #[arg(long)]
    pub allow_policy_violations: bool,
    #[command(flatten)]
    pub reuse: ReuseArgs,
    /// Contact no cluster: compare with --against-manifest, or with a second render (--against-values,
    /// --against-set, --against-chart)
    #[arg(long)]
    pub offline: bool,
    /// Save what this diff showed (objects and their live versions, chart, values and manifest digests) for
    /// `tack upgrade --plan FILE`
    #[arg(long, value_name = "FILE", conflicts_with = "offline")]
    pub save_plan: Option<PathBuf>,
    /// Offline: the manifest to compare with (`tack get manifest` or `tack template` output)
    #[arg(long, value_name = "FILE", requires = "offline")]
    pub against_manifest: Option<PathBuf>,
    /// Offline: render again with these values files instead of -f for the old side (repeatable)
    #[arg(
        long,
        value_name = "FILE",
        requires = "offline",
        conflicts_with = "against_manifest"
    )]
    pub against_values: Vec<PathBuf>,
    /// Offline: render again with these --set values instead of --set* for the old side (repeatable)
    #[arg(
        long,
        value_name = "KEY=VAL",
        requires = "offline",
        conflicts_with = "against_manifest"
    )]
    pub against_set: Vec<String>,
    /// Offline: render the old side from this chart directory instead of CHART
    #[arg(
        long,
        value_name = "DIR",
        requires = "offline",
        conflicts_with = "against_manifest"
    )]
    pub against_chart: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffRollbackArgs {
    /// Release name
    pub name: String,
    /// Revision to roll back to (default: the revision deployed before the current one)
    pub revision: Option<u64>,
    #[command(flatten)]
    pub diff: DiffOutputArgs,
    /// Diff as `--adopt` would apply: take over existing objects that are not this release's
    #[arg(long)]
    pub adopt: bool,
    /// Diff as `--force-conflicts` would apply: take over fields other field managers own
    #[arg(long)]
    pub force_conflicts: bool,
}

#[derive(Debug, Args)]
pub struct DiffRevisionsArgs {
    /// Release name
    pub name: String,
    /// The older revision
    pub from: u64,
    /// The newer revision
    pub to: u64,
    #[command(flatten)]
    pub diff: DiffOutputArgs,
}
