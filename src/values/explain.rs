//! Provenance: for one key path, what every layer did to it, which layer won, and the final value
//! (`tack values explain image.tag`); also answers "who set this" for schema errors.

use std::fmt;

use anyhow::{anyhow, Result};
use serde::Serialize;

use super::path::{format_path, lookup, parse_path, PathSeg};
use super::provenance::{trace, Effect};
use super::{path_is_secret, redacted, render_value, Resolved, Values};

/// Knobs for [`explain_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct ExplainOptions {
    /// Print values under secret-looking keys instead of `<redacted>`.
    pub reveal_secrets: bool,
}

/// How a layer's contribution fared in the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    None,
    /// A later layer replaced it.
    Overridden,
    /// It is the final value.
    Final,
    /// It is part of a map that several layers merged.
    Merged,
}

/// One row of the report: one layer.
#[derive(Clone, Debug, Serialize)]
pub struct ExplainEntry {
    pub layer: String,
    pub origin: String,
    /// `file:line:col` for file layers, the flag (with column) for flags; `None` if untouched.
    pub location: Option<String>,
    pub effect: Effect,
    /// The path actually written, when it is a parent (or child) of the explained path.
    pub at: Option<String>,
    /// The value written (at `at` when given); `None` when untouched.
    pub value: Option<Values>,
    pub status: Status,
}

/// The full report for one path. `Display` renders the human table; `Serialize` gives `-o json`.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub path: String,
    pub entries: Vec<ExplainEntry>,
    /// The merged value at the path; `None` when it ends up unset.
    pub final_value: Option<Values>,
    /// Index into `entries` of the layer whose value won (none when maps merged or nothing set).
    pub winner: Option<usize>,
    pub redacted: bool,
}

/// Explain `path` (e.g. `image.tag`, `hosts[0].name`, `annotations."a.b/c"`), redacting secrets.
pub fn explain(resolved: &Resolved, path: &str) -> Result<Explanation> {
    explain_with(resolved, path, ExplainOptions::default())
}

/// [`explain`] with options.
pub fn explain_with(resolved: &Resolved, path: &str, opts: ExplainOptions) -> Result<Explanation> {
    let query = parse_path(path)?;
    let secret = !opts.reveal_secrets && path_is_secret(&query);
    let shown = |v: &Values| -> Values {
        if secret {
            Values::String("<redacted>".into())
        } else if opts.reveal_secrets {
            v.clone()
        } else {
            redacted(v)
        }
    };
    let rows = trace(&resolved.layers, &query);
    let final_value = lookup(&resolved.values, &query).cloned();
    // A path no layer ever wrote (only parents replaced or deleted) is a typo, not a report.
    let mentioned = rows.iter().any(|r| {
        matches!(
            r.effect,
            Effect::Set | Effect::SetMap | Effect::Deleted | Effect::SetBelow
        )
    });
    if final_value.is_none() && !mentioned {
        return Err(not_found(resolved, &query));
    }
    let ends_as_map = final_value.as_ref().is_some_and(Values::is_object);
    let last_replacing = rows.iter().rposition(|r| r.replacing);
    let mut entries = Vec::with_capacity(rows.len());
    let mut winner = None;
    for (i, (row, layer)) in rows.iter().zip(&resolved.layers).enumerate() {
        let deletes = matches!(row.effect, Effect::Deleted | Effect::DeletedParent);
        let status = match (row.effect, last_replacing) {
            (Effect::Untouched, _) => Status::None,
            (_, Some(w)) if i < w => Status::Overridden,
            // Later layers built a new map where this one deleted.
            (_, Some(w)) if i == w && ends_as_map && deletes => Status::Overridden,
            (_, Some(w)) if i == w && !ends_as_map => {
                winner = Some(i);
                Status::Final
            }
            _ => Status::Merged,
        };
        entries.push(ExplainEntry {
            layer: layer.label.clone(),
            origin: layer.source(),
            location: row.location.clone(),
            effect: row.effect,
            at: row.at.as_ref().map(|p| format_path(p)),
            value: row.value.as_ref().map(&shown),
            status,
        });
    }
    // A map set by a single layer is simply that layer's value.
    let merged: Vec<usize> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| e.status == Status::Merged)
        .map(|(i, _)| i)
        .collect();
    if let [only] = merged[..] {
        entries[only].status = Status::Final;
        winner = Some(only);
    }
    Ok(Explanation {
        path: format_path(&query),
        entries,
        final_value: final_value.as_ref().map(shown),
        winner,
        redacted: secret,
    })
}

fn not_found(resolved: &Resolved, query: &[PathSeg]) -> anyhow::Error {
    let shown = format_path(query);
    // The deepest prefix that exists, and what the next step could have been.
    let depth = (0..query.len())
        .rev()
        .find(|&n| lookup(&resolved.values, &query[..n]).is_some())
        .unwrap_or(0);
    let parent = lookup(&resolved.values, &query[..depth]).expect("the empty path always exists");
    let parent_name = if depth == 0 {
        "the top level".to_string()
    } else {
        format!("`{}`", format_path(&query[..depth]))
    };
    let mut msg = format!("`{shown}` is not set by any values layer");
    let mut hint = String::new();
    match (parent, &query[depth]) {
        (Values::Object(map), PathSeg::Key(missing)) => {
            let keys: Vec<&str> = map.keys().map(String::as_str).collect();
            let listed: Vec<String> = keys.iter().take(12).map(|k| format!("`{k}`")).collect();
            let more = if keys.len() > 12 { ", ..." } else { "" };
            if keys.is_empty() {
                msg.push_str(&format!("\n{parent_name} has no keys"));
            } else {
                msg.push_str(&format!(
                    "\n{parent_name} has keys: {}{more}",
                    listed.join(", ")
                ));
            }
            if let Some(best) = crate::suggest::closest(missing, keys.iter().copied()) {
                let mut fixed = query.to_vec();
                fixed[depth] = PathSeg::Key(best.to_string());
                hint = format!("did you mean `{}`?", format_path(&fixed[..=depth]));
            }
        }
        (Values::Array(items), _) => {
            msg.push_str(&format!(
                "\n{parent_name} is a list of {} item(s)",
                items.len()
            ));
            hint = "index lists with `[n]`, counting from 0".into();
        }
        (Values::Object(_), PathSeg::Index(_)) => {
            msg.push_str(&format!("\n{parent_name} is a map, not a list"));
        }
        (other, _) => {
            let kind = match other {
                Values::String(_) => "a string",
                Values::Number(_) => "a number",
                Values::Bool(_) => "a boolean",
                _ => "null",
            };
            msg.push_str(&format!(
                "\n{parent_name} is {kind}, so nothing is below it"
            ));
        }
    }
    if !hint.is_empty() {
        msg.push_str(&format!("\n\nhint: {hint}"));
    }
    anyhow!(msg)
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.path)?;
        let rows: Vec<[String; 4]> = self
            .entries
            .iter()
            .map(|e| {
                let value = describe(e);
                let status = match e.status {
                    Status::None => "",
                    Status::Overridden => "overridden",
                    Status::Final => "final",
                    Status::Merged => "merged",
                };
                let loc = e.location.clone().unwrap_or_else(|| e.origin.clone());
                [e.layer.clone(), loc, value, status.to_string()]
            })
            .collect();
        let header = ["LAYER", "SOURCE", "VALUE", ""];
        let mut widths = header.map(|h| h.chars().count());
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |f: &mut fmt::Formatter<'_>, cells: [&str; 4]| -> fmt::Result {
            let mut out = String::from("  ");
            for (i, cell) in cells.iter().enumerate() {
                out.push_str(cell);
                if i + 1 < cells.len() {
                    out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
                }
            }
            writeln!(f, "{}", out.trim_end())
        };
        line(f, header)?;
        for row in &rows {
            line(f, [&row[0], &row[1], &row[2], &row[3]])?;
        }
        writeln!(f)?;
        match (&self.final_value, self.winner) {
            (Some(v), Some(w)) => write!(
                f,
                "final value: {} (from {})",
                render_value(v, 120),
                self.entries[w].source()
            ),
            (Some(v), None) if v.is_object() => {
                let n = self
                    .entries
                    .iter()
                    .filter(|e| e.status == Status::Merged)
                    .count();
                write!(
                    f,
                    "final value: {} (a map merged from {n} layer(s))",
                    render_value(v, 120)
                )
            }
            (Some(v), None) => write!(f, "final value: {}", render_value(v, 120)),
            (None, Some(w)) => write!(
                f,
                "final value: not set (deleted by {})",
                self.entries[w].source()
            ),
            (None, None) => write!(f, "final value: not set"),
        }
    }
}

impl ExplainEntry {
    /// "env `prod` at values/prod.yaml:3:1", or the flag as typed.
    fn source(&self) -> String {
        match &self.location {
            Some(loc) if loc != &self.origin => format!("{} at {loc}", self.layer),
            _ => self.origin.clone(),
        }
    }
}

fn describe(e: &ExplainEntry) -> String {
    let v = |max| {
        e.value
            .as_ref()
            .map_or("?".to_string(), |v| render_value(v, max))
    };
    let at = e.at.as_deref().unwrap_or("?");
    match e.effect {
        Effect::Untouched => "-".into(),
        Effect::Set | Effect::SetMap => v(48),
        Effect::Deleted => "null (deletes it)".into(),
        Effect::SetParent => format!("{at} = {}", v(40)),
        Effect::DeletedParent => format!("{at} = null (deletes it)"),
        Effect::SetBelow => format!("sets {at}"),
    }
}

#[cfg(test)]
#[path = "explain_tests.rs"]
mod tests;
