//! How per-target runs look: an instance's block (header, its events, its output, its error), the summary
//! table of a stack command, and the closing line naming the instances that did not succeed.

use super::{Printer, Style};
use crate::error::{reported, FAILURE};
use crate::stack::runner::{InstanceRun, State};
use anyhow::Result;

/// An instance's block: a header line, then its events, its output and its error.
pub fn block(style: Style, run: &InstanceRun) -> String {
    let header = format!(
        "==> instance `{}` (namespace `{}`)",
        run.name, run.namespace
    );
    let mut out = format!("{}\n", style.bold(&header));
    out.push_str(&Printer::events_text(style, &run.captured));
    out.push_str(&run.text);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if let Some(e) = &run.error {
        out.push_str(&paint_error(style, e));
        out.push('\n');
    }
    out
}

/// Plain `error:` / `caused by:` text with its labels coloured.
pub fn paint_error(style: Style, text: &str) -> String {
    text.lines()
        .map(|l| {
            if let Some(rest) = l.strip_prefix("error:") {
                format!("{}{rest}", style.red("error:"))
            } else if let Some(rest) = l.strip_prefix("  caused by:") {
                format!("  {}{rest}", style.dim("caused by:"))
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The summary table: instance, namespace, revision, result, duration.
pub fn summary(style: Style, runs: &[InstanceRun]) -> String {
    summary_in(style, runs, &|_| None)
}

/// [`summary`] with a CLUSTER column when any instance names a cluster (`cluster_of` by instance name).
pub fn summary_in(
    style: Style,
    runs: &[InstanceRun],
    cluster_of: &dyn Fn(&str) -> Option<String>,
) -> String {
    let clustered = runs.iter().any(|r| cluster_of(&r.name).is_some());
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let result = match r.state {
                State::Ok => style.green(&r.result),
                State::Failed => style.red(&r.result),
                State::Skipped => style.yellow(&r.result),
            };
            let mut row = vec![
                r.name.clone(),
                r.namespace.clone(),
                r.revision.map_or("-".to_string(), |v| v.to_string()),
                result,
                format!("{:.1}s", r.duration.as_secs_f64()),
            ];
            if clustered {
                row.insert(1, cluster_of(&r.name).unwrap_or_else(|| "-".into()));
            }
            row
        })
        .collect();
    let mut headers = vec!["INSTANCE", "NAMESPACE", "REVISION", "RESULT", "DURATION"];
    if clustered {
        headers.insert(1, "CLUSTER");
    }
    super::table(style, &headers, &rows)
}

/// Fail (already reported on stderr) when any instance failed or was skipped, naming them; `Ok` otherwise.
pub fn finish(printer: &Printer, runs: &[InstanceRun]) -> Result<()> {
    let bad: Vec<&str> = runs
        .iter()
        .filter(|r| r.state != State::Ok)
        .map(|r| r.name.as_str())
        .collect();
    if bad.is_empty() {
        return Ok(());
    }
    let msg = format!(
        "{} of {} instance{} did not succeed: {}",
        bad.len(),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" },
        bad.join(", ")
    );
    printer.stderr(&format!("{}\n", printer.err().red(&msg)));
    Err(reported(FAILURE, msg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;
    use std::time::Duration;

    fn run(name: &str, state: State, error: Option<&str>) -> InstanceRun {
        InstanceRun {
            name: name.into(),
            namespace: format!("ns-{name}"),
            state,
            revision: None,
            result: if state == State::Ok { "ok" } else { "failed" }.into(),
            captured: vec![Event::Warning(format!("about {name}"))],
            text: String::new(),
            error: error.map(str::to_string),
            failure: None,
            duration: Duration::from_millis(100),
        }
    }

    #[test]
    fn block_summary_and_closing_line() {
        let runs = [
            run("a", State::Ok, None),
            run("bad", State::Failed, Some("error: bad broke")),
        ];
        assert_eq!(
            block(Style::PLAIN, &runs[1]),
            "==> instance `bad` (namespace `ns-bad`)\nwarning: about bad\nerror: bad broke\n"
        );
        let painted = block(Style { color: true }, &runs[1]);
        assert!(
            painted.contains("\x1b[1;31merror:\x1b[0m bad broke"),
            "{painted:?}"
        );
        let table = summary(Style::PLAIN, &runs);
        assert!(
            table.starts_with("INSTANCE  NAMESPACE  REVISION  RESULT  DURATION\n"),
            "{table}"
        );
        assert!(
            table.contains("bad       ns-bad     -         failed"),
            "{table}"
        );
        let err = finish(&Printer::plain(), &runs).unwrap_err().to_string();
        assert_eq!(err, "1 of 2 instances did not succeed: bad");
    }
}
