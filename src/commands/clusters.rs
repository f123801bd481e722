//! The clusters a command's targets live in, connected once each: a stack file may spread its instances over
//! several clusters (`clusters:` in tack.yaml). A cluster that cannot be reached fails its own instances
//! only; every cluster runs at most `--concurrency` instances at once, all clusters in parallel.

use super::Ctx;
use crate::cluster::{self, Cluster};
use crate::ops::target::{Target, Targets};
use crate::stack::runner::Job;
use anyhow::{anyhow, Result};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long a declared cluster gets to answer its first request before its instances fail.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Connected clusters, by the stack file's cluster name (`None`: the command's kubeconfig and context).
pub struct Clusters {
    by_name: BTreeMap<Option<String>, Result<Cluster, String>>,
    permits: BTreeMap<Option<String>, Arc<Semaphore>>,
    /// The cluster of each target, by target name.
    of_target: BTreeMap<String, Option<String>>,
}

impl Clusters {
    /// The client for `t`'s cluster, or why its cluster cannot be used.
    pub fn get(&self, t: &Target) -> Result<Cluster> {
        self.get_name(&t.cluster_name())
    }

    fn get_name(&self, name: &Option<String>) -> Result<Cluster> {
        match self.by_name.get(name) {
            Some(Ok(c)) => Ok(c.clone()),
            Some(Err(e)) => Err(anyhow!("{e}")),
            None => Err(anyhow!("no connection to {}", shown(name))),
        }
    }

    /// The clusters that answered, with their names.
    pub fn reachable(&self) -> impl Iterator<Item = (&Option<String>, &Cluster)> {
        self.by_name
            .iter()
            .filter_map(|(n, c)| c.as_ref().ok().map(|c| (n, c)))
    }

    /// How many clusters the selected targets use.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Wrap each job's payload with the permit pool of its cluster.
    pub fn bound<T>(&self, jobs: Vec<Job<T>>) -> Vec<Job<(Option<Arc<Semaphore>>, T)>> {
        jobs.into_iter()
            .map(|j| {
                let sem = self
                    .of_target
                    .get(&j.name)
                    .and_then(|c| self.permits.get(c))
                    .cloned();
                Job {
                    name: j.name,
                    namespace: j.namespace,
                    payload: (sem, j.payload),
                }
            })
            .collect()
    }
}

fn shown(name: &Option<String>) -> String {
    match name {
        Some(n) => format!("cluster `{n}`"),
        None => "the cluster".to_string(),
    }
}

/// A runtime, and one client per cluster the selected targets use. Without declared clusters this is the one
/// connection of the command's kubeconfig and context, and failing to build it is the command's error, as
/// before. Declared clusters are each asked for their version (in parallel); one that does not answer is
/// recorded, and its instances fail with that error while the others run.
pub fn connect(ctx: &Ctx, targets: &Targets) -> Result<(tokio::runtime::Runtime, Clusters)> {
    let rt = cluster::runtime()?;
    let mut wanted: BTreeMap<Option<String>, cluster::Target> = BTreeMap::new();
    let mut of_target = BTreeMap::new();
    for t in targets.selected() {
        let name = t.cluster_name();
        of_target.insert(t.name.clone(), name.clone());
        wanted.entry(name).or_insert_with(|| {
            ctx.settings
                .cluster_for(t.instance.as_ref().and_then(|i| i.cluster.as_ref()))
        });
    }
    if wanted.is_empty() {
        wanted.insert(None, ctx.settings.cluster());
    }
    let declared = wanted.keys().any(Option::is_some);
    let mut by_name = BTreeMap::new();
    if !declared {
        let c = rt.block_on(cluster::connect(&ctx.settings.cluster()))?;
        by_name.insert(None, Ok(c));
    } else {
        let results = rt.block_on(futures::future::join_all(wanted.into_iter().map(
            |(name, target)| async move {
                let r = async {
                    let c = cluster::connect(&target).await?;
                    cluster::server_version(&c, PROBE_TIMEOUT).await?;
                    Ok::<_, anyhow::Error>(c)
                }
                .await;
                (name, r)
            },
        )));
        for (name, r) in results {
            let r = r.map_err(|e| {
                let text = crate::stack::runner::error_text(&e);
                let text = text.trim_start_matches("error: ");
                format!(
                    "{} cannot be reached, so nothing was done here: {text}",
                    shown(&name)
                )
            });
            by_name.insert(name, r);
        }
    }
    let permits = by_name
        .keys()
        .map(|n| {
            (
                n.clone(),
                Arc::new(Semaphore::new(targets.run.concurrency.max(1))),
            )
        })
        .collect();
    Ok((
        rt,
        Clusters {
            by_name,
            permits,
            of_target,
        },
    ))
}
