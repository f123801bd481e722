//! Renders of hostile or broken charts: values never leak into error excerpts, and one fuel and output
//! budget bounds the whole render (templates, subcharts and `tpl` together).

use super::*;
use crate::chart::Chart;
use std::time::Instant;

const MARKER: &str = "S3cr3t-marker-pw";

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

fn values(v: serde_json::Value) -> Values {
    serde_json::from_value(v).unwrap()
}

fn errors(chart: &Chart, vals: &Values, opts: &RenderOptions) -> String {
    match render_chart(chart, vals, opts) {
        Ok(r) => panic!("expected errors, rendered {:?}", r.files),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_tpl_error_excerpt_masks_the_value_it_renders() {
    let (_d, c) = chart(&[("templates/s.yaml.j2", "p: {{ values.pw | tpl }}\n")]);
    let vals = values(serde_json::json!({ "pw": format!("{MARKER}{{#") }));
    let e = errors(&c, &vals, &RenderOptions::default());
    assert!(!e.contains(MARKER), "{e}");
    assert!(
        e.contains("<tpl:s.yaml.j2>:1") && e.contains("<redacted>{#"),
        "{e}"
    );
    let shown = RenderOptions {
        show_secrets: true,
        ..RenderOptions::default()
    };
    assert!(errors(&c, &vals, &shown).contains(MARKER));
}

#[test]
fn rendered_yaml_errors_mask_stringdata() {
    let (_d, c) = chart(&[(
        "templates/secret.yaml.j2",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  DB_PASSWORD: {{ values.pw }}\n  broken: [\n",
    )]);
    let vals = values(serde_json::json!({ "pw": MARKER }));
    let r = render_chart(&c, &vals, &RenderOptions::default()).unwrap();
    let mut problems = Vec::new();
    let f = &r.files[0];
    crate::manifest::parse_rendered(&f.source, &f.display, &f.text, &mut problems);
    let text = problems.iter().map(|p| p.to_string()).collect::<String>();
    assert!(text.contains("not valid YAML"), "{text}");
    assert!(text.contains("DB_PASSWORD: <redacted>"), "{text}");
    assert!(!text.contains(MARKER), "{text}");
}

/// A lookup source that serves one Secret.
struct OneSecret;
impl tpl::Lookup for OneSecret {
    fn lookup(
        &self,
        _: &str,
        kind: &str,
        _: &str,
        _: &str,
    ) -> anyhow::Result<Option<serde_json::Value>> {
        use base64::Engine;
        let enc = base64::engine::general_purpose::STANDARD.encode(MARKER);
        Ok(Some(serde_json::json!({
            "kind": kind, "metadata": {"name": "db"}, "data": {"password": enc}
        })))
    }
}

#[test]
fn lookup_of_a_secret_records_its_values_for_scrubbing() {
    let (_d, c) = chart(&[(
        "templates/cm.yaml.j2",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n  copy: {{ lookup('v1', 'Secret', 'default', 'db').data.password | b64decode }}\n",
    )]);
    let opts = RenderOptions {
        lookup: Some(Arc::new(OneSecret)),
        ..RenderOptions::default()
    };
    let r = render_chart(&c, &values(serde_json::json!({})), &opts).unwrap();
    assert_eq!(r.secret_values, vec![MARKER.to_string()]);
    assert!(r.files[0].text.contains(MARKER));
    let scrubbed = crate::manifest::mask::scrub(&r.files[0].text, &r.secret_values);
    assert!(!scrubbed.contains(MARKER), "{scrubbed}");
}

const BURN: &str = "{% for i in range(100000) %}{% endfor %}ok\n";

#[test]
fn fuel_is_shared_by_every_template_of_the_chart() {
    let files: Vec<(String, &str)> = (0..5)
        .map(|i| (format!("templates/t{i}.txt.j2"), BURN))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    let (_d, c) = chart(&files);
    // each template alone fits; all five do not
    let opts = RenderOptions {
        fuel: Some(350_000),
        ..RenderOptions::default()
    };
    let e = errors(&c, &values(serde_json::json!({})), &opts);
    assert!(
        e.contains("used up its fuel of 350000") && e.contains("--fuel"),
        "{e}"
    );
    let opts = RenderOptions {
        fuel: Some(2_000_000),
        ..RenderOptions::default()
    };
    assert!(render_chart(&c, &values(serde_json::json!({})), &opts).is_ok());
}

#[test]
fn tpl_calls_draw_on_the_same_fuel() {
    let (_d, c) = chart(&[(
        "templates/t.txt.j2",
        "{% for i in range(20) %}{{ values.burn | tpl }}{% endfor %}\n",
    )]);
    let vals = values(serde_json::json!({ "burn": BURN }));
    let opts = RenderOptions {
        fuel: Some(1_000_000),
        ..RenderOptions::default()
    };
    let start = Instant::now();
    let e = errors(&c, &vals, &opts);
    assert!(e.contains("used up its fuel"), "{e}");
    assert!(start.elapsed().as_secs() < 10);
}

#[test]
fn failing_templates_still_draw_on_the_fuel() {
    let burn_then_fail = "{% for i in range(100000) %}{% endfor %}{{ fail('x') }}\n";
    let files: Vec<(String, &str)> = (0..8)
        .map(|i| (format!("templates/t{i}.txt.j2"), burn_then_fail))
        .collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
    let (_d, c) = chart(&files);
    let opts = RenderOptions {
        fuel: Some(400_000),
        ..RenderOptions::default()
    };
    let e = errors(&c, &values(serde_json::json!({})), &opts);
    assert!(e.contains("used up its fuel"), "{e}");
}

#[test]
fn output_is_capped_for_the_whole_render() {
    let (_d, c) = chart(&[
        (
            "templates/a.txt.j2",
            "{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}\n",
        ),
        (
            "templates/b.txt.j2",
            "{% for i in range(3000) %}{{ 'x' * 1000 }}{% endfor %}\n",
        ),
    ]);
    let opts = RenderOptions {
        max_output: 5 * 1024 * 1024,
        ..RenderOptions::default()
    };
    let e = errors(&c, &values(serde_json::json!({})), &opts);
    assert!(
        e.contains("exceeds the limit of 5 MiB") && e.contains("--max-output"),
        "{e}"
    );
    assert!(render_chart(
        &c,
        &values(serde_json::json!({})),
        &RenderOptions::default()
    )
    .is_ok());
}
