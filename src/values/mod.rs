//! Values layers: load YAML with line positions, merge layers, apply `--set` flags, explain and validate.
//!
//! The flow is `resolve(LayerRequest)`: every layer (chart defaults, env, tier, env-tier, `-f` files,
//! `--set*` flags) is loaded on its own, kept with its positions for provenance, and folded into one
//! tree with [`merge`] (files) or its assignments (flags). `explain` and `validate_schema` then answer
//! "who set this" from the kept layers. Nothing here prints; warnings are returned to the caller.

mod explain;
mod layers;
mod merge;
mod path;
mod provenance;
mod scalar;
mod schema;
mod set;
mod set_apply;
mod set_mask;
mod set_parser;
mod source;
mod unknown;
mod yaml;
mod yaml_tree;

use std::fmt;
use std::path::PathBuf;

pub use explain::{explain, explain_with, ExplainEntry, ExplainOptions, Explanation, Status};
pub use layers::{
    layer_catalog, layer_files_available, overrides, resolve, LayerCatalog, KNOWN_ENVS, KNOWN_TIERS,
};
pub use merge::merge;
pub use path::{format_path, lookup, parse_path, PathSeg, Positions};
pub use provenance::Effect;
pub use schema::{validate_schema, SchemaViolation};
pub use set::{apply_assignment, Assignment};
pub use set_apply::{apply_set, SetBudget};
pub use set_parser::parse_set;
pub use unknown::{unknown_keys, UnknownKey};
pub use yaml::{load_yaml_file, parse_yaml};

pub(crate) use source::{located, read_text_file};

/// The values tree. The top level is always an object; maps are sorted by key.
pub type Values = serde_json::Value;

/// Largest values file (or `--set-file` file) read, checked before reading.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Most YAML nodes one file may expand to, aliases included (stops "billion laughs").
pub const MAX_NODES: usize = 1_000_000;
/// Deepest nesting of maps and lists in a values file.
pub const MAX_DEPTH: usize = 1000;
/// Largest list index accepted by `--set` (Helm's limit).
pub const MAX_LIST_INDEX: usize = 65536;
/// Most `.`-separated name levels in one `--set` key (Helm's limit).
pub const MAX_SET_NAME_LEVELS: usize = 30;
/// Most values (map entries, list items up to every `[n]`, nodes of JSON values) that all `--set*` flags
/// of one render may build together: a short flag cannot make tack allocate gigabytes. Four lists with
/// Helm's largest index fit.
pub const MAX_SET_ELEMENTS: usize = 300_000;
/// Most bytes of keys and text that all `--set*` flags of one render may bring in (`--set-file` included).
pub const MAX_SET_BYTES: usize = 64 << 20;

/// Which `--set*` flag a [`SetArg`] came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetKind {
    /// `--set`: Helm typing (bools, null, int64), comma-separated, escapes.
    Set,
    /// `--set-string`: like `--set` but every value stays a string.
    String,
    /// `--set-file key=path`: the value is the content of the file at `path`.
    File,
    /// `--set-json key=<json>`: the value is a JSON document.
    Json,
    /// `--set-literal key=value`: one assignment, the value taken verbatim.
    Literal,
}

impl SetKind {
    /// The command-line flag, e.g. `--set-string`.
    pub fn flag(self) -> &'static str {
        match self {
            SetKind::Set => "--set",
            SetKind::String => "--set-string",
            SetKind::File => "--set-file",
            SetKind::Json => "--set-json",
            SetKind::Literal => "--set-literal",
        }
    }
}

/// One `--set*` flag as given on the command line.
#[derive(Clone, Debug)]
pub struct SetArg {
    pub kind: SetKind,
    pub expr: String,
}

impl SetArg {
    pub fn new(kind: SetKind, expr: impl Into<String>) -> Self {
        SetArg {
            kind,
            expr: expr.into(),
        }
    }
}

impl fmt::Display for SetArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind.flag(), self.expr)
    }
}

/// Everything [`resolve`] needs to build the values of one render.
#[derive(Clone, Debug, Default)]
pub struct LayerRequest {
    /// The chart's `values.yaml`; `None` or a missing file gives an empty layer.
    pub chart_values: Option<PathBuf>,
    /// Folder holding `<env>.yaml`, `<tier>.yaml`, `<env>-<tier>.yaml` (and optionally `layers.yaml`).
    pub values_dir: PathBuf,
    pub env: Option<String>,
    pub tier: Option<String>,
    /// Values a previous revision was given (`--reuse-values`): a layer above env and tier and below the
    /// `-f` files, shown with the label given here (e.g. "values of revision 3").
    pub previous: Option<(String, Values)>,
    /// `-f` files, in command-line order.
    pub files: Vec<PathBuf>,
    /// `--set*` flags, in command-line order.
    pub sets: Vec<SetArg>,
    /// Folder that relative `--set-file` paths are resolved against.
    pub base_dir: PathBuf,
}

/// Where a layer came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    File(PathBuf),
    /// The flag as typed, e.g. `--set image.tag=1.2`.
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Flag(s) => f.write_str(s),
        }
    }
}

/// One layer of values, kept separately for provenance.
#[derive(Clone, Debug)]
pub struct Layer {
    /// "chart defaults", "env `prod`", "tier `public`", "env-tier `prod-public`", "-f `<file>`", "--set".
    pub label: String,
    pub origin: Origin,
    /// This layer's own tree, before merging.
    pub tree: Values,
    /// Where each key path was written: (line, column), 1-based. For flags the line is 1 and the
    /// column is the character position of the key in the flag's expression.
    pub positions: Positions,
    /// For flag layers, the assignments in order (they are applied in place, not merged);
    /// empty for file layers.
    pub assignments: Vec<Assignment>,
}

impl Layer {
    /// Where the layer came from, safe to print: the file path, or the flag as typed, except that
    /// a flag assigning a secret-looking key is rebuilt with `<redacted>` in place of its values.
    pub fn source(&self) -> String {
        let Origin::Flag(text) = &self.origin else {
            return self.origin.to_string();
        };
        if !self.assignments.iter().any(|a| path_is_secret(&a.path)) {
            return text.clone();
        }
        let flag = text.split(' ').next().unwrap_or_default();
        let parts: Vec<String> = self
            .assignments
            .iter()
            .map(|a| {
                let value = match &a.value {
                    _ if path_is_secret(&a.path) => "<redacted>".to_string(),
                    Values::String(s) => s.clone(),
                    other => other.to_string(),
                };
                format!("{}={value}", format_path(&a.path))
            })
            .collect();
        format!("{flag} {}", parts.join(","))
    }
}

/// The merged values with every layer that went into them.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub values: Values,
    pub layers: Vec<Layer>,
    pub warnings: Vec<Warning>,
}

/// A problem worth telling the user about that does not stop the render.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// File (or flag) the warning is about.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Words that make a key secret, matched anywhere in the key and in any case.
const SECRET_WORDS: [&str; 9] = [
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "api_key",
    "privatekey",
    "private_key",
    "credential",
];

/// Whether values under this key must never be printed (passwords, tokens, keys, ...).
pub fn is_secret_key(key: &str) -> bool {
    if key.is_ascii() {
        // the common case, without building the expression below (about a millisecond, on every run)
        let key = key.as_bytes();
        return SECRET_WORDS.iter().any(|w| {
            key.windows(w.len())
                .any(|at| at.eq_ignore_ascii_case(w.as_bytes()))
        });
    }
    secret_key_pattern().is_match(key)
}

/// [`SECRET_WORDS`] with Unicode case folding (`ſecret` is `secret`), for keys that are not ASCII.
fn secret_key_pattern() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(&format!("(?i)({})", SECRET_WORDS.join("|"))).expect("static regex")
    })
}

/// Whether any key along `path` looks secret, so the value there must be redacted.
pub fn path_is_secret(path: &[PathSeg]) -> bool {
    path.iter().any(|s| match s {
        PathSeg::Key(k) => is_secret_key(k),
        PathSeg::Index(_) => false,
    })
}

/// Compact JSON for a value, cut to about `max` characters, with secret-looking keys inside
/// maps replaced by `<redacted>`.
pub fn render_value(value: &Values, max: usize) -> String {
    let text = redacted(value).to_string();
    truncate(&text, max)
}

/// A copy of `value` where every entry under a secret-looking key reads `<redacted>`.
pub fn redacted(value: &Values) -> Values {
    match value {
        Values::Object(map) => Values::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) {
                        Values::String("<redacted>".into())
                    } else {
                        redacted(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Values::Array(items) => Values::Array(items.iter().map(redacted).collect()),
        other => other.clone(),
    }
}

pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests;
