//! Diff operations: what `upgrade --install`, `rollback` or another stored revision would change. This file
//! picks the two sides (the live cluster through server-side dry runs in `live.rs`, stored records, or offline
//! renders and files in `offline.rs`) and builds the plan with the pure core in `crate::diff`; the command
//! prints it and turns it into the exit code.

pub mod offline;

use super::deploy::{current_deployed, load, manifest_objects, read_history};
use super::rollback::pick_target;
use crate::cluster::apply::{ApplyOptions, Stats};
use crate::cluster::{live_diff, Cluster};
use crate::diff::{self, Against, DriftCheck, Plan};
use crate::events;
use crate::manifest::hooks::Event;
use crate::release::Release;
use crate::storage::secrets::SecretStore;
use anyhow::Result;
use serde_json::Value;

/// The core's options; a bad `--ignore` path is an error naming it.
pub fn diff_options(ignore: &[String], show_secrets: bool) -> Result<diff::Options> {
    let ignore = ignore
        .iter()
        .map(|p| diff::paths::parse(p).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    Ok(diff::Options {
        ignore,
        show_secrets,
    })
}

fn apply_options(name: &str, ns: &str, adopt: bool, force_conflicts: bool) -> ApplyOptions {
    ApplyOptions {
        adopt,
        force_conflicts,
        dry_run: true,
        ..ApplyOptions::new(name, ns)
    }
}

/// API requests made, reported with the global `--stats` flag (used by tests/bench/diff.sh).
#[derive(Default)]
pub struct Counters {
    pub apply: Stats,
    pub record_reads: usize,
}

impl Counters {
    /// The counts as one line.
    pub fn line(&self) -> String {
        let (reads, writes) = self.apply.snapshot();
        format!(
            "tack stats: {reads} live object reads (LIST/GET), {writes} dry-run patches, {} release record reads",
            self.record_reads
        )
    }
}

/// The deployed revision of a release (for pruning and drift), read with its history.
pub async fn deployed_record(
    store: &SecretStore,
    ns: &str,
    name: &str,
    counters: &mut Counters,
) -> Result<(Option<Release>, DriftCheck)> {
    let history = read_history(store, ns, name).await?;
    counters.record_reads += 1;
    let Some(current) = current_deployed(&history, ns, name) else {
        return Ok((None, DriftCheck::NoRecord));
    };
    counters.record_reads += 1;
    match load(store, ns, name, current.revision).await {
        Ok(rel) => Ok((Some(rel), DriftCheck::Checked(current.revision))),
        Err(e) => {
            events::warn(format!(
                "{e:#}; continuing without it: no drift check, and objects only that revision had are not shown as deletions"
            ));
            Ok((None, DriftCheck::NoRecord))
        }
    }
}

/// The release an upgrade diff is about, and how the operation would take over what is not its own.
pub struct Target<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub adopt: bool,
    pub force_conflicts: bool,
}

/// The plan of upgrading `target` to `desired` (its rendered objects) against the live cluster; `deployed`
/// is what [`deployed_record`] found. Used by `tack diff NAME CHART` and by each instance of a stack.
pub async fn upgrade_plan(
    c: &Cluster,
    target: &Target<'_>,
    desired: Vec<Value>,
    deployed: (Option<Release>, DriftCheck),
    options: &diff::Options,
    stats: &Stats,
) -> Result<Plan> {
    let (record, drift) = deployed;
    let operation = match &record {
        Some(_) => "upgrade".to_string(),
        None => "install (no deployed revision yet)".to_string(),
    };
    let (desired, hook_list) = super::hooks::split(desired)?;
    let events = match &record {
        Some(_) => [Event::PreUpgrade, Event::PostUpgrade],
        None => [Event::PreInstall, Event::PostInstall],
    };
    let aopts = apply_options(
        target.name,
        target.namespace,
        target.adopt,
        target.force_conflicts,
    );
    let g = live_diff::gather(c, desired, record.as_ref(), &aopts, stats).await?;
    let subject = diff::Subject {
        release: target.name.to_string(),
        namespace: target.namespace.to_string(),
        operation,
        against: Against::Live,
        drift,
    };
    let mut plan = diff::build(subject, g.inputs, g.drift, g.notes, options);
    plan.hooks = will_run(&hook_list, &events);
    Ok(plan)
}

/// `pre-upgrade Job db-migrate (weight -5)` for each hook of `events`, in the order they would run.
pub fn will_run(hooks: &[crate::manifest::hooks::Hook], events: &[Event]) -> Vec<String> {
    let mut out = Vec::new();
    for &event in events {
        for h in crate::manifest::hooks::for_event(hooks, event) {
            out.push(format!(
                "{event} {} {} (weight {})",
                h.kind(),
                h.name(),
                h.spec.weight
            ));
        }
    }
    out
}

/// The plan of rolling release `name` in `ns` back to `revision` (default: the previously deployed one).
pub async fn rollback_plan(
    c: &Cluster,
    name: &str,
    ns: &str,
    revision: Option<u64>,
    (adopt, force_conflicts): (bool, bool),
    options: &diff::Options,
    counters: &mut Counters,
) -> Result<Plan> {
    let store = SecretStore::new(c.client.clone());
    let history = read_history(&store, ns, name).await?;
    counters.record_reads += 1;
    let rev = pick_target(&history, revision, name)?;
    let stored = load(&store, ns, name, rev).await?;
    counters.record_reads += 1;
    let (desired, hook_list) = super::hooks::split(manifest_objects(&stored)?)?;
    let (record, drift) = deployed_record(&store, ns, name, counters).await?;
    let aopts = apply_options(name, ns, adopt, force_conflicts);
    let g = live_diff::gather(c, desired, record.as_ref(), &aopts, &counters.apply).await?;
    let subject = diff::Subject {
        release: name.to_string(),
        namespace: ns.to_string(),
        operation: format!("rollback to revision {rev}"),
        against: Against::Live,
        drift,
    };
    let mut plan = diff::build(subject, g.inputs, g.drift, g.notes, options);
    plan.hooks = will_run(&hook_list, &[Event::PreRollback, Event::PostRollback]);
    Ok(plan)
}

/// The plan of what differs between two stored revisions (`to` compared with `from`).
pub async fn revisions_plan(
    c: &Cluster,
    name: &str,
    ns: &str,
    (from, to): (u64, u64),
    options: &diff::Options,
) -> Result<Plan> {
    let store = SecretStore::new(c.client.clone());
    let old = load(&store, ns, name, from)
        .await
        .map_err(|e| revision_hint(e, name, ns))?;
    let new = load(&store, ns, name, to)
        .await
        .map_err(|e| revision_hint(e, name, ns))?;
    let placed = |rel: &Release| -> Result<Vec<Value>> {
        let (mut objs, _) = super::hooks::split(manifest_objects(rel)?)?;
        objs.iter_mut()
            .for_each(|o| diff::normalize::fill_namespace(o, ns));
        Ok(objs)
    };
    let inputs = diff::plan::pair(placed(&old)?, placed(&new)?);
    let subject = diff::Subject {
        release: name.to_string(),
        namespace: ns.to_string(),
        operation: format!("revision {to}"),
        against: Against::Revision(from),
        drift: DriftCheck::NotApplicable,
    };
    Ok(diff::build(
        subject,
        inputs,
        Vec::new(),
        Vec::new(),
        options,
    ))
}

fn revision_hint(e: anyhow::Error, name: &str, ns: &str) -> anyhow::Error {
    e.context(format!(
        "cannot diff revisions of `{name}`\n\nhint: see the revisions kept with `tack history {name} -n {ns}`"
    ))
}
