//! The policy of a tier: defaults per tier, the `policy:` override section (chart `policy.yaml`,
//! then `tack.yaml`) and the merge that resolves them into the [`Policy`] a lint run applies.

use super::rules::{self, RuleKind};
use super::{Level, Severity};
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// How a production check is applied: `off`, `warning`, `error`, or `on` (the tier's default
/// severity, or error when the tier has production checks off).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Setting {
    Off,
    On,
    Warning,
    Error,
}

/// `checks:` is either one setting for every production check or a map of check id to setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Checks {
    All(Setting),
    Each(BTreeMap<String, Setting>),
}

/// The `policy:` section, as written in `tack.yaml` (defaults or an instance) or a chart's `policy.yaml`.
/// Every field is optional; unset fields keep what the layer below decided.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicySpec {
    /// Pod Security Standards level: privileged, baseline or restricted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    #[serde(
        default,
        alias = "require_digest",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_digest: Option<bool>,
    #[serde(
        default,
        alias = "require_network_policy",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_network_policy: Option<bool>,
}

/// A chart's `policy.yaml`: a [`PolicySpec`] for every tier plus optional per-tier sections.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ChartPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checks: Option<Checks>,
    #[serde(
        default,
        alias = "require_digest",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_digest: Option<bool>,
    #[serde(
        default,
        alias = "require_network_policy",
        skip_serializing_if = "Option::is_none"
    )]
    pub require_network_policy: Option<bool>,
    /// Overrides for one tier, applied over the chart-wide fields.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub tiers: BTreeMap<String, PolicySpec>,
}

/// The file a chart may carry next to Chart.yaml.
pub const CHART_POLICY_FILE: &str = "policy.yaml";

impl ChartPolicy {
    /// The chart's policy for one tier: chart-wide fields, then the tier's section.
    pub fn for_tier(&self, tier: Option<&str>) -> PolicySpec {
        let base = PolicySpec {
            level: self.level,
            checks: self.checks.clone(),
            require_digest: self.require_digest,
            require_network_policy: self.require_network_policy,
        };
        match tier.and_then(|t| self.tiers.get(t)) {
            Some(t) => merge(&base, t),
            None => base,
        }
    }
}

/// Read `policy.yaml` from a chart directory; `Ok(None)` when the chart has none.
pub fn load_chart_policy(chart_dir: &Path) -> Result<Option<ChartPolicy>> {
    let path = chart_dir.join(CHART_POLICY_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    parse_chart_policy(&text, &path.display().to_string()).map(Some)
}

/// Parse the text of a chart's `policy.yaml`; `origin` names the file in errors.
pub fn parse_chart_policy(text: &str, origin: &str) -> Result<ChartPolicy> {
    if text.trim().is_empty() {
        return Ok(ChartPolicy::default());
    }
    let policy: ChartPolicy = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
    validate(
        &PolicySpec {
            checks: policy.checks.clone(),
            ..Default::default()
        },
        origin,
    )?;
    for (tier, spec) in &policy.tiers {
        validate(spec, &format!("{origin} (tiers.{tier})"))?;
    }
    Ok(policy)
}

/// Parse a `policy:` section given as YAML text (for tests and callers holding raw text).
pub fn parse_spec(text: &str, origin: &str) -> Result<PolicySpec> {
    let spec: PolicySpec = serde_yaml::from_str(text).map_err(|e| yaml_error(origin, &e))?;
    validate(&spec, origin)?;
    Ok(spec)
}

fn yaml_error(origin: &str, e: &serde_yaml::Error) -> anyhow::Error {
    let at = e
        .location()
        .map(|l| format!(":{}:{}", l.line(), l.column()))
        .unwrap_or_default();
    let msg = e.to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg);
    anyhow::anyhow!(
        "{origin}{at}: invalid policy: {msg}\n\nhint: the policy section takes level (privileged, baseline, restricted), \
         checks (off, on, warning, error, or a map of check to one of those), requireDigest and requireNetworkPolicy; see docs/policies.md"
    )
}

/// Refuse check names that are not production checks, naming the known ones.
pub fn validate(spec: &PolicySpec, origin: &str) -> Result<()> {
    if let Some(Checks::Each(map)) = &spec.checks {
        for id in map.keys() {
            match rules::rule(id) {
                Some(r) if r.kind == RuleKind::Production => {}
                Some(_) => bail!(
                    "{origin}: policy check `{id}` is a Pod Security Standards control and follows `level`\n\n\
                     hint: choose the level (privileged, baseline, restricted) instead, or exempt single objects with the tack.dev/policy-exempt annotation"
                ),
                None => bail!(
                    "{origin}: unknown policy check `{id}`\n\nhint: the checks are {}",
                    rules::production_ids().collect::<Vec<_>>().join(", ")
                ),
            }
        }
    }
    Ok(())
}

/// Lay `over` on top of `base`: every field `over` sets wins; check maps merge key by key.
pub fn merge(base: &PolicySpec, over: &PolicySpec) -> PolicySpec {
    let checks = match (&base.checks, &over.checks) {
        (Some(Checks::Each(a)), Some(Checks::Each(b))) => {
            let mut m = a.clone();
            m.extend(b.iter().map(|(k, v)| (k.clone(), *v)));
            Some(Checks::Each(m))
        }
        (_, Some(o)) => Some(o.clone()),
        (b, None) => b.clone(),
    };
    PolicySpec {
        level: over.level.or(base.level),
        checks,
        require_digest: over.require_digest.or(base.require_digest),
        require_network_policy: over.require_network_policy.or(base.require_network_policy),
    }
}

/// The resolved policy of one release.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Tier name as given (`public`), or `none`.
    pub tier: String,
    pub level: Level,
    /// Severity of each enabled production check; a check not in the map is off.
    pub checks: BTreeMap<String, Severity>,
    pub require_digest: bool,
    pub require_network_policy: bool,
}

impl Policy {
    /// The built-in default of a tier: public = restricted + every check as error (NetworkPolicy
    /// required); work and unknown tiers = baseline + checks as warnings; private = baseline only.
    pub fn tier_default(tier: Option<&str>) -> Policy {
        let (level, severity, netpol) = match tier {
            Some("public") => (Level::Restricted, Some(Severity::Error), true),
            Some("private") => (Level::Baseline, None, false),
            _ => (Level::Baseline, Some(Severity::Warning), false),
        };
        let checks = match severity {
            Some(s) => rules::production_ids()
                .filter(|id| *id != "image-digest" && (*id != "network-policy" || netpol))
                .map(|id| (id.to_string(), s))
                .collect(),
            None => BTreeMap::new(),
        };
        Policy {
            tier: tier.unwrap_or("none").to_string(),
            level,
            checks,
            require_digest: false,
            require_network_policy: netpol,
        }
    }

    /// Severity of a production check, `None` when off.
    pub fn severity(&self, id: &str) -> Option<Severity> {
        self.checks.get(id).copied()
    }

    /// Apply one override layer.
    pub fn apply(&mut self, spec: &PolicySpec) {
        let default_on = self
            .checks
            .values()
            .copied()
            .max()
            .unwrap_or(Severity::Error);
        if let Some(level) = spec.level {
            self.level = level;
        }
        let set = |checks: &mut BTreeMap<String, Severity>, id: &str, s: Setting| match s {
            Setting::Off => {
                checks.remove(id);
            }
            Setting::On => {
                checks.entry(id.to_string()).or_insert(default_on);
            }
            Setting::Warning => {
                checks.insert(id.to_string(), Severity::Warning);
            }
            Setting::Error => {
                checks.insert(id.to_string(), Severity::Error);
            }
        };
        match &spec.checks {
            Some(Checks::All(s)) => {
                for id in rules::production_ids() {
                    if id == "image-digest" || id == "network-policy" {
                        // these follow requireDigest / requireNetworkPolicy below
                        if *s == Setting::Off {
                            self.checks.remove(id);
                        } else if self.checks.contains_key(id) {
                            set(&mut self.checks, id, *s);
                        }
                        continue;
                    }
                    set(&mut self.checks, id, *s);
                }
            }
            Some(Checks::Each(map)) => {
                for (id, s) in map {
                    set(&mut self.checks, id, *s);
                }
            }
            None => {}
        }
        let general = self
            .checks
            .values()
            .copied()
            .max()
            .unwrap_or(Severity::Error);
        if let Some(d) = spec.require_digest {
            self.require_digest = d;
            toggle(&mut self.checks, "image-digest", d, general);
        }
        if let Some(n) = spec.require_network_policy {
            self.require_network_policy = n;
            toggle(&mut self.checks, "network-policy", n, general);
        }
        if let Some(Checks::Each(map)) = &spec.checks {
            // an explicit severity for these two wins over the toggles' default
            for id in ["image-digest", "network-policy"] {
                if let Some(s) = map.get(id) {
                    set(&mut self.checks, id, *s);
                }
            }
        }
        self.require_digest = self.checks.contains_key("image-digest");
        self.require_network_policy = self.checks.contains_key("network-policy");
    }
}

fn toggle(checks: &mut BTreeMap<String, Severity>, id: &str, on: bool, severity: Severity) {
    if on {
        checks.entry(id.to_string()).or_insert(severity);
    } else {
        checks.remove(id);
    }
}

/// The policy of a release: the tier default, then the chart's `policy.yaml` for that tier, then
/// the `policy:` of tack.yaml (stack defaults merged with the instance, see [`merge`]).
pub fn resolve(
    tier: Option<&str>,
    chart: Option<&ChartPolicy>,
    stack: Option<&PolicySpec>,
) -> Policy {
    let mut policy = Policy::tier_default(tier);
    if let Some(c) = chart {
        policy.apply(&c.for_tier(tier));
    }
    if let Some(s) = stack {
        policy.apply(s);
    }
    policy
}
