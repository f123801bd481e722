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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::import::{ImportedObject, ImportedRevision};
    use crate::release::Status;

    fn report(dry_run: bool, removed: usize) -> ImportReport {
        ImportReport {
            name: "web".into(),
            namespace: "shop".into(),
            dry_run,
            again: false,
            deployed: 2,
            revisions: vec![ImportedRevision {
                revision: 2,
                helm_status: "deployed".into(),
                status: Status::Deployed,
                chart: "web-0.1.0".into(),
                updated: "2026-12-01T10:00:00Z".into(),
                description: "imported from Helm revision 2".into(),
                record: "create",
            }],
            objects: vec![
                ImportedObject {
                    object: "Deployment shop/web".into(),
                    action: "take",
                    managers_before: vec!["helm (Update)".into()],
                    managers_after: vec!["tack (Apply)".into()],
                },
                ImportedObject {
                    object: "Service shop/web".into(),
                    action: "missing",
                    managers_before: vec![],
                    managers_after: vec![],
                },
            ],
            objects_taken: 1,
            records_written: 1,
            helm_records: vec!["secret shop/sh.helm.release.v1.web.v2".into()],
            helm_records_removed: removed,
            remove_helm_records: removed > 0,
        }
    }

    #[test]
    fn a_dry_run_says_what_would_happen_and_an_import_what_did() {
        let dry = report_text(Style::PLAIN, &report(true, 0), 0.2);
        assert!(
            dry.starts_with(
                "dry run: import of Helm release `web` in namespace `shop`; nothing was written"
            ),
            "{dry}"
        );
        assert!(
            dry.contains("would take     Deployment shop/web\n"),
            "{dry}"
        );
        assert!(dry.contains("helm (Update) -> tack (Apply)"), "{dry}");
        assert!(dry.contains("missing        Service shop/web\n"), "{dry}");
        assert!(dry.contains("Helm's records (1): kept"), "{dry}");

        let done = report_text(Style::PLAIN, &report(false, 1), 0.25);
        assert!(done.starts_with("imported Helm release `web` in namespace `shop`: 1 revision(s), 1 object(s) taken over, in 0.2s"), "{done}");
        assert!(
            done.contains("taken          Deployment shop/web"),
            "{done}"
        );
        assert!(done.contains("Helm's records (1): 1 removed"), "{done}");
    }
}
