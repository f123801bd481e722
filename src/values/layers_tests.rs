//! Tests for the layer stack: folder classification, order, and the errors for missing layers.

use super::*;
use crate::values::{SetArg, SetKind};
use serde_json::json;

fn folder(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
    dir
}

fn names(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn guesses_envs_and_tiers_from_file_names() {
    let cases: &[(&[&str], &[&str], &[&str])] = &[
        (
            &[
                "dev.yaml",
                "staging.yaml",
                "prod.yaml",
                "public.yaml",
                "private.yaml",
                "prod-public.yaml",
            ],
            &["dev", "prod", "staging"],
            &["private", "public"],
        ),
        // unknown single names are envs; a dashed name whose parts are not layers stays an env
        (
            &["qa.yaml", "eu-west.yaml", "work.yaml", "qa-work.yaml"],
            &["eu-west", "qa"],
            &["work"],
        ),
        // a combination of a known env and a known tier, even without their files
        (&["prod-private.yaml", "dev.yaml"], &["dev"], &[]),
        // other files and hidden files are ignored
        (
            &["notes.txt", ".hidden.yaml", "prod.yml", "x/dev.yaml"],
            &[],
            &[],
        ),
    ];
    for (files, envs, tiers) in cases {
        let entries: Vec<(&str, &str)> = files.iter().map(|f| (*f, "a: 1\n")).collect();
        let dir = folder(&entries);
        let (e, t) = layer_files_available(dir.path());
        assert_eq!((e, t), (names(envs), names(tiers)), "{files:?}");
    }
    let (e, t) = layer_files_available(Path::new("/definitely/not/here"));
    assert!(e.is_empty() && t.is_empty());
}

#[test]
fn layers_yaml_overrides_the_guess() {
    let dir = folder(&[
        ("layers.yaml", "envs: [blue, green]\ntiers: [internal]\n"),
        ("blue.yaml", "a: 1\n"),
        ("green.yaml", "a: 2\n"),
        ("internal.yaml", "b: 1\n"),
        ("public.yaml", "b: 2\n"),
    ]);
    let c = layer_catalog(dir.path()).unwrap();
    assert_eq!(c.envs, names(&["blue", "green"]));
    assert_eq!(c.tiers, names(&["internal"]));
    assert!(c.declared);

    let bad = folder(&[("layers.yaml", "envs: 5\n")]);
    let e = format!("{:#}", layer_catalog(bad.path()).unwrap_err());
    assert!(
        e.contains("layers.yaml:1:1") && e.contains("must be a list"),
        "{e}"
    );
    let bad = folder(&[("layers.yaml", "envs: [../x]\n")]);
    let e = format!("{:#}", layer_catalog(bad.path()).unwrap_err());
    assert!(e.contains("not a usable layer name"), "{e}");
}

fn request(dir: &Path) -> LayerRequest {
    LayerRequest {
        previous: None,
        chart_values: Some(dir.join("chart/values.yaml")),
        values_dir: dir.join("values"),
        base_dir: dir.to_path_buf(),
        ..Default::default()
    }
}

fn stack() -> tempfile::TempDir {
    folder(&[
        (
            "chart/values.yaml",
            "image:\n  repo: nginx\n  tag: \"1.0\"\nreplicas: 1\nextra: null\ndebug: true\n",
        ),
        ("values/prod.yaml", "image:\n  tag: \"1.1\"\nreplicas: 3\n"),
        ("values/dev.yaml", "replicas: 1\n"),
        ("values/public.yaml", "ingress:\n  enabled: yes\n"),
        ("values/private.yaml", "ingress:\n  enabled: false\n"),
        ("values/prod-public.yaml", "replicas: 5\ndebug: null\n"),
        ("extra.yaml", "image:\n  pullPolicy: Always\n"),
    ])
}

#[test]
fn resolves_layers_in_order() {
    let dir = stack();
    let mut req = request(dir.path());
    req.env = Some("prod".into());
    req.tier = Some("public".into());
    req.files = vec![dir.path().join("extra.yaml")];
    req.sets = vec![
        SetArg::new(SetKind::Set, "image.tag=1.2,replicas=7"),
        SetArg::new(SetKind::String, "replicas=8"),
    ];
    let r = resolve(&req).unwrap();
    assert_eq!(
        r.values,
        json!({
            "image": {"repo": "nginx", "tag": "1.2", "pullPolicy": "Always"},
            "replicas": "8",
            "extra": null,
            "ingress": {"enabled": true},
        })
    );
    let labels: Vec<&str> = r.layers.iter().map(|l| l.label.as_str()).collect();
    let extra = format!("-f {}", dir.path().join("extra.yaml").display());
    assert_eq!(
        labels,
        vec![
            "chart defaults",
            "env `prod`",
            "tier `public`",
            "env-tier `prod-public`",
            extra.as_str(),
            "--set",
            "--set-string",
        ]
    );
    assert_eq!(
        r.layers[5].origin,
        Origin::Flag("--set image.tag=1.2,replicas=7".into())
    );
    assert_eq!(r.layers[5].positions.get_str("replicas"), Some((1, 15)));
    assert_eq!(r.layers[1].positions.get_str("image.tag"), Some((2, 3)));
    // The YAML 1.1 `yes` in public.yaml is reported.
    assert_eq!(r.warnings.len(), 1);
    assert!(r.warnings[0].file.ends_with("public.yaml") && r.warnings[0].line == 2);
}

#[test]
fn env_tier_combination_is_optional_and_env_alone_works() {
    let dir = stack();
    let mut req = request(dir.path());
    req.env = Some("dev".into());
    req.tier = Some("private".into());
    let r = resolve(&req).unwrap();
    assert_eq!(r.layers.len(), 3);
    assert_eq!(r.values["ingress"], json!({"enabled": false}));

    let mut req = request(dir.path());
    req.tier = Some("public".into());
    let r = resolve(&req).unwrap();
    assert_eq!(r.layers.len(), 2);
    assert_eq!(r.values["replicas"], json!(1));
}

#[test]
fn chart_values_optional() {
    let dir = folder(&[]);
    let mut req = request(dir.path());
    let r = resolve(&req).unwrap();
    assert_eq!(r.values, json!({}));
    assert_eq!(
        r.layers.len(),
        1,
        "a missing values.yaml still shows as an empty layer"
    );
    req.chart_values = None;
    req.sets = vec![SetArg::new(SetKind::Set, "a=1")];
    let r = resolve(&req).unwrap();
    assert_eq!(r.values, json!({"a": 1}));
    assert_eq!(r.layers.len(), 1);
}

#[test]
fn unknown_layers_are_errors_listing_what_exists() {
    let dir = stack();
    let cases: &[(Option<&str>, Option<&str>, &[&str])] = &[
        (
            Some("prd"),
            None,
            &[
                "env `prd` not found",
                "envs available in",
                "`dev`, `prod`",
                "did you mean `prod`?",
            ],
        ),
        (
            None,
            Some("publik"),
            &[
                "tier `publik` not found",
                "`private`, `public`",
                "did you mean `public`?",
            ],
        ),
        (
            Some("public"),
            None,
            &["public.yaml` exists but is not one of the envs"],
        ),
        (
            Some("../chart/values"),
            None,
            &["env name `../chart/values` is not valid"],
        ),
    ];
    for (env, tier, wants) in cases {
        let mut req = request(dir.path());
        req.env = env.map(str::to_string);
        req.tier = tier.map(str::to_string);
        let e = format!("{:#}", resolve(&req).unwrap_err());
        for want in *wants {
            assert!(e.contains(want), "{env:?}/{tier:?}: {e}");
        }
    }
    let mut req = request(dir.path());
    req.values_dir = dir.path().join("nope");
    req.env = Some("prod".into());
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("values folder") && e.contains("does not exist"),
        "{e}"
    );
}

#[test]
fn declared_layer_without_file_is_an_error() {
    let dir = folder(&[("values/layers.yaml", "envs: [qa]\ntiers: []\n")]);
    let mut req = request(dir.path());
    req.env = Some("qa".into());
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("env `qa` is declared but") && e.contains("qa.yaml` does not exist"),
        "{e}"
    );
}

#[test]
fn bad_files_and_flags_fail_the_resolve() {
    let dir = folder(&[("bad.yaml", "a: 1\na: 2\n")]);
    let mut req = request(dir.path());
    req.files = vec![dir.path().join("bad.yaml")];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(e.contains("bad.yaml:2:1: duplicate key `a`"), "{e}");

    let mut req = request(dir.path());
    req.sets = vec![SetArg::new(SetKind::Set, "a[999999999]=x")];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("invalid --set at column 3: list index 999999999 is over the limit"),
        "{e}"
    );
}

#[test]
fn flags_reaching_below_a_value_of_another_type_name_both_setters() {
    let dir = stack();
    let extra = dir.path().join("extra.yaml");
    let mut req = request(dir.path());
    req.files = vec![extra.clone()];

    // over a scalar from a values file: the file, line and column of that value
    req.sets = vec![SetArg::new(SetKind::Set, "image.pullPolicy.x=1")];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    let place = format!("-f {}:2:3", extra.display());
    assert!(
        e.contains("--set flag 1: `image.pullPolicy.x` (column 1) needs `image.pullPolicy` to be a map, but `image.pullPolicy` is a string"),
        "{e}"
    );
    assert!(e.contains(&format!("set by {place}")), "{e}");
    assert!(!e.contains("Always"), "the value is never shown: {e}");

    // a list index on a map: the highest file that wrote it, then the chart's values.yaml
    req.sets = vec![SetArg::new(SetKind::Set, "image[0]=x")];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("needs `image` to be a list, but `image` is a map"),
        "{e}"
    );
    assert!(
        e.contains(&format!("set by -f {}:1:1", extra.display())),
        "{e}"
    );
    req.files.clear();
    let e = format!("{:#}", resolve(&req).unwrap_err());
    let chart = dir.path().join("chart/values.yaml");
    assert!(
        e.contains(&format!("set by chart defaults at {}:1:1", chart.display())),
        "{e}"
    );
    req.files = vec![extra.clone()];

    // across flags: the earlier flag is named by its number, key and column
    req.sets = vec![
        SetArg::new(SetKind::Set, "x=1,a[0]=y"),
        SetArg::new(SetKind::String, "a.b=y"),
    ];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("--set-string flag 2: `a.b` (column 1) needs `a` to be a map, but `a` is a list, set by `a[0]` (column 5) of --set flag 1"),
        "{e}"
    );

    // replacing a value whole stays allowed, in place
    req.sets = vec![SetArg::new(SetKind::Set, "image=flat,replicas.n=1")];
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("`replicas` is a number, set by chart defaults"),
        "{e}"
    );
    req.sets = vec![SetArg::new(SetKind::Set, "image=flat")];
    assert_eq!(resolve(&req).unwrap().values["image"], json!("flat"));
}

#[test]
fn all_flags_together_are_bounded() {
    let dir = stack();
    let mut req = request(dir.path());
    // 20 maximal indices, each flag small: refused before the lists are built; four fit
    let exprs: Vec<String> = (0..20).map(|i| format!("l{i}[65536]=x")).collect();
    req.sets = exprs
        .iter()
        .map(|e| SetArg::new(SetKind::Set, e.as_str()))
        .collect();
    let started = std::time::Instant::now();
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("--set flag 5: `l4[65536]` (column 1) takes the --set* flags past their limit of 300000 values in total"),
        "{e}"
    );
    assert!(e.contains("hint:"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    // within one flag too, and under the limit everything is kept
    req.sets = vec![SetArg::new(SetKind::Set, exprs.join(","))];
    assert!(format!("{:#}", resolve(&req).unwrap_err()).contains("--set flag 1: `l4[65536]`"));
    req.sets = vec![SetArg::new(SetKind::Set, exprs[..4].join(","))];
    let v = resolve(&req).unwrap().values;
    assert_eq!(v["l3"].as_array().unwrap().len(), 65537);
    // text counts too: --set-file contents, keys and strings
    std::fs::write(dir.path().join("big.txt"), "x".repeat(9 << 20)).unwrap();
    req.sets = (0..8)
        .map(|i| SetArg::new(SetKind::File, format!("f{i}=big.txt")))
        .collect();
    let e = format!("{:#}", resolve(&req).unwrap_err());
    assert!(
        e.contains("--set-file flag 8: `f7` (column 1) takes the --set* flags past their limit of 64 MiB of text"),
        "{e}"
    );
}
