//! A diff of several stack instances (`tack diff --all`, `-l`, `--instance`) as one document: `-o markdown`
//! is one pull-request comment (a summary table, then a section per instance with the per-object
//! `<details>` blocks of single diffs) and `-o json` lists each instance's single-diff document. Pure: the
//! plans arrive masked from [`super::build`]; an instance that failed carries only its error text.

use super::render_markdown::{cell, fit, object_sections, upper_first, MAX_CHARS};
use super::{plural, summary_line, warning_lines, Counts, Plan};
use serde::Serialize;

/// The schema identifier of the stack JSON document.
pub const API_VERSION: &str = "tack.dev/stack-diff/v1";

/// One selected instance of the stack and how its diff went.
#[derive(Debug, Clone)]
pub struct InstanceDiff {
    pub name: String,
    pub namespace: String,
    /// The stack file's cluster of the instance, if it names one.
    pub cluster: Option<String>,
    pub env: Option<String>,
    pub tier: Option<String>,
    pub outcome: Outcome,
}

/// How an instance's diff ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The plan was computed (it may still hold objects the server refused in the dry run).
    Planned(Plan),
    /// The instance failed to render or to compare; the error text, without colours or Secret values.
    Failed(String),
    /// Not started (`--fail-fast` after another failure); why.
    Skipped(String),
}

/// How an instance's diff is classified, in the summary and the JSON `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Changed,
    Unchanged,
    Failed,
    Skipped,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Changed => "changed",
            State::Unchanged => "unchanged",
            State::Failed => "failed",
            State::Skipped => "skipped",
        }
    }
}

impl InstanceDiff {
    pub fn plan(&self) -> Option<&Plan> {
        match &self.outcome {
            Outcome::Planned(p) => Some(p),
            _ => None,
        }
    }

    /// A plan with objects the server refused counts as failed: the operation would fail.
    pub fn state(&self) -> State {
        match &self.outcome {
            Outcome::Planned(p) if p.counts().errors > 0 => State::Failed,
            Outcome::Planned(p) if p.has_changes() => State::Changed,
            Outcome::Planned(_) => State::Unchanged,
            Outcome::Failed(_) => State::Failed,
            Outcome::Skipped(_) => State::Skipped,
        }
    }

    /// Why the instance failed or was skipped, if it did.
    pub fn error(&self) -> Option<String> {
        match &self.outcome {
            Outcome::Planned(p) => {
                let n = p.counts().errors;
                (n > 0).then(|| {
                    format!(
                        "the server refused {n} object{} in the dry run, so the operation would fail; see the notes",
                        plural(n)
                    )
                })
            }
            Outcome::Failed(e) | Outcome::Skipped(e) => Some(e.clone()),
        }
    }

    /// A few words for a summary table: the object counts, or what went wrong.
    pub fn result(&self) -> String {
        match self.plan() {
            Some(plan) => plan_result(plan),
            None => self.state().as_str().to_string(),
        }
    }
}

/// A plan in a few words: `no changes`, `1 to add, 2 to change, 0 to delete`, `would fail: 1 refused`.
pub fn plan_result(plan: &Plan) -> String {
    let c = plan.counts();
    if c.errors > 0 {
        return format!("would fail: {} refused", c.errors);
    }
    if !plan.has_changes() {
        return "no changes".into();
    }
    let mut parts = vec![
        format!("{} to add", c.add),
        format!("{} to change", c.change),
        format!("{} to delete", c.delete),
    ];
    if c.drift > 0 {
        parts.push(format!("{} drifted", c.drift));
    }
    parts.join(", ")
}

/// The exit code of a stack diff: 1 when any instance failed (or was skipped, or would fail), else 2 when
/// `--exit-code` is on and any instance would change or drifted, else 0.
pub fn exit_code(instances: &[InstanceDiff], exit_code_flag: bool) -> i32 {
    let states: Vec<State> = instances.iter().map(InstanceDiff::state).collect();
    if states
        .iter()
        .any(|s| matches!(s, State::Failed | State::Skipped))
    {
        return crate::error::FAILURE;
    }
    if exit_code_flag && states.contains(&State::Changed) {
        return 2;
    }
    crate::error::OK
}

/// Instances by state, and the objects of every computed plan by class.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    pub instances: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub skipped: usize,
    pub add: usize,
    pub change: usize,
    pub delete: usize,
    pub drift: usize,
}

pub fn summary(instances: &[InstanceDiff]) -> Summary {
    let mut s = Summary {
        instances: instances.len(),
        ..Summary::default()
    };
    for i in instances {
        match i.state() {
            State::Changed => s.changed += 1,
            State::Unchanged => s.unchanged += 1,
            State::Failed => s.failed += 1,
            State::Skipped => s.skipped += 1,
        }
        if let Some(c) = i.plan().map(Plan::counts) {
            s.add += c.add;
            s.change += c.change;
            s.delete += c.delete;
            s.drift += c.drift;
        }
    }
    s
}

/// Render the instances as one markdown comment, with `context` unchanged lines around each change. When
/// instances name clusters, the table gets a cluster column and the sections are grouped per cluster (in
/// the order clusters first appear).
pub fn render_markdown(instances: &[InstanceDiff], context: usize) -> String {
    let clustered = instances.iter().any(|i| i.cluster.is_some());
    let mut order: Vec<Option<&str>> = Vec::new();
    for i in instances {
        if !order.contains(&i.cluster.as_deref()) {
            order.push(i.cluster.as_deref());
        }
    }
    let mut grouped: Vec<&InstanceDiff> = instances.iter().collect();
    grouped.sort_by_key(|i| order.iter().position(|c| *c == i.cluster.as_deref()));
    let s = summary(instances);
    let mut out = format!(
        "### tack diff: {} stack instance{}\n\n**{}**\n\n",
        s.instances,
        plural(s.instances),
        headline(&s)
    );
    if clustered {
        out.push_str("| Cluster | Instance | Namespace | Env | Tier | To add | To change | To delete | Drift | Result |\n");
        out.push_str("| --- | --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n");
    } else {
        out.push_str(
            "| Instance | Namespace | Env | Tier | To add | To change | To delete | Drift | Result |\n",
        );
        out.push_str("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | --- |\n");
    }
    for i in &grouped {
        let counts = i.plan().map(Plan::counts);
        let n = |f: fn(&Counts) -> usize| counts.as_ref().map_or("-".into(), |c| f(c).to_string());
        let result = match (i.state(), counts) {
            (State::Changed, Some(c)) if c.add + c.change + c.delete == 0 => "drift",
            (State::Changed, _) => "changes",
            (State::Unchanged, _) => "no changes",
            (State::Failed, Some(_)) => "**would fail**",
            (State::Failed, None) => "**failed**",
            (State::Skipped, _) => "**skipped**",
        };
        if clustered {
            out.push_str(&format!(
                "| {} ",
                i.cluster
                    .as_deref()
                    .map_or("-".into(), |c| format!("`{c}`"))
            ));
        }
        out.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} | {} | {} | {} |\n",
            i.name,
            i.namespace,
            i.env.as_deref().unwrap_or("-"),
            i.tier.as_deref().unwrap_or("-"),
            n(|c| c.add),
            n(|c| c.change),
            n(|c| c.delete),
            n(|c| c.drift),
            result
        ));
    }

    // every heading is kept; the object sections share what is left of the size budget
    let mut headers: Vec<String> = Vec::new();
    for (k, i) in grouped.iter().enumerate() {
        let first_of_cluster = k == 0 || grouped[k - 1].cluster != i.cluster;
        let mut h = String::new();
        if clustered && first_of_cluster {
            let n = grouped.iter().filter(|g| g.cluster == i.cluster).count();
            h.push_str(&match &i.cluster {
                Some(c) => format!("\n### Cluster `{c}`: {n} instance{}\n", plural(n)),
                None => format!("\n### The default cluster: {n} instance{}\n", plural(n)),
            });
        }
        h.push_str(&instance_header(i));
        headers.push(h);
    }
    for (k, (i, header)) in grouped.iter().zip(&headers).enumerate() {
        out.push_str(header);
        if let Some(plan) = i.plan() {
            let later: usize = headers[k + 1..].iter().map(String::len).sum();
            fit(
                &mut out,
                object_sections(plan, context),
                MAX_CHARS.saturating_sub(later),
            );
        }
    }
    out
}

/// "2 of 4 instances would change (1 to add, 3 to change, 0 to delete); 1 failed."
fn headline(s: &Summary) -> String {
    let mut out = if s.changed == 0 {
        format!(
            "No changes in {} instance{}",
            s.unchanged,
            plural(s.unchanged)
        )
    } else {
        format!(
            "{} of {} instance{} would change ({} to add, {} to change, {} to delete{})",
            s.changed,
            s.instances,
            plural(s.instances),
            s.add,
            s.change,
            s.delete,
            if s.drift > 0 {
                format!(", {} drifted", s.drift)
            } else {
                String::new()
            }
        )
    };
    if s.failed > 0 {
        out.push_str(&format!("; {} failed", s.failed));
    }
    if s.skipped > 0 {
        out.push_str(&format!("; {} skipped", s.skipped));
    }
    out.push('.');
    out
}

/// An instance's heading and what stands above its object sections (or its error).
fn instance_header(i: &InstanceDiff) -> String {
    let mut out = format!(
        "\n#### `{}` (namespace `{}`): {}\n\n",
        i.name,
        i.namespace,
        i.state().as_str()
    );
    match &i.outcome {
        Outcome::Planned(plan) => {
            out.push_str(&format!(
                "{}\n\n**{}**\n",
                upper_first(&plan.subject.comparison()),
                summary_line(&plan.counts())
            ));
            let warnings = warning_lines(plan);
            if !warnings.is_empty() || !plan.notes.is_empty() {
                out.push('\n');
                for w in warnings.iter().chain(plan.notes.iter()) {
                    out.push_str(&format!("> {}\n", cell(w)));
                }
            }
        }
        Outcome::Failed(e) | Outcome::Skipped(e) => {
            let text = crate::style::strip_ansi(e);
            let text = text.trim_end();
            let fence = "`".repeat(longest_backtick_run(text).max(2) + 1);
            out.push_str(&format!("{fence}text\n{text}\n{fence}\n"));
        }
    }
    out
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Doc<'a, P: Serialize> {
    api_version: &'static str,
    instances: Vec<InstanceJson<'a, P>>,
    summary: Summary,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct InstanceJson<'a, P: Serialize> {
    name: &'a str,
    namespace: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a str>,
    env: Option<&'a str>,
    tier: Option<&'a str>,
    state: &'static str,
    plan: Option<P>,
    error: Option<String>,
}

/// Render the instances as pretty JSON (ending with a newline): each with its single-diff document as
/// `plan` (null when it failed) and its `error`, then a summary (schema in docs/diff.md).
pub fn render_json(instances: &[InstanceDiff], context: usize) -> String {
    let doc = Doc {
        api_version: API_VERSION,
        instances: instances
            .iter()
            .map(|i| InstanceJson {
                name: &i.name,
                namespace: &i.namespace,
                cluster: i.cluster.as_deref(),
                env: i.env.as_deref(),
                tier: i.tier.as_deref(),
                state: i.state().as_str(),
                plan: i.plan().map(|p| super::render_json::document(p, context)),
                error: i.error().map(|e| crate::style::strip_ansi(&e)),
            })
            .collect(),
        summary: summary(instances),
    };
    let mut out = serde_json::to_string_pretty(&doc).expect("the stack diff document serializes");
    out.push('\n');
    out
}

#[cfg(test)]
#[path = "render_stack_tests.rs"]
mod tests;
