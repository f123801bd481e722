//! Text of `tack import helm`: the revisions imported, the objects taken over with their field managers
//! before and after, and what happened to Helm's records. Never any values: they may hold secrets.

use super::release::status_cell;
use super::{table, Style};
use crate::ops::import::ImportReport;
use std::fmt::Write;

/// The report of an import (or of its dry run), with the command's wall time.
pub fn report_text(style: Style, r: &ImportReport, seconds: f64) -> String {
    let mut out = String::new();
    let (name, ns) = (&r.name, &r.namespace);
    if r.dry_run {
        let _ = writeln!(
            out,
            "dry run: import of Helm release `{name}` in namespace `{ns}`; nothing was written"
        );
    } else {
        let _ = writeln!(
            out,
            "{} Helm release `{name}` in namespace `{ns}`{}: {} revision(s), {} object(s) taken over, in {seconds:.1}s",
            style.green("imported"),
            if r.again { " again" } else { "" },
            r.revisions.len(),
            r.objects_taken
        );
    }
    let rows: Vec<Vec<String>> = r
        .revisions
        .iter()
        .map(|v| {
            vec![
                v.revision.to_string(),
                v.updated.clone(),
                v.helm_status.clone(),
                status_cell(style, v.status),
                v.chart.clone(),
                v.record.to_string(),
            ]
        })
        .collect();
    let _ = writeln!(out, "\nRevisions:");
    out.push_str(&table(
        style,
        &[
            "REVISION",
            "UPDATED",
            "HELM STATUS",
            "STATUS",
            "CHART",
            "TACK RECORD",
        ],
        &rows,
    ));
    let _ = writeln!(
        out,
        "\nObjects of the deployed revision {} (field managers before -> after):",
        r.deployed
    );
    for o in &r.objects {
        let action = match (o.action, r.dry_run) {
            ("take", true) => "would take",
            ("take", false) => "taken",
            (a, _) => a,
        };
        let _ = writeln!(out, "  {:<14} {}", action, o.object);
        if o.action == "take" {
            let _ = writeln!(
                out,
                "  {:<14}   {} -> {}",
                "",
                list(&o.managers_before),
                list(&o.managers_after)
            );
        }
    }
    let records = r.helm_records.len();
    let _ = writeln!(
        out,
        "\nHelm's records ({records}): {}",
        match (r.dry_run, r.helm_records_removed) {
            (true, _) if r.remove_helm_records => "would be removed after the import".to_string(),
            (true, _) =>
                "kept (--remove-helm-records deletes them after a successful import)".to_string(),
            (false, 0) =>
                "kept; `helm list` still shows the release, but its objects are now tack's"
                    .to_string(),
            (false, n) => format!("{n} removed"),
        }
    );
    if !r.dry_run {
        let _ = writeln!(
            out,
            "\nnext: `tack diff {name} CHART -n {ns}` with the converted chart (`tack convert`), then `tack upgrade`"
        );
    }
    out
}

fn list(managers: &[String]) -> String {
    if managers.is_empty() {
        "none".to_string()
    } else {
        managers.join(", ")
    }
}
