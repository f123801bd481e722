//! Hostile charts and values through the real binary: each stops quickly with an error naming the limit
//! and the flag that raises it, never by running out of memory or time, and never writes outside
//! `--output-dir`.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::tack_in;

fn chart(dir: &Path, chart_yaml_extra: &str, files: &[(&str, &str)]) {
    let write = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "app/Chart.yaml",
        &format!("apiVersion: v2\nname: app\nversion: 0.1.0\n{chart_yaml_extra}"),
    );
    for (rel, text) in files {
        write(&format!("app/{rel}"), text);
    }
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, Duration) {
    let started = Instant::now();
    let (code, out, err) = tack_in(dir, args);
    (code, format!("{out}{err}"), started.elapsed())
}

#[test]
fn doubling_a_string_stops_at_the_memory_limit() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        "",
        &[(
            "templates/a.txt.j2",
            "{% set ns = namespace(s='xxxxxxxxxxxxxxxx') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}\n",
        )],
    );
    let (code, text, took) = run(d.path(), &["template", "app"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("more than 1024 MiB of memory") && text.contains("--max-render-memory"),
        "{text}"
    );
    assert!(took < Duration::from_secs(60), "{took:?}");
}

#[test]
fn fuel_is_one_budget_for_all_templates() {
    let d = tempfile::tempdir().unwrap();
    // each template alone fits the budget; twenty do not
    let burn = "{% for i in range(300) %}{% for j in range(1000) %}{% endfor %}{% endfor %}\n";
    let files: Vec<(String, &str)> = (0..20)
        .map(|i| (format!("templates/t{i}.txt.j2"), burn))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    chart(d.path(), "", &files);
    let (code, text, _) = run(d.path(), &["template", "app", "--fuel", "5000000"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("used up its fuel of 5000000") && text.contains("--fuel"),
        "{text}"
    );
    let (code, text, _) = run(d.path(), &["template", "app", "--fuel", "100000000"]);
    assert_eq!(code, 0, "{text}");
}

#[test]
fn tpl_calls_share_the_fuel() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        "",
        &[
            (
                "values.yaml",
                "burn: \"{% for i in range(300) %}{% for j in range(1000) %}{% endfor %}{% endfor %}\"\n",
            ),
            (
                "templates/t.txt.j2",
                "{% for i in range(20) %}{{ values.burn | tpl }}{% endfor %}\n",
            ),
        ],
    );
    let (code, text, _) = run(d.path(), &["template", "app", "--fuel", "5000000"]);
    assert_eq!(code, 1, "{text}");
    assert!(text.contains("used up its fuel of 5000000"), "{text}");
}

#[test]
fn backtracking_globs_finish() {
    let d = tempfile::tempdir().unwrap();
    let long = "a".repeat(100);
    let pattern = format!("files/{}b", "*a".repeat(40));
    chart(
        d.path(),
        "",
        &[
            (&format!("files/{long}"), "x"),
            (
                "templates/g.txt.j2",
                &format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: g\ndata:\n  n: \"{{{{ files.glob('{pattern}') | length }}}}\"\n"
                ),
            ),
        ],
    );
    let (code, text, took) = run(d.path(), &["template", "app"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("n: \"0\""), "{text}");
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn a_dependency_alias_cannot_leave_the_output_dir() {
    let d = tempfile::tempdir().unwrap();
    chart(
        d.path(),
        "dependencies:\n  - name: db\n    alias: ../../../escaped\n",
        &[
            (
                "charts/db/Chart.yaml",
                "apiVersion: v2\nname: db\nversion: 0.1.0\n",
            ),
            (
                "charts/db/templates/cm.yaml.j2",
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n",
            ),
        ],
    );
    let (code, text, _) = run(d.path(), &["template", "app", "--output-dir", "out/a/b"]);
    assert_ne!(code, 0, "{text}");
    assert!(text.contains("invalid dependency alias"), "{text}");
    let mut written = Vec::new();
    for e in walk(d.path()) {
        if !e.starts_with(d.path().join("app")) {
            written.push(e);
        }
    }
    assert!(written.is_empty(), "{written:?}");
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn a_large_string_repeated_by_aliases_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut values = format!("big: &b \"{}\"\nlist:\n", "x".repeat(1024 * 1024));
    for _ in 0..1000 {
        values.push_str("  - *b\n");
    }
    chart(
        d.path(),
        "",
        &[
            ("values.yaml", &values),
            ("templates/a.txt.j2", "{# nothing #}\n"),
        ],
    );
    let (code, text, took) = run(d.path(), &["template", "app"]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("64 MiB of text") && text.contains("--max-values"),
        "{text}"
    );
    assert!(took < Duration::from_secs(30), "{took:?}");
}
