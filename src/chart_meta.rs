//! The checks on `Chart.yaml` beyond its shape: name, version, `kubeVersion` constraint and type, each
//! error naming the file (and the line where it can be found).

use super::ChartMeta;
use anyhow::{bail, Result};
use std::path::Path;

/// The 1-based line of a top-level `key:` in a YAML text, if it is written plainly.
pub(super) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

pub(super) fn validate_meta(meta: &ChartMeta, meta_text: &str, path: &Path) -> Result<()> {
    let name_ok = !meta.name.is_empty()
        && meta.name.len() <= 63
        && meta
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !name_ok {
        bail!(
            "invalid chart name `{}` in `{}`\n\nhint: use lower-case letters, digits and `-`, at most 63 characters",
            meta.name,
            path.display()
        );
    }
    if semver::Version::parse(meta.version.trim_start_matches('v')).is_err() {
        bail!(
            "invalid chart version `{}` in `{}`: not a semantic version\n\nhint: write it as MAJOR.MINOR.PATCH, e.g. `1.4.0`",
            meta.version,
            path.display()
        );
    }
    for dep in &meta.dependencies {
        for (what, value) in [("name", Some(&dep.name)), ("alias", dep.alias.as_ref())] {
            let Some(value) = value else { continue };
            let ok = !value.is_empty()
                && value.len() <= 63
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                bail!(
                    "invalid dependency {what} `{}` in `{}`\n\nhint: a dependency's name and alias become a \
                     values key and part of output paths; use letters, digits, `-` and `_`, at most 63 characters",
                    value.escape_debug(),
                    path.display()
                );
            }
        }
    }
    if let Some(c) = meta
        .kube_version
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        if let Err(why) = crate::render::filters::validate_constraint(c) {
            bail!(
                "invalid `kubeVersion` constraint `{c}` in `{}{}`: {why}\n\nhint: write a semver constraint such as `>=1.25.0-0`, or remove `kubeVersion`",
                path.display(),
                line_of_key(meta_text, "kubeVersion")
                    .map(|l| format!(":{l}"))
                    .unwrap_or_default()
            );
        }
    }
    if let Some(t) = &meta.chart_type {
        if t != "application" && t != "library" {
            bail!(
                "invalid chart type `{t}` in `{}`\n\nhint: `type` is `application` or `library`",
                path.display()
            );
        }
    }
    Ok(())
}
