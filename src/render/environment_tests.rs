//! Templates compile one at a time as they render: every syntax error of a chart is still reported, in file
//! order and alone, and a template rendered (and dropped) before another includes it is loaded again.

use crate::chart::Chart;
use crate::render::{render_chart, RenderOptions};
use crate::values::Values;

fn chart(files: &[(&str, &str)]) -> (tempfile::TempDir, Chart) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let chart = Chart::load(dir.path()).unwrap();
    (dir, chart)
}

fn empty() -> Values {
    serde_json::from_value(serde_json::json!({})).unwrap()
}

#[test]
fn every_syntax_error_is_reported_in_file_order_and_nothing_else() {
    let (_d, c) = chart(&[
        ("templates/a-fine.yaml.j2", "a: 1\n"),
        (
            "templates/b-fails-at-render.yaml.j2",
            "b: {{ no_such_function() }}\n",
        ),
        ("templates/c-broken.yaml.j2", "c: {{ 1 +\n"),
        ("templates/_d-helpers.j2", "{% macro m() %}{% endfor %}\n"),
        ("templates/e-broken.yaml.j2", "{% if %}\n"),
    ]);
    let errs = match render_chart(&c, &empty(), &RenderOptions::default()) {
        Ok(r) => panic!("rendered {:?}", r.files),
        Err(e) => e.0,
    };
    let sources: Vec<&str> = errs.iter().map(|e| e.source.as_str()).collect();
    let broken = [
        "templates/c-broken.yaml.j2",
        "templates/_d-helpers.j2",
        "templates/e-broken.yaml.j2",
    ];
    let in_file_order: Vec<&str> = c
        .templates
        .iter()
        .map(|f| f.path.as_str())
        .filter(|p| broken.contains(p))
        .collect();
    assert_eq!(in_file_order.len(), 3);
    assert_eq!(sources, in_file_order, "{errs:#?}");
}

#[test]
fn a_template_rendered_before_another_includes_it_renders_again() {
    let (_d, c) = chart(&[
        ("templates/a.yaml.j2", "a: {{ 40 + 2 }}\n"),
        ("templates/b.yaml.j2", "{% include \"a.yaml.j2\" %}b: 2\n"),
        ("templates/c.yaml.j2", "{% include \"a.yaml.j2\" %}c: 3\n"),
    ]);
    let r = render_chart(&c, &empty(), &RenderOptions::default()).unwrap();
    let texts: Vec<&str> = r.files.iter().map(|f| f.text.as_str()).collect();
    assert_eq!(texts, ["a: 42\n", "a: 42\nb: 2\n", "a: 42\nc: 3\n"]);
}
