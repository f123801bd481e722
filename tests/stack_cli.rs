//! CLI tests of stacks without a cluster that look into a long YAML stream: which instances a selector
//! picks, and that a client dry run masks Secret values. The output of single stack commands (template,
//! lint, values --compare, the isolation guard, stack-file mistakes) is snapshotted by `tests/cli_cases.rs`.

mod common;

use common::*;
use serde::Deserialize;

/// The sections of a stack's YAML stream, by instance name.
fn sections(stream: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stream.lines() {
        if let Some(rest) = line.strip_prefix("# Instance: ") {
            out.push((rest.split(' ').next().unwrap().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

#[test]
fn template_with_a_selector_renders_only_matching_instances() {
    let (code, out, err) = tack(&["template", "-l", "tier=public"]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["public"]);
    let (code, out, err) = tack(&[
        "template",
        "-l",
        "tier in (work,private),env=prod",
        "--instance",
        "dev",
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["private", "work", "dev"]);
}

#[test]
fn client_dry_run_of_a_stack_needs_no_cluster() {
    let (code, out, err) = tack(&[
        "install",
        "-l",
        "env=prod",
        "--dry-run",
        "--set",
        "secret.data.API_TOKEN=hunter2",
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["private", "work", "public"]);
    assert!(
        !out.contains("hunter2") && out.contains("<redacted"),
        "Secret values are masked"
    );
    assert!(err.contains("nothing was sent to a cluster"), "{err}");
}

/// Every file under `dir`, recursively, relative to it.
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn template_output_dir_writes_one_applyable_folder_per_instance() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = tack(&[
        "template",
        "--all",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    let stack = std::fs::read_to_string(repo().join("tack.yaml")).unwrap();
    let stack: serde_yaml::Value = serde_yaml::from_str(&stack).unwrap();
    let instances = stack["instances"].as_sequence().unwrap();
    let mut folders: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    folders.sort();
    let mut names: Vec<String> = instances
        .iter()
        .map(|i| i["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(folders, names, "one folder per instance");
    for inst in instances {
        let (name, ns) = (
            inst["name"].as_str().unwrap(),
            inst["namespace"].as_str().unwrap(),
        );
        let files = files_under(&dir.path().join(name));
        assert!(!files.is_empty(), "{name} has files");
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            for doc in serde_yaml::Deserializer::from_str(&text) {
                let v = serde_yaml::Value::deserialize(doc).unwrap();
                if v.is_null() {
                    continue;
                }
                assert_eq!(
                    v["metadata"]["namespace"].as_str(),
                    Some(ns),
                    "{} in {}",
                    v["kind"].as_str().unwrap_or_default(),
                    f.display()
                );
            }
        }
    }
}

#[test]
fn template_output_dir_has_a_folder_per_cluster_when_the_stack_names_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let case = repo().join("tests/fixtures/cli/stack-clusters-template");
    let (code, out, err) = tack_in(
        &case,
        &[
            "template",
            "--all",
            "--output-dir",
            dir.path().to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "{out}");
    let found: Vec<String> = files_under(dir.path())
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        found,
        [
            "east/shop-east/tenant/templates/configmap.yaml",
            "east/tools/tenant/templates/configmap.yaml",
            "west/shop-west/tenant/templates/configmap.yaml",
        ]
    );
}
