//! What a release remembers of its layers. An upgrade or diff that names no `--env`/`--tier` reuses the ones
//! recorded with the deployed revision (forgetting them would redeploy a production release with the chart's
//! defaults); naming different ones is a change the commands show prominently. The values the `-f` files and
//! `--set*` flags gave are reused by Helm's rules (`--reuse-values`, `--reset-values`,
//! `--reset-then-reuse-values`, and by default only when no file or flag is given).

use super::deploy;
use super::target::Target;
use crate::cluster::Cluster;
use crate::release::Layers;
use crate::storage::secrets::SecretStore;
use anyhow::Result;

/// How values of the previous revision are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reuse {
    /// Reuse them only when no `-f` file or `--set*` flag is given (Helm's default).
    #[default]
    Default,
    /// Always lay them under the new files and flags.
    Reuse,
    /// Never: only the new files and flags.
    Reset,
    /// The new chart's defaults, then the previous values, then the new files and flags.
    ResetThenReuse,
}

/// What recalling a release's layers did to a target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recalled {
    /// The revision whose layers were read.
    pub revision: Option<u64>,
    /// What was reused (`env `prod` and tier `public` as recorded with revision 3`).
    pub notes: Vec<String>,
    /// Layers the command line changes (`tier: public -> private`).
    pub changes: Vec<String>,
}

/// The layers recorded with the deployed revision of a release (else its latest), if it has any. A history
/// that cannot be read is an error (guessing the env and tier is not safe); a record that cannot be decoded is
/// a warning, and the command line's layers are used alone.
pub async fn recorded(c: &Cluster, ns: &str, name: &str) -> Result<Option<(u64, Layers)>> {
    let store = SecretStore::new(c.client.clone());
    let history = deploy::read_history(&store, ns, name).await?;
    let pick = deploy::current_deployed(&history, ns, name).or_else(|| history.last().cloned());
    let Some(summary) = pick else {
        return Ok(None);
    };
    match deploy::load(&store, ns, name, summary.revision).await {
        Ok(rel) => Ok(Some((rel.revision, rel.layers))),
        Err(e) => {
            crate::events::warn(format!(
                "{e:#}; its recorded env, tier and values are not reused, only the command line's"
            ));
            Ok(None)
        }
    }
}

/// Fill in what the target leaves out from what the release recorded, and name what it changes.
pub fn apply(target: &mut Target, recorded: Option<(u64, Layers)>, reuse: Reuse) -> Recalled {
    let Some((rev, rec)) = recorded else {
        return Recalled::default();
    };
    let mut out = Recalled {
        revision: Some(rev),
        ..Default::default()
    };
    let mut reused = Vec::new();
    for (what, given, was) in [
        ("env", &mut target.layers.env, rec.env.clone()),
        ("tier", &mut target.layers.tier, rec.tier.clone()),
    ] {
        match (given.as_ref(), was) {
            (None, Some(w)) => {
                reused.push(format!("{what} `{w}`"));
                *given = Some(w);
            }
            (Some(g), Some(w)) if *g != w => out.changes.push(format!("{what}: {w} -> {g}")),
            (Some(g), None) => out.changes.push(format!("{what}: (none) -> {g}")),
            _ => {}
        }
    }
    if !reused.is_empty() {
        out.notes.push(format!(
            "{} as recorded with revision {rev} (name --env/--tier to change)",
            reused.join(" and ")
        ));
    }
    let given = !target.layers.files.is_empty() || !target.layers.sets.is_empty();
    let reuse_values = match reuse {
        Reuse::Reset => false,
        Reuse::Reuse | Reuse::ResetThenReuse => true,
        Reuse::Default => !given,
    };
    if let (true, Some(values)) = (reuse_values, rec.overrides) {
        target.layers.previous = Some((format!("values of revision {rev}"), values));
        out.notes.push(if reuse == Reuse::Default {
            format!("no -f or --set given: reusing the values given to revision {rev} (--reset-values drops them)")
        } else {
            format!("reusing the values given to revision {rev}, under the new -f and --set")
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{LayerRequest, SetArg, SetKind};

    fn target(env: Option<&str>, tier: Option<&str>, sets: &[&str]) -> Target {
        Target {
            name: "shop".into(),
            namespace: "shop".into(),
            chart: None,
            layers: LayerRequest {
                env: env.map(str::to_string),
                tier: tier.map(str::to_string),
                sets: sets.iter().map(|s| SetArg::new(SetKind::Set, *s)).collect(),
                ..Default::default()
            },
            instance: None,
            cluster: None,
            selected: true,
        }
    }

    fn recorded() -> Option<(u64, Layers)> {
        Some((
            3,
            Layers {
                env: Some("prod".into()),
                tier: Some("public".into()),
                overrides: Some(serde_json::json!({"image": {"tag": "2.8.1"}})),
                ..Default::default()
            },
        ))
    }

    #[test]
    fn an_upgrade_without_env_and_tier_keeps_the_recorded_ones() {
        let mut t = target(None, None, &["replicaCount=3"]);
        let r = apply(&mut t, recorded(), Reuse::Default);
        assert_eq!(t.layers.env.as_deref(), Some("prod"));
        assert_eq!(t.layers.tier.as_deref(), Some("public"));
        assert!(r.changes.is_empty());
        assert_eq!(
            r.notes,
            ["env `prod` and tier `public` as recorded with revision 3 (name --env/--tier to change)"]
        );
        assert!(
            t.layers.previous.is_none(),
            "a --set was given: nothing reused by default"
        );
    }

    #[test]
    fn naming_another_tier_is_a_change() {
        let mut t = target(Some("prod"), Some("private"), &[]);
        let r = apply(&mut t, recorded(), Reuse::Reset);
        assert_eq!(r.changes, ["tier: public -> private"]);
        assert_eq!(t.layers.tier.as_deref(), Some("private"));
        assert!(t.layers.previous.is_none());
    }

    #[test]
    fn values_are_reused_by_helm_rules() {
        let mut t = target(None, None, &[]);
        apply(&mut t, recorded(), Reuse::Default);
        let (label, values) = t
            .layers
            .previous
            .clone()
            .expect("reused when nothing is given");
        assert_eq!(label, "values of revision 3");
        assert_eq!(values["image"]["tag"], "2.8.1");
        let mut t = target(None, None, &["a=1"]);
        apply(&mut t, recorded(), Reuse::Reuse);
        assert!(t.layers.previous.is_some());
        let mut t = target(None, None, &[]);
        apply(&mut t, recorded(), Reuse::Reset);
        assert!(t.layers.previous.is_none());
        let mut t = target(None, None, &[]);
        assert_eq!(apply(&mut t, None, Reuse::Reuse), Recalled::default());
    }
}
