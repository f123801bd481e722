//! Command-line types (clap derive) and nothing else: no logic lives here. Only `settings` and `commands`
//! read them.

use clap::{ArgMatches, Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

use crate::values::{SetArg, SetKind};

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

/// Where values come from, lowest layer first.
#[derive(Debug, Args, Clone, Default)]
pub struct LayerArgs {
    /// Environment layer: values/<ENV>.yaml (e.g. dev, staging, prod)
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Security-tier layer: values/<TIER>.yaml (e.g. private, work, public)
    #[arg(long, value_name = "TIER")]
    pub tier: Option<String>,
    /// Folder holding the env and tier layers
    #[arg(long, value_name = "DIR", default_value = "values")]
    pub values_dir: PathBuf,
    /// Values file layered above env and tier (repeatable, in order)
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Set a value: key.path=value, typed as Helm does (repeatable, comma-separated)
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set a value that always stays a string
    #[arg(long, value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Set a value to the contents of a file
    #[arg(long, value_name = "KEY=PATH")]
    pub set_file: Vec<String>,
    /// Set a value from JSON
    #[arg(long, value_name = "KEY=JSON")]
    pub set_json: Vec<String>,
    /// Set a value literally: no comma splitting, no escapes
    #[arg(long, value_name = "KEY=VAL")]
    pub set_literal: Vec<String>,
}

/// Options that shape rendering.
#[derive(Debug, Args, Clone)]
pub struct RenderArgs {
    /// Kubernetes version templates see as capabilities.kubeVersion
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// Extra API versions templates see in capabilities.apiVersions (repeatable)
    #[arg(long = "api-versions", value_name = "GROUP/VERSION")]
    pub api_versions: Vec<String>,
    /// Print undefined values as empty strings instead of failing
    #[arg(long)]
    pub lenient: bool,
    /// Never read the cluster from templates: `lookup` returns `{}` as when rendering offline
    #[arg(long)]
    pub no_lookup: bool,
    /// Most template instructions the whole chart may execute, subcharts and `tpl` included (guards against
    /// endless loops)
    #[arg(long, value_name = "N", default_value_t = crate::render::DEFAULT_FUEL)]
    pub fuel: u64,
    /// Most MiB of output the whole chart may render
    #[arg(long, value_name = "MiB", default_value_t = crate::render::DEFAULT_MAX_OUTPUT >> 20)]
    pub max_output: u64,
    /// Most MiB of memory rendering may add (strings built with `~` and `*` count)
    #[arg(long, value_name = "MiB", default_value_t = crate::limits::DEFAULT_MAX_RENDER_MEMORY >> 20)]
    pub max_render_memory: u64,
    /// Most MiB of text a values file may expand to (YAML aliases count every copy)
    #[arg(long, value_name = "MiB", default_value_t = crate::limits::DEFAULT_MAX_VALUES_BYTES >> 20)]
    pub max_values: u64,
    /// Version of a registry chart (`oci://...`): exact, or a semver range such as `^1.4` (default: the highest)
    #[arg(long = "version", value_name = "VERSION")]
    pub chart_version: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// How OCI registries are reached.
#[derive(Debug, Args, Clone, Default)]
pub struct RegistryArgs {
    /// PEM file of CA certificates to trust for registries (besides the system's)
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Talk to registries over plain HTTP instead of HTTPS (never done unless asked)
    #[arg(long)]
    pub plain_http: bool,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// Chart directory
    pub chart: PathBuf,
    /// Folder to write NAME-VERSION.tgz into
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// Chart package (NAME-VERSION.tgz, from `tack package`)
    pub package: PathBuf,
    /// Registry repository to push to: oci://HOST/PATH (the chart name and version are added)
    pub remote: String,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// Registry chart: oci://HOST/PATH/NAME (optionally :VERSION or @sha256:DIGEST)
    pub chart: String,
    /// Version to pull: exact, or a semver range such as `^1.4` (default: the highest)
    #[arg(long = "version", value_name = "VERSION")]
    pub chart_version: Option<String>,
    /// Unpack the chart into DIR/NAME instead of writing NAME-VERSION.tgz
    #[arg(long)]
    pub untar: bool,
    /// Folder to write into
    #[arg(short = 'd', long, value_name = "DIR", default_value = ".")]
    pub destination: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Subcommand)]
pub enum RegistryCommand {
    /// Check credentials against a registry and store them (Docker config file or its credential helper)
    Login(LoginArgs),
    /// Remove the stored credentials of a registry
    Logout {
        /// Registry host, e.g. registry.example.com or 127.0.0.1:5000
        host: String,
    },
}

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// Registry host, e.g. registry.example.com or 127.0.0.1:5000
    pub host: String,
    /// User name
    #[arg(short = 'u', long)]
    pub username: String,
    /// Read the password (or token) from standard input
    #[arg(long)]
    pub password_stdin: bool,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Subcommand)]
pub enum DependencyCommand {
    /// Resolve Chart.yaml's dependencies, write Chart.lock (versions and digests) and fill charts/
    Update(DependencyArgs),
    /// Install exactly what Chart.lock names into charts/
    Build(DependencyArgs),
}

#[derive(Debug, Args)]
pub struct DependencyArgs {
    /// Chart directory
    #[arg(default_value = ".")]
    pub chart: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Chart directory (not with --all, -l or --instance)
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub layers: LayerArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Release name templates see as release.name
    #[arg(long, default_value = "release-name")]
    pub name: String,
    /// Only print documents from these templates (path as in `# Source:` or relative to the chart)
    #[arg(short = 's', long, value_name = "PATH")]
    pub show_only: Vec<String>,
    /// Write each template's output to DIR/<chart>/templates/<file> instead of stdout
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Leave out the chart's crds/ files
    #[arg(long)]
    pub skip_crds: bool,
    /// Write the release namespace (-n) into every namespaced object that names none, so the output can be
    /// applied as is (stack instances always get their own namespace)
    #[arg(long)]
    pub set_namespace: bool,
    /// Show values in error excerpts and the values of Secrets read through `lookup` (masked by default)
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ValuesFormat {
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Chart directory (not with --instance)
    pub chart: Option<PathBuf>,
    /// Stack file (default: tack.yaml in the current directory)
    #[arg(long, value_name = "FILE")]
    pub stack: Option<PathBuf>,
    /// Print the values of this instance of the stack file
    #[arg(long, value_name = "NAME")]
    pub instance: Option<String>,
    /// Show how the values of --instance differ from this instance's, key by key, with the layer that set each
    #[arg(long, value_name = "NAME", requires = "instance")]
    pub compare: Option<String>,
    #[command(flatten)]
    pub layers: LayerArgs,
    /// Output format
    #[arg(short = 'o', long, value_enum, default_value = "yaml")]
    pub output: ValuesFormat,
    /// Explain one key: every layer's contribution (file and line) and the final value
    #[arg(long, value_name = "PATH")]
    pub explain: Option<String>,
    /// Print secret-looking values instead of masking them
    #[arg(long)]
    pub show_secrets: bool,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Chart directory (not with --all, -l or --instance)
    pub chart: Option<PathBuf>,
    #[command(flatten)]
    pub stack: StackArgs,
    #[command(flatten)]
    pub layers: LayerArgs,
    #[command(flatten)]
    pub render: RenderArgs,
    /// Lint every env x tier combination found in the values folder and print a summary table
    #[arg(long, conflicts_with_all = ["env", "tier"])]
    pub matrix: bool,
    /// Treat warnings as errors
    #[arg(long)]
    pub strict: bool,
    /// Show values in error excerpts (masked by default)
    #[arg(long)]
    pub show_secrets: bool,
    /// Also write the tier policy report to stdout in this format (for code scanning and CI test reports)
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: LintFormat,
    /// A Secret or ConfigMap the pods use that is created outside the chart, e.g. `Secret/db-credentials`
    /// (repeatable): no warning that the chart does not render it; with --cluster, checked to exist
    #[arg(long, value_name = "KIND/NAME")]
    pub external: Vec<String>,
    /// Also check against the cluster (read only): every kind is served, and every Secret and ConfigMap
    /// the pods need that the chart does not render exists in the release namespace (-n)
    #[arg(long)]
    pub cluster: bool,
}

/// Output format of `tack lint`'s policy report.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, Default)]
pub enum LintFormat {
    /// Problems as lines on stderr only
    #[default]
    Text,
    /// The policy report as JSON
    Json,
    /// SARIF 2.1.0, for code scanning
    Sarif,
    /// JUnit XML, one test case per object
    Junit,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The Helm chart directory
    pub helm_chart: PathBuf,
    /// Where to write the tack chart (must not exist, or be empty)
    pub out_dir: PathBuf,
    /// Also split `values-<env>.yaml` files into `values/<env>.yaml` layers
    #[arg(long)]
    pub env_layers: bool,
    /// Succeed even when some constructs could not be converted (they fail where used)
    #[arg(long)]
    pub allow_partial: bool,
}

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
    /// How long applying and waiting may take, e.g. `90s`, `5m`; past it the revision fails
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
    /// How long each delete hook may take, e.g. `90s`, `5m`
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

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum ShowWhat {
    /// Chart.yaml, values.yaml, the env and tier layers, the README and the CRDs, separated by `---`
    All,
    /// Chart.yaml
    Chart,
    /// values.yaml as written, comments kept
    Values,
    /// The env and tier layers of the values folder (--values-dir), each after a comment naming it
    Layers,
    /// The chart's README
    Readme,
    /// The files under crds/
    Crds,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  tack show values ./charts/webapp\n  tack show layers ./charts/webapp        # ./values/prod.yaml, ./values/public.yaml, ...\n  tack show chart oci://registry.example.com/charts/webapp --version '^1.4'\n  tack show all ./webapp-1.4.0.tgz"
)]
pub struct ShowArgs {
    /// What to print
    #[arg(value_enum)]
    pub what: ShowWhat,
    /// Chart: a folder, a package (.tgz) or a registry chart (oci://HOST/PATH/NAME)
    pub chart: PathBuf,
    /// Version of a registry chart: exact, or a semver range such as `^1.4` (default: the highest)
    #[arg(long = "version", value_name = "VERSION")]
    pub chart_version: Option<String>,
    /// Folder holding the env and tier layers (for `layers` and `all`)
    #[arg(long, value_name = "DIR", default_value = "values")]
    pub values_dir: PathBuf,
    #[command(flatten)]
    pub registry: RegistryArgs,
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

/// Which instances of a stack file (`tack.yaml`) a command works on, and how they run.
#[derive(Debug, Args, Clone, Default)]
pub struct StackArgs {
    /// Stack file (default: tack.yaml in the current directory)
    #[arg(long, value_name = "FILE")]
    pub stack: Option<PathBuf>,
    /// Every instance of the stack file
    #[arg(long, conflicts_with_all = ["selector", "instances"])]
    pub all: bool,
    /// Instances whose labels match, e.g. `tier=public,env=prod`, `tier!=private`, `tier in (work,public)`;
    /// repeat for "or"
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Vec<String>,
    /// An instance of the stack file, by name (repeatable)
    #[arg(long = "instance", value_name = "NAME")]
    pub instances: Vec<String>,
    /// Most instances worked on at once
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = parse_concurrency)]
    pub concurrency: usize,
    /// Start no further instance after one fails
    #[arg(long)]
    pub fail_fast: bool,
}

fn parse_concurrency(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "invalid concurrency `{s}`: expected a whole number of at least 1"
        )),
    }
}

/// The longest duration any flag accepts (about 100 years): far beyond any real wait, and safe to add to an
/// `Instant`.
const MAX_DURATION_SECS: u64 = 100 * 365 * 24 * 3600;

/// Parse `90s`, `5m`, `1h`, `1m30s` or plain seconds.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        if secs > MAX_DURATION_SECS {
            return Err(format!(
                "invalid duration `{s}`: too long (at most {MAX_DURATION_SECS}s, about 100 years)"
            ));
        }
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num
            .parse()
            .map_err(|_| format!("invalid duration `{s}`: expected e.g. `90s`, `5m`, `1h`"))?;
        num.clear();
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => {
                return Err(format!(
                    "invalid duration `{s}`: unknown unit `{c}` (use s, m or h)"
                ))
            }
        };
        total = n
            .checked_mul(unit)
            .and_then(|secs| total.checked_add(secs))
            .filter(|t| *t <= MAX_DURATION_SECS)
            .ok_or_else(|| {
                format!("invalid duration `{s}`: too long (at most {MAX_DURATION_SECS}s, about 100 years)")
            })?;
    }
    if !num.is_empty() {
        return Err(format!(
            "invalid duration `{s}`: a number needs a unit (s, m or h)"
        ));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// The `--set*` flags of the (sub)command in `matches`, in command-line order.
pub fn ordered_sets(matches: &ArgMatches) -> Vec<SetArg> {
    let mut out: Vec<(usize, SetArg)> = Vec::new();
    for (id, kind) in [
        ("set", SetKind::Set),
        ("set_string", SetKind::String),
        ("set_file", SetKind::File),
        ("set_json", SetKind::Json),
        ("set_literal", SetKind::Literal),
    ] {
        let Ok(Some(vals)) = matches.try_get_many::<String>(id) else {
            continue;
        };
        let Some(idx) = matches.indices_of(id) else {
            continue;
        };
        for (i, v) in idx.zip(vals) {
            out.push((
                i,
                SetArg {
                    kind,
                    expr: v.clone(),
                },
            ));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, s)| s).collect()
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
