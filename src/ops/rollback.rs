//! Rollback: re-apply the stored manifest of an earlier revision as a new revision.

use super::deploy::{self, DeployOptions, Desired, Op, Outcome};
use super::deployer::ClusterDeployer;
use crate::cluster;
use crate::release::{Status, Summary};
use crate::storage::secrets::SecretStore;
use anyhow::{bail, Result};

/// The revision to roll back to: the one asked for; else, when the latest revision failed, the deployed one
/// (the failed operation may have changed some of its objects); else the newest revision before the current
/// deployed one that was once deployed (now superseded).
pub fn pick_target(history: &[Summary], asked: Option<u64>, name: &str) -> Result<u64> {
    if history.is_empty() {
        bail!("release `{name}` has no history\n\nhint: check the name and namespace with `tack list -A`");
    }
    if let Some(rev) = asked {
        if !history.iter().any(|s| s.revision == rev) {
            let revs: Vec<String> = history.iter().map(|s| s.revision.to_string()).collect();
            bail!(
                "release `{name}` has no revision {rev}\n\nhint: revisions kept: {}",
                revs.join(", ")
            );
        }
        return Ok(rev);
    }
    let current = history
        .iter()
        .rev()
        .find(|s| s.status == Status::Deployed)
        .map(|s| s.revision)
        .unwrap_or(u64::MAX);
    // the latest revision failed part-way: put the deployed one back (its objects may be half-replaced)
    if let Some(latest) = history.last() {
        if latest.status == Status::Failed && current != u64::MAX && latest.revision > current {
            return Ok(current);
        }
    }
    history
        .iter()
        .rev()
        .find(|s| s.revision < current && s.status == Status::Superseded)
        .map(|s| s.revision)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "release `{name}` has no earlier deployed revision to roll back to\n\nhint: name one explicitly: `tack rollback {name} REVISION` (see `tack history {name}`)"
            )
        })
}

/// Roll release `dopts.name` in `dopts.namespace` back to `revision` (default: see [`pick_target`]).
/// Returns the revision rolled back to and the outcome; prints nothing itself.
pub async fn rollback_release(
    c: &cluster::Cluster,
    revision: Option<u64>,
    dopts: &DeployOptions,
) -> Result<(u64, Outcome)> {
    let (ns, name) = (dopts.namespace.as_str(), dopts.name.as_str());
    let store = SecretStore::new(c.client.clone());
    let (rev, stored) = crate::deadline::within(
        dopts.prepare_by.as_ref(),
        "reading the release history",
        async {
            let history = deploy::read_history(&store, ns, name).await?;
            let rev = pick_target(&history, revision, name)?;
            Ok((rev, deploy::load(&store, ns, name, rev).await?))
        },
    )
    .await?;
    let desired = Desired {
        objects: deploy::manifest_objects(&stored)?,
        chart: stored.chart,
        manifest: stored.manifest,
        values: stored.values,
        layers: stored.layers,
        notes: stored.notes,
        labels: stored.labels,
    };
    let deployer = ClusterDeployer::new(c.clone());
    let out = deploy::run(&store, &deployer, Op::Rollback(rev), desired, dopts).await?;
    Ok((rev, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(rev: u64, status: Status) -> Summary {
        Summary {
            name: "web".into(),
            namespace: "shop".into(),
            revision: rev,
            status,
            chart: "c-1".into(),
            app_version: None,
            updated: String::new(),
            description: String::new(),
            source: None,
            labels: Default::default(),
        }
    }

    #[test]
    fn default_target_is_the_previously_deployed_revision() {
        let h = [
            s(1, Status::Superseded),
            s(2, Status::Superseded),
            s(3, Status::Failed),
            s(4, Status::Deployed),
            s(5, Status::Failed),
        ];
        // the latest revision failed: the deployed one is re-applied
        assert_eq!(pick_target(&h, None, "web").unwrap(), 4);
        assert_eq!(pick_target(&h[..4], None, "web").unwrap(), 2);
        let err = pick_target(
            &[s(1, Status::Deployed), s(2, Status::Failed)][..1],
            None,
            "web",
        );
        assert!(err.is_err());
        assert_eq!(
            pick_target(&[s(1, Status::Deployed), s(2, Status::Failed)], None, "web").unwrap(),
            1
        );
        assert_eq!(pick_target(&h, Some(1), "web").unwrap(), 1);
        let err = pick_target(&h, Some(9), "web").unwrap_err().to_string();
        assert!(
            err.contains("no revision 9") && err.contains("1, 2, 3, 4, 5"),
            "{err}"
        );
        let err = pick_target(&[s(1, Status::Deployed)], None, "web")
            .unwrap_err()
            .to_string();
        assert!(err.contains("no earlier deployed revision"), "{err}");
    }
}
