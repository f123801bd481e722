//! Running a release's hooks at one event of its life: in weight, kind, name order, each created fresh,
//! waited on until it finished, and deleted as its delete policy says. Generic over the deployer, so the
//! order, the policies and failure handling are unit-tested with the fake one.

use super::core::{object_id, DeployOptions, Deployer};
use crate::events;
use crate::manifest::hooks::{self, DeletePolicy, Event, Hook};
use crate::release::{HookRecord, HookRun, ObjectId};
use anyhow::{anyhow, Result};
use serde_json::Value;
use std::time::Instant;

/// Split `objects` into the release's ordinary objects and its hooks; an invalid hook annotation is an
/// error naming the object, the annotation and its value.
pub fn split(objects: Vec<Value>) -> Result<(Vec<Value>, Vec<Hook>)> {
    hooks::split(objects).map_err(|e| anyhow!("{e}"))
}

/// Prepare hook objects (namespaces, ownership marks) like the release's other objects.
pub async fn prepare<D: Deployer>(
    deployer: &D,
    hooks: Vec<Hook>,
    opts: &DeployOptions,
) -> Result<Vec<Hook>> {
    if hooks.is_empty() {
        return Ok(hooks);
    }
    let objects = hooks.iter().map(|h| h.object.clone()).collect();
    let prepared = deployer.prepare(objects, opts).await?;
    Ok(hooks
        .into_iter()
        .zip(prepared)
        .map(|(h, object)| Hook { object, ..h })
        .collect())
}

/// What the release record keeps of each hook.
pub fn records(hooks: &[Hook]) -> Vec<HookRecord> {
    hooks
        .iter()
        .map(|h| HookRecord {
            object: object_id(&h.object),
            spec: h.spec.clone(),
            last_run: None,
        })
        .collect()
}

/// The objects of a stored revision's hooks (prepared), from its manifest.
pub fn of_manifest(objects: Vec<Value>) -> Result<Vec<Hook>> {
    Ok(split(objects)?.1)
}

/// Run the hooks of `event` one after the other; the first failure stops and is returned (after its delete
/// policy was applied). Every hook that ran is pushed to `runs`.
pub async fn run_event<D: Deployer>(
    deployer: &D,
    all: &[Hook],
    event: Event,
    opts: &DeployOptions,
    runs: &mut Vec<(ObjectId, HookRun)>,
) -> Result<()> {
    let ordered = hooks::for_event(all, event);
    if ordered.is_empty() {
        return Ok(());
    }
    let began = Instant::now();
    for hook in &ordered {
        let run = run_one(deployer, hook, event, opts, false).await;
        let id = object_id(&hook.object);
        match run {
            Ok(run) => runs.push((id, run)),
            Err((run, err)) => {
                runs.push((id, run));
                return Err(err);
            }
        }
    }
    events::note(format!(
        "{event} hooks: {} ran in {:.1}s",
        ordered.len(),
        began.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// A hook run that failed, and the error that explains it.
pub type Failed = (HookRun, anyhow::Error);

/// Run one hook: remove the object of its previous run, create it, wait, apply its delete policy. With
/// `logs`, a successful run's detail includes the tail of its pods' logs too.
pub async fn run_one<D: Deployer>(
    deployer: &D,
    hook: &Hook,
    event: Event,
    opts: &DeployOptions,
    logs: bool,
) -> std::result::Result<HookRun, Failed> {
    let id = object_id(&hook.object);
    let started = jiff::Timestamp::now();
    let failed = |detail: String, err: anyhow::Error| {
        (
            HookRun {
                event,
                started,
                finished: jiff::Timestamp::now(),
                succeeded: false,
                detail: Some(detail),
            },
            err,
        )
    };
    events::note(format!("{event} hook {}: running", show(&id)));
    // a hook always starts from a fresh object: one left by an earlier run is removed first
    match deployer.delete_hook(&id, opts).await {
        Ok(true) if !hook.spec.deletes(DeletePolicy::BeforeHookCreation) => {
            events::warn(format!(
                "{event} hook {}: the object of its previous run was still there (its delete policy keeps it); deleted it so the hook runs again",
                show(&id)
            ))
        }
        Ok(_) => {}
        Err(e) => {
            let e = e.context(format!(
                "{event} hook {}: could not remove the object of its previous run",
                show(&id)
            ));
            return Err(failed(format!("{e:#}"), e));
        }
    }
    if let Err(e) = deployer
        .apply(std::slice::from_ref(&hook.object), opts)
        .await
    {
        let e = e.context(format!("{event} hook {} could not be created", show(&id)));
        return Err(failed(format!("{e:#}"), e));
    }
    match deployer.wait_hook(&id, opts.timeout).await {
        Ok(()) => {
            let report = deployer.hook_report(&id, logs).await;
            if hook.spec.deletes(DeletePolicy::HookSucceeded) {
                if let Err(e) = deployer.delete_hook(&id, opts).await {
                    events::warn(format!(
                        "{event} hook {} succeeded but could not be deleted: {e:#}",
                        show(&id)
                    ));
                }
            }
            Ok(HookRun {
                event,
                started,
                finished: jiff::Timestamp::now(),
                succeeded: true,
                detail: (!report.is_empty()).then(|| report.join("\n")),
            })
        }
        Err(wait_err) => {
            let report = deployer.hook_report(&id, true).await;
            if hook.spec.deletes(DeletePolicy::HookFailed) {
                if let Err(e) = deployer.delete_hook(&id, opts).await {
                    events::warn(format!(
                        "{event} hook {} failed and could not be deleted: {e:#}",
                        show(&id)
                    ));
                }
            }
            let mut text = format!("{wait_err:#}");
            if !report.is_empty() {
                text.push_str("\n\nits pods:\n");
                for line in &report {
                    text.push_str(&format!("  {line}\n"));
                }
            }
            let err = anyhow!("{event} hook {} failed: {}", show(&id), text.trim_end());
            Err(failed(text.trim_end().to_string(), err))
        }
    }
}

/// `Job db-migrate` (the namespace is the release's, so left out).
pub fn show(id: &ObjectId) -> String {
    format!("{} {}", id.kind, id.name)
}

/// Set `last_run` of the hook records that ran.
pub fn apply_runs(records: &mut [HookRecord], runs: &[(ObjectId, HookRun)]) {
    for (id, run) in runs {
        if let Some(r) = records.iter_mut().find(|r| &r.object == id) {
            r.last_run = Some(run.clone());
        }
    }
}
