//! Chart loading guards that protect paths built from Chart.yaml.

use super::*;

fn chart_with_dependency(alias: &str) -> (tempfile::TempDir, Result<Chart>) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(
        root.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: db\n    alias: {alias:?}\n"
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("charts/db/templates")).unwrap();
    std::fs::write(
        root.join("charts/db/Chart.yaml"),
        "apiVersion: v2\nname: db\nversion: 0.1.0\n",
    )
    .unwrap();
    let chart = Chart::load(root);
    (dir, chart)
}

#[test]
fn dependency_aliases_that_could_leave_a_directory_are_refused() {
    for bad in ["../../../tmp/x", "a/b", "/etc", "..", "", "a b", "a\\b"] {
        let (_d, chart) = chart_with_dependency(bad);
        let e = format!("{:#}", chart.unwrap_err());
        assert!(e.contains("invalid dependency alias"), "{bad:?}: {e}");
        assert!(e.contains("hint:"), "{e}");
    }
    let (_d, chart) = chart_with_dependency("primary-db_2");
    assert_eq!(
        chart.unwrap().meta.dependencies[0].values_key(),
        "primary-db_2"
    );
}
