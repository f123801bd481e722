//! The real cluster side of the lifecycle core: server-side apply, pruning and readiness through
//! `cluster::apply` and `cluster::wait`, reporting progress as events.

use super::deploy::{Change, DeployOptions, Deployer};
use crate::cluster::apply::{self, to_id, to_ref, ApplyOptions, DeleteOutcome, Outcome, Stats};
use crate::cluster::resources::Resolver;
use crate::cluster::wait::{self, Readiness};
use crate::cluster::Cluster;
use crate::events::{self, Progress};
use crate::manifest::ObjectRef;
use crate::release::ObjectId;
use anyhow::Result;
use serde_json::Value;
use std::time::Duration;

/// The action of a dry run's object whose kind a CRD of the same release defines.
const NOT_VALIDATED: &str = "created (not validated: its CustomResourceDefinition is part of this release and not installed yet, so the server cannot check it)";

/// Applies through the API server.
pub struct ClusterDeployer {
    pub cluster: Cluster,
    pub resolver: Resolver,
    pub stats: Stats,
    pub dry_run: bool,
}

impl ClusterDeployer {
    pub fn new(cluster: Cluster) -> ClusterDeployer {
        let resolver = Resolver::new(cluster.client.clone());
        ClusterDeployer {
            cluster,
            resolver,
            stats: Stats::default(),
            dry_run: false,
        }
    }

    fn options(&self, opts: &DeployOptions) -> ApplyOptions {
        ApplyOptions {
            adopt: opts.adopt,
            force_conflicts: opts.force_conflicts,
            dry_run: self.dry_run,
            delete_crds: opts.delete_crds,
            ..ApplyOptions::new(&opts.name, &opts.namespace)
        }
    }
}

impl Deployer for ClusterDeployer {
    async fn prepare(&self, objects: Vec<Value>, opts: &DeployOptions) -> Result<Vec<Value>> {
        apply::prepare(&self.resolver, objects, &self.options(opts)).await
    }

    async fn apply(&self, objects: &[Value], opts: &DeployOptions) -> Result<Vec<Change>> {
        let applied = apply::apply(
            &self.cluster,
            &self.resolver,
            objects,
            &self.options(opts),
            &self.stats,
        )
        .await
        .map_err(anyhow::Error::new)?;
        Ok(applied
            .into_iter()
            .map(|a| Change {
                object: to_id(&a.object),
                action: match (a.outcome, a.validated) {
                    // a dry run installs no CRD, so the server cannot check objects of a kind it defines
                    (Outcome::Created, false) => NOT_VALIDATED,
                    (Outcome::Created, _) => "created",
                    (Outcome::Configured, _) => "configured",
                    (Outcome::Unchanged, _) => "unchanged",
                }
                .to_string(),
            })
            .collect())
    }

    async fn delete(&self, objects: &[ObjectId], opts: &DeployOptions) -> Result<Vec<Change>> {
        let refs: Vec<ObjectRef> = objects.iter().map(to_ref).collect();
        let done = apply::delete(
            &self.cluster,
            &self.resolver,
            &refs,
            &self.options(opts),
            &self.stats,
        )
        .await?;
        Ok(done
            .into_iter()
            .map(|(r, outcome)| Change {
                object: to_id(&r),
                action: match outcome {
                    DeleteOutcome::Deleted => "deleted".to_string(),
                    DeleteOutcome::AlreadyGone => "already gone".to_string(),
                    DeleteOutcome::KeptNotOwned(owner) => format!("kept ({owner})"),
                    DeleteOutcome::Kept(why) => format!("kept ({why})"),
                },
            })
            .collect())
    }

    async fn preflight(&self, objects: &[Value], _opts: &DeployOptions) -> Result<()> {
        apply::check_stored_versions(&self.cluster, &self.resolver, objects, &self.stats).await
    }

    async fn check_plan(&self, plan: &super::plan::SavedPlan) -> Result<()> {
        super::plan::check_live(&self.cluster, plan).await
    }

    async fn wait(&self, objects: &[ObjectId], timeout: Duration) -> Result<()> {
        let refs: Vec<ObjectRef> = objects.iter().map(to_ref).collect();
        let mut progress = |states: &[(ObjectRef, Readiness)]| {
            let rows: Vec<(String, Progress)> = states
                .iter()
                .map(|(r, st)| {
                    let p = match st {
                        Readiness::Ready => Progress::Ready,
                        Readiness::InProgress(why) => Progress::Waiting(why.clone()),
                        Readiness::Failed(why) => Progress::Failed(why.clone()),
                    };
                    (r.to_string(), p)
                })
                .collect();
            events::progress(rows);
        };
        events::note(format!(
            "waiting up to {}s for {} objects to be ready",
            timeout.as_secs(),
            refs.len()
        ));
        wait::wait_ready(
            &self.cluster,
            &self.resolver,
            &refs,
            timeout,
            &mut progress,
            &self.stats,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    async fn delete_hook(&self, hook: &ObjectId, opts: &DeployOptions) -> Result<bool> {
        crate::cluster::hooks::delete_and_wait(
            &self.cluster,
            &self.resolver,
            &to_ref(hook),
            &self.options(opts),
            opts.timeout,
            &self.stats,
        )
        .await
    }

    async fn wait_hook(&self, hook: &ObjectId, timeout: Duration) -> Result<()> {
        wait::wait_hook(
            &self.cluster,
            &self.resolver,
            &to_ref(hook),
            timeout,
            &self.stats,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    }

    async fn hook_report(&self, hook: &ObjectId, logs: bool) -> Vec<String> {
        crate::cluster::hooks::pod_report(&self.cluster, &to_ref(hook), logs, &self.stats).await
    }
}
