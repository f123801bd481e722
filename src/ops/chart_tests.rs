//! `tack test`: run the `test` hooks of a release's deployed revision, every one of them (a failure does
//! not stop the others), record their runs in that revision and return each outcome.

use super::deploy::{self, object_id, DeployOptions, Deployer};
use super::deployer::ClusterDeployer;
use super::{hooks, lock, records};
use crate::cluster::Cluster;
use crate::manifest::hooks::{for_event, Event};
use crate::release::{HookRun, ObjectId};
use crate::storage::secrets::SecretStore;
use crate::storage::ReleaseStore;
use anyhow::{bail, Result};

/// How one test went.
#[derive(Debug, Clone)]
pub struct TestOutcome {
    pub hook: ObjectId,
    pub run: HookRun,
}

/// The tests of a release: the revision they ran against and each outcome, in run order.
#[derive(Debug)]
pub struct Suite {
    pub revision: u64,
    pub outcomes: Vec<TestOutcome>,
}

impl Suite {
    pub fn failed(&self) -> usize {
        self.outcomes.iter().filter(|o| !o.run.succeeded).count()
    }
}

/// The options of a test run of release `name` in `namespace`: each test may take `timeout`.
pub fn options(
    namespace: &str,
    name: &str,
    (timeout, wait_for_lock): (std::time::Duration, Option<std::time::Duration>),
    command: &str,
) -> DeployOptions {
    let mut o = super::uninstall::uninstall_options(namespace, name, wait_for_lock, command);
    o.timeout = timeout;
    o
}

/// Run the tests of release `opts.name` in the cluster.
pub async fn test_release(c: &Cluster, opts: &DeployOptions, logs: bool) -> Result<Suite> {
    let store = SecretStore::new(c.client.clone());
    let deployer = ClusterDeployer::new(c.clone());
    run_tests(&store, &deployer, opts, logs).await
}

/// Run the tests under the release lock.
pub async fn run_tests<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
    logs: bool,
) -> Result<Suite> {
    let held = lock::acquire_for(store, opts).await?;
    let result = held.guard(store, locked(store, deployer, opts, logs)).await;
    held.release_or_warn(store).await;
    result
}

async fn locked<S: ReleaseStore, D: Deployer>(
    store: &S,
    deployer: &D,
    opts: &DeployOptions,
    logs: bool,
) -> Result<Suite> {
    let (ns, name) = (opts.namespace.as_str(), opts.name.as_str());
    let history = deploy::read_history(store, ns, name).await?;
    if history.is_empty() {
        bail!("release `{name}` not found in namespace `{ns}`\n\nhint: see `tack list -A`");
    }
    let Some(current) = deploy::current_deployed(&history, ns, name) else {
        bail!(
            "release `{name}` has no deployed revision to test\n\nhint: see `tack history {name} -n {ns}`"
        );
    };
    let rel = deploy::load(store, ns, name, current.revision).await?;
    let all = hooks::of_manifest(deploy::manifest_objects(&rel)?)?;
    let all = hooks::prepare(deployer, all, opts).await?;
    let tests = for_event(&all, Event::Test);
    if tests.is_empty() {
        bail!(
            "revision {} of `{name}` has no tests\n\nhint: a test is an object (usually a Pod or Job) annotated `helm.sh/hook: test`",
            rel.revision
        );
    }
    let mut outcomes = Vec::new();
    for hook in tests {
        let run = match hooks::run_one(deployer, hook, Event::Test, opts, logs).await {
            Ok(run) => run,
            Err((run, _)) => run,
        };
        outcomes.push(TestOutcome {
            hook: object_id(&hook.object),
            run,
        });
    }
    let runs: Vec<(ObjectId, HookRun)> = outcomes
        .iter()
        .map(|o| (o.hook.clone(), o.run.clone()))
        .collect();
    if let Err(e) = records::record_hook_runs(store, (ns, name), rel.revision, &runs).await {
        crate::events::warn(format!("could not record the test runs: {e:#}"));
    }
    Ok(Suite {
        revision: rel.revision,
        outcomes,
    })
}
