//! What users get from `tack convert`: one snapshot of a converted chart (its helpers as macros, a
//! deployment, the values with their comments and the env layers split out by `--env-layers`), so a change
//! to the generated Jinja shows up in review as the text a person would keep maintaining.

mod common;

use std::path::Path;
use std::process::Command;

fn files(dir: &Path, root: &Path, out: &mut Vec<(String, String)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let p = e.path();
        if p.is_dir() {
            files(&p, root, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            out.push((rel, std::fs::read_to_string(&p).unwrap()));
        }
    }
}

#[test]
fn a_converted_chart_reads_as_a_tack_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("web");
    let output = Command::new(env!("CARGO_BIN_EXE_tack"))
        .args(["convert"])
        .arg(common::repo().join("tests/fixtures/helm/envs"))
        .arg(&out_dir)
        .arg("--env-layers")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace(&common::repo().display().to_string(), "[REPO]")
        .replace(&out_dir.display().to_string(), "[OUT]");
    let stderr = regex::Regex::new(r"\(\d+ ms\)")
        .unwrap()
        .replace_all(&stderr, "([MS] ms)")
        .into_owned();
    let mut all = Vec::new();
    files(&out_dir, &out_dir, &mut all);
    let mut text = format!("----- tack convert (stderr) -----\n{stderr}");
    for (path, body) in all {
        text.push_str(&format!("----- {path} -----\n{body}"));
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("snapshots/convert");
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| insta::assert_snapshot!("converted-envs-chart", text));
}
