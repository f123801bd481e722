//! Hooks: objects a chart marks with `helm.sh/hook` (or `tack.dev/hook`) to run at one point of a release's
//! life (before an upgrade, after an install, as a test) instead of being applied with its other objects.
//! Pure: reading the annotations, checking them, and the order hooks of one event run in.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::fmt;

/// The annotation naming the events a hook runs at, in Helm's and tack's spelling.
pub const HOOK_ANNOTATIONS: [&str; 2] = ["helm.sh/hook", "tack.dev/hook"];
/// The annotation giving a hook's weight (lower runs first).
pub const WEIGHT_ANNOTATIONS: [&str; 2] = ["helm.sh/hook-weight", "tack.dev/hook-weight"];
/// The annotation listing when a hook object is deleted.
pub const DELETE_POLICY_ANNOTATIONS: [&str; 2] =
    ["helm.sh/hook-delete-policy", "tack.dev/hook-delete-policy"];

/// When a hook runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Event {
    PreInstall,
    PostInstall,
    PreUpgrade,
    PostUpgrade,
    PreRollback,
    PostRollback,
    PreDelete,
    PostDelete,
    Test,
}

impl Event {
    pub const ALL: [Event; 9] = [
        Event::PreInstall,
        Event::PostInstall,
        Event::PreUpgrade,
        Event::PostUpgrade,
        Event::PreRollback,
        Event::PostRollback,
        Event::PreDelete,
        Event::PostDelete,
        Event::Test,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Event::PreInstall => "pre-install",
            Event::PostInstall => "post-install",
            Event::PreUpgrade => "pre-upgrade",
            Event::PostUpgrade => "post-upgrade",
            Event::PreRollback => "pre-rollback",
            Event::PostRollback => "post-rollback",
            Event::PreDelete => "pre-delete",
            Event::PostDelete => "post-delete",
            Event::Test => "test",
        }
    }

    /// Parse one event name; Helm 2's `test-success` is read as `test`.
    pub fn parse(s: &str) -> Option<Event> {
        if s == "test-success" {
            return Some(Event::Test);
        }
        Event::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a hook object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeletePolicy {
    /// Delete the object left by the previous run before creating it again (the default).
    BeforeHookCreation,
    /// Delete the object once the hook succeeded.
    HookSucceeded,
    /// Delete the object once the hook failed.
    HookFailed,
}

impl DeletePolicy {
    pub const ALL: [DeletePolicy; 3] = [
        DeletePolicy::BeforeHookCreation,
        DeletePolicy::HookSucceeded,
        DeletePolicy::HookFailed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeletePolicy::BeforeHookCreation => "before-hook-creation",
            DeletePolicy::HookSucceeded => "hook-succeeded",
            DeletePolicy::HookFailed => "hook-failed",
        }
    }
}

/// What a hook's annotations say.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookSpec {
    pub events: Vec<Event>,
    #[serde(default)]
    pub weight: i64,
    /// Never empty: without the annotation it is `[before-hook-creation]`.
    pub delete_policies: Vec<DeletePolicy>,
}

impl HookSpec {
    pub fn runs_at(&self, event: Event) -> bool {
        self.events.contains(&event)
    }
    pub fn deletes(&self, policy: DeletePolicy) -> bool {
        self.delete_policies.contains(&policy)
    }
}

fn annotation<'a>(
    obj: &'a Value,
    names: &'static [&'static str; 2],
) -> Option<(&'static str, &'a str)> {
    let annotations = &obj["metadata"]["annotations"];
    names
        .iter()
        .find_map(|n| annotations[*n].as_str().map(|v| (*n, v)))
}

/// True when `obj` carries a hook annotation (even an invalid one).
pub fn is_hook(obj: &Value) -> bool {
    annotation(obj, &HOOK_ANNOTATIONS).is_some()
}

/// The hook spec of `obj`: `Ok(None)` for an ordinary object, `Err` with a message naming the annotation and
/// its value when the annotations are not valid.
pub fn spec(obj: &Value) -> Result<Option<HookSpec>, String> {
    let Some((hook_name, events_text)) = annotation(obj, &HOOK_ANNOTATIONS) else {
        return Ok(None);
    };
    let mut events = Vec::new();
    for part in events_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        match Event::parse(part) {
            Some(e) if !events.contains(&e) => events.push(e),
            Some(_) => {}
            None => {
                return Err(format!(
                    "annotation `{hook_name}: {events_text}` names an unknown hook event `{part}`\n\nhint: use one or more of {}, separated by commas",
                    Event::ALL.map(Event::as_str).join(", ")
                ))
            }
        }
    }
    if events.is_empty() {
        return Err(format!(
            "annotation `{hook_name}` is empty\n\nhint: name the events the hook runs at (e.g. `pre-upgrade`), or remove the annotation"
        ));
    }
    let weight = match annotation(obj, &WEIGHT_ANNOTATIONS) {
        None => 0,
        Some((name, text)) => text.trim().parse::<i64>().map_err(|_| {
            format!("annotation `{name}: {text}` is not a whole number\n\nhint: write the weight as a quoted integer, e.g. `\"-5\"`")
        })?,
    };
    let mut delete_policies = Vec::new();
    if let Some((name, text)) = annotation(obj, &DELETE_POLICY_ANNOTATIONS) {
        for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match DeletePolicy::ALL.into_iter().find(|p| p.as_str() == part) {
                Some(p) if !delete_policies.contains(&p) => delete_policies.push(p),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "annotation `{name}: {text}` names an unknown delete policy `{part}`\n\nhint: use one or more of {}",
                        DeletePolicy::ALL.map(DeletePolicy::as_str).join(", ")
                    ))
                }
            }
        }
    }
    if delete_policies.is_empty() {
        delete_policies.push(DeletePolicy::BeforeHookCreation);
    }
    Ok(Some(HookSpec {
        events,
        weight,
        delete_policies,
    }))
}

/// One hook object with its spec.
#[derive(Debug, Clone)]
pub struct Hook {
    pub spec: HookSpec,
    pub object: Value,
}

impl Hook {
    pub fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }
    pub fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }
}

/// Split objects into ordinary ones (order kept) and hooks; the first invalid hook annotation is an error.
pub fn split(objects: Vec<Value>) -> Result<(Vec<Value>, Vec<Hook>), String> {
    let mut plain = Vec::new();
    let mut hooks = Vec::new();
    for object in objects {
        match spec(&object) {
            Ok(Some(spec)) => hooks.push(Hook { spec, object }),
            Ok(None) => plain.push(object),
            Err(e) => {
                let kind = object["kind"].as_str().unwrap_or("object");
                let name = object["metadata"]["name"].as_str().unwrap_or("?");
                return Err(format!("{kind} {name}: {e}"));
            }
        }
    }
    Ok((plain, hooks))
}

/// The hooks of `event` in the order they run: by weight, then kind (install order), then name.
pub fn for_event(hooks: &[Hook], event: Event) -> Vec<&Hook> {
    let mut out: Vec<&Hook> = hooks.iter().filter(|h| h.spec.runs_at(event)).collect();
    out.sort_by(|a, b| {
        a.spec
            .weight
            .cmp(&b.spec.weight)
            .then_with(|| super::install_rank(a.kind()).cmp(&super::install_rank(b.kind())))
            .then_with(|| a.kind().cmp(b.kind()))
            .then_with(|| a.name().cmp(b.name()))
    });
    out
}

/// Every hook in the order of the lifecycle: by its first event, then as [`for_event`] orders them.
pub fn order_all(hooks: &[Hook]) -> Vec<&Hook> {
    let mut out: Vec<&Hook> = Vec::new();
    for event in Event::ALL {
        for h in for_event(hooks, event) {
            if !out.iter().any(|o| std::ptr::eq(*o, h)) {
                out.push(h);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(kind: &str, name: &str, annotations: Value) -> Value {
        json!({"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "annotations": annotations}})
    }

    #[test]
    fn reads_events_weight_and_policies_in_both_spellings() {
        let o = obj(
            "Job",
            "migrate",
            json!({"helm.sh/hook": "pre-install, pre-upgrade", "helm.sh/hook-weight": "-5",
                   "helm.sh/hook-delete-policy": "hook-succeeded,hook-failed"}),
        );
        let s = spec(&o).unwrap().unwrap();
        assert_eq!(s.events, [Event::PreInstall, Event::PreUpgrade]);
        assert_eq!(s.weight, -5);
        assert_eq!(
            s.delete_policies,
            [DeletePolicy::HookSucceeded, DeletePolicy::HookFailed]
        );
        let t = obj("Pod", "check", json!({"tack.dev/hook": "test-success"}));
        let s = spec(&t).unwrap().unwrap();
        assert_eq!(s.events, [Event::Test]);
        assert_eq!(s.weight, 0);
        assert_eq!(s.delete_policies, [DeletePolicy::BeforeHookCreation]);
        assert_eq!(spec(&obj("ConfigMap", "c", json!({}))).unwrap(), None);
    }

    #[test]
    fn bad_annotations_name_the_annotation_and_value() {
        let e = spec(&obj("Job", "j", json!({"helm.sh/hook": "pre-instal"}))).unwrap_err();
        assert!(
            e.contains("`helm.sh/hook: pre-instal`") && e.contains("`pre-instal`"),
            "{e}"
        );
        assert!(e.contains("hint: use one or more of pre-install"), "{e}");
        let e = spec(&obj(
            "Job",
            "j",
            json!({"tack.dev/hook": "test", "tack.dev/hook-weight": "high"}),
        ))
        .unwrap_err();
        assert!(e.contains("`tack.dev/hook-weight: high`"), "{e}");
        let e = spec(&obj(
            "Job",
            "j",
            json!({"helm.sh/hook": "test", "helm.sh/hook-delete-policy": "always"}),
        ))
        .unwrap_err();
        assert!(e.contains("unknown delete policy `always`"), "{e}");
        let e = split(vec![obj("Job", "bad", json!({"helm.sh/hook": ""}))]).unwrap_err();
        assert!(
            e.starts_with("Job bad: annotation `helm.sh/hook` is empty"),
            "{e}"
        );
    }

    #[test]
    fn hooks_of_an_event_run_by_weight_then_kind_then_name() {
        let hook = |kind: &str, name: &str, events: &str, weight: &str| {
            obj(
                kind,
                name,
                json!({"helm.sh/hook": events, "helm.sh/hook-weight": weight}),
            )
        };
        let (plain, hooks) = split(vec![
            obj("ConfigMap", "app", json!({})),
            hook("Job", "b-job", "pre-upgrade", "0"),
            hook("Job", "a-job", "pre-upgrade", "0"),
            hook("ConfigMap", "z-config", "pre-upgrade", "0"),
            hook("Job", "first", "pre-upgrade,post-upgrade", "-10"),
            hook("Job", "later", "pre-upgrade", "5"),
            hook("Job", "other", "post-install", "-100"),
        ])
        .unwrap();
        assert_eq!(plain.len(), 1);
        let names: Vec<&str> = for_event(&hooks, Event::PreUpgrade)
            .iter()
            .map(|h| h.name())
            .collect();
        assert_eq!(names, ["first", "z-config", "a-job", "b-job", "later"]);
        let post: Vec<&str> = for_event(&hooks, Event::PostUpgrade)
            .iter()
            .map(|h| h.name())
            .collect();
        assert_eq!(post, ["first"]);
    }
}
