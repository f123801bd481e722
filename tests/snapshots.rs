//! Snapshot tests of the example charts for several env × tier combinations (insta). A change in rendered
//! output shows up as a reviewable snapshot diff (`cargo insta review`).

use std::path::PathBuf;
use tack::render::RenderOptions;
use tack::values::LayerRequest;

fn render(chart: &str, env: Option<&str>, tier: Option<&str>) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let chart = tack::chart::Chart::load(&root.join("charts").join(chart)).expect("chart loads");
    let req = LayerRequest {
        previous: None,
        chart_values: chart.values_file.clone(),
        values_dir: root.join("values"),
        env: env.map(str::to_string),
        tier: tier.map(str::to_string),
        files: Vec::new(),
        sets: Vec::new(),
        base_dir: root.clone(),
    };
    let opts = RenderOptions {
        release_name: "shop".into(),
        namespace: "shop".into(),
        rng_seed: Some(42),
        ..RenderOptions::default()
    };
    let prepared = tack::ops::prepare(chart, &req, &opts).expect("renders");
    assert!(prepared.errors.is_empty(), "{:#?}", prepared.errors);
    tack::manifest::to_stream(&prepared.docs)
}

#[test]
fn webapp_dev_private() {
    insta::assert_snapshot!(render("webapp", Some("dev"), Some("private")));
}

#[test]
fn webapp_staging_work() {
    insta::assert_snapshot!(render("webapp", Some("staging"), Some("work")));
}

#[test]
fn webapp_prod_public() {
    insta::assert_snapshot!(render("webapp", Some("prod"), Some("public")));
}

#[test]
fn webapp_defaults() {
    insta::assert_snapshot!(render("webapp", None, None));
}

#[test]
fn stack_dev_private() {
    insta::assert_snapshot!(render("stack", Some("dev"), Some("private")));
}

#[test]
fn stack_prod_public() {
    insta::assert_snapshot!(render("stack", Some("prod"), Some("public")));
}
