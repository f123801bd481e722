//! Tests for schema validation.

use super::*;
use crate::values::layers::fold;
use crate::values::parse_set;
use crate::values::{parse_yaml, Layer, Origin, Positions, SetArg, SetKind};
use serde_json::json;
use std::path::PathBuf;

fn file(label: &str, path: &str, src: &str) -> Layer {
    let (tree, positions, _) = parse_yaml(src, path).unwrap();
    Layer {
        label: label.into(),
        origin: Origin::File(PathBuf::from(path)),
        tree,
        positions,
        assignments: Vec::new(),
    }
}

fn flag(expr: &str) -> Layer {
    let arg = SetArg::new(SetKind::Set, expr);
    let assignments = parse_set(&arg, Path::new(".")).unwrap();
    Layer {
        label: "--set".into(),
        origin: Origin::Flag(arg.to_string()),
        tree: Values::Null,
        positions: Positions::new(),
        assignments,
    }
}

fn resolved(layers: Vec<Layer>) -> Resolved {
    Resolved {
        values: fold(&layers, layers.len()),
        layers,
        warnings: Vec::new(),
    }
}

fn schema() -> Values {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["image", "name"],
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string"},
            "image": {
                "type": "object",
                "required": ["repo"],
                "properties": {"tag": {"type": "string"}, "repo": {"type": "string"}}
            },
            "replicas": {"type": "integer", "minimum": 1},
            "mode": {"enum": ["a", "b"]},
            "db": {"type": "object", "properties": {"password": {"type": "string", "minLength": 12}}},
            "hosts": {"type": "array", "items": {"type": "object", "properties": {"port": {"type": "integer"}}}},
            "note": {"type": "string", "maxLength": 5}
        }
    })
}

fn violations() -> Vec<SchemaViolation> {
    let r = resolved(vec![
        file(
            "chart defaults",
            "chart/values.yaml",
            "name: app\nimage:\n  tag: \"1.0\"\nreplicas: 1\nmode: a\nhosts:\n  - port: 80\n",
        ),
        file(
            "env `prod`",
            "values/prod.yaml",
            "image:\n  tag: 1.1\nreplicas: 0\ndb:\n  password: hunter2\nextra: 1\n",
        ),
        flag("mode=c,hosts[0].port=http"),
        flag(&format!("note={}", "x".repeat(200))),
    ]);
    validate_schema(&schema(), Path::new("chart/values.schema.json"), &r).unwrap_err()
}

fn find<'a>(v: &'a [SchemaViolation], path: &str) -> &'a SchemaViolation {
    v.iter()
        .find(|x| x.path == path)
        .unwrap_or_else(|| panic!("no violation at {path}: {v:#?}"))
}

#[test]
fn violations_name_path_value_wanted_and_layer() {
    let v = violations();
    let cases = [
        (
            "image.tag",
            "`image.tag` = 1.1: expected type string, found a number\n  set by env `prod` at values/prod.yaml:2:3\n  schema: chart/values.schema.json at `/properties/image/properties/tag/type`",
        ),
        (
            "replicas",
            "`replicas` = 0: the value is less than the minimum of 1\n  set by env `prod` at values/prod.yaml:3:1\n  schema: chart/values.schema.json at `/properties/replicas/minimum`",
        ),
        (
            "mode",
            "`mode` = \"c\": expected one of: \"a\", \"b\"\n  set by `--set mode=c,hosts[0].port=http`\n  schema: chart/values.schema.json at `/properties/mode/enum`",
        ),
        (
            "hosts[0].port",
            "`hosts[0].port` = \"http\": expected type integer, found a string\n  set by `--set mode=c,hosts[0].port=http`\n  schema: chart/values.schema.json at `/properties/hosts/items/properties/port/type`",
        ),
        (
            "extra",
            "`extra` = 1: this key is not allowed here (the schema lists the allowed keys)\n  set by env `prod` at values/prod.yaml:6:1\n  schema: chart/values.schema.json at `/additionalProperties`",
        ),
        (
            "image.repo",
            "`image.repo`: required key `repo` is missing\n  set by env `prod` at values/prod.yaml:1:1 (which sets `image` without `repo`)\n  schema: chart/values.schema.json at `/properties/image/required`",
        ),
    ];
    for (path, want) in cases {
        assert_eq!(find(&v, path).to_string(), want, "{path}");
    }
}

#[test]
fn secrets_are_never_printed() {
    let v = violations();
    let pw = find(&v, "db.password");
    assert_eq!(pw.value.as_deref(), Some("<redacted>"));
    let all: String = v
        .iter()
        .map(|x| format!("{x}\n{}", serde_json::to_string(x).unwrap()))
        .collect();
    assert!(!all.contains("hunter2"), "{all}");

    // A flag that sets a secret is not echoed with its value.
    let r = resolved(vec![flag("db.password=hunter2")]);
    let v = validate_schema(&schema(), Path::new("s.json"), &r).unwrap_err();
    let pw = find(&v, "db.password").to_string();
    assert!(
        pw.contains("set by `--set db.password=<redacted>`") && !pw.contains("hunter2"),
        "{pw}"
    );

    // A secret nested inside a reported map is masked too.
    let r = resolved(vec![file(
        "chart defaults",
        "c.yaml",
        "auth:\n  user: u\n  apiKey: s3cr3t\n",
    )]);
    let schema = json!({"properties": {"auth": {"type": "string"}}});
    let v = validate_schema(&schema, Path::new("s.json"), &r).unwrap_err();
    let text = v[0].to_string();
    assert!(
        text.contains("<redacted>") && !text.contains("s3cr3t"),
        "{text}"
    );
}

#[test]
fn long_values_are_truncated() {
    let v = violations();
    let note = find(&v, "note");
    let shown = note.value.as_deref().unwrap();
    assert!(
        shown.chars().count() <= 60 && shown.ends_with('…'),
        "{shown}"
    );
}

#[test]
fn valid_values_pass_and_bad_schemas_are_reported() {
    let r = resolved(vec![file(
        "chart defaults",
        "c.yaml",
        "name: x\nimage:\n  repo: r\n",
    )]);
    assert!(validate_schema(&schema(), Path::new("s.json"), &r).is_ok());

    let broken = json!({"type": "no-such-type"});
    let v = validate_schema(&broken, Path::new("s.json"), &r).unwrap_err();
    assert_eq!(v.len(), 1);
    assert!(
        v[0].wanted.contains("the schema itself is not usable"),
        "{}",
        v[0]
    );
}

#[test]
fn draft7_schemas_work() {
    let r = resolved(vec![file("chart defaults", "c.yaml", "port: \"80\"\n")]);
    let schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "properties": {"port": {"type": "integer"}}
    });
    let v = validate_schema(&schema, Path::new("s.json"), &r).unwrap_err();
    assert_eq!(v[0].path, "port");
    assert_eq!(v[0].set_by.as_deref(), Some("chart defaults at c.yaml:1:1"));
}
