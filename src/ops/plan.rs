//! Approved plans: `tack diff --save-plan` records what it showed (each object with its live resourceVersion,
//! the chart, values and manifest digests, the deployed revision); `tack upgrade --plan` applies only that and
//! refuses, naming what changed, when anything differs by the time it runs (checked under the release lock).

use crate::cluster::{versions, Cluster};
use crate::diff::{Action, Plan};
use crate::manifest::ObjectRef;
use crate::release::ChartInfo;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

pub const PLAN_API_VERSION: &str = "tack.dev/plan/v1";

/// A plan file is small; anything past this is not one.
const MAX_PLAN_BYTES: u64 = 16 << 20;

/// What a saved plan records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedPlan {
    pub api_version: String,
    pub release: String,
    pub namespace: String,
    /// The deployed revision the plan was computed against (`None`: not installed).
    pub revision: Option<u64>,
    pub chart: PlanChart,
    /// sha256 of the merged values (a digest only: values may be secret).
    pub values_digest: String,
    /// sha256 of the rendered manifest.
    pub manifest_digest: String,
    pub objects: Vec<PlannedObject>,
    pub saved_at: jiff::Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanChart {
    pub name: String,
    pub version: String,
    pub digest: String,
}

/// One object the plan showed, with its live resourceVersion then (`None`: it did not exist).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedObject {
    #[serde(flatten)]
    pub object: ObjectRef,
    pub action: String,
    pub resource_version: Option<String>,
}

/// What a render produced, as a plan records and checks it.
pub struct Rendered<'a> {
    pub chart: PlanChart,
    pub values: &'a Value,
    pub manifest: &'a str,
}

impl<'a> Rendered<'a> {
    pub fn of(chart: &ChartInfo, values: &'a Value, manifest: &'a str) -> Rendered<'a> {
        Rendered {
            chart: PlanChart {
                name: chart.name.clone(),
                version: chart.version.clone(),
                digest: chart.digest.clone(),
            },
            values,
            manifest,
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

fn values_digest(values: &Value) -> String {
    sha256(&serde_json::to_vec(values).unwrap_or_default())
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Add => "add",
        Action::Change => "change",
        Action::Delete => "delete",
        Action::Unchanged => "unchanged",
    }
}

/// Record `plan` with the live resourceVersion of each of its objects.
pub async fn save(
    c: &Cluster,
    plan: &Plan,
    rendered: &Rendered<'_>,
    revision: Option<u64>,
) -> Result<SavedPlan> {
    let refs: Vec<ObjectRef> = plan.entries.iter().map(|e| e.object.clone()).collect();
    let rvs = versions::resource_versions(c, &refs).await?;
    Ok(SavedPlan {
        api_version: PLAN_API_VERSION.into(),
        release: plan.subject.release.clone(),
        namespace: plan.subject.namespace.clone(),
        revision,
        chart: rendered.chart.clone(),
        values_digest: values_digest(rendered.values),
        manifest_digest: sha256(rendered.manifest.as_bytes()),
        objects: plan
            .entries
            .iter()
            .zip(rvs)
            .map(|(e, rv)| PlannedObject {
                object: e.object.clone(),
                action: action_word(e.action).into(),
                resource_version: rv,
            })
            .collect(),
        saved_at: jiff::Timestamp::now(),
    })
}

/// Read a plan file written by `tack diff --save-plan`.
pub fn read(path: &Path) -> Result<SavedPlan> {
    let text = crate::limits::read_capped(path, MAX_PLAN_BYTES, "plan file")?;
    let plan: SavedPlan = serde_json::from_str(&text).with_context(|| {
        format!(
            "`{}` is not a plan written by `tack diff --save-plan`",
            path.display()
        )
    })?;
    if plan.api_version != PLAN_API_VERSION {
        bail!(
            "plan file `{}` has apiVersion `{}`; this tack reads `{PLAN_API_VERSION}`\n\nhint: save the plan again with this tack",
            path.display(),
            plan.api_version
        );
    }
    Ok(plan)
}

const HINT: &str =
    "hint: run `tack diff ... --save-plan FILE` again and have the new plan approved";

/// The plan was made for this release, chart, values and manifest; every difference is named.
pub fn check_rendered(plan: &SavedPlan, name: &str, ns: &str, r: &Rendered<'_>) -> Result<()> {
    let mut diffs = Vec::new();
    if (plan.release.as_str(), plan.namespace.as_str()) != (name, ns) {
        diffs.push(format!(
            "it is the plan of release `{}` in namespace `{}`, not `{name}` in `{ns}`",
            plan.release, plan.namespace
        ));
    }
    if plan.chart.digest != r.chart.digest {
        diffs.push(format!(
            "the chart changed: {} {} ({}) was planned, {} {} ({}) is given",
            plan.chart.name,
            plan.chart.version,
            plan.chart.digest,
            r.chart.name,
            r.chart.version,
            r.chart.digest
        ));
    }
    if plan.values_digest != values_digest(r.values) {
        diffs.push("the values changed (values files, --set flags or layers)".into());
    }
    if plan.manifest_digest != sha256(r.manifest.as_bytes()) {
        diffs.push("the rendered manifest changed".into());
    }
    refuse(&plan.release, diffs)
}

/// Nothing the plan showed changed in the cluster: the deployed revision and every object's resourceVersion
/// are as recorded. Called under the release lock, right before the first write.
pub async fn check_live(c: &Cluster, plan: &SavedPlan) -> Result<()> {
    let refs: Vec<ObjectRef> = plan.objects.iter().map(|o| o.object.clone()).collect();
    let now = versions::resource_versions(c, &refs).await?;
    let mut diffs = Vec::new();
    for (o, rv) in plan.objects.iter().zip(now) {
        match (&o.resource_version, rv) {
            (a, b) if *a == b => {}
            (None, Some(_)) => {
                diffs.push(format!("{} was created since the plan was saved", o.object))
            }
            (Some(_), None) => {
                diffs.push(format!("{} was deleted since the plan was saved", o.object))
            }
            (Some(a), Some(b)) => diffs.push(format!(
                "{} changed since the plan was saved (resourceVersion {a}, now {b})",
                o.object
            )),
            (None, None) => {}
        }
    }
    refuse(&plan.release, diffs)
}

/// The deployed revision is still the one the plan was computed against.
pub fn check_revision(plan: &SavedPlan, deployed: Option<u64>) -> Result<()> {
    if plan.revision == deployed {
        return Ok(());
    }
    let shown = |r: Option<u64>| r.map_or("none".to_string(), |r| format!("revision {r}"));
    refuse(
        &plan.release,
        vec![format!(
            "the deployed revision changed: the plan was made against {}, now {} is deployed",
            shown(plan.revision),
            shown(deployed)
        )],
    )
}

fn refuse(release: &str, diffs: Vec<String>) -> Result<()> {
    if diffs.is_empty() {
        return Ok(());
    }
    bail!(
        "the approved plan of release `{release}` no longer matches; nothing was applied:\n  - {}\n\n{HINT}",
        diffs.join("\n  - ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(values: &Value, manifest: &str) -> SavedPlan {
        SavedPlan {
            api_version: PLAN_API_VERSION.into(),
            release: "web".into(),
            namespace: "shop".into(),
            revision: Some(3),
            chart: chart("sha256:aa"),
            values_digest: values_digest(values),
            manifest_digest: sha256(manifest.as_bytes()),
            objects: vec![],
            saved_at: jiff::Timestamp::now(),
        }
    }

    fn chart(digest: &str) -> PlanChart {
        PlanChart {
            name: "webapp".into(),
            version: "1.0.0".into(),
            digest: digest.into(),
        }
    }

    #[test]
    fn a_plan_matches_only_the_same_release_chart_values_and_manifest() {
        let values = serde_json::json!({"replicaCount": 2, "password": "hunter2"});
        let plan = saved(&values, "kind: A\n");
        let same = Rendered {
            chart: chart("sha256:aa"),
            values: &values,
            manifest: "kind: A\n",
        };
        check_rendered(&plan, "web", "shop", &same).unwrap();
        let json = serde_json::to_string(&plan).unwrap();
        assert!(!json.contains("hunter2"), "values only as a digest: {json}");

        let other_values = serde_json::json!({"replicaCount": 3, "password": "hunter2"});
        let changed = Rendered {
            chart: chart("sha256:bb"),
            values: &other_values,
            manifest: "kind: B\n",
        };
        let msg = format!(
            "{:#}",
            check_rendered(&plan, "api", "shop", &changed).unwrap_err()
        );
        for want in [
            "plan of release `web`",
            "the chart changed",
            "the values changed",
            "the rendered manifest changed",
            "--save-plan",
        ] {
            assert!(msg.contains(want), "{want}: {msg}");
        }
    }

    #[test]
    fn a_plan_refuses_another_deployed_revision() {
        let plan = saved(&Value::Null, "");
        check_revision(&plan, Some(3)).unwrap();
        let msg = format!("{:#}", check_revision(&plan, Some(4)).unwrap_err());
        assert!(
            msg.contains("made against revision 3, now revision 4"),
            "{msg}"
        );
    }
}
