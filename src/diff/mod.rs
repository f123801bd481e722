//! The pure core of `tack diff`: normalise objects (drop server-owned noise and ignored fields), mask Secret
//! values, classify each object (add, change, delete, unchanged, drift) into a [`Plan`], and render the plan as
//! a coloured unified diff, a summary, markdown for PR comments or JSON. Nothing here talks to a cluster or
//! prints: `action::diff` gathers the objects and prints what the renderers return.
//!
//! Secret safety is structural: [`plan::build`] masks every Secret value before anything is stored in a
//! [`Plan`], so the renderers never see a raw value (unless `--show-secrets`).

pub mod drift;
pub mod mask;
pub mod normalize;
pub mod paths;
pub mod plan;
pub mod render_json;
pub mod render_markdown;
pub mod render_stack;
pub mod render_text;
pub mod unified;

pub use crate::manifest::ObjectRef;
pub use paths::IgnorePath;
pub use plan::build;

use serde::Serialize;
use serde_json::Value;

/// What applying the plan does to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Add,
    Change,
    Delete,
    Unchanged,
}

impl Action {
    /// The word used in headers: `added`, `changed`, `deleted`, `unchanged`.
    pub fn heading(self) -> &'static str {
        match self {
            Action::Add => "added",
            Action::Change => "changed",
            Action::Delete => "deleted",
            Action::Unchanged => "unchanged",
        }
    }

    /// The word used in JSON and tables: `add`, `change`, `delete`, `unchanged`.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Change => "change",
            Action::Delete => "delete",
            Action::Unchanged => "unchanged",
        }
    }
}

/// How serious a note on an object is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NoteLevel {
    /// Worth knowing (e.g. shown as rendered because its CRD is not installed yet).
    Info,
    /// The operation would refuse this object without `--adopt` or `--force-conflicts`.
    Conflict,
    /// The server refused the dry run: the operation would fail on this object.
    Error,
}

impl NoteLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteLevel::Info => "info",
            NoteLevel::Conflict => "conflict",
            NoteLevel::Error => "error",
        }
    }
}

/// A remark attached to one object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Note {
    pub level: NoteLevel,
    pub message: String,
}

impl Note {
    pub fn new(level: NoteLevel, message: impl Into<String>) -> Note {
        Note {
            level,
            message: message.into(),
        }
    }
}

/// One object to compare, unmasked: `before` is what is there now (live, or the older side), `after` what the
/// operation would leave (the server's dry-run answer, or the newer side). Only [`plan::build`] reads these.
#[derive(Debug, Clone)]
pub struct Input {
    pub object: ObjectRef,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub notes: Vec<Note>,
}

/// One object of the last deployed revision, to check for drift against its live state.
#[derive(Debug, Clone)]
pub struct DriftInput {
    pub object: ObjectRef,
    /// The object as the revision's manifest has it (namespace filled in).
    pub recorded: Value,
    /// The live object, `None` when it is gone.
    pub live: Option<Value>,
}

/// What the current state was compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Against {
    /// The live objects in the cluster.
    Live,
    /// Another stored revision (`tack diff revisions`).
    Revision(u64),
    /// A manifest file (offline).
    Manifest(String),
    /// A second render with other values (offline).
    Render(String),
}

/// Whether drift (live edits since the last revision) was looked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DriftCheck {
    /// Compared the live objects with this deployed revision.
    Checked(u64),
    /// The release has no deployed revision, so there is nothing to drift from.
    NoRecord,
    /// No cluster was contacted: drift cannot be seen.
    Offline,
    /// Not meaningful for this comparison (two stored revisions).
    NotApplicable,
}

/// What a plan is about, for headers.
#[derive(Debug, Clone)]
pub struct Subject {
    pub release: String,
    pub namespace: String,
    /// `upgrade`, `rollback to revision 2`, `revision 2 → 4`.
    pub operation: String,
    pub against: Against,
    pub drift: DriftCheck,
}

impl Subject {
    /// One line describing the comparison, e.g. "release `web` in namespace `shop`: upgrade, compared with
    /// the live cluster; drift checked against revision 3".
    pub fn describe(&self) -> String {
        format!(
            "release `{}` in namespace `{}`: {}",
            self.release,
            self.namespace,
            self.comparison()
        )
    }

    /// The comparison without the release, e.g. "upgrade, compared with the live cluster; drift checked
    /// against revision 3".
    pub fn comparison(&self) -> String {
        let against = match &self.against {
            Against::Live => "compared with the live cluster".to_string(),
            Against::Revision(r) => format!("compared with revision {r}"),
            Against::Manifest(f) => format!("compared with the manifest `{f}` (offline)"),
            Against::Render(what) => format!("compared with a render of {what} (offline)"),
        };
        let drift = match self.drift {
            DriftCheck::Checked(r) => format!("; drift checked against revision {r}"),
            DriftCheck::NoRecord => "; no deployed revision, so no drift check".into(),
            DriftCheck::Offline => {
                "; no cluster was contacted, so live state, server defaults and drift are not shown"
                    .into()
            }
            DriftCheck::NotApplicable => String::new(),
        };
        format!("{}, {against}{drift}", self.operation)
    }
}

/// How a Secret key changed; values are only ever shown as size and digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyChange {
    Added,
    Removed,
    Changed,
    Unchanged,
}

impl KeyChange {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyChange::Added => "added",
            KeyChange::Removed => "removed",
            KeyChange::Changed => "changed",
            KeyChange::Unchanged => "unchanged",
        }
    }
}

/// One key of a Secret's data: its change and each side as `N bytes, sha256:xxxxxxxx`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretKey {
    pub key: String,
    pub change: KeyChange,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// One object of a plan, already masked: `before` and `after` are YAML texts safe to show.
#[derive(Debug, Clone)]
pub struct Entry {
    pub object: ObjectRef,
    pub action: Action,
    pub before: String,
    pub after: String,
    /// Changed fields in `--ignore` path syntax (empty for additions and deletions).
    pub paths: Vec<String>,
    /// Per-key changes of a Secret's data (empty for other kinds).
    pub secret_keys: Vec<SecretKey>,
    pub notes: Vec<Note>,
}

/// One object that differs from what the last revision applied, already masked.
#[derive(Debug, Clone)]
pub struct DriftEntry {
    pub object: ObjectRef,
    /// The object was deleted from the cluster.
    pub missing: bool,
    /// The fields the revision set, as it set them (YAML).
    pub recorded: String,
    /// The same fields as they are live (YAML).
    pub live: String,
    pub paths: Vec<String>,
    pub secret_keys: Vec<SecretKey>,
}

/// The result of a comparison, ready to render.
#[derive(Debug, Clone)]
pub struct Plan {
    pub subject: Subject,
    /// Every compared object, unchanged ones included, in apply order with deletions last.
    pub entries: Vec<Entry>,
    pub drift: Vec<DriftEntry>,
    /// Remarks about the plan as a whole (e.g. objects no longer rendered but kept because others own them).
    pub notes: Vec<String>,
    /// Hooks the operation would run, in order (`pre-upgrade Job db-migrate`); they are not compared.
    pub hooks: Vec<String>,
}

/// How many objects fall in each class.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub add: usize,
    pub change: usize,
    pub delete: usize,
    pub unchanged: usize,
    pub drift: usize,
    pub conflicts: usize,
    pub errors: usize,
}

impl Plan {
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            drift: self.drift.len(),
            ..Counts::default()
        };
        for e in &self.entries {
            match e.action {
                Action::Add => c.add += 1,
                Action::Change => c.change += 1,
                Action::Delete => c.delete += 1,
                Action::Unchanged => c.unchanged += 1,
            }
            if e.notes.iter().any(|n| n.level == NoteLevel::Conflict) {
                c.conflicts += 1;
            }
            if e.notes.iter().any(|n| n.level == NoteLevel::Error) {
                c.errors += 1;
            }
        }
        c
    }

    /// Entries worth showing: changed ones, and unchanged ones that carry a note.
    pub fn shown(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.action != Action::Unchanged || !e.notes.is_empty())
    }

    /// Whether applying would change anything, or the cluster drifted.
    pub fn has_changes(&self) -> bool {
        let c = self.counts();
        c.add + c.change + c.delete + c.drift > 0
    }
}

/// The plan summary line: "Plan: 2 to add, 3 to change, 1 to delete (5 unchanged)." or "No changes ...".
pub fn summary_line(c: &Counts) -> String {
    if c.add + c.change + c.delete == 0 {
        return format!(
            "No changes: {} object{} unchanged.",
            c.unchanged,
            plural(c.unchanged)
        );
    }
    format!(
        "Plan: {} to add, {} to change, {} to delete ({} unchanged).",
        c.add, c.change, c.delete, c.unchanged
    )
}

/// Lines after the summary: drift, conflicts and errors, each only when there are some.
pub fn warning_lines(plan: &Plan) -> Vec<String> {
    let c = plan.counts();
    let mut out = Vec::new();
    if c.drift > 0 {
        let rev = match plan.subject.drift {
            DriftCheck::Checked(r) => format!("revision {r}"),
            _ => "the last revision".into(),
        };
        out.push(format!(
            "Drift: {} object{} changed in the cluster since {rev} was applied; the changes above undo {}.",
            c.drift,
            plural(c.drift),
            if c.drift == 1 { "it" } else { "them" }
        ));
    }
    if c.conflicts > 0 {
        out.push(format!(
            "Conflicts: {} object{} would be refused without --adopt or --force-conflicts (see the notes).",
            c.conflicts,
            plural(c.conflicts)
        ));
    }
    if c.errors > 0 {
        out.push(format!(
            "Errors: the server refused {} object{} in the dry run; the operation would fail (see the notes).",
            c.errors,
            plural(c.errors)
        ));
    }
    out
}

/// The exit code of `tack diff`: 1 when the dry run found errors, 2 when `--exit-code` is on and something
/// would change (or drifted), 0 otherwise.
pub fn exit_code(plan: &Plan, exit_code_flag: bool) -> i32 {
    if plan.counts().errors > 0 {
        return crate::error::FAILURE;
    }
    if exit_code_flag && plan.has_changes() {
        return 2;
    }
    crate::error::OK
}

pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Options of [`plan::build`].
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub ignore: Vec<IgnorePath>,
    /// Print Secret values (base64, as stored) instead of size and digest.
    pub show_secrets: bool,
}

#[cfg(test)]
mod tests;
