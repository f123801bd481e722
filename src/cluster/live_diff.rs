//! The cluster side of diffs: read the live objects (one LIST per kind and namespace), ask the server
//! for each object that would change what it would store (server-side apply dry runs with tack's field
//! manager, as many at once as the cluster's write limiter allows), and pair them into diff inputs, with
//! objects to prune and drift from the last revision. Objects the real operation would refuse (owned by others, field-manager conflicts) are
//! shown as what `--adopt` / `--force-conflicts` would apply, with a conflict note, instead of failing.

use crate::cluster::apply::{
    self, describe_owner, managed_fields_still_desired, object_is_subset, owner,
    ownership_violation, parse_conflict, read_live, to_ref, ApplyOptions, BatchKinds, Owner, Stats,
};
use crate::cluster::resources::{api_for, is_unknown_kind, Resolver};
use crate::cluster::retry::{api_message, describe, Budget};
use crate::cluster::Cluster;
use crate::diff::{DriftInput, Input, Note, NoteLevel};
use crate::manifest::{redact, ObjectRef, FIELD_MANAGER};
use crate::release::{manifest_objects, Release};
use anyhow::Result;
use futures::{stream, StreamExt, TryStreamExt};
use kube::api::{Patch, PatchParams};
use serde_json::Value;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

/// What the cluster side found, ready for [`crate::diff::build`].
pub struct Gathered {
    pub inputs: Vec<Input>,
    pub drift: Vec<DriftInput>,
    pub notes: Vec<String>,
}

/// Compare `desired` (rendered, not yet prepared) with the live cluster for release `opts.release_name`;
/// `record` is the deployed revision (for pruning and drift), if any.
pub async fn gather(
    cluster: &Cluster,
    desired: Vec<Value>,
    record: Option<&Release>,
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<Gathered> {
    let resolver = Resolver::for_cluster(cluster);
    let objects = apply::prepare(&resolver, desired, opts).await?;
    let refs: Vec<ObjectRef> = objects.iter().map(ObjectRef::of).collect();
    // an object is the same whatever version of its group names it
    let same = |r: &ObjectRef| {
        let group = r.api_version.rsplit_once('/').map_or("", |(g, _)| g);
        (
            group.to_string(),
            r.kind.clone(),
            r.namespace.clone(),
            r.name.clone(),
        )
    };
    let rendered: BTreeSet<_> = refs.iter().map(same).collect();
    let mut notes = Vec::new();

    let prune: Vec<ObjectRef> = record
        .map(|r| r.objects.iter().map(to_ref).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|r| !rendered.contains(&same(r)))
        .collect();
    let recorded: Vec<Value> = match record {
        Some(rel) => match recorded_objects(&resolver, rel, opts).await {
            Ok(objs) => objs,
            Err(e) => {
                notes.push(format!("drift was not checked: {e:#}"));
                Vec::new()
            }
        },
        None => Vec::new(),
    };

    let mut wanted: Vec<ObjectRef> = refs.clone();
    wanted.extend(prune.iter().cloned());
    wanted.extend(recorded.iter().map(ObjectRef::of));
    wanted.sort();
    wanted.dedup();
    let mut live = read_live(cluster, &resolver, &wanted, stats).await?;

    let batch = BatchKinds::of(&objects);
    let ctx = DryRun {
        cluster,
        resolver: &resolver,
        opts,
        stats,
        batch: &batch,
    };
    let mut done: Vec<(usize, After, Vec<Note>)> = stream::iter(objects.iter().enumerate())
        .map(|(i, obj)| {
            let live = live.get(&refs[i]);
            let ctx = &ctx;
            async move {
                let (after, notes) = ctx.one(obj, live).await?;
                Ok::<_, anyhow::Error>((i, after, notes))
            }
        })
        .buffer_unordered(cluster.writes.max())
        .try_collect()
        .await?;
    done.sort_by_key(|(i, _, _)| *i);

    // drift first, while the live objects are all in the map: the inputs then take theirs out of it
    let drift = recorded
        .into_iter()
        .map(|rec| {
            let r = ObjectRef::of(&rec);
            DriftInput {
                live: live.get(&r).cloned(),
                object: r,
                recorded: rec,
            }
        })
        .collect();
    let mut inputs: Vec<Input> = done
        .into_iter()
        .map(|(i, after, mut notes)| {
            let before = live.remove(&refs[i]);
            let after = match after {
                After::Live => before.clone(),
                After::Is(v) => Some(v),
            };
            // the operation refuses a CRD that drops a stored version before any write
            if let Some(why) = before
                .as_ref()
                .filter(|_| apply::is_crd(&objects[i]))
                .and_then(|l| apply::removed_stored_versions(&objects[i], l))
            {
                notes.push(Note::new(
                    NoteLevel::Error,
                    format!("{why}; the operation refuses it before any write (see docs/crds.md)"),
                ));
            }
            Input {
                object: refs[i].clone(),
                before,
                after,
                notes,
            }
        })
        .collect();
    for r in prune.iter().rev() {
        let Some(l) = live.get(r) else {
            continue; // already gone: nothing to delete (drift shows it)
        };
        let who = owner(l, opts);
        if who != Owner::This {
            notes.push(format!(
                "{r} is no longer rendered but is kept: it belongs to {}",
                describe_owner(&who)
            ));
            continue;
        }
        if let Some(why) = apply::kept_reason(l, opts) {
            notes.push(format!("{r} is no longer rendered but is kept: {why}"));
            continue;
        }
        let mut obj_notes = Vec::new();
        if r.kind == "Namespace" && r.name == opts.release_namespace {
            obj_notes.push(Note::new(
                NoteLevel::Error,
                format!(
                    "the chart no longer renders Namespace `{}`, which holds the release records; the operation refuses to prune it\n\nhint: keep rendering it, or pass --allow-namespace-delete to the operation",
                    r.name
                ),
            ));
        }
        inputs.push(Input {
            object: r.clone(),
            before: Some(l.clone()),
            after: None,
            notes: obj_notes,
        });
    }
    Ok(Gathered {
        inputs,
        drift,
        notes,
    })
}

/// The objects of a stored revision, placed as the engine placed them (namespaces, annotations).
async fn recorded_objects(
    resolver: &Resolver,
    rel: &Release,
    opts: &ApplyOptions,
) -> Result<Vec<Value>> {
    let plain: Vec<Value> = manifest_objects(rel)?
        .into_iter()
        .filter(|o| !crate::manifest::hooks::is_hook(o))
        .collect();
    apply::prepare(resolver, plain, opts).await
}

/// What the server would store for an object: what it holds already (nothing would be sent), or this.
enum After {
    Live,
    Is(Value),
}

struct DryRun<'a> {
    cluster: &'a Cluster,
    resolver: &'a Resolver,
    opts: &'a ApplyOptions,
    stats: &'a Stats,
    batch: &'a BatchKinds,
}

impl DryRun<'_> {
    /// What the server would store for `obj` (prepared), with notes; `Err` only when the cluster cannot be
    /// reached at all.
    async fn one(&self, obj: &Value, live: Option<&Value>) -> Result<(After, Vec<Note>)> {
        let r = ObjectRef::of(obj);
        let (resource, namespaced) = match self.resolver.resolve(&r.api_version, &r.kind).await {
            Ok(found) => found,
            Err(e)
                if is_unknown_kind(&e) && self.batch.scope(&r.api_version, &r.kind).is_some() =>
            {
                let note = "its kind comes from a CustomResourceDefinition of this release that is not installed yet; shown as rendered, without server defaults";
                return Ok((
                    After::Is(obj.clone()),
                    vec![Note::new(NoteLevel::Info, note)],
                ));
            }
            Err(e) => return Err(e.context(format!("cannot diff {r}"))),
        };
        let mut notes = Vec::new();
        let who = live.map(|l| owner(l, self.opts));
        let ours = who.as_ref().is_none_or(|w| *w == Owner::This);
        if let Some(l) = live {
            // what the engine skips, the diff skips: nothing would be sent
            if ours
                && object_is_subset(obj, l)
                && managed_fields_still_desired(l, obj, FIELD_MANAGER)
            {
                return Ok((After::Live, notes));
            }
        }
        if let Some(w) = who.as_ref().filter(|_| !ours) {
            notes.push(if self.opts.adopt {
                Note::new(
                    NoteLevel::Info,
                    format!("exists and is {}; --adopt takes it over", describe_owner(w)),
                )
            } else {
                Note::new(
                    NoteLevel::Conflict,
                    format!(
                        "{}: the operation refuses it without --adopt (the diff shows what --adopt would apply)",
                        ownership_violation(&r, w)
                    ),
                )
            });
        }
        let api = api_for(
            &self.cluster.client,
            &resource,
            namespaced,
            r.namespace.as_deref(),
        );
        // what adopting would apply, for objects that are not ours (the note says it is refused without)
        let force = self.opts.force_conflicts || !ours;
        let sent = self.patch(&api, &r.name, obj, force).await;
        let err = match sent {
            Ok(v) => return Ok((After::Is(v), notes)),
            Err(e) => e,
        };
        match &err {
            kube::Error::Api(s) if s.code == 409 && !force => {
                let (managers, fields) = parse_conflict(s);
                let who: Vec<String> = managers.iter().map(|m| format!("`{m}`")).collect();
                notes.push(Note::new(
                    NoteLevel::Conflict,
                    format!(
                        "field manager{} {} {} {}: the operation fails without --force-conflicts (the diff shows what --force-conflicts would apply)",
                        crate::diff::plural(managers.len()),
                        who.join(", "),
                        if managers.len() == 1 { "owns" } else { "own" },
                        fields.join(", ")
                    ),
                ));
                match self.patch(&api, &r.name, obj, true).await {
                    Ok(v) => Ok((After::Is(v), notes)),
                    Err(e) => self.refused(obj, e, notes),
                }
            }
            kube::Error::Api(s) if s.code == 404 && namespaced && live.is_none() => {
                notes.push(Note::new(
                    NoteLevel::Info,
                    format!(
                        "namespace `{}` does not exist yet; shown as rendered, without server defaults",
                        r.namespace.as_deref().unwrap_or_default()
                    ),
                ));
                Ok((After::Is(obj.clone()), notes))
            }
            _ => self.refused(obj, err, notes),
        }
    }

    /// The server refused the dry run: an error note (Secret values redacted); unreachable servers fail.
    fn refused(
        &self,
        obj: &Value,
        err: kube::Error,
        mut notes: Vec<Note>,
    ) -> Result<(After, Vec<Note>)> {
        match &err {
            kube::Error::Api(s) if s.code != 401 && s.code != 403 => {
                let message = redact(&api_message(&err), obj);
                notes.push(Note::new(
                    NoteLevel::Error,
                    format!("the server refused the dry run: {message}\n\nhint: fix the object in the chart; shown as rendered"),
                ));
                Ok((After::Is(obj.clone()), notes))
            }
            _ => {
                let what = format!("dry-run {}", ObjectRef::of(obj));
                let e = describe(err, &what, &self.cluster.server);
                Err(anyhow::anyhow!("{}", redact(&format!("{e:#}"), obj)))
            }
        }
    }

    async fn patch(
        &self,
        api: &kube::Api<kube::api::DynamicObject>,
        name: &str,
        obj: &Value,
        force: bool,
    ) -> Result<Value, kube::Error> {
        let mut params = PatchParams::apply(FIELD_MANAGER).dry_run();
        if force {
            params = params.force();
        }
        let patch = Patch::Apply(obj);
        let got = self
            .cluster
            .writes
            .send(Budget::default(), || {
                self.stats.writes.fetch_add(1, Ordering::Relaxed);
                api.patch(name, &params, &patch)
            })
            .await?;
        Ok(serde_json::to_value(got).expect("objects serialize"))
    }
}
