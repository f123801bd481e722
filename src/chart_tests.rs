//! Tests for chart loading: the checks on Chart.yaml, and reading the folder (order, limits, symlinks).

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

/// A chart of `n` templates (enough to be read on every core when `n` is large), each holding its number.
fn chart_of(n: usize) -> tempfile::TempDir {
    let dir = chart_with("apiVersion: v2\nname: many\nversion: 0.1.0\n");
    std::fs::create_dir(dir.path().join("templates/nested")).unwrap();
    for i in 0..n {
        let sub = if i % 3 == 0 { "nested/" } else { "" };
        std::fs::write(
            dir.path().join(format!("templates/{sub}t{i:04}.yaml.j2")),
            format!("n: {i}\n"),
        )
        .unwrap();
    }
    dir
}

#[test]
fn every_file_is_read_once_in_path_order_however_many_there_are() {
    for n in [3, 500] {
        let dir = chart_of(n);
        let chart = Chart::load(dir.path()).unwrap();
        assert_eq!(chart.templates.len(), n);
        let paths: Vec<&str> = chart.templates.iter().map(|f| f.path.as_str()).collect();
        let mut want: Vec<String> = (0..n)
            .map(|i| {
                let sub = if i % 3 == 0 { "nested/" } else { "" };
                format!("templates/{sub}t{i:04}.yaml.j2")
            })
            .collect();
        // folders are walked in name order: `nested/` sorts before `t…` files
        want.sort_by_key(|p| (!p.contains("nested/"), p.clone()));
        assert_eq!(paths, want, "{n} files");
        for f in &chart.templates {
            let i: usize = f.path[f.path.len() - 12..f.path.len() - 8].parse().unwrap();
            assert_eq!(f.text().unwrap(), format!("n: {i}\n"), "{}", f.path);
        }
    }
}

#[test]
fn an_oversized_file_is_refused_by_name_among_many() {
    let dir = chart_of(300);
    let big = dir.path().join("templates/t0151.yaml.j2");
    std::fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(MAX_FILE_BYTES + 1)
        .unwrap();
    let e = format!("{:#}", Chart::load(dir.path()).unwrap_err());
    assert!(
        e.contains(
            "t0151.yaml.j2` is 5242881 bytes, over the limit of 5242880 bytes for one chart file"
        ),
        "{e}"
    );
    assert!(e.contains("hint: keep large data out of charts"), "{e}");
}

#[test]
fn a_chart_over_the_total_budget_is_refused() {
    let dir = chart_of(100);
    // 13 files of 5 MiB (sparse: cheap to make) are over the 64 MiB a chart may hold
    for i in 0..13 {
        std::fs::File::create(dir.path().join(format!("templates/big{i}.txt")))
            .unwrap()
            .set_len(MAX_FILE_BYTES)
            .unwrap();
    }
    let e = format!("{:#}", Chart::load(dir.path()).unwrap_err());
    assert!(e.contains("is larger than 67108864 bytes in total"), "{e}");
}

#[cfg(unix)]
#[test]
fn symlinks_inside_the_chart_are_read_and_those_leaving_it_refused() {
    let dir = chart_of(80);
    std::os::unix::fs::symlink("t0001.yaml.j2", dir.path().join("templates/link.yaml.j2")).unwrap();
    let chart = Chart::load(dir.path()).unwrap();
    let link = chart
        .templates
        .iter()
        .find(|f| f.path == "templates/link.yaml.j2")
        .unwrap();
    assert_eq!(link.text().unwrap(), "n: 1\n");

    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret"), "x").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        dir.path().join("templates/leak.yaml.j2"),
    )
    .unwrap();
    let e = format!("{:#}", Chart::load(dir.path()).unwrap_err());
    assert!(e.contains("leak.yaml.j2` points outside the chart"), "{e}");
}
