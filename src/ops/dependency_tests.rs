use super::*;
use crate::chart::Chart;
use std::fs;

fn chart(dir: &Path, name: &str, version: &str, extra: &str) {
    fs::create_dir_all(dir.join("templates")).unwrap();
    fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n{extra}"),
    )
    .unwrap();
    fs::write(
        dir.join("templates/cm.yaml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ chart.name }}\n",
    )
    .unwrap();
}

const DEPS: &str =
    "dependencies:\n  - name: redis\n    version: \"^7\"\n    repository: file://../redis\n";

#[test]
fn update_locks_build_restores_and_render_refuses_a_disagreeing_charts_folder() {
    let root = tempfile::tempdir().unwrap();
    let shop = root.path().join("shop");
    let redis = root.path().join("redis");
    chart(&shop, "shop", "0.1.0", DEPS);
    chart(&redis, "redis", "7.0.1", "");

    // before update: the dependency is missing, and the error says how to get it
    let e = format!("{:#}", Chart::load(&shop).unwrap_err());
    assert!(e.contains("redis"), "{e}");

    let out = update(&shop).unwrap();
    assert_eq!(out.lock.dependencies.len(), 1);
    let locked = &out.lock.dependencies[0];
    assert_eq!(
        (locked.name.as_str(), locked.version.as_str()),
        ("redis", "7.0.1")
    );
    let pkg = shop.join("charts/redis-7.0.1.tgz");
    assert_eq!(locked.archive, package::digest_of(&fs::read(&pkg).unwrap()));
    let lock_text = fs::read_to_string(shop.join("Chart.lock")).unwrap();
    assert!(lock_text.contains(&locked.archive), "{lock_text}");
    assert_eq!(Chart::load(&shop).unwrap().subcharts[0].meta.name, "redis");

    // charts/ holds another version: refused, naming the dependency
    fs::remove_file(&pkg).unwrap();
    chart(&redis, "redis", "7.1.0", "");
    package::write(
        &crate::ops::share::pack(&redis).unwrap(),
        &shop.join("charts"),
    )
    .unwrap();
    let e = format!("{:#}", Chart::load(&shop).unwrap_err());
    assert!(
        e.contains("dependency `redis` disagrees") && e.contains("redis-7.1.0.tgz"),
        "{e}"
    );
    assert!(e.contains("tack dependency build"), "{e}");

    // build installs exactly the lock: the source moved on, so the locked digest no longer matches
    let e = format!("{:#}", build(&shop).unwrap_err());
    assert!(
        e.contains("dependency `redis` 7.0.1") && e.contains("pins"),
        "{e}"
    );
    chart(&redis, "redis", "7.0.1", "");
    let rebuilt = build(&shop).unwrap();
    assert_eq!(rebuilt.lock, out.lock);
    assert!(!shop.join("charts/redis-7.1.0.tgz").exists());
    Chart::load(&shop).unwrap();

    // same name and version, other bytes: refused with both digests
    fs::write(&pkg, b"\x1f\x8bnot the locked package").unwrap();
    let e = format!("{:#}", Chart::load(&shop).unwrap_err());
    assert!(
        e.contains("has digest") && e.contains(&locked.archive),
        "{e}"
    );

    // Chart.yaml changed since the lock: stale
    chart(&shop, "shop", "0.1.0", &DEPS.replace("^7", "^8"));
    let e = format!("{:#}", Chart::load(&shop).unwrap_err());
    assert!(e.contains("Chart.lock") && e.contains("out of date"), "{e}");
    let e = format!("{:#}", build(&shop).unwrap_err());
    assert!(e.contains("out of date"), "{e}");
    let e = format!("{:#}", update(&shop).unwrap_err());
    assert!(e.contains("outside `^8`"), "{e}");
}

#[test]
fn unsupported_repositories_are_named() {
    let root = tempfile::tempdir().unwrap();
    let shop = root.path().join("shop");
    chart(
        &shop,
        "shop",
        "0.1.0",
        "dependencies:\n  - name: redis\n    repository: https://charts.example\n",
    );
    let e = format!("{:#}", update(&shop).unwrap_err());
    assert!(
        e.contains("`https://charts.example` is not supported") && e.contains("oci://"),
        "{e}"
    );
}
