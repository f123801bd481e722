//! Comparing the merged values of two instances (e.g. public vs private): every key path whose value
//! differs, both values (secret-looking keys masked) and the layer, file and line that set each.

use crate::values::{
    self, explain, format_path, lookup, path_is_secret, redacted, render_value, PathSeg, Resolved,
    Status, Values,
};
use serde::Serialize;
use std::fmt;

/// One instance's side of a difference.
#[derive(Clone, Debug, Serialize)]
pub struct Side {
    /// The value, masked where secret; `None` when the key is not set.
    pub value: Option<Values>,
    /// The layer that set it: `tier `public` at values/public.yaml:5:3`, or a stack-file `set` entry.
    pub source: Option<String>,
}

/// A key path whose value differs between the two instances.
#[derive(Clone, Debug, Serialize)]
pub struct Difference {
    pub path: String,
    pub left: Side,
    pub right: Side,
}

/// The comparison of two instances' values.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub left: String,
    pub right: String,
    pub differences: Vec<Difference>,
}

/// Compare the merged values of `left` and `right` (named for the report).
pub fn compare(left: (&str, &Resolved), right: (&str, &Resolved)) -> Comparison {
    let mut paths = Vec::new();
    walk(
        Some(&left.1.values),
        Some(&right.1.values),
        &mut Vec::new(),
        &mut paths,
    );
    let differences = paths
        .iter()
        .map(|p| Difference {
            path: format_path(p),
            left: side(left.1, p),
            right: side(right.1, p),
        })
        .collect();
    Comparison {
        left: left.0.to_string(),
        right: right.0.to_string(),
        differences,
    }
}

/// Collect the paths where `a` and `b` differ: maps on both sides are compared key by key, anything else
/// (scalars, lists, a map on one side only) as a whole.
fn walk(
    a: Option<&Values>,
    b: Option<&Values>,
    path: &mut Vec<PathSeg>,
    out: &mut Vec<Vec<PathSeg>>,
) {
    if a == b {
        return;
    }
    if let (Some(Values::Object(ma)), Some(Values::Object(mb))) = (a, b) {
        let mut keys: Vec<&String> = ma.keys().chain(mb.keys()).collect();
        keys.sort();
        keys.dedup();
        for k in keys {
            path.push(PathSeg::Key(k.clone()));
            walk(ma.get(k), mb.get(k), path, out);
            path.pop();
        }
        return;
    }
    out.push(path.clone());
}

fn side(resolved: &Resolved, path: &[PathSeg]) -> Side {
    let value = lookup(&resolved.values, path).map(|v| {
        if path_is_secret(path) {
            Values::String("<redacted>".into())
        } else {
            redacted(v)
        }
    });
    let source = explain(resolved, &format_path(path)).ok().and_then(|e| {
        let entry = match e.winner {
            Some(w) => e.entries.get(w),
            None => e.entries.iter().rev().find(|x| x.status != Status::None),
        }?;
        Some(match &entry.location {
            Some(loc) if loc != &entry.origin => format!("{} at {loc}", entry.layer),
            _ => entry.origin.clone(),
        })
    });
    Side { value, source }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.differences.len();
        if n == 0 {
            return writeln!(
                f,
                "the values of `{}` and `{}` are the same",
                self.left, self.right
            );
        }
        writeln!(
            f,
            "values of `{}` vs `{}`: {n} key{} differ{}",
            self.left,
            self.right,
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        )?;
        let width = self.left.chars().count().max(self.right.chars().count());
        let shown: Vec<(String, String)> = self
            .differences
            .iter()
            .flat_map(|d| [&d.left, &d.right])
            .map(|s| {
                let v = s
                    .value
                    .as_ref()
                    .map_or("(not set)".to_string(), |v| render_value(v, 60));
                (v, s.source.clone().unwrap_or_default())
            })
            .collect();
        let vwidth = shown
            .iter()
            .map(|(v, _)| v.chars().count())
            .max()
            .unwrap_or(0);
        for (i, d) in self.differences.iter().enumerate() {
            writeln!(f, "\n{}", d.path)?;
            for (name, (value, source)) in [&self.left, &self.right]
                .into_iter()
                .zip(&shown[2 * i..2 * i + 2])
            {
                let line = format!("  {name:<width$}  {value:<vwidth$}  {source}");
                writeln!(f, "{}", line.trim_end())?;
            }
        }
        Ok(())
    }
}

/// Relabel the layers of an instance's `set` entries so reports point at the stack file: the first
/// `entries.len()` flag layers of `resolved` came from `entries`, in order.
pub fn label_set_layers(
    resolved: &mut Resolved,
    instance: &str,
    file: &str,
    entries: &[super::SetEntry],
) {
    let flags = resolved
        .layers
        .iter_mut()
        .filter(|l| matches!(l.origin, values::Origin::Flag(_)));
    for (layer, entry) in flags.zip(entries) {
        layer.label = format!("instance `{instance}` set");
        layer.origin = values::Origin::Flag(format!(
            "{file}:{}:{} set {}",
            entry.line, entry.column, entry.expr
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::{LayerRequest, SetArg, SetKind};
    use std::path::PathBuf;

    fn resolved(tier: &str, sets: &[&str]) -> Resolved {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let req = LayerRequest {
            previous: None,
            chart_values: Some(root.join("charts/webapp/values.yaml")),
            values_dir: root.join("values"),
            env: Some("prod".into()),
            tier: Some(tier.into()),
            files: vec![],
            sets: sets.iter().map(|s| SetArg::new(SetKind::Set, *s)).collect(),
            base_dir: root.clone(),
        };
        values::resolve(&req).unwrap()
    }

    #[test]
    fn lists_differences_with_values_and_sources() {
        let private = resolved("private", &[]);
        let mut public = resolved("public", &["secret.data.apiToken=abc", "replicaCount=5"]);
        let entries = [super::super::SetEntry {
            expr: "secret.data.apiToken=abc".into(),
            line: 7,
            column: 9,
        }];
        label_set_layers(&mut public, "public", "tack.yaml", &entries);
        let c = compare(("private", &private), ("public", &public));
        let find = |p: &str| c.differences.iter().find(|d| d.path == p).unwrap();
        let tier = find("global.tier");
        assert_eq!(tier.left.value, Some(Values::String("private".into())));
        assert_eq!(tier.right.value, Some(Values::String("public".into())));
        let src = tier.left.source.as_deref().unwrap();
        assert!(
            src.starts_with("tier `private` at ") && src.ends_with("values/private.yaml:3:3"),
            "{src}"
        );
        let ingress = find("ingress.enabled");
        assert!(
            ingress
                .right
                .source
                .as_deref()
                .unwrap()
                .contains("values/public.yaml:"),
            "{ingress:?}"
        );
        // maps are compared key by key, lists as a whole
        let rps = find("ingress.annotations.\"nginx.ingress.kubernetes.io/limit-rps\"");
        assert_eq!(rps.left.value, None);
        assert!(find("networkPolicy.egressAllowed")
            .right
            .value
            .as_ref()
            .unwrap()
            .is_array());
        // secrets are masked, and the stack-file entry is named
        let token = find("secret.data.apiToken");
        assert_eq!(token.left.value, None);
        assert_eq!(token.right.value, Some(Values::String("<redacted>".into())));
        assert_eq!(
            token.right.source.as_deref(),
            Some("tack.yaml:7:9 secret.data.apiToken=<redacted>")
        );
        let replicas = find("replicaCount");
        assert_eq!(
            replicas.right.source.as_deref(),
            Some("--set replicaCount=5")
        );
        let text = c.to_string();
        assert!(
            text.starts_with("values of `private` vs `public`: "),
            "{text}"
        );
        assert!(
            text.contains("\nglobal.tier\n  private  \"private\""),
            "{text}"
        );
        assert!(!text.contains("abc"), "{text}");
        // equal values
        let same = compare(("a", &private), ("b", &private));
        assert!(same.differences.is_empty());
        assert_eq!(same.to_string(), "the values of `a` and `b` are the same\n");
    }
}
