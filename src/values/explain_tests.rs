//! Tests for explain: per-layer effects, statuses, the rendered table, JSON, redaction, typos.

use super::*;
use crate::values::layers::fold;
use crate::values::parse_set;
use crate::values::{parse_yaml, Layer, Origin, Positions, SetArg, SetKind};
use std::path::{Path, PathBuf};

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

fn flag(kind: SetKind, expr: &str) -> Layer {
    let arg = SetArg::new(kind, expr);
    let assignments = parse_set(&arg, Path::new(".")).unwrap();
    Layer {
        label: kind.flag().into(),
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

fn sample() -> Resolved {
    resolved(vec![
        file(
            "chart defaults",
            "chart/values.yaml",
            "image:\n  repo: nginx\n  tag: \"1.0\"\nreplicas: 1\ndb:\n  password: hunter2\nhosts:\n  - name: a\n",
        ),
        file("env `prod`", "values/prod.yaml", "image:\n  tag: \"1.1\"\nreplicas: 3\n"),
        file("tier `public`", "values/public.yaml", "ingress:\n  enabled: true\n"),
        flag(SetKind::Set, "image.tag=1.2"),
    ])
}

#[test]
fn renders_an_aligned_table_with_markers() {
    let e = explain(&sample(), "image.tag").unwrap();
    let want = r#"image.tag
  LAYER           SOURCE                 VALUE
  chart defaults  chart/values.yaml:3:3  "1.0"  overridden
  env `prod`      values/prod.yaml:2:3   "1.1"  overridden
  tier `public`   values/public.yaml     -
  --set           --set image.tag=1.2    "1.2"  final

final value: "1.2" (from --set image.tag=1.2)"#;
    assert_eq!(e.to_string(), want);
    assert_eq!(e.winner, Some(3));
}

#[test]
fn effects_and_statuses_per_layer() {
    type Case = (&'static str, Vec<(Effect, Status)>, Option<Values>);
    use Effect::*;
    use Status::{Final, Merged, Overridden};
    let none = (Untouched, Status::None);
    let cases: Vec<Case> = vec![
        (
            "replicas",
            vec![(Set, Overridden), (Set, Final), none, none],
            Some(serde_json::json!(3)),
        ),
        (
            "image",
            vec![(SetMap, Merged), (SetMap, Merged), none, (SetBelow, Merged)],
            Some(serde_json::json!({"repo": "nginx", "tag": "1.2"})),
        ),
        (
            "image.repo",
            vec![(Set, Final), none, none, none],
            Some(serde_json::json!("nginx")),
        ),
        (
            "hosts[0].name",
            vec![(Set, Final), none, none, none],
            Some(serde_json::json!("a")),
        ),
    ];
    let r = sample();
    for (path, want, final_value) in cases {
        let e = explain(&r, path).unwrap();
        let got: Vec<(Effect, Status)> = e.entries.iter().map(|x| (x.effect, x.status)).collect();
        assert_eq!(got, want, "{path}");
        assert_eq!(e.final_value, final_value, "{path}");
    }
}

#[test]
fn deletions_and_parent_replacements() {
    let r = resolved(vec![
        file(
            "chart defaults",
            "c.yaml",
            "a:\n  b: 1\n  c: 2\nlist: [1, 2]\n",
        ),
        file("env `prod`", "p.yaml", "a: null\n"),
        flag(SetKind::Set, "a.c=3"),
        flag(SetKind::Set, "list=flat"),
    ]);
    let e = explain(&r, "a.b").unwrap();
    assert_eq!(e.entries[1].effect, Effect::DeletedParent);
    assert_eq!(e.entries[1].at.as_deref(), Some("a"));
    assert_eq!(e.entries[1].status, Status::Final);
    assert_eq!(e.final_value, None);
    assert!(
        e.to_string()
            .ends_with("final value: not set (deleted by env `prod` at p.yaml:1:1)"),
        "{e}"
    );

    let e = explain(&r, "a.c").unwrap();
    let got: Vec<Status> = e.entries.iter().map(|x| x.status).collect();
    assert_eq!(
        got,
        vec![
            Status::Overridden,
            Status::Overridden,
            Status::Final,
            Status::None
        ]
    );
    assert_eq!(e.final_value, Some(serde_json::json!(3)));

    let e = explain(&r, "list[1]").unwrap();
    assert_eq!(e.entries[3].effect, Effect::SetParent);
    assert!(e.to_string().contains(r#"list = "flat""#), "{e}");
}

#[test]
fn secrets_are_redacted_unless_revealed() {
    let r = sample();
    let e = explain(&r, "db.password").unwrap();
    let text = e.to_string();
    assert!(
        text.contains("<redacted>") && !text.contains("hunter2"),
        "{text}"
    );
    assert!(!serde_json::to_string(&e).unwrap().contains("hunter2"));
    let e = explain(&r, "db").unwrap();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = explain_with(
        &r,
        "db.password",
        ExplainOptions {
            reveal_secrets: true,
        },
    )
    .unwrap();
    assert!(e.to_string().contains("hunter2"));
}

#[test]
fn flags_setting_secrets_are_shown_redacted() {
    let mut layers = vec![file("chart defaults", "c.yaml", "db:\n  host: h\n")];
    layers.push(flag(SetKind::Set, "db.password=hunter2,db.host=x"));
    let r = resolved(layers);
    for path in ["db.password", "db.host", "db"] {
        let e = explain(&r, path).unwrap();
        let text = format!("{e}\n{}", serde_json::to_string(&e).unwrap());
        assert!(!text.contains("hunter2"), "{path}: {text}");
        assert!(
            text.contains("--set db.password=<redacted>,db.host=x"),
            "{path}: {text}"
        );
    }
}

#[test]
fn json_output_is_structured() {
    let e = explain(&sample(), "image.tag").unwrap();
    let v: Values = serde_json::to_value(&e).unwrap();
    assert_eq!(v["path"], "image.tag");
    assert_eq!(v["winner"], 3);
    assert_eq!(v["entries"][0]["location"], "chart/values.yaml:3:3");
    assert_eq!(v["entries"][0]["effect"], "set");
    assert_eq!(v["entries"][0]["status"], "overridden");
    assert_eq!(v["entries"][2]["effect"], "untouched");
    assert_eq!(v["final_value"], "1.2");
}

#[test]
fn quoted_keys_with_dots() {
    let r = resolved(vec![file(
        "chart defaults",
        "c.yaml",
        "podAnnotations:\n  prometheus.io/scrape: \"true\"\n",
    )]);
    let e = explain(&r, r#"podAnnotations."prometheus.io/scrape""#).unwrap();
    assert_eq!(e.entries[0].location.as_deref(), Some("c.yaml:2:3"));
    assert_eq!(e.final_value, Some(serde_json::json!("true")));
}

#[test]
fn missing_paths_suggest_near_keys() {
    let r = sample();
    let cases = [
        (
            "image.tga",
            vec![
                "`image.tga` is not set by any values layer",
                "`image` has keys: `repo`, `tag`",
                "did you mean `image.tag`?",
            ],
        ),
        ("replica", vec!["did you mean `replicas`?"]),
        ("Image.tag", vec!["did you mean `image`?"]),
        ("zzz", vec!["the top level has keys:"]),
        (
            "replicas.x",
            vec!["`replicas` is a number, so nothing is below it"],
        ),
        ("hosts[5]", vec!["`hosts` is a list of 1 item(s)"]),
        ("image[0]", vec!["`image` is a map, not a list"]),
        ("a..b", vec!["invalid key path"]),
    ];
    for (path, wants) in cases {
        let e = format!("{:#}", explain(&r, path).unwrap_err());
        for want in wants {
            assert!(e.contains(want), "{path}: {e}");
        }
    }
}
