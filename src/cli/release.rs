//! Flags of the commands that change or read releases: install, upgrade, rollback, uninstall, history,
//! status, list, get, unlock, test, version, import.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::*;

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Only print the client version; do not contact a cluster
    #[arg(long)]
    pub client: bool,
    /// How long to wait for the server, e.g. `10s`, `1m` (plain numbers are seconds)
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// How a dry run is done.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum DryRun {
    /// Render and print the plan; no cluster access
    Client,
    /// Ask the API server (server-side dry-run); nothing is written
    Server,
}

/// Output format of the read commands.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum ReadFormat {
    #[default]
    Table,
    Json,
    Yaml,
}

/// Options of operations that change a release.
#[derive(Debug, Args, Clone)]
pub struct DeployArgs {
    /// Wait until every object is ready (Deployments available, Jobs complete, ...)
    #[arg(long)]
    pub wait: bool,
    /// How long applying and waiting may take, e.g. `90s`, `5m`; past it the revision fails. Everything
    /// before the first write (history, lock, checks) must also end within it, counted from the start
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// On failure, roll back to the previous revision (implies --wait)
    #[arg(long)]
    pub atomic: bool,
    /// Take over existing objects that no release owns, or that another release owns
    #[arg(long)]
    pub adopt: bool,
    /// Take over fields that another field manager owns (server-side apply conflicts)
    #[arg(long)]
    pub force_conflicts: bool,
    /// Revisions to keep (0: all); the deployed revision is always kept
    #[arg(long, default_value_t = 10)]
    pub history_max: usize,
    /// Wait for another operation on the release to finish instead of failing (default 5m)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "5m", value_parser = parse_duration)]
    pub wait_for_lock: Option<std::time::Duration>,
    /// Allow pruning the Namespace that holds the release records
    #[arg(long)]
    pub allow_namespace_delete: bool,
    /// Deploy even when the manifest breaks the tier policy (the override is logged)
    #[arg(long)]
    pub allow_policy_violations: bool,
    /// Do not run the chart's hooks (they are still recorded with the revision)
    #[arg(long)]
    pub no_hooks: bool,
    /// With --wait, do not wait for Services of type LoadBalancer (for clusters without a load balancer
    /// controller); they are still applied
    #[arg(long)]
    pub wait_skip_load_balancers: bool,
    /// Prune CustomResourceDefinitions the chart no longer has (this deletes every custom resource of them);
    /// without it they are kept
    #[arg(long)]
    pub delete_crds: bool,
    /// Record this description with the revision instead of `install complete` and the like (shown by `history`)
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Output format of the result: the release's revision, status, objects and notes as JSON or YAML
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
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
    pub deploy: DeployArgs,
    /// Create the release namespace if it does not exist
    #[arg(long)]
    pub create_namespace: bool,
    /// Only show what would happen: `client` renders the plan, `server` asks the API server
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "client", require_equals = true)]
    pub dry_run: Option<DryRun>,
    /// Print Secret values in dry-run output
    #[arg(long)]
    pub show_secrets: bool,
    /// Refuse (instead of warning) when the values folder has env or tier layers and none is named
    #[arg(long)]
    pub strict: bool,
    /// Labels of the release, e.g. `team=shop,owner=payments` (repeatable); an upgrade keeps earlier ones,
    /// `KEY=null` removes one. `tack list -l` selects on them.
    #[arg(long, value_name = "KEY=VAL")]
    pub labels: Vec<String>,
}

/// How an upgrade treats the values the previous revision was given (`-f` files and `--set*` flags).
#[derive(Debug, Args, Clone, Default)]
pub struct ReuseArgs {
    /// Lay the values given to the deployed revision under this command's -f and --set
    #[arg(long, conflicts_with_all = ["reset_values", "reset_then_reuse_values"])]
    pub reuse_values: bool,
    /// Forget the values given to the deployed revision: only this command's -f and --set count
    #[arg(long, conflicts_with = "reset_then_reuse_values")]
    pub reset_values: bool,
    /// The new chart's defaults, then the values given to the deployed revision, then this command's -f and --set
    #[arg(long)]
    pub reset_then_reuse_values: bool,
}

#[derive(Debug, Args)]
pub struct UpgradeArgs {
    #[command(flatten)]
    pub common: InstallArgs,
    #[command(flatten)]
    pub reuse: ReuseArgs,
    /// Install the release if it is not installed yet
    #[arg(short = 'i', long)]
    pub install: bool,
    /// Apply the plan saved by `tack diff --save-plan FILE`, refusing if the chart, the values, the deployed
    /// revision or any object it showed changed since
    #[arg(long, value_name = "FILE", conflicts_with = "dry_run")]
    pub plan: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Release name (with --instance or -l: leave it out, or give only the revision)
    pub name: Option<String>,
    /// Revision to roll back to (default: the revision deployed before the current one)
    pub revision: Option<u64>,
    #[command(flatten)]
    pub deploy: DeployArgs,
    #[command(flatten)]
    pub stack: StackArgs,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Release name (not with --all, -l or --instance)
    pub name: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Keep the records, marked uninstalled
    #[arg(long)]
    pub keep_history: bool,
    /// Do not run the pre-delete and post-delete hooks
    #[arg(long)]
    pub no_hooks: bool,
    /// Delete the release's CustomResourceDefinitions too, and with them every custom resource of them in
    /// every namespace; without it they are kept
    #[arg(long)]
    pub delete_crds: bool,
    /// How long each delete hook may take, e.g. `90s`, `5m`; reading the release before anything is
    /// deleted must also end within it, counted from the start
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Wait for another operation on the release to finish instead of failing (default 5m)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "5m", value_parser = parse_duration)]
    pub wait_for_lock: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Release name
    pub name: String,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
    /// Show only the newest N revisions
    #[arg(long, value_name = "N")]
    pub max: Option<usize>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Release name (not with --all, -l or --instance)
    pub name: Option<String>,
    #[command(flatten)]
    pub stack: StackArgs,
    /// Show this revision instead of the latest
    #[arg(long)]
    pub revision: Option<u64>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Releases of all namespaces
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Only releases whose latest revision has this status (deployed, failed, pending-upgrade, ...)
    #[arg(long)]
    pub status: Option<String>,
    /// Only releases whose name matches this regular expression
    #[arg(short = 'f', long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Only releases whose labels (`--labels`) match, e.g. `team=shop`, `tier!=public`, `env in (prod,staging)`
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// Print release names only, one per line
    #[arg(long)]
    pub short: bool,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum GetWhat {
    /// Metadata, values (given and computed), hooks, manifest and notes, one section each
    All,
    /// The objects the revision applied (Secret values masked)
    Manifest,
    /// The values the user gave (env and tier layers named, -f and --set merged); --all for the computed values
    Values,
    /// Name, namespace, revision, status, chart, env, tier, labels, times and description
    Metadata,
    /// The chart's NOTES, as rendered for the revision
    Notes,
    /// The revision's hooks: their objects, events, weights, delete policies and last runs
    Hooks,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tack get all web -n shop\n  tack get values web -n shop            # what was given: env, tier, -f, --set\n  tack get values web -n shop --all -o json\n  tack get manifest web -n shop --revision 3\n  tack get metadata web -n shop -o yaml"
)]
pub struct GetArgs {
    /// What to print
    #[arg(value_enum)]
    pub what: GetWhat,
    /// Release name
    pub name: String,
    /// Revision (default: the latest)
    #[arg(long)]
    pub revision: Option<u64>,
    /// Print Secret data and secret-looking values instead of masking them
    #[arg(long)]
    pub show_secrets: bool,
    /// With `values`: the computed values (chart defaults and every layer merged), not only the given ones
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Output format of `values` and `metadata` (`table` is YAML with a comment for values)
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
}

#[derive(Debug, Args)]
pub struct UnlockArgs {
    /// Release name
    pub name: String,
    /// Remove the lock even when its holder may still be running (it then fails at its next write)
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Release name
    pub name: String,
    /// Show the tail of every test pod's log, also of tests that passed
    #[arg(long)]
    pub logs: bool,
    /// How long each test may take, e.g. `90s`, `5m`
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Wait for another operation on the release to finish instead of failing (default 5m)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "5m", value_parser = parse_duration)]
    pub wait_for_lock: Option<std::time::Duration>,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Take over a Helm 3 or 4 release: every revision becomes a tack record, the live objects tack's
    #[command(
        long_about = "Take over a release that Helm 3 or 4 manages. Every revision in Helm's records (Secrets, or \
ConfigMaps with HELM_DRIVER=configmap) becomes a tack record with its status, values, manifest, chart, notes and \
timestamps. The live objects of the deployed revision become tack's without their specs changing: Helm's ownership \
annotations are replaced by tack's, and the fields Helm's field manager owned are handed to tack's server-side apply \
manager, so the next `tack upgrade` neither conflicts nor leaves stale fields behind. Refused while a Helm operation \
is pending, and when a tack release of that name exists that is not an earlier import of this one (importing again is \
safe). Helm's records are kept unless --remove-helm-records. See docs/coming-from-helm.md.",
        after_help = "Examples:\n  tack import helm web -n shop --dry-run    # revisions, objects, field managers\n  tack import helm web -n shop\n  tack import helm web -n shop --remove-helm-records   # gone from `helm list`\n  tack convert ./web ./web-tack && tack diff web ./web-tack -n shop   # then"
    )]
    Helm(ImportHelmArgs),
}

#[derive(Debug, Args)]
pub struct ImportHelmArgs {
    /// Name of the Helm release (the tack release gets the same name, in the same namespace)
    pub name: String,
    /// Show what the import would do (revisions, objects, field managers) without writing anything
    #[arg(long)]
    pub dry_run: bool,
    /// Delete Helm's records once the import succeeded (`helm list` no longer shows the release)
    #[arg(long)]
    pub remove_helm_records: bool,
    /// A field manager whose fields tack takes over (repeatable; Helm uses the name of its binary)
    #[arg(
        long = "helm-field-manager",
        value_name = "NAME",
        default_value = "helm"
    )]
    pub helm_field_managers: Vec<String>,
    /// Wait for another operation on the release to finish instead of failing (default 5m)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "5m", value_parser = parse_duration)]
    pub wait_for_lock: Option<std::time::Duration>,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: ReadFormat,
}
