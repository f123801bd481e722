//! `-o json`: the plan in a stable, documented schema (`apiVersion: tack.dev/diff/v1`, see docs/diff.md) for
//! tools and CI. Fields are only ever added within a version.

use super::unified::{hunks, plain};
use super::{Against, Counts, DriftCheck, Note, ObjectRef, Plan, SecretKey};
use serde::Serialize;

/// The schema identifier written as `apiVersion`.
pub const API_VERSION: &str = "tack.dev/diff/v1";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Doc<'a> {
    api_version: &'static str,
    release: &'a str,
    namespace: &'a str,
    operation: &'a str,
    against: AgainstJson,
    drift_check: DriftCheckJson,
    summary: Summary,
    objects: Vec<Object<'a>>,
    drift: Vec<Drift<'a>>,
    notes: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    hooks: &'a [String],
}

#[derive(Serialize)]
struct AgainstJson {
    /// `live`, `revision`, `manifest` or `render`.
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<String>,
}

#[derive(Serialize)]
struct DriftCheckJson {
    /// `checked`, `no-record`, `offline` or `not-applicable`.
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    revision: Option<u64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary {
    #[serde(flatten)]
    counts: Counts,
    /// Whether anything would change or drifted (what `--exit-code` reports as 2).
    changed: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Id<'a> {
    api_version: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

fn id(r: &ObjectRef) -> Id<'_> {
    Id {
        api_version: &r.api_version,
        kind: &r.kind,
        namespace: r.namespace.as_deref(),
        name: &r.name,
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Object<'a> {
    #[serde(flatten)]
    id: Id<'a>,
    action: &'static str,
    paths: &'a [String],
    secret_keys: &'a [SecretKey],
    notes: &'a [Note],
    diff: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Drift<'a> {
    #[serde(flatten)]
    id: Id<'a>,
    missing: bool,
    paths: &'a [String],
    secret_keys: &'a [SecretKey],
    diff: String,
}

/// Render `plan` as pretty JSON (ending with a newline); `diff` fields hold unified diffs with `context` lines.
pub fn render(plan: &Plan, context: usize) -> String {
    let mut out = serde_json::to_string_pretty(&document(plan, context))
        .expect("the diff document serializes");
    out.push('\n');
    out
}

/// The document [`render`] prints, to embed in a larger one (the `plan` of each instance of a stack diff).
pub fn document(plan: &Plan, context: usize) -> impl Serialize + '_ {
    let s = &plan.subject;
    let against = match &s.against {
        Against::Live => AgainstJson {
            kind: "live",
            revision: None,
            source: None,
        },
        Against::Revision(r) => AgainstJson {
            kind: "revision",
            revision: Some(*r),
            source: None,
        },
        Against::Manifest(f) => AgainstJson {
            kind: "manifest",
            revision: None,
            source: Some(f.clone()),
        },
        Against::Render(what) => AgainstJson {
            kind: "render",
            revision: None,
            source: Some(what.clone()),
        },
    };
    let drift_check = match s.drift {
        DriftCheck::Checked(r) => DriftCheckJson {
            state: "checked",
            revision: Some(r),
        },
        DriftCheck::NoRecord => DriftCheckJson {
            state: "no-record",
            revision: None,
        },
        DriftCheck::Offline => DriftCheckJson {
            state: "offline",
            revision: None,
        },
        DriftCheck::NotApplicable => DriftCheckJson {
            state: "not-applicable",
            revision: None,
        },
    };
    Doc {
        api_version: API_VERSION,
        release: &s.release,
        namespace: &s.namespace,
        operation: &s.operation,
        against,
        drift_check,
        summary: Summary {
            counts: plan.counts(),
            changed: plan.has_changes(),
        },
        objects: plan
            .shown()
            .map(|e| Object {
                id: id(&e.object),
                action: e.action.as_str(),
                paths: &e.paths,
                secret_keys: &e.secret_keys,
                notes: &e.notes,
                diff: plain(&hunks(&e.before, &e.after, context)),
            })
            .collect(),
        drift: plan
            .drift
            .iter()
            .map(|d| Drift {
                id: id(&d.object),
                missing: d.missing,
                paths: &d.paths,
                secret_keys: &d.secret_keys,
                diff: plain(&hunks(&d.recorded, &d.live, context)),
            })
            .collect(),
        notes: &plan.notes,
        hooks: &plan.hooks,
    }
}
