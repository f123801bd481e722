//! Building a [`Plan`] from unmasked inputs: normalise each side (noise, `--ignore` paths), classify it,
//! and keep only masked YAML, masked Secret key summaries and scrubbed notes, so nothing rendered from the
//! plan can carry a Secret value.

use super::mask::{self, key_changes, masked, secret_strings};
use super::normalize::{strip_noise, to_yaml};
use super::paths::changed_paths;
use super::{
    drift, Action, DriftEntry, DriftInput, Entry, Input, KeyChange, Note, ObjectRef, Options, Plan,
    Subject,
};
use crate::manifest::secret_as_stored;
use serde_json::Value;

/// The side of a comparison as compared: noise and ignored fields removed, Secret values still raw.
pub fn normalized(obj: &Value, opts: &Options) -> Value {
    let mut v = strip_noise(obj);
    for p in &opts.ignore {
        p.remove_from(&mut v);
    }
    v
}

/// Classify and mask every input and look for drift. Entries keep the input order, with deletions moved
/// after everything else.
pub fn build(
    subject: Subject,
    inputs: Vec<Input>,
    drift_inputs: Vec<DriftInput>,
    notes: Vec<String>,
    opts: &Options,
) -> Plan {
    let mut entries: Vec<Entry> = inputs.iter().filter_map(|i| entry(i, opts)).collect();
    entries.sort_by_key(|e| e.action == Action::Delete);
    let drift = drift_inputs
        .iter()
        .filter_map(|d| drift_entry(d, opts))
        .collect();
    Plan {
        subject,
        entries,
        drift,
        notes,
        hooks: Vec::new(),
    }
}

fn entry(input: &Input, opts: &Options) -> Option<Entry> {
    if let (Some(b), Some(a)) = (&input.before, &input.after) {
        // what the server holds already (nothing would be sent): unchanged, without copying either side
        if b == a && !mask::is_secret(b) {
            return Some(Entry {
                object: input.object.clone(),
                action: Action::Unchanged,
                before: String::new(),
                after: String::new(),
                paths: Vec::new(),
                secret_keys: Vec::new(),
                notes: scrubbed_notes(input),
            });
        }
    }
    let before = input.before.as_ref().map(|v| normalized(v, opts));
    let after = input.after.as_ref().map(|v| normalized(v, opts));
    let secret_keys = if input
        .before
        .iter()
        .chain(input.after.iter())
        .any(mask::is_secret)
    {
        key_changes(before.as_ref(), after.as_ref())
    } else {
        Vec::new()
    };
    let hidden = |v: &Option<Value>| v.as_ref().map(|v| masked(v, false));
    let (hb, ha) = (hidden(&before), hidden(&after));
    let action = match (&hb, &ha) {
        (None, None) => return None,
        (None, Some(_)) => Action::Add,
        (Some(_), None) => Action::Delete,
        (Some(b), Some(a)) => {
            let keys_same = secret_keys.iter().all(|k| k.change == KeyChange::Unchanged);
            if b == a && keys_same {
                Action::Unchanged
            } else {
                Action::Change
            }
        }
    };
    let paths = match (&hb, &ha) {
        (Some(b), Some(a)) if action == Action::Change => changed_paths(b, a),
        _ => Vec::new(),
    };
    let show = |v: &Option<Value>| match v {
        Some(v) if action != Action::Unchanged => to_yaml(&masked(v, opts.show_secrets)),
        _ => String::new(),
    };
    Some(Entry {
        object: input.object.clone(),
        action,
        before: show(&before),
        after: show(&after),
        paths,
        secret_keys,
        notes: scrubbed_notes(input),
    })
}

/// Notes with every Secret value of either side removed (a server message may echo the object).
fn scrubbed_notes(input: &Input) -> Vec<Note> {
    let mut secrets: Vec<String> = input
        .before
        .iter()
        .chain(input.after.iter())
        .flat_map(secret_strings)
        .collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    input
        .notes
        .iter()
        .map(|n| Note::new(n.level, mask::scrub(&n.message, &secrets)))
        .collect()
}

fn drift_entry(d: &DriftInput, opts: &Options) -> Option<DriftEntry> {
    // nothing drifted before the noise and ignored fields are taken out: nothing drifted after either (the
    // same fields go from both sides), so neither side is copied
    if d.live.as_ref().is_some_and(|live| {
        let recorded = secret_as_stored(&d.recorded);
        drift::undrifted(&recorded, live)
    }) {
        return None;
    }
    let recorded = normalized(&secret_as_stored(&d.recorded), opts);
    let Some(live) = &d.live else {
        return Some(DriftEntry {
            object: d.object.clone(),
            missing: true,
            recorded: to_yaml(&masked(&recorded, opts.show_secrets)),
            live: String::new(),
            paths: Vec::new(),
            secret_keys: Vec::new(),
        });
    };
    let live = normalized(live, opts);
    let projected = drift::project(&recorded, &live);
    if projected == recorded {
        return None;
    }
    let secret_keys = if mask::is_secret(&recorded) {
        key_changes(Some(&recorded), Some(&projected))
    } else {
        Vec::new()
    };
    Some(DriftEntry {
        object: d.object.clone(),
        missing: false,
        paths: changed_paths(&masked(&recorded, false), &masked(&projected, false)),
        recorded: to_yaml(&masked(&recorded, opts.show_secrets)),
        live: to_yaml(&masked(&projected, opts.show_secrets)),
        secret_keys,
    })
}

/// Pair two object lists by identity: every object of `after` in its order (compared with its namesake in
/// `before`, or added), then the objects only `before` has (deleted), in their order.
pub fn pair(before: Vec<Value>, after: Vec<Value>) -> Vec<Input> {
    let mut old: Vec<(ObjectRef, Option<Value>)> = before
        .into_iter()
        .map(|v| (ObjectRef::of(&v), Some(v)))
        .collect();
    let index: std::collections::HashMap<ObjectRef, usize> = old
        .iter()
        .enumerate()
        .map(|(i, (r, _))| (r.clone(), i))
        .collect();
    let mut out = Vec::with_capacity(after.len() + old.len());
    for v in after {
        let r = ObjectRef::of(&v);
        let before = index.get(&r).and_then(|&i| old[i].1.take());
        out.push(Input {
            object: r,
            before,
            after: Some(v),
            notes: Vec::new(),
        });
    }
    for (r, v) in old {
        if let Some(v) = v {
            out.push(Input {
                object: r,
                before: Some(v),
                after: None,
                notes: Vec::new(),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, v: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "a"},
            "data": {"k": v}})
    }

    #[test]
    fn pairing_keeps_the_new_order_and_puts_removals_last() {
        let inputs = pair(
            vec![cm("x", "1"), cm("gone", "1"), cm("y", "1")],
            vec![cm("y", "2"), cm("new", "1"), cm("x", "1")],
        );
        let seen: Vec<(&str, bool, bool)> = inputs
            .iter()
            .map(|i| {
                (
                    i.object.name.as_str(),
                    i.before.is_some(),
                    i.after.is_some(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("y", true, true),
                ("new", false, true),
                ("x", true, true),
                ("gone", true, false)
            ]
        );
    }

    fn live(name: &str, v: &str, version: &str) -> Value {
        let mut o = cm(name, v);
        o["metadata"]["resourceVersion"] = json!(version);
        o["metadata"]["managedFields"] = json!([{"manager": "tack", "operation": "Apply"}]);
        o
    }

    fn input(before: Value, after: Value) -> Input {
        Input {
            object: ObjectRef::of(&before),
            before: Some(before),
            after: Some(after),
            notes: vec![Note::new(super::super::NoteLevel::Info, "n".to_string())],
        }
    }

    #[test]
    fn the_same_object_on_both_sides_is_unchanged_as_when_only_noise_differs() {
        let opts = Options::default();
        let same = entry(&input(live("x", "1", "7"), live("x", "1", "7")), &opts).unwrap();
        let noisy = entry(&input(live("x", "1", "7"), live("x", "1", "8")), &opts).unwrap();
        assert_eq!(format!("{same:?}"), format!("{noisy:?}"));
        assert_eq!(same.action, Action::Unchanged);
        let changed = entry(&input(live("x", "1", "7"), live("x", "2", "8")), &opts).unwrap();
        assert_eq!(changed.action, Action::Change);
        assert_eq!(changed.paths, vec!["data.k".to_string()]);
    }

    #[test]
    fn drift_is_found_with_or_without_noise_on_the_live_side() {
        let opts = Options::default();
        let drifted = |recorded: Value, live: Value| {
            drift_entry(
                &DriftInput {
                    object: ObjectRef::of(&recorded),
                    recorded,
                    live: Some(live),
                },
                &opts,
            )
            .map(|d| d.paths)
        };
        assert_eq!(drifted(cm("x", "1"), live("x", "1", "7")), None);
        assert_eq!(
            drifted(cm("x", "1"), live("x", "2", "7")),
            Some(vec!["data.k".to_string()])
        );
        // the record's annotations are tack's own, which the comparison leaves out
        let mut annotated = cm("x", "1");
        annotated["metadata"]["annotations"] =
            json!({crate::manifest::RELEASE_NAME_ANNOTATION: "r"});
        assert_eq!(drifted(annotated, live("x", "1", "7")), None);
    }
}
