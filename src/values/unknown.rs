//! Keys that a values layer sets but the chart never reads: a typo such as `replicaCont: 3` in
//! `values/prod.yaml` is otherwise silently ignored. A top-level key is known when the chart's `values.yaml`
//! or its schema has it; below the top level only a schema that closes its maps
//! (`additionalProperties: false`) makes a key unknown, since charts render maps whole.

use super::path::{format_path, PathSeg};
use super::{Layer, Origin, Resolved, Values};

/// One key no lower layer or schema knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKey {
    /// `values/prod.yaml:12:3`.
    pub at: String,
    pub path: String,
    pub layer: String,
    pub suggestion: Option<String>,
}

impl std::fmt::Display for UnknownKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: `{}` ({}) is neither in the chart's values.yaml nor in its schema, so no template reads it",
            self.at, self.path, self.layer
        )?;
        if let Some(s) = &self.suggestion {
            write!(f, "\n\nhint: did you mean `{s}`?")?;
        }
        Ok(())
    }
}

/// The keys of env, tier and `-f` layers unknown to the chart. `open_top` names top-level keys that are
/// always accepted (subchart names and aliases, `global`).
pub fn unknown_keys(
    resolved: &Resolved,
    schema: Option<&Values>,
    open_top: &[String],
) -> Vec<UnknownKey> {
    let Some(defaults) = resolved
        .layers
        .iter()
        .find(|l| l.label == "chart defaults")
        .map(|l| &l.tree)
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for layer in &resolved.layers {
        let checked = matches!(layer.origin, Origin::File(_))
            && (layer.label.starts_with("env")
                || layer.label.starts_with("tier")
                || layer.label.starts_with("-f "));
        if checked {
            walk(
                layer,
                &layer.tree,
                Some(defaults),
                schema,
                &mut Vec::new(),
                open_top,
                &mut out,
            );
        }
    }
    out
}

fn walk(
    layer: &Layer,
    node: &Values,
    defaults: Option<&Values>,
    schema: Option<&Values>,
    path: &mut Vec<PathSeg>,
    open_top: &[String],
    out: &mut Vec<UnknownKey>,
) {
    let Some(map) = node.as_object() else {
        return;
    };
    // a map the chart leaves open: anything goes below it
    let open_default = match defaults {
        Some(Values::Object(m)) => m.is_empty(),
        Some(Values::Null) => true,
        Some(_) => false,
        // below the top level, only the schema decides
        None => schema.is_none(),
    };
    let schema_props = schema
        .and_then(|s| s.get("properties"))
        .and_then(Values::as_object);
    // at the top level the chart's values.yaml lists the keys (a schema opens it only explicitly, with
    // `additionalProperties` or `patternProperties`); below it JSON Schema's own rule holds: extra properties
    // are allowed unless `additionalProperties: false`
    let top = path.is_empty();
    let schema_open = schema.is_some_and(|s| {
        let extra = s.get("additionalProperties");
        let open = if top {
            extra.is_some_and(|a| a != &Values::Bool(false))
        } else {
            extra != Some(&Values::Bool(false))
        };
        open || s.get("patternProperties").is_some()
    });
    for (key, value) in map {
        let in_defaults = defaults.and_then(|d| d.get(key));
        let in_schema = schema_props.and_then(|p| p.get(key));
        path.push(PathSeg::Key(key.clone()));
        let top_open = path.len() == 1 && open_top.iter().any(|k| k == key);
        if in_defaults.is_none()
            && in_schema.is_none()
            && !open_default
            && !schema_open
            && !top_open
        {
            let mut names: Vec<&str> = defaults
                .and_then(Values::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            if let Some(p) = schema_props {
                names.extend(p.keys().map(String::as_str));
            }
            let suggestion = crate::suggest::closest(key, names.iter().copied()).map(|best| {
                let mut p = path[..path.len() - 1].to_vec();
                p.push(PathSeg::Key(best.to_string()));
                format_path(&p)
            });
            let at = match (&layer.origin, layer.positions.get(path)) {
                (Origin::File(f), Some((line, col))) => format!("{}:{line}:{col}", f.display()),
                (Origin::File(f), None) => f.display().to_string(),
                (Origin::Flag(s), _) => s.clone(),
            };
            out.push(UnknownKey {
                at,
                path: format_path(path),
                layer: layer.label.clone(),
                suggestion,
            });
        } else if !top_open && in_schema.is_some() {
            // below the top level only a schema says which keys exist: a map in values.yaml is often
            // rendered whole (`securityContext | toyaml`), so its defaults do not list every key it takes
            walk(layer, value, None, in_schema, path, open_top, out);
        }
        path.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::path::Positions;
    use serde_json::json;

    fn layer(label: &str, tree: Values) -> Layer {
        let mut positions = Positions::new();
        positions.insert(vec![PathSeg::Key("replicaCont".into())], 3, 1);
        Layer {
            label: label.into(),
            origin: Origin::File(format!("values/{label}.yaml").into()),
            tree,
            positions,
            assignments: Vec::new(),
        }
    }

    #[test]
    fn a_typo_in_an_env_layer_is_named_with_a_suggestion() {
        let resolved = Resolved {
            values: json!({}),
            layers: vec![
                layer(
                    "chart defaults",
                    json!({"replicaCount": 1, "podAnnotations": {}, "image": {"tag": ""}, "db": {"host": "x"}}),
                ),
                layer(
                    "env `prod`",
                    json!({"replicaCont": 3, "podAnnotations": {"a": "b"}, "image": {"tag": "1", "tga": "2"}, "postgres": {"x": 1}}),
                ),
            ],
            warnings: Vec::new(),
        };
        let found = unknown_keys(&resolved, None, &["postgres".to_string()]);
        let paths: Vec<&str> = found.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(
            paths,
            ["replicaCont"],
            "nested keys of maps rendered whole are not judged"
        );
        let typo = &found[0];
        assert_eq!(typo.at, "values/env `prod`.yaml:3:1");
        assert_eq!(typo.suggestion.as_deref(), Some("replicaCount"));
        assert!(
            typo.to_string().contains("did you mean `replicaCount`?"),
            "{typo}"
        );
    }

    #[test]
    fn the_schema_and_open_maps_make_keys_known() {
        let resolved = Resolved {
            values: json!({}),
            layers: vec![
                layer("chart defaults", json!({"a": 1})),
                layer("-f x", json!({"b": 2, "c": {"any": 1}})),
            ],
            warnings: Vec::new(),
        };
        let schema = json!({"properties": {"b": {"type": "integer"}, "c": {"type": "object"}}});
        assert!(unknown_keys(&resolved, Some(&schema), &[]).is_empty());
        assert_eq!(unknown_keys(&resolved, None, &[]).len(), 2);
        let closed = json!({"properties": {"b": {}, "c": {"type": "object", "properties": {"anz": {}}, "additionalProperties": false}}});
        let found = unknown_keys(&resolved, Some(&closed), &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].path, "c.any");
        assert_eq!(found[0].suggestion.as_deref(), Some("c.anz"));
    }
}
