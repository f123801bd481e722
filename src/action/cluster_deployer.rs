//! The real cluster side of the lifecycle core: server-side apply, pruning and readiness through
//! `cluster::apply` and `cluster::wait`, and `lookup` for templates.

use super::deploy::{Change, DeployOptions, Deployer};
use crate::cluster::apply::{self, ApplyOptions, DeleteOutcome, ObjectRef, Outcome, Stats};
use crate::cluster::resources::Resolver;
use crate::cluster::wait::{self, Readiness};
use crate::cluster::Cluster;
use crate::release::ObjectId;
use anyhow::Result;
use serde_json::Value;
use std::time::Duration;

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
            release_name: opts.name.clone(),
            release_namespace: opts.namespace.clone(),
            adopt: opts.adopt,
            force_conflicts: opts.force_conflicts,
            dry_run: self.dry_run,
            concurrency: 8,
        }
    }
}

pub fn to_ref(id: &ObjectId) -> ObjectRef {
    ObjectRef {
        api_version: id.api_version.clone(),
        kind: id.kind.clone(),
        namespace: id.namespace.clone(),
        name: id.name.clone(),
    }
}

pub fn to_id(r: &ObjectRef) -> ObjectId {
    ObjectId {
        api_version: r.api_version.clone(),
        kind: r.kind.clone(),
        namespace: r.namespace.clone(),
        name: r.name.clone(),
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
                action: match a.outcome {
                    Outcome::Created => "created",
                    Outcome::Configured => "configured",
                    Outcome::Unchanged => "unchanged",
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
                },
            })
            .collect())
    }

    async fn wait(&self, objects: &[ObjectId], timeout: Duration) -> Result<()> {
        let refs: Vec<ObjectRef> = objects.iter().map(to_ref).collect();
        let mut display = crate::output::LiveStatus::new();
        let mut progress = |states: &[(ObjectRef, Readiness)]| {
            let rows: Vec<(String, crate::output::Progress)> = states
                .iter()
                .map(|(r, st)| {
                    let p = match st {
                        Readiness::Ready => crate::output::Progress::Ready,
                        Readiness::InProgress(why) => crate::output::Progress::Waiting(why.clone()),
                        Readiness::Failed(why) => crate::output::Progress::Failed(why.clone()),
                    };
                    (r.to_string(), p)
                })
                .collect();
            display.update(&rows);
        };
        crate::output::note(format!(
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
}

/// `lookup` for templates, reading live objects through the cluster client.
pub struct ClusterLookup {
    pub client: kube::Client,
    pub handle: tokio::runtime::Handle,
}

impl crate::render::tpl::Lookup for ClusterLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>> {
        let client = self.client.clone();
        let (api_version, kind, namespace, name) = (
            api_version.to_string(),
            kind.to_string(),
            namespace.to_string(),
            name.to_string(),
        );
        tokio::task::block_in_place(|| {
            self.handle.block_on(async move {
                let resolver = Resolver::new(client.clone());
                let (ar, namespaced) = resolver.resolve(&api_version, &kind).await?;
                let api: kube::Api<kube::api::DynamicObject> =
                    if namespaced && !namespace.is_empty() {
                        kube::Api::namespaced_with(client, &namespace, &ar)
                    } else {
                        kube::Api::all_with(client, &ar)
                    };
                if name.is_empty() {
                    let list = api.list(&Default::default()).await?;
                    let items: Vec<Value> = list
                        .items
                        .into_iter()
                        .map(|o| serde_json::to_value(o).unwrap_or_default())
                        .collect();
                    return Ok(Some(serde_json::json!({ "items": items })));
                }
                Ok(api
                    .get_opt(&name)
                    .await?
                    .map(|o| serde_json::to_value(o).unwrap_or_default()))
            })
        })
    }
}
