//! Flags many commands share: values layers (`--env`, `--tier`, `-f`, `--set*`), rendering limits, how
//! registries are reached, and which stack instances a command works on.

use clap::Args;
use std::path::PathBuf;

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
    /// Most instances worked on at once (default: 4; a diff compares every selected instance at once)
    #[arg(long, value_name = "N", value_parser = parse_concurrency)]
    pub concurrency: Option<usize>,
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
