use super::*;
use crate::chart::Chart;
use std::fs;

/// Packages as `tack package` makes them: the chart loaded first (the loading is the operation's).
fn pack(dir: &Path) -> Result<Package> {
    crate::ops::share::pack(dir)
}

fn chart(dir: &Path, name: &str, version: &str) {
    fs::create_dir_all(dir.join("templates")).unwrap();
    fs::write(
        dir.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
    )
    .unwrap();
    fs::write(dir.join("values.yaml"), "replicas: 1\n").unwrap();
    fs::write(
        dir.join("templates/cm.yaml.j2"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ release.name }}-{{ chart.name }}\n",
    )
    .unwrap();
}

/// Raw tar entries: name, type, data.
type Entries<'a> = &'a [(&'a str, tar::EntryType, &'a [u8])];

/// A gzip tar with one entry whose raw name and type are written as given (bypassing the checks of the
/// tar crate's builder, as a hostile archive would).
fn raw_archive(entries: &[(&str, tar::EntryType, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (name, kind, data) in entries {
        let mut h = tar::Header::new_old();
        let raw = &mut h.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        h.set_entry_type(*kind);
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, *data).unwrap();
    }
    let tar = b.into_inner().unwrap();
    let mut gz = GzBuilder::new().write(Vec::new(), Compression::fast());
    gz.write_all(&tar).unwrap();
    gz.finish().unwrap()
}

#[test]
fn packages_are_reproducible_and_honour_tackignore() {
    let a = tempfile::tempdir().unwrap();
    chart(a.path(), "web", "1.2.0");
    fs::write(a.path().join("README.md"), "docs\n").unwrap();
    fs::create_dir_all(a.path().join("scratch")).unwrap();
    fs::write(a.path().join("scratch/big.bin"), "x").unwrap();
    fs::write(a.path().join("notes.tmp"), "x").unwrap();
    fs::write(
        a.path().join(IGNORE_FILE),
        "# local files\nscratch/\n*.tmp\n",
    )
    .unwrap();
    let one = pack(a.path()).unwrap();
    assert_eq!(one.file_name(), "web-1.2.0.tgz");
    assert_eq!(
        one.files,
        [
            "Chart.yaml",
            "README.md",
            "templates/cm.yaml.j2",
            "values.yaml"
        ]
    );
    // the same files elsewhere, written at another time, give the same bytes
    let b = tempfile::tempdir().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1100));
    chart(b.path(), "web", "1.2.0");
    fs::write(b.path().join("README.md"), "docs\n").unwrap();
    let two = pack(b.path()).unwrap();
    assert_eq!(one.bytes, two.bytes);
    assert_eq!(one.digest, two.digest);
    assert_eq!(one.digest, digest_of(&one.bytes));
    // a changed file changes the digest
    fs::write(b.path().join("README.md"), "other\n").unwrap();
    assert_ne!(pack(b.path()).unwrap().digest, one.digest);
    // entries: NAME/..., owner 0, mtime 0, mode 0644
    let read = unpack::read(&one.bytes, "web").unwrap();
    assert_eq!(read.top, "web");
    assert_eq!(read.file("values.yaml").unwrap(), b"replicas: 1\n");
    let mut ar = tar::Archive::new(flate2::read::GzDecoder::new(one.bytes.as_slice()));
    for e in ar.entries().unwrap() {
        let e = e.unwrap();
        let h = e.header();
        assert_eq!(
            (h.mtime().unwrap(), h.uid().unwrap(), h.mode().unwrap()),
            (0, 0, 0o644)
        );
    }
}

#[test]
fn a_bad_tackignore_pattern_names_file_and_line() {
    let a = tempfile::tempdir().unwrap();
    chart(a.path(), "web", "1.2.0");
    fs::write(a.path().join(IGNORE_FILE), "ok\n[z-a]\n").unwrap();
    let e = format!("{:#}", pack(a.path()).unwrap_err());
    assert!(e.contains(".tackignore:2") && e.contains("[z-a]"), "{e}");
}

#[test]
fn hostile_archives_are_refused_before_anything_is_written() {
    use tar::EntryType::*;
    let cases: &[(Entries, &str)] = &[
        (&[("web/../../evil", Regular, b"x")], "`..`"),
        (&[("/etc/evil", Regular, b"x")], "absolute path"),
        (&[("web/link", Symlink, b"")], "is a link"),
        (&[("web/hard", Link, b"")], "is a link"),
        (&[("web/dev", Char, b"")], "not a regular file"),
        (&[("web/fifo", Fifo, b"")], "not a regular file"),
        (
            &[
                ("web/Chart.yaml", Regular, b"x"),
                ("other/x", Regular, b"x"),
            ],
            "more than one top-level folder",
        ),
        (&[("loose", Regular, b"x")], "top-level folder"),
    ];
    for (entries, want) in cases {
        let bytes = raw_archive(entries);
        let e = unpack::read(&bytes, "evil.tgz").unwrap_err().to_string();
        assert!(e.contains(want) && e.contains("evil.tgz"), "{want}: {e}");
    }
    // nothing of a refused package reaches the cache
    let cache = tempfile::tempdir().unwrap();
    let bytes = raw_archive(&[
        ("web/Chart.yaml", Regular, b"name: web\nversion: 1.0.0\n"),
        ("web/../../evil", Regular, b"x"),
    ]);
    let dest = cache.path().join("chart");
    assert!(unpack::read(&bytes, "evil.tgz").is_err());
    assert!(!dest.exists());
    assert_eq!(fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn decompression_is_capped() {
    // 1 MiB of zeros compresses to a few KiB; a 64 KiB cap stops it while decompressing
    let zeros = vec![0u8; 1 << 20];
    let bytes = raw_archive(&[("web/zeros", tar::EntryType::Regular, &zeros)]);
    assert!(bytes.len() < 16 * 1024);
    let e = unpack::read_limited(&bytes, "bomb.tgz", 64 * 1024)
        .unwrap_err()
        .to_string();
    assert!(e.contains("expands to more than 65536 bytes"), "{e}");
    assert!(unpack::read_limited(&bytes, "bomb.tgz", 2 << 20).is_ok());
    let e = unpack::read(b"not gzip", "x.tgz").unwrap_err().to_string();
    assert!(e.contains("not a gzip"), "{e}");
}

#[test]
fn packaged_charts_and_subcharts_render_like_folders() {
    let parent = tempfile::tempdir().unwrap();
    chart(parent.path(), "shop", "0.1.0");
    let sub = tempfile::tempdir().unwrap();
    chart(sub.path(), "redis", "7.0.1");
    let pkg = pack(sub.path()).unwrap();
    write(&pkg, &parent.path().join("charts")).unwrap();
    let loaded = Chart::load(parent.path()).unwrap();
    assert_eq!(loaded.subcharts.len(), 1);
    assert_eq!(loaded.subcharts[0].meta.name, "redis");
    // the parent itself as a package
    let out = tempfile::tempdir().unwrap();
    let path = write(&pack(parent.path()).unwrap(), out.path()).unwrap();
    let from_pkg = Chart::load(&path).unwrap();
    assert_eq!(from_pkg.digest, loaded.digest);
    assert_eq!(from_pkg.subcharts[0].meta.version, "7.0.1");
}
