//! Tests for chart loading: the checks on Chart.yaml.

use super::meta::line_of_key;
use super::*;

fn chart_with(meta: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("Chart.yaml"), meta).unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    dir
}

#[test]
fn an_unparsable_kube_version_is_an_error_naming_file_line_and_value() {
    for bad in ["banana", ">=1.x.y.z", ">= 1.2 <", "1.2.3.4"] {
        let dir = chart_with(&format!(
            "apiVersion: v2\nname: web\nversion: 1.0.0\nkubeVersion: \"{bad}\"\n"
        ));
        let e = format!("{:#}", Chart::load(dir.path()).unwrap_err());
        let file = dir.path().join("Chart.yaml");
        assert!(
            e.contains(&format!(
                "invalid `kubeVersion` constraint `{bad}` in `{}:4`",
                file.display()
            )),
            "{bad}: {e}"
        );
        assert!(e.contains("hint:"), "{e}");
    }
}

#[test]
fn valid_or_empty_kube_versions_load() {
    for good in [">=1.27.0-0", "~1.30", "1.28 - 1.31", "^1.2 || >=2.0", ""] {
        let dir = chart_with(&format!(
            "apiVersion: v2\nname: web\nversion: 1.0.0\nkubeVersion: \"{good}\"\n"
        ));
        let chart = Chart::load(dir.path()).unwrap_or_else(|e| panic!("{good}: {e:#}"));
        assert_eq!(chart.meta.kube_version.as_deref(), Some(good));
    }
}

#[test]
fn line_of_key_finds_top_level_keys_only() {
    let text = "name: x\n  kubeVersion: nested\nkubeVersion : \">=1\"\n";
    assert_eq!(line_of_key(text, "kubeVersion"), Some(3));
    assert_eq!(line_of_key(text, "name"), Some(1));
    assert_eq!(line_of_key(text, "version"), None);
}

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
