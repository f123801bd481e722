//! No secret in any output: every offline command, on success and on each error path, with a known marker
//! value placed in a Secret template, a values file, `--set`, `--set-json`, `--set-string`, a values file
//! with a YAML error, a `tpl` input and a filter argument. The marker and its base64 must appear nowhere in
//! stdout or stderr (values are shown only with `--show-secrets`, which these runs never pass).

mod common;

use std::path::Path;

use base64::Engine;
use common::tack_in;

const MARKER: &str = "Mk7q-S3CRET-zz91";

/// A chart with a Secret fed from values, optional extra templates, and a values file.
fn chart(dir: &Path, extra: &[(&str, &str)], values: &str) {
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "app/Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 0.1.0\n",
    );
    write("app/values.yaml", values);
    write(
        "app/templates/secret.yaml.j2",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  DB_PASSWORD: {{ values.db.password }}\n\
         data:\n  TOKEN: {{ values.db.password | b64encode }}\n",
    );
    for (rel, text) in extra {
        write(&format!("app/{rel}"), text);
    }
}

/// Every offline command, with `extra` flags appended.
fn commands(extra: &[String]) -> Vec<Vec<String>> {
    let base: &[&[&str]] = &[
        &["lint", "app"],
        &["lint", "app", "--matrix"],
        &["values", "app", "--explain", "db.password"],
        &["install", "rel", "app", "--dry-run"],
        &["diff", "upgrade", "rel", "app", "--offline"],
    ];
    base.iter()
        .map(|c| {
            let mut v: Vec<String> = c.iter().map(|s| s.to_string()).collect();
            v.extend(extra.iter().cloned());
            v
        })
        .collect()
}

/// Run every command and assert the marker never shows. `template` (whose output shows Secrets by design)
/// is added when `failing` says rendering fails; so is `values` (which prints every value) when loading the
/// values fails.
fn assert_no_leak(dir: &Path, extra: &[String], failing: Failing) -> Vec<(Vec<String>, i32)> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(MARKER);
    let b64_core = b64.trim_end_matches('=');
    let mut cmds = commands(extra);
    let mut add = |cmd: &str| {
        let mut t = vec![cmd.to_string(), "app".to_string()];
        t.extend(extra.iter().cloned());
        cmds.push(t);
    };
    if failing != Failing::No {
        add("template");
    }
    if failing == Failing::Values {
        add("values");
    }
    let mut codes = Vec::new();
    for args in cmds {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = tack_in(dir, &refs);
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            assert!(
                !text.contains(MARKER) && !text.contains(b64_core),
                "tack {} printed the secret on {stream}:\n{text}",
                args.join(" ")
            );
        }
        assert!(code != 101 && !err.contains("panicked"), "{args:?}: {err}");
        codes.push((args, code));
    }
    codes
}

#[derive(PartialEq, Clone, Copy)]
enum Failing {
    No,
    Render,
    Values,
}

fn values_with_secret() -> String {
    format!("db:\n  password: {MARKER}\n")
}

fn failed(codes: &[(Vec<String>, i32)], cmd: &str) {
    for (args, code) in codes.iter().filter(|(a, _)| a[0] == cmd) {
        assert_ne!(*code, 0, "{args:?} should fail");
    }
}

#[test]
fn a_broken_secret_template_does_not_show_its_values() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        &[(
            "templates/broken.yaml.j2",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: broken\nstringData:\n  pw: {{ values.db.password }}\n   bad: indentation\n",
        )],
        &values_with_secret(),
    );
    let codes = assert_no_leak(d.path(), &[], Failing::Render);
    failed(&codes, "lint");
    failed(&codes, "template");
}

#[test]
fn a_broken_configmap_does_not_show_its_values_either() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        &[(
            "templates/cm.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  url: \"postgres://u:{{ values.db.password }}@db\"\n  x: [\n",
        )],
        &values_with_secret(),
    );
    let codes = assert_no_leak(d.path(), &[], Failing::Render);
    failed(&codes, "template");
}

#[test]
fn a_values_file_with_a_yaml_error_does_not_show_the_line() {
    let d = tempfile::tempdir().unwrap();
    // the key does not look secret; the value is still not shown
    chart(
        d.path(),
        &[],
        // the error is reported on the marker's line
        &format!("db:\n  password: x\nname: {MARKER}: x\nother: 1\n"),
    );
    let codes = assert_no_leak(d.path(), &[], Failing::Values);
    failed(&codes, "values");
    // and as an `-f` file
    std::fs::write(
        d.path().join("bad.yaml"),
        format!("image:\n  tag: x\n   broken: {MARKER}\n"),
    )
    .unwrap();
    std::fs::write(d.path().join("app/values.yaml"), "db:\n  password: x\n").unwrap();
    let codes = assert_no_leak(d.path(), &["-f".into(), "bad.yaml".into()], Failing::Values);
    failed(&codes, "lint");
}

#[test]
fn a_tpl_error_does_not_show_the_value_it_renders() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        &[(
            "templates/cfg.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: {{ values.cfg | tpl }}\n",
        )],
        &format!("db:\n  password: x\ncfg: \"{MARKER}{{#\"\n"),
    );
    let codes = assert_no_leak(d.path(), &[], Failing::Render);
    failed(&codes, "template");
}

#[test]
fn a_filter_error_does_not_show_its_argument() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        &[(
            "templates/cfg.yaml.j2",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  v: {{ 'x' | nindent(values.db.password) }}\n  r: {{ 'x' | regex_match(values.db.password ~ '(') }}\n",
        )],
        &values_with_secret(),
    );
    let codes = assert_no_leak(d.path(), &[], Failing::Render);
    failed(&codes, "template");
}

/// A render error elsewhere in the chart, so every command goes down its error path.
const FAILING: (&str, &str) = ("templates/fail.yaml.j2", "{{ values.missing.key }}\n");

#[test]
fn values_from_set_flags_do_not_show_on_success_or_failure() {
    let d = tempfile::tempdir().unwrap();
    chart(d.path(), &[], "db:\n  password: x\n");
    for flags in [
        vec!["--set".to_string(), format!("db.password={MARKER}")],
        vec!["--set-string".to_string(), format!("db.password={MARKER}")],
        vec![
            "--set-json".to_string(),
            format!("db.password=\"{MARKER}\""),
        ],
    ] {
        assert_no_leak(d.path(), &flags, Failing::No);
    }
    std::fs::write(d.path().join("app/templates/fail.yaml.j2"), FAILING.1).unwrap();
    for flags in [
        vec!["--set".to_string(), format!("db.password={MARKER}")],
        vec!["--set-string".to_string(), format!("db.password={MARKER}")],
        vec![
            "--set-json".to_string(),
            format!("db.password=\"{MARKER}\""),
        ],
    ] {
        let codes = assert_no_leak(d.path(), &flags, Failing::Render);
        failed(&codes, "template");
    }
}

#[test]
fn values_from_a_values_file_do_not_show_on_success_or_failure() {
    let d = tempfile::tempdir().unwrap();
    chart(d.path(), &[], &values_with_secret());
    assert_no_leak(d.path(), &[], Failing::No);
    std::fs::write(d.path().join("app/templates/fail.yaml.j2"), FAILING.1).unwrap();
    let codes = assert_no_leak(d.path(), &[], Failing::Render);
    failed(&codes, "lint");
}

#[test]
fn set_flags_that_fail_to_parse_do_not_echo_the_value() {
    let d = tempfile::tempdir().unwrap();
    chart(d.path(), &[], "db:\n  password: x\n");
    for flags in [
        vec!["--set".to_string(), format!("db.password={MARKER},[")],
        vec!["--set".to_string(), format!("db.password[x]={MARKER}")],
        vec!["--set-json".to_string(), format!("db.password={MARKER}")],
        vec![
            "--set-json".to_string(),
            format!("db.password=[\"{MARKER}\""),
        ],
        vec!["--set-string".to_string(), format!("db..password={MARKER}")],
    ] {
        let codes = assert_no_leak(d.path(), &flags, Failing::Values);
        failed(&codes, "values");
    }
}

#[test]
fn tack_values_redacts_secret_looking_keys() {
    let d = tempfile::tempdir().unwrap();
    chart(d.path(), &[], &values_with_secret());
    for flags in [
        vec![],
        vec!["--set".to_string(), format!("db.password={MARKER}")],
        vec![
            "--set-json".to_string(),
            format!("db.password=\"{MARKER}\""),
        ],
    ] {
        let mut args = vec!["values".to_string(), "app".to_string()];
        args.extend(flags);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out, err) = tack_in(d.path(), &refs);
        assert_eq!(code, 0, "{err}");
        assert!(
            !out.contains(MARKER) && !err.contains(MARKER),
            "{args:?}:\n{out}{err}"
        );
        assert!(out.contains("password: <redacted>"), "{out}");
    }
}
