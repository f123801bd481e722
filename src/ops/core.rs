//! The vocabulary of the lifecycle core: what a revision should contain, which operation runs, its options,
//! the cluster side it drives (`Deployer`) and what it reports. `deploy.rs` runs it; `hooks.rs` and
//! `records.rs` help it; all three take these types from here, so none imports another back.

use super::plan::SavedPlan;
use crate::release::{ChartInfo, Layers, ObjectId, Release};
use anyhow::Result;
use serde_json::Value;
use std::time::Duration;

/// What a revision should contain.
#[derive(Debug, Clone)]
pub struct Desired {
    pub chart: ChartInfo,
    /// The YAML stream as printed by `tack template`.
    pub manifest: String,
    /// Objects in install order, not yet prepared (namespaces are filled in by the deployer).
    pub objects: Vec<Value>,
    pub values: Value,
    pub layers: Layers,
    pub notes: Option<String>,
    /// The release labels to start from (a rollback's target revision); install and upgrade start from the
    /// deployed revision's and apply `DeployOptions::labels`.
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Which operation is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Install,
    /// Upgrade; with `install: true` a release with no deployed revision is installed.
    Upgrade {
        install: bool,
    },
    /// Roll back to the given revision.
    Rollback(u64),
}

impl Op {
    pub(super) fn verb(self) -> &'static str {
        match self {
            Op::Install => "install",
            Op::Upgrade { .. } => "upgrade",
            Op::Rollback(_) => "rollback",
        }
    }
}

/// Options of a lifecycle operation.
#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub namespace: String,
    pub name: String,
    pub wait: bool,
    pub timeout: Duration,
    pub atomic: bool,
    pub adopt: bool,
    pub force_conflicts: bool,
    /// Revisions kept after an operation (0 keeps all).
    pub history_max: usize,
    pub wait_for_lock: Option<Duration>,
    /// Allow pruning the Namespace object that holds the release records.
    pub allow_namespace_prune: bool,
    /// The command line, recorded in the lock.
    pub command: String,
    /// Skip running hooks (`--no-hooks`); they are still recorded.
    pub no_hooks: bool,
    /// An approved plan (`upgrade --plan`): applied only if nothing it showed changed.
    pub plan: Option<std::sync::Arc<SavedPlan>>,
    /// Delete CustomResourceDefinitions the release no longer has (or all of them on uninstall); without
    /// it they are kept (`--delete-crds`).
    pub delete_crds: bool,
    /// `--wait` does not wait for Services of type LoadBalancer (`--wait-skip-load-balancers`).
    pub wait_skip_load_balancers: bool,
    /// `--description`: recorded instead of `install complete` and the like when the operation succeeds.
    pub description: Option<String>,
    /// `--labels` changes to the release's labels.
    pub labels: Vec<crate::release::LabelChange>,
    /// Everything before the first write (the lock, the history, preparing the objects, preflight checks)
    /// ends by then; `None` leaves it unbounded.
    pub prepare_by: Option<crate::deadline::Deadline>,
}

/// What one object went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub object: ObjectId,
    /// `created`, `configured`, `unchanged`, `deleted`, `already gone`, `kept (...)`.
    pub action: String,
}

/// The cluster side of a lifecycle operation.
#[allow(async_fn_in_trait)]
pub trait Deployer {
    /// Fill in namespaces and ownership marks; objects stay in order.
    async fn prepare(&self, objects: Vec<Value>, opts: &DeployOptions) -> Result<Vec<Value>>;
    /// Apply prepared objects (all-or-nothing preflight first).
    async fn apply(&self, objects: &[Value], opts: &DeployOptions) -> Result<Vec<Change>>;
    /// Delete objects this release owns, in reverse install order.
    async fn delete(&self, objects: &[ObjectId], opts: &DeployOptions) -> Result<Vec<Change>>;
    /// Wait until the objects are ready.
    async fn wait(&self, objects: &[ObjectId], timeout: Duration) -> Result<()>;
    /// Delete a hook's object left by an earlier run and wait until it is gone; true when there was one.
    async fn delete_hook(&self, hook: &ObjectId, opts: &DeployOptions) -> Result<bool>;
    /// Wait until a hook finished: a Job complete, a Pod succeeded, anything else ready. The error explains
    /// a failure with the object's and its pods' events.
    async fn wait_hook(&self, hook: &ObjectId, timeout: Duration) -> Result<()>;
    /// What a hook's pods report, one line each: phase and exit codes, and with `logs` the tail of their
    /// logs when the cluster has them. Best effort: nothing when it cannot be read.
    async fn hook_report(&self, hook: &ObjectId, logs: bool) -> Vec<String>;
    /// Checks of prepared objects against the cluster made before anything is written (CRD versions
    /// still stored).
    async fn preflight(&self, _objects: &[Value], _opts: &DeployOptions) -> Result<()> {
        Ok(())
    }
    /// Check that nothing an approved plan showed changed in the cluster since it was saved.
    async fn check_plan(&self, _plan: &SavedPlan) -> Result<()> {
        Ok(())
    }
}

/// The result of a successful operation.
#[derive(Debug)]
pub struct Outcome {
    pub release: Release,
    pub changes: Vec<Change>,
}

/// Identity of a prepared object.
pub fn object_id(obj: &Value) -> ObjectId {
    ObjectId {
        api_version: obj["apiVersion"].as_str().unwrap_or_default().to_string(),
        kind: obj["kind"].as_str().unwrap_or_default().to_string(),
        namespace: obj["metadata"]["namespace"]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        name: obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}
