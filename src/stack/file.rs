//! Reading `tack.yaml`: typed with serde (unknown keys are errors, with their line), then checked as a
//! whole (names, namespaces, charts, labels, `set` entries), every problem reported with `file:line:col`.

pub use super::file_clusters::ClusterRef;
pub use super::names::is_dns_label;
use crate::values::{self, located, PathSeg, SetArg, SetKind};
use anyhow::{anyhow, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The stack file looked for in the current directory.
pub const FILE_NAME: &str = "tack.yaml";

/// Labels every instance has without writing them.
pub const IMPLICIT_LABELS: &[&str] = &["name", "namespace", "env", "tier", "chart", "cluster"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawStack {
    /// Clusters instances deploy to, by name (see docs/stacks.md#clusters).
    #[serde(default)]
    clusters: BTreeMap<String, super::file_clusters::RawCluster>,
    #[serde(default)]
    defaults: RawDefaults,
    /// Tier policy overrides chosen by instance labels, applied in order after `defaults.policy` and before
    /// an instance's own `policy:`.
    #[serde(default)]
    policies: Vec<RawPolicyRule>,
    instances: Vec<RawInstance>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPolicyRule {
    /// A label selector, as `-l` takes it (`tier=public`, `tier in (work,public)`).
    selector: String,
    policy: crate::policy::PolicySpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawDefaults {
    chart: Option<String>,
    cluster: Option<String>,
    values_dir: Option<String>,
    env: Option<String>,
    tier: Option<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    /// The tier policy every instance starts from (see docs/policies.md).
    policy: Option<crate::policy::PolicySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawInstance {
    name: String,
    namespace: String,
    chart: Option<String>,
    cluster: Option<String>,
    values_dir: Option<String>,
    env: Option<String>,
    tier: Option<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    set: Vec<String>,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    allow_cluster_scoped: Vec<String>,
    #[serde(default)]
    allow_shared_namespace: bool,
    /// Overrides of the tier policy for this instance, above `defaults.policy`.
    policy: Option<crate::policy::PolicySpec>,
}

/// A `set` entry of an instance, with where it is written.
#[derive(Clone, Debug)]
pub struct SetEntry {
    pub expr: String,
    pub line: usize,
    pub column: usize,
}

/// One instance: a release of a chart in its own namespace with its own values layers.
#[derive(Clone, Debug)]
pub struct Instance {
    /// The release name.
    pub name: String,
    pub namespace: String,
    /// The cluster it deploys to; `None` is the command's kubeconfig and context.
    pub cluster: Option<ClusterRef>,
    /// Chart directory, resolved against the stack file's folder.
    pub chart: PathBuf,
    pub values_dir: PathBuf,
    pub env: Option<String>,
    pub tier: Option<String>,
    /// Extra values files (resolved), layered above env and tier.
    pub values: Vec<PathBuf>,
    pub set: Vec<SetEntry>,
    /// Free-form labels (defaults merged in); see [`Instance::labels`] for the implicit ones.
    pub free_labels: BTreeMap<String, String>,
    pub allow_cluster_scoped: Vec<String>,
    pub allow_shared_namespace: bool,
    /// The `policy:` of `defaults` and of the instance, merged (the instance wins).
    pub policy: Option<crate::policy::PolicySpec>,
    /// The stack file, as shown in messages.
    pub file: String,
    /// Line of the instance in the stack file.
    pub line: usize,
}

impl Instance {
    /// `tack.yaml:12`, for messages.
    pub fn at(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }

    /// Every label a selector sees: the free-form ones plus name, namespace, env, tier and chart.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut out = self.free_labels.clone();
        out.insert("name".into(), self.name.clone());
        out.insert("namespace".into(), self.namespace.clone());
        if let Some(e) = &self.env {
            out.insert("env".into(), e.clone());
        }
        if let Some(t) = &self.tier {
            out.insert("tier".into(), t.clone());
        }
        let chart = self.chart.to_string_lossy();
        if let Ok(r) = crate::oci::ChartRef::parse(&chart) {
            // a registry chart is labelled by its name, without tag or digest
            out.insert("chart".into(), r.name().to_string());
        } else if let Some(c) = self.chart.file_name() {
            out.insert("chart".into(), c.to_string_lossy().into_owned());
        }
        if let Some(c) = &self.cluster {
            out.insert("cluster".into(), c.name.clone());
        }
        out
    }

    /// Whether the stack file lets this instance render cluster-scoped objects of `kind`.
    pub fn allows(&self, kind: &str) -> bool {
        self.allow_cluster_scoped
            .iter()
            .any(|k| k == kind || k == "*")
    }

    /// The `set` entries as `--set` flags, in order.
    pub fn set_args(&self) -> Vec<SetArg> {
        self.set
            .iter()
            .map(|s| SetArg::new(SetKind::Set, s.expr.clone()))
            .collect()
    }
}

/// A parsed stack file.
#[derive(Clone, Debug)]
pub struct Stack {
    pub path: PathBuf,
    pub instances: Vec<Instance>,
}

impl Stack {
    /// Read `path`, or `tack.yaml` in the current directory.
    pub fn load(path: Option<&Path>) -> Result<Stack> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(FILE_NAME);
                if !p.is_file() {
                    let cwd = std::env::current_dir().unwrap_or_default();
                    return Err(anyhow!(
                        "no stack file: there is no `{FILE_NAME}` in `{}`\n\nhint: run from the folder that holds it, pass --stack FILE, or write one (see docs/stacks.md)",
                        cwd.display()
                    ));
                }
                p
            }
        };
        let text = values::read_text_file(&path, "stack file")?;
        parse(&text, &path)
    }

    /// The instance called `name`.
    pub fn get(&self, name: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.name == name)
    }
}

/// Parse the text of a stack file found at `path` (relative paths in it are resolved against its folder).
pub fn parse(text: &str, path: &Path) -> Result<Stack> {
    let shown = path.display().to_string();
    // the values loader gives precise syntax errors and a position for every key
    let (_, positions, _) = values::parse_yaml(text, &shown)?;
    let raw: RawStack = serde_yaml::from_str(text).map_err(|e| {
        let (line, col) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
        let msg = e.to_string();
        let msg = msg.find(" at line ").map_or(msg.as_str(), |i| &msg[..i]);
        located(
            &shown,
            text,
            line,
            col,
            msg,
            "see docs/stacks.md (or docs/tack.schema.json) for the keys of a stack file",
        )
    })?;
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut errors: Vec<String> = Vec::new();
    let at = |segs: &[PathSeg]| -> (usize, usize) { positions.nearest(segs).unwrap_or((1, 1)) };
    let err_at = |segs: &[PathSeg], msg: &str, hint: &str| -> String {
        let (line, col) = at(segs);
        located(&shown, text, line, col, msg, hint).to_string()
    };
    if raw.instances.is_empty() {
        errors.push(err_at(
            &[key("instances")],
            "`instances` is empty",
            "list at least one instance with `name`, `namespace` and `chart`",
        ));
    }
    let clusters = super::file_clusters::read(&raw.clusters, &dir, &err_at, &mut errors);
    let cluster_of = |name: &str, segs: &[PathSeg], errors: &mut Vec<String>| {
        super::file_clusters::resolve(&clusters, name, segs, &err_at, errors)
    };
    if let Some(d) = &raw.defaults.cluster {
        cluster_of(d, &[key("defaults"), key("cluster")], &mut errors);
    }
    let mut rules = Vec::new();
    for (i, rule) in raw.policies.iter().enumerate() {
        let segs = [key("policies"), PathSeg::Index(i), key("selector")];
        match super::selector::parse(&rule.selector) {
            Ok(sel) => rules.push((sel, &rule.policy)),
            Err(e) => errors.push(err_at(
                &segs,
                &format!("bad policy selector: {e:#}"),
                "write it as `-l` takes it, e.g. `tier=public` or `tier in (work,public)`",
            )),
        }
    }
    let mut first_line: BTreeMap<String, usize> = BTreeMap::new();
    let mut instances = Vec::new();
    for (i, r) in raw.instances.into_iter().enumerate() {
        let p = |k: &str| vec![key("instances"), PathSeg::Index(i), key(k)];
        let line = at(&[key("instances"), PathSeg::Index(i)]).0;
        if let Err(e) = crate::release::validate_name(&r.name) {
            errors.push(err_at(
                &p("name"),
                &e.to_string().replace("\n\nhint:", ";"),
                "",
            ));
        }
        if let Some(first) = first_line.get(&r.name) {
            errors.push(err_at(
                &p("name"),
                &format!(
                    "instance name `{}` is used twice (first at line {first})",
                    r.name
                ),
                "instance names are release names and must be unique in a stack file",
            ));
        } else {
            first_line.insert(r.name.clone(), line);
        }
        if !is_dns_label(&r.namespace) {
            errors.push(err_at(
                &p("namespace"),
                &format!("instance `{}`: `{}` is not a valid namespace name", r.name, r.namespace),
                "use at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit",
            ));
        }
        let cluster = match (&r.cluster, &raw.defaults.cluster) {
            (Some(c), _) => cluster_of(c, &p("cluster"), &mut errors),
            (None, Some(d)) => clusters.get(d).cloned(),
            (None, None) => None,
        };
        let chart = r.chart.or_else(|| raw.defaults.chart.clone());
        if chart.is_none() {
            errors.push(err_at(
                &[key("instances"), PathSeg::Index(i)],
                &format!("instance `{}` names no chart", r.name),
                "set `chart:` on the instance, or in `defaults`",
            ));
        }
        let mut free_labels = raw.defaults.labels.clone();
        for (k, v) in r.labels {
            if IMPLICIT_LABELS.contains(&k.as_str()) {
                errors.push(err_at(
                    &[key("instances"), PathSeg::Index(i), key("labels"), key(&k)],
                    &format!("instance `{}`: label `{k}` is implicit and cannot be set", r.name),
                    "every instance has the labels name, namespace, env, tier, chart and cluster; use another key",
                ));
            }
            free_labels.insert(k, v);
        }
        let mut set = Vec::new();
        for (j, expr) in r.set.into_iter().enumerate() {
            let segs = [
                key("instances"),
                PathSeg::Index(i),
                key("set"),
                PathSeg::Index(j),
            ];
            let (line, column) = at(&segs);
            let arg = SetArg::new(SetKind::Set, expr.clone());
            if let Err(e) = values::parse_set(&arg, &dir) {
                errors.push(err_at(
                    &segs,
                    &format!("instance `{}`: bad `set` entry: {e:#}", r.name),
                    "",
                ));
            }
            set.push(SetEntry { expr, line, column });
        }
        for (j, kind) in r.allow_cluster_scoped.iter().enumerate() {
            if kind.trim().is_empty() {
                errors.push(err_at(
                    &[
                        key("instances"),
                        PathSeg::Index(i),
                        key("allowClusterScoped"),
                        PathSeg::Index(j),
                    ],
                    "`allowClusterScoped` holds an empty kind",
                    "list kinds such as ClusterRole or IngressClass",
                ));
            }
        }
        let values_dir = r
            .values_dir
            .or_else(|| raw.defaults.values_dir.clone())
            .unwrap_or_else(|| "values".into());
        let own_policy = r.policy.clone();
        let origin = format!("{shown}:{line} (instance `{}`)", r.name);
        instances.push(Instance {
            policy: None,
            chart: match chart.unwrap_or_default() {
                // registry charts are references, not paths
                c if c.starts_with("oci://") => c.into(),
                c => dir.join(c),
            },
            values_dir: dir.join(values_dir),
            env: r.env.or_else(|| raw.defaults.env.clone()),
            tier: r.tier.or_else(|| raw.defaults.tier.clone()),
            values: r.values.iter().map(|v| dir.join(v)).collect(),
            set,
            free_labels,
            allow_cluster_scoped: r.allow_cluster_scoped,
            allow_shared_namespace: r.allow_shared_namespace,
            file: shown.clone(),
            line,
            name: r.name,
            namespace: r.namespace,
            cluster,
        });
        // the policy: defaults, then the label-chosen rules in order, then the instance's own
        if let Some(inst) = instances.last_mut() {
            let labels = inst.labels();
            let layers: Vec<&crate::policy::PolicySpec> = raw
                .defaults
                .policy
                .iter()
                .chain(
                    rules
                        .iter()
                        .filter(|(sel, _)| sel.matches(&labels))
                        .map(|(_, p)| *p),
                )
                .chain(own_policy.iter())
                .collect();
            if !layers.is_empty() {
                let merged = layers
                    .iter()
                    .fold(crate::policy::PolicySpec::default(), |acc, p| {
                        crate::policy::merge(&acc, p)
                    });
                if let Err(e) = crate::policy::config::validate(&merged, &origin) {
                    errors.push(format!("{e:#}"));
                }
                inst.policy = Some(merged);
            }
        }
    }
    if !errors.is_empty() {
        let n = errors.len();
        let mut msg = errors.join("\n\n");
        if n > 1 {
            msg.push_str(&format!("\n\n{n} problems in stack file `{shown}`"));
        }
        return Err(anyhow!(msg));
    }
    Ok(Stack {
        path: path.to_path_buf(),
        instances,
    })
}

fn key(k: &str) -> PathSeg {
    PathSeg::Key(k.to_string())
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
