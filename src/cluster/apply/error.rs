//! Why an apply failed, worded for the user: every ownership violation at once, field-manager conflicts
//! with the managers and fields named, and server errors with Secret values scrubbed out.

use crate::manifest::ObjectRef;
use std::fmt;

/// A failed [`apply`](super::apply).
#[derive(Debug)]
pub enum ApplyError {
    /// Objects that exist but are not ours; nothing was written.
    Ownership(Vec<String>),
    /// Server-side apply found fields owned by other field managers.
    Conflict {
        object: ObjectRef,
        managers: Vec<String>,
        fields: Vec<String>,
        message: String,
    },
    /// The server refused or failed one object.
    Failed {
        object: ObjectRef,
        error: anyhow::Error,
    },
    /// Anything else: discovery, reading live objects, unknown kinds.
    Other(anyhow::Error),
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyError::Ownership(violations) => {
                let n = violations.len();
                writeln!(
                    f,
                    "refusing to take over {n} existing object{} that this release does not own:",
                    if n == 1 { "" } else { "s" }
                )?;
                for v in violations {
                    writeln!(f, "  - {v}")?;
                }
                write!(
                    f,
                    "\nno object was changed\n\nhint: pass --adopt to take over, or rename the objects in the chart"
                )
            }
            ApplyError::Conflict {
                object,
                managers,
                fields,
                ..
            } => {
                let who = managers
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                writeln!(
                    f,
                    "conflict applying {object}: field manager{} {who} {} fields that tack sets:",
                    if managers.len() == 1 { "" } else { "s" },
                    if managers.len() == 1 { "owns" } else { "own" },
                )?;
                for field in fields {
                    writeln!(f, "  - {field}")?;
                }
                write!(
                    f,
                    "\nhint: pass --force-conflicts to take these fields over, or stop setting them in the chart"
                )
            }
            ApplyError::Failed { object, error } => {
                write!(f, "failed to apply {object}: {error:#}")
            }
            ApplyError::Other(error) => write!(f, "{error:#}"),
        }
    }
}

impl std::error::Error for ApplyError {}

/// Managers and fields of a server-side apply conflict, from the status causes or else from the message
/// (`Apply failed with 2 conflicts: conflicts with "kubectl-edit" using v1:\n- .data.key\n- .data.other`).
pub fn parse_conflict(status: &kube::core::Status) -> (Vec<String>, Vec<String>) {
    let mut managers = Vec::new();
    let mut fields = Vec::new();
    let causes = status.details.as_ref().map(|d| d.causes.as_slice());
    for cause in causes.unwrap_or_default() {
        if cause.reason != "FieldManagerConflict" {
            continue;
        }
        if let Some(m) = quoted(&cause.message) {
            push_unique(&mut managers, m);
        }
        if !cause.field.is_empty() {
            push_unique(&mut fields, cause.field.clone());
        }
    }
    if managers.is_empty() && fields.is_empty() {
        let (m, f) = parse_conflict_message(&status.message);
        managers = m;
        fields = f;
    }
    (managers, fields)
}

/// The message form of [`parse_conflict`].
pub fn parse_conflict_message(message: &str) -> (Vec<String>, Vec<String>) {
    let mut managers = Vec::new();
    let mut fields = Vec::new();
    // "conflict(s) with "<manager>" [with subresource "x"] using <apiVersion>: [<field>]"
    for part in message.split("conflict").skip(1) {
        let part = part.trim_start_matches('s');
        let Some(rest) = part.trim_start().strip_prefix("with ") else {
            continue;
        };
        if let Some(m) = quoted(rest) {
            push_unique(&mut managers, m);
        }
        if let Some((_, after)) = rest.split_once(':') {
            let first_line = after.lines().next().unwrap_or("").trim();
            if first_line.starts_with('.') {
                push_unique(&mut fields, first_line.to_string());
            }
            for line in after.lines().skip(1) {
                if let Some(field) = line.trim().strip_prefix("- ") {
                    push_unique(&mut fields, field.trim().to_string());
                }
            }
        }
    }
    (managers, fields)
}

fn quoted(s: &str) -> Option<String> {
    let start = s.find('"')? + 1;
    let len = s[start..].find('"')?;
    Some(s[start..start + len].to_string())
}

fn push_unique(v: &mut Vec<String>, s: String) {
    if !v.contains(&s) {
        v.push(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::core::response::{StatusCause, StatusDetails};
    use kube::core::Status;

    #[test]
    fn conflict_message_with_one_manager() {
        let msg = "Apply failed with 2 conflicts: conflicts with \"kubectl-edit\" using v1:\n- .data.key\n- .data.other";
        let (m, f) = parse_conflict_message(msg);
        assert_eq!(m, vec!["kubectl-edit"]);
        assert_eq!(f, vec![".data.key", ".data.other"]);
    }

    #[test]
    fn conflict_message_with_several_managers_and_a_single_field() {
        let msg = "Apply failed with 2 conflicts: conflicts with \"other\" using v1:\n- .data.other\nconflicts with \"third\" using v1:\n- .data.key";
        let (m, f) = parse_conflict_message(msg);
        assert_eq!(m, vec!["other", "third"]);
        assert_eq!(f, vec![".data.other", ".data.key"]);
        let msg = "Apply failed with 1 conflict: conflict with \"kube-controller-manager\" with subresource \"scale\" using apps/v1: .spec.replicas";
        let (m, f) = parse_conflict_message(msg);
        assert_eq!(m, vec!["kube-controller-manager"]);
        assert_eq!(f, vec![".spec.replicas"]);
    }

    #[test]
    fn conflict_causes_are_preferred() {
        let cause = |m: &str, field: &str| StatusCause {
            reason: "FieldManagerConflict".into(),
            message: format!("conflict with \"{m}\" using v1"),
            field: field.into(),
        };
        let status = Status::failure("Apply failed with 2 conflicts", "Conflict")
            .with_code(409)
            .with_details(StatusDetails {
                name: String::new(),
                group: String::new(),
                kind: String::new(),
                uid: String::new(),
                causes: vec![cause("third", ".data.key"), cause("other", ".data.other")],
                retry_after_seconds: 0,
            });
        let (m, f) = parse_conflict(&status);
        assert_eq!(m, vec!["third", "other"]);
        assert_eq!(f, vec![".data.key", ".data.other"]);
    }

    #[test]
    fn conflict_display_names_managers_fields_and_the_flag() {
        let e = ApplyError::Conflict {
            object: ObjectRef {
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                namespace: Some("shop".into()),
                name: "cfg".into(),
            },
            managers: vec!["other".into()],
            fields: vec![".data.key".into()],
            message: String::new(),
        };
        let text = e.to_string();
        assert!(text.contains("ConfigMap shop/cfg"), "{text}");
        assert!(text.contains("`other`"), "{text}");
        assert!(text.contains(".data.key"), "{text}");
        assert!(text.contains("--force-conflicts"), "{text}");
    }

    #[test]
    fn ownership_display_lists_every_violation_and_the_flag() {
        let e = ApplyError::Ownership(vec![
            "ConfigMap a/x is not managed by tack".into(),
            "Secret a/y belongs to release `b`".into(),
        ]);
        let text = e.to_string();
        assert!(text.contains("2 existing objects"), "{text}");
        assert!(
            text.contains("ConfigMap a/x") && text.contains("Secret a/y"),
            "{text}"
        );
        assert!(text.contains("--adopt"), "{text}");
    }
}
