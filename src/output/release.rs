//! Text of release results: what an install, upgrade or rollback did, a dry run, an uninstall, `status`,
//! `history` and `list` tables. Pure functions of the data and a [`Style`].

use super::{table, Style};
use crate::ops::deploy::Change;
use crate::ops::dry_run::{DryRun, NewNamespace};
use crate::release::{Release, Status, Summary};
use std::fmt::Write;

/// What an operation did, one line per object, and the notes.
pub fn outcome_text(style: Style, verb: &str, release: &Release, changes: &[Change]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} release `{}` in namespace `{}`: revision {} {}",
        style.green(verb),
        release.name,
        release.namespace,
        release.revision,
        release.status
    );
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for c in changes {
        *counts.entry(action_word(&c.action).0).or_default() += 1;
        if c.action != "unchanged" {
            out.push_str(&change_line(c, ""));
        }
    }
    let summary: Vec<String> = counts.iter().map(|(a, n)| format!("{n} {a}")).collect();
    if !summary.is_empty() {
        let _ = writeln!(out, "  ({})", summary.join(", "));
    }
    if let Some(notes) = &release.notes {
        if !notes.trim().is_empty() {
            let _ = writeln!(out, "\nNOTES:\n{}", notes.trim_end());
        }
    }
    out
}

/// What an operation did, as data for `-o json|yaml`: the release's summary (name, namespace, revision, status,
/// chart, description, labels), what happened to each object, the hooks and the notes. No values, no manifest.
pub fn outcome_data(release: &Release, changes: &[Change]) -> serde_json::Value {
    let mut v = serde_json::to_value(release.summary()).unwrap_or_default();
    v["firstDeployed"] = serde_json::json!(release.first_deployed.to_string());
    v["objects"] = changes_data(changes);
    if !release.hooks.is_empty() {
        v["hooks"] = serde_json::json!(release
            .hooks
            .iter()
            .map(crate::ops::inspect::hook_line)
            .collect::<Vec<_>>());
    }
    if let Some(notes) = release.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        v["notes"] = serde_json::json!(notes);
    }
    v
}

/// Each object an operation touched and what happened to it, as data.
fn changes_data(changes: &[Change]) -> serde_json::Value {
    changes
        .iter()
        .map(|c| {
            serde_json::json!({
                "apiVersion": c.object.api_version,
                "kind": c.object.kind,
                "namespace": c.object.namespace,
                "name": c.object.name,
                "action": c.action,
            })
        })
        .collect()
}

/// A server-side dry run as data for `-o json|yaml`; `newNamespace` says what the server could not check in a
/// namespace that does not exist yet.
pub fn dry_run_data(name: &str, ns: &str, run: &DryRun) -> serde_json::Value {
    let mut v = serde_json::json!({
        "name": name,
        "namespace": ns,
        "dryRun": "server",
        "objects": changes_data(&run.changes),
    });
    if let Some(new) = &run.new_namespace {
        v["newNamespace"] = serde_json::json!({
            "name": new.name,
            "labels": new.labels,
            "standIn": new.stand_in,
            "objectsCheckedInStandIn": new.objects,
            "notValidated": "admission inside the new namespace (Pod Security, webhooks selecting it by label, ResourceQuota, LimitRange)",
        });
    }
    v
}

/// The lines of a server-side dry run: for a namespace that does not exist yet, what the server could and
/// could not check, then one line per object.
pub fn dry_run_text(name: &str, ns: &str, run: &DryRun) -> String {
    let mut out =
        format!("dry run (server): release `{name}` in namespace `{ns}`; nothing was written\n");
    if let Some(new) = &run.new_namespace {
        out.push_str(&new_namespace_text(new));
    }
    for c in &run.changes {
        out.push_str(&change_line(c, " (dry)"));
    }
    out
}

/// What a dry run into a namespace that does not exist yet validated against the server, and what not.
fn new_namespace_text(new: &NewNamespace) -> String {
    let (ns, stand_in) = (&new.name, &new.stand_in);
    let labels: Vec<String> = new.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let labels = if labels.is_empty() {
        String::new()
    } else {
        format!(" with labels {}", labels.join(", "))
    };
    let mut out = format!(
        "  namespace `{ns}` does not exist yet; --create-namespace would create it{labels}\n\
         \x20 validated by the server: the creation of namespace `{ns}`; the {n} object{s} for it, in the stand-in namespace `{stand_in}` \
         (kinds served, schema, field validation, defaults, cluster-wide admission)\n\
         \x20 not validated by the server: admission inside `{ns}` ",
        n = new.objects,
        s = if new.objects == 1 { "" } else { "s" },
    );
    match new.labels.get("pod-security.kubernetes.io/enforce") {
        Some(level) => {
            let _ = write!(
                out,
                "(Pod Security `{level}`, checked by tack's tier policy instead; "
            );
        }
        None => out.push('('),
    }
    out.push_str(
        "webhooks that select it by its labels; no ResourceQuota or LimitRange can exist in it yet)\n",
    );
    out
}

/// What an uninstall did, one line per object.
pub fn uninstall_text(
    style: Style,
    (name, ns): (&str, &str),
    rev: u64,
    keep_history: bool,
    changes: &[Change],
) -> String {
    let mut out = format!(
        "{} release `{name}` in namespace `{ns}` (revision {rev}){}\n",
        style.green("uninstalled"),
        if keep_history { "; history kept" } else { "" }
    );
    for c in changes {
        out.push_str(&change_line(c, ""));
    }
    out
}

/// An action split into its word and the reason in parentheses after it: `kept (a CRD: …)` is
/// (`kept`, `a CRD: …`).
fn action_word(action: &str) -> (&str, Option<&str>) {
    match action.split_once(" (") {
        Some((word, rest)) => (word, Some(rest.strip_suffix(')').unwrap_or(rest))),
        None => (action, None),
    }
}

/// `  kept         CustomResourceDefinition widgets.example.com: a CRD: …`, one line per change.
fn change_line(c: &Change, suffix: &str) -> String {
    let (word, why) = action_word(&c.action);
    match why {
        Some(why) => format!("  {:<12} {}: {why}\n", format!("{word}{suffix}"), c.object),
        None => format!("  {:<12} {}\n", format!("{word}{suffix}"), c.object),
    }
}

/// A status word, coloured by meaning.
pub fn status_cell(style: Style, s: Status) -> String {
    match s {
        Status::Deployed => style.green(s.as_str()),
        Status::Failed => style.red(s.as_str()),
        s if s.is_pending() => style.yellow(s.as_str()),
        s => s.as_str().to_string(),
    }
}

/// The table form of `tack status`.
pub fn status_text(style: Style, r: &Release, view: &crate::ops::inspect::StatusView) -> String {
    let lock = view.lock.as_deref();
    let mut out = String::new();
    let b = |s: &str| style.bold(s);
    let _ = writeln!(out, "{} {}", b("NAME:"), r.name);
    let _ = writeln!(out, "{} {}", b("NAMESPACE:"), r.namespace);
    let _ = writeln!(out, "{} {}", b("REVISION:"), r.revision);
    let _ = writeln!(out, "{} {}", b("STATUS:"), status_cell(style, r.status));
    let _ = writeln!(out, "{} {}-{}", b("CHART:"), r.chart.name, r.chart.version);
    if let Some(src) = &r.chart.source {
        let _ = writeln!(out, "{} {src}", b("SOURCE:"));
    }
    let _ = writeln!(out, "{} {}", b("LAST DEPLOYED:"), r.last_deployed);
    let _ = writeln!(out, "{} {}", b("DESCRIPTION:"), r.description);
    if let Some(l) = lock {
        let _ = writeln!(out, "{} {}", b("LOCK:"), style.yellow(l));
    }
    let _ = writeln!(out, "{} ({})", b("OBJECTS:"), r.objects.len());
    if view.live.is_empty() {
        for o in &r.objects {
            let _ = writeln!(out, "  {o}");
        }
    } else {
        let ready = view.live.iter().filter(|l| l.ends_with(": ready")).count();
        for l in &view.live {
            let _ = writeln!(out, "  {l}");
        }
        let _ = writeln!(out, "  ({ready} of {} ready)", view.live.len());
    }
    if !view.hooks.is_empty() {
        let _ = writeln!(out, "{} ({})", b("HOOKS:"), view.hooks.len());
        for h in &view.hooks {
            let _ = writeln!(out, "  {h}");
        }
    }
    if let Some(w) = &view.warning {
        let _ = writeln!(out, "{} {}", style.yellow("WARNING:"), w);
    }
    if let Some(n) = &r.notes {
        if !n.trim().is_empty() {
            let _ = writeln!(out, "{}\n{}", b("NOTES:"), n.trim_end());
        }
    }
    out
}

/// The report of `tack test`: one line per test (PASS/FAIL, object, time), then what its pods said.
pub fn test_text(style: Style, name: &str, suite: &crate::ops::chart_tests::Suite) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {name} (revision {})",
        style.bold("TEST SUITE:"),
        suite.revision
    );
    for o in &suite.outcomes {
        let secs = o.run.finished.duration_since(o.run.started).as_secs_f64();
        let mark = if o.run.succeeded {
            style.green("PASS")
        } else {
            style.red("FAIL")
        };
        let _ = writeln!(
            out,
            "  {mark}  {} {} ({secs:.1}s)",
            o.hook.kind, o.hook.name
        );
        for line in o.run.detail.iter().flat_map(|d| d.lines()) {
            let _ = writeln!(out, "        {line}");
        }
    }
    let failed = suite.failed();
    let _ = writeln!(
        out,
        "{} {} passed, {failed} failed",
        style.bold("RESULT:"),
        suite.outcomes.len() - failed
    );
    out
}

/// The lines of `tack get metadata` (and the head of `tack get all`).
pub fn metadata_text(style: Style, m: &crate::ops::inspect::Metadata, layers: &str) -> String {
    let mut out = String::new();
    let mut line = |k: &str, v: String| {
        let _ = writeln!(out, "{} {v}", style.bold(&format!("{k}:")));
    };
    line("NAME", m.name.clone());
    line("NAMESPACE", m.namespace.clone());
    line("REVISION", m.revision.to_string());
    line("STATUS", status_cell(style, m.status));
    let app = m
        .app_version
        .as_deref()
        .map(|a| format!(" (app version {a})"))
        .unwrap_or_default();
    line("CHART", format!("{} {}{app}", m.chart, m.version));
    if let Some(s) = &m.source {
        line("SOURCE", s.clone());
    }
    line("LAYERS", layers.to_string());
    let labels: Vec<String> = m.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    line(
        "LABELS",
        if labels.is_empty() {
            "none".to_string()
        } else {
            labels.join(",")
        },
    );
    line("FIRST DEPLOYED", m.first_deployed.clone());
    line("LAST DEPLOYED", m.last_deployed.clone());
    line("DESCRIPTION", m.description.clone());
    out
}

/// The table of `tack history`.
pub fn history_table(style: Style, h: &[Summary]) -> String {
    // registry charts add a SOURCE column (reference and digest); folder charts keep the table as it was
    let sources = h.iter().any(|s| s.source.is_some());
    let rows: Vec<Vec<String>> = h
        .iter()
        .map(|s| {
            let mut row = vec![
                s.revision.to_string(),
                s.updated.clone(),
                status_cell(style, s.status),
                s.chart.clone(),
                s.app_version.clone().unwrap_or_default(),
                s.description.lines().next().unwrap_or("").to_string(),
            ];
            if sources {
                row.push(s.source.clone().unwrap_or_default());
            }
            row
        })
        .collect();
    let mut headers = vec![
        "REVISION",
        "UPDATED",
        "STATUS",
        "CHART",
        "APP VERSION",
        "DESCRIPTION",
    ];
    if sources {
        headers.push("SOURCE");
    }
    table(style, &headers, &rows)
}

/// The table of `tack list`.
pub fn list_table(style: Style, latest: &[Summary]) -> String {
    let rows: Vec<Vec<String>> = latest
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.namespace.clone(),
                s.revision.to_string(),
                s.updated.clone(),
                status_cell(style, s.status),
                s.chart.clone(),
                s.app_version.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(
        style,
        &[
            "NAME",
            "NAMESPACE",
            "REVISION",
            "UPDATED",
            "STATUS",
            "CHART",
            "APP VERSION",
        ],
        &rows,
    )
}

/// Data as pretty JSON or YAML (the `-o json|yaml` of the read commands).
pub fn data_text<T: serde::Serialize>(yaml: bool, data: &T) -> anyhow::Result<String> {
    if yaml {
        let v = serde_json::to_value(data)?;
        Ok(format!(
            "{}\n",
            crate::render::filters::json_to_yaml(&v).trim_end()
        ))
    } else {
        Ok(format!("{}\n", serde_json::to_string_pretty(data)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::ObjectId;

    fn change(kind: &str, name: &str, action: &str) -> Change {
        Change {
            object: ObjectId {
                api_version: "v1".into(),
                kind: kind.into(),
                namespace: None,
                name: name.into(),
            },
            action: action.into(),
        }
    }

    #[test]
    fn kept_objects_say_why_after_the_object() {
        let changes = [
            change("ConfigMap", "a", "deleted"),
            change("ConfigMap", "b", "kept (helm.sh/resource-policy: keep)"),
            change("CustomResourceDefinition", "w.x", "kept (a CRD: every W)"),
        ];
        let text = uninstall_text(Style::default(), ("web", "shop"), 3, false, &changes);
        assert!(text.contains("  deleted      ConfigMap a\n"), "{text}");
        assert!(
            text.contains("  kept         ConfigMap b: helm.sh/resource-policy: keep\n"),
            "{text}"
        );
        assert!(
            text.contains("  kept         CustomResourceDefinition w.x: a CRD: every W\n"),
            "{text}"
        );
        let dry = dry_run_text(
            "web",
            "shop",
            &DryRun {
                changes: vec![change("Widget", "w", "created (not validated)")],
                new_namespace: None,
            },
        );
        assert!(
            dry.contains("  created (dry) Widget w: not validated\n"),
            "{dry}"
        );
    }
}
