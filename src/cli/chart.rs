//! Flags of the commands that work on charts without a cluster: template, values, lint, convert, show,
//! package, push, pull, registry, dependency.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;

use super::*;

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
