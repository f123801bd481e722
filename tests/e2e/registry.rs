//! Charts through a real OCI registry (the distribution registry started by `tests/registry/registry.sh`,
//! TLS from a generated CA and htpasswd auth): package → push → pull with identical digests, install and
//! upgrade from `oci://`, dependencies locked against the registry, and failures (wrong password, missing
//! tag, tampered blob, an archive with `../`) that write nothing to the cluster.

use crate::harness::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The test registry, from `tests/registry/registry.sh env`. Panics (fails the test) when it is missing.
pub struct Registry {
    pub host: String,
    pub ca: String,
    pub user: String,
    pub password: String,
    pub data: PathBuf,
    pub plain: String,
}

pub fn registry() -> Registry {
    let var = |k: &str| {
        std::env::var(k).unwrap_or_else(|_| {
            panic!(
                "{k} is not set: these tests need the test registry.\n\
                 Run `bash tests/run-all.sh`, or `tests/registry/registry.sh up` then `eval \"$(tests/registry/registry.sh env)\"`."
            )
        })
    };
    Registry {
        host: var("TACK_TEST_REGISTRY"),
        ca: var("TACK_TEST_REGISTRY_CA"),
        user: var("TACK_TEST_REGISTRY_USER"),
        password: var("TACK_TEST_REGISTRY_PASSWORD"),
        data: PathBuf::from(var("TACK_TEST_REGISTRY_DATA")),
        plain: var("TACK_TEST_REGISTRY_PLAIN"),
    }
}

/// A client's own home: Docker config and chart cache, so tests never share credentials or cached blobs.
pub struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn tack(&self) -> Command {
        let mut c = tack();
        c.env("DOCKER_CONFIG", self.path().join("docker"))
            .env("TACK_CACHE_DIR", self.path().join("cache"));
        c
    }

    pub fn login(&self, r: &Registry, password: &str) -> (bool, String) {
        use std::io::Write;
        let mut child = self
            .tack()
            .args([
                "registry",
                "login",
                &r.host,
                "-u",
                &r.user,
                "--password-stdin",
            ])
            .args(["--ca-file", &r.ca])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(password.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }
}

/// A copy of charts/webapp at `version`, in `dir/webapp`.
pub fn webapp_at(dir: &Path, version: &str) -> PathBuf {
    let out = dir.join(format!("webapp-src-{version}"));
    copy_dir(&repo().join("charts/webapp"), &out);
    let meta = std::fs::read_to_string(out.join("Chart.yaml")).unwrap();
    std::fs::write(
        out.join("Chart.yaml"),
        meta.replace("version: 1.4.0", &format!("version: {version}")),
    )
    .unwrap();
    out
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}

/// `tack package` into `out`; returns the package path.
pub fn package(home: &Home, chart: &Path, out: &Path) -> PathBuf {
    let text = ok(home.tack().args([
        "package",
        chart.to_str().unwrap(),
        "-d",
        out.to_str().unwrap(),
    ]));
    let line = text.lines().next().unwrap();
    PathBuf::from(line.rsplit(" to ").next().unwrap())
}

pub fn digest_line(text: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix("digest: "))
        .unwrap_or_else(|| panic!("no digest in {text}"))
        .to_string()
}

pub fn sha256_file(p: &Path) -> String {
    use sha2::Digest;
    format!(
        "sha256:{}",
        hex::encode(sha2::Sha256::digest(std::fs::read(p).unwrap()))
    )
}

/// What tack wrote into `ns`: release records and Deployments.
async fn written(client: &kube::Client, ns: &str) -> usize {
    let secrets: Api<Secret> = Api::namespaced(client.clone(), ns);
    let records = secrets
        .list(&ListParams::default().labels("app.kubernetes.io/managed-by=tack"))
        .await
        .unwrap()
        .items
        .len();
    let deps: Api<Deployment> = Api::namespaced(client.clone(), ns);
    records + deps.list(&ListParams::default()).await.unwrap().items.len()
}

/// Push blobs and a manifest with curl, as another tool would (for artifacts tack itself refuses to make).
pub fn raw_push(
    r: &Registry,
    repo: &str,
    tag: &str,
    config_type: &str,
    layer_type: &str,
    layer: &[u8],
) {
    use sha2::Digest;
    let curl = |args: &[&str], body: Option<&[u8]>| -> String {
        use std::io::Write;
        let mut c = Command::new("curl");
        c.args(["-sS", "--fail", "--cacert", &r.ca, "-u"])
            .arg(format!("{}:{}", r.user, r.password))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped());
        let mut child = c.spawn().expect("curl is needed by the registry tests");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(body.unwrap_or_default())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "curl {args:?} failed");
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let blob = |bytes: &[u8]| -> String {
        let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)));
        let headers = curl(
            &[
                "-D",
                "-",
                "-o",
                "/dev/null",
                "-X",
                "POST",
                &format!("https://{}/v2/{repo}/blobs/uploads/", r.host),
            ],
            None,
        );
        let location = headers
            .lines()
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case("location"))
                    .map(|(_, v)| v.trim().to_string())
            })
            .expect("upload location");
        let url = if location.starts_with('/') {
            format!("https://{}{location}", r.host)
        } else {
            location
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        curl(
            &[
                "-X",
                "PUT",
                "-H",
                "Content-Type: application/octet-stream",
                "--data-binary",
                "@-",
                &format!("{url}{sep}digest={digest}"),
            ],
            Some(bytes),
        );
        digest
    };
    let config = br#"{"name":"evil","version":"1.0.0","apiVersion":"v2"}"#;
    let config_digest = blob(config);
    let layer_digest = blob(layer);
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": config_type, "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": layer_type, "digest": layer_digest, "size": layer.len()}],
    });
    curl(
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/vnd.oci.image.manifest.v1+json",
            "--data-binary",
            "@-",
            &format!("https://{}/v2/{repo}/manifests/{tag}", r.host),
        ],
        Some(manifest.to_string().as_bytes()),
    );
}

/// A gzip tar whose one entry is named `name` as given (no checks), as a hostile package would be.
fn hostile_tgz(name: &str) -> Vec<u8> {
    use std::io::Write;
    let mut b = tar::Builder::new(Vec::new());
    for (n, data) in [
        (
            "evil/Chart.yaml",
            &b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"[..],
        ),
        (name, &b"pwned\n"[..]),
    ] {
        let mut h = tar::Header::new_old();
        h.as_old_mut().name[..n.len()].copy_from_slice(n.as_bytes());
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&b.into_inner().unwrap()).unwrap();
    gz.finish().unwrap()
}

#[test]
fn package_push_pull_gives_identical_digests() {
    let r = registry();
    let home = Home::new();
    let (ok_login, text) = home.login(&r, &r.password);
    assert!(ok_login, "{text}");
    assert!(
        !text.contains(&r.password),
        "the password was printed: {text}"
    );
    let cfg = std::fs::read_to_string(home.path().join("docker/config.json")).unwrap();
    assert!(cfg.contains(&r.host), "{cfg}");

    let pkg = package(
        &home,
        &repo().join("charts/webapp"),
        &home.path().join("out"),
    );
    let again = package(
        &home,
        &repo().join("charts/webapp"),
        &home.path().join("again"),
    );
    assert_eq!(std::fs::read(&pkg).unwrap(), std::fs::read(&again).unwrap());
    let remote = format!("oci://{}/e2e/{}", r.host, unique("push"));
    let pushed = ok(home
        .tack()
        .args(["push", pkg.to_str().unwrap(), &remote, "--ca-file", &r.ca]));
    let manifest = digest_line(&pushed);

    let dest = home.path().join("pulled");
    let pulled = ok(home.tack().args([
        "pull",
        &format!("{remote}/webapp"),
        "--version",
        "1.4.0",
        "-d",
        dest.to_str().unwrap(),
        "--ca-file",
        &r.ca,
    ]));
    assert_eq!(digest_line(&pulled), manifest);
    let got = dest.join("webapp-1.4.0.tgz");
    assert_eq!(sha256_file(&got), sha256_file(&pkg));
    assert_eq!(std::fs::read(&got).unwrap(), std::fs::read(&pkg).unwrap());

    // by digest, unpacked: renders exactly like the folder
    let untar = home.path().join("untar");
    ok(home.tack().args([
        "pull",
        &format!("{remote}/webapp@{manifest}"),
        "--untar",
        "-d",
        untar.to_str().unwrap(),
        "--ca-file",
        &r.ca,
    ]));
    let render = |chart: &str| {
        ok(home
            .tack()
            .args(["template", chart, "--env", "dev", "--ca-file", &r.ca]))
    };
    let folder = render("charts/webapp");
    assert_eq!(render(untar.join("webapp").to_str().unwrap()), folder);
    assert_eq!(render(&format!("{remote}/webapp@{manifest}")), folder);

    // plain HTTP only when asked: without --plain-http the client speaks TLS and fails clearly
    let plain = format!("oci://{}/e2e/{}", r.plain, unique("plain"));
    let (out, _, err) = run(home.tack().args(["push", pkg.to_str().unwrap(), &plain]));
    assert!(!out.status.success());
    assert!(err.contains("--plain-http"), "{err}");
    ok(home
        .tack()
        .args(["push", pkg.to_str().unwrap(), &plain, "--plain-http"]));
    let p = ok(home.tack().args([
        "pull",
        &format!("{plain}/webapp:1.4.0"),
        "-d",
        home.path().join("plain").to_str().unwrap(),
        "--plain-http",
    ]));
    assert_eq!(
        digest_line(&p),
        manifest,
        "same bytes, same manifest digest"
    );

    ok(home.tack().args(["registry", "logout", &r.host]));
    let cfg = std::fs::read_to_string(home.path().join("docker/config.json")).unwrap();
    assert!(!cfg.contains(&r.host), "{cfg}");
}

pub fn unique(what: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{what}-{n}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_from_oci_then_upgrade_records_the_digest() {
    let r = registry();
    let home = Home::new();
    assert!(home.login(&r, &r.password).0);
    let client = client().await;
    let ns = namespace(&client, "e2e-oci").await;
    let remote = format!("oci://{}/e2e/{}", r.host, unique("install"));
    let mut manifests = Vec::new();
    for v in ["1.0.0", "1.1.0", "2.0.0"] {
        let src = webapp_at(home.path(), v);
        let pkg = package(&home, &src, &home.path().join("out"));
        let out =
            ok(home
                .tack()
                .args(["push", pkg.to_str().unwrap(), &remote, "--ca-file", &r.ca]));
        manifests.push(digest_line(&out));
    }
    let chart = format!("{remote}/webapp");
    let deploy = |cmd: &str, version: &str| {
        ok(home.tack().args([
            cmd,
            "web",
            &chart,
            "--version",
            version,
            "--env",
            "dev",
            "--tier",
            "private",
            "-n",
            &ns,
            "--ca-file",
            &r.ca,
        ]))
    };
    deploy("install", "1.0.0");
    let deps: Api<Deployment> = Api::namespaced(client.clone(), &ns);
    let label = |d: &Deployment| d.metadata.labels.as_ref().unwrap()["helm.sh/chart"].clone();
    assert_eq!(
        label(&deps.get("web-webapp").await.unwrap()),
        "webapp-1.0.0"
    );
    let status = ok(home.tack().args(["status", "web", "-n", &ns]));
    assert!(
        status.contains(&format!("SOURCE: {chart}:1.0.0@{}", manifests[0])),
        "{status}"
    );

    // a range picks the highest match: ^1 is 1.1.0, not 2.0.0
    deploy("upgrade", "^1");
    assert_eq!(
        label(&deps.get("web-webapp").await.unwrap()),
        "webapp-1.1.0"
    );
    let history: serde_json::Value = serde_json::from_str(&ok(home
        .tack()
        .args(["history", "web", "-n", &ns, "-o", "json"])))
    .unwrap();
    let sources: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["source"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        [
            format!("{chart}:1.0.0@{}", manifests[0]),
            format!("{chart}:1.1.0@{}", manifests[1])
        ]
    );
    let table = ok(home.tack().args(["history", "web", "-n", &ns]));
    assert!(
        table.contains("SOURCE") && table.contains(&manifests[1]),
        "{table}"
    );

    // pinned by digest, from the cache: works with the credentials gone
    ok(home.tack().args(["registry", "logout", &r.host]));
    ok(home.tack().args([
        "diff",
        "web",
        &format!("{chart}@{}", manifests[1]),
        "--env",
        "dev",
        "--tier",
        "private",
        "-n",
        &ns,
    ]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_failures_write_nothing_to_the_cluster() {
    let r = registry();
    let home = Home::new();
    let client = client().await;
    let ns = namespace(&client, "e2e-oci-fail").await;
    let remote = format!("oci://{}/e2e/{}", r.host, unique("fail"));

    // wrong password: refused at login, nothing stored
    let (ok_login, text) = home.login(&r, "not-the-password");
    assert!(!ok_login);
    assert!(text.contains("refused the credentials"), "{text}");
    assert!(!text.contains("not-the-password"), "{text}");
    assert!(!home.path().join("docker/config.json").exists());

    assert!(home.login(&r, &r.password).0);
    // a package of its own: the registry stores blobs by digest, shared by every repository
    let src = webapp_at(home.path(), "1.4.0");
    std::fs::write(src.join("run.txt"), unique("run")).unwrap();
    let pkg = package(&home, &src, &home.path().join("out"));
    ok(home
        .tack()
        .args(["push", pkg.to_str().unwrap(), &remote, "--ca-file", &r.ca]));
    let chart = format!("{remote}/webapp");
    let install = |home: &Home, chart: &str, version: &str| {
        let (out, _, err) = run(home.tack().args([
            "install",
            "web",
            chart,
            "--version",
            version,
            "--env",
            "dev",
            "--tier",
            "private",
            "-n",
            &ns,
            "--ca-file",
            &r.ca,
        ]));
        assert!(!out.status.success(), "{err}");
        err
    };

    // wrong password stored (another client's config): the registry refuses, install says how to fix it
    let stranger = Home::new();
    std::fs::create_dir_all(stranger.path().join("docker")).unwrap();
    std::fs::write(
        stranger.path().join("docker/config.json"),
        serde_json::json!({"auths": {r.host.clone(): {"auth": base64_of("tack:stale-pw-4711")}}})
            .to_string(),
    )
    .unwrap();
    let err = install(&stranger, &chart, "1.4.0");
    assert!(
        err.contains("credentials are missing or wrong") && err.contains("tack registry login"),
        "{err}"
    );
    assert!(
        !err.contains("stale-pw-4711") && !err.contains(&base64_of("tack:stale-pw-4711")),
        "{err}"
    );

    // missing tag
    let err = install(&home, &chart, "9.9.9");
    assert!(
        err.contains("9.9.9") && err.contains("was not found"),
        "{err}"
    );
    let err = install(&home, &chart, "^3");
    assert!(err.contains("no version") && err.contains("1.4.0"), "{err}");

    // tampered blob: the registry serves other bytes under the layer's digest
    let layer = sha256_file(&pkg);
    let hex = layer.trim_start_matches("sha256:");
    let data = r
        .data
        .join("docker/registry/v2/blobs/sha256")
        .join(&hex[..2])
        .join(hex)
        .join("data");
    let mut bytes = std::fs::read(&data).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0xff;
    std::fs::write(&data, &bytes).unwrap();
    let fresh = Home::new();
    assert!(fresh.login(&r, &r.password).0);
    let err = install(&fresh, &chart, "1.4.0");
    assert!(
        err.contains("digest mismatch") && err.contains(&layer),
        "{err}"
    );
    assert!(!fresh.path().join("cache/charts").exists());

    // a package with `../`, pushed by another tool
    let evil = format!("e2e/{}/evil", unique("evil"));
    raw_push(
        &r,
        &evil,
        "1.0.0",
        "application/vnd.tack.chart.config.v1+json",
        "application/vnd.tack.chart.content.v1.tar+gzip",
        &hostile_tgz("evil/../../escaped"),
    );
    let evil_ref = format!("oci://{}/{evil}", r.host);
    let err = install(&home, &evil_ref, "1.0.0");
    assert!(
        err.contains("refusing package") && err.contains("`..`"),
        "{err}"
    );
    let dest = home.path().join("evil-pull");
    let (out, _, err) = run(home.tack().args([
        "pull",
        &evil_ref,
        "--version",
        "1.0.0",
        "--untar",
        "-d",
        dest.to_str().unwrap(),
        "--ca-file",
        &r.ca,
    ]));
    assert!(!out.status.success() && err.contains("`..`"), "{err}");
    assert!(!home.path().join("escaped").exists());
    assert!(!dest.join("evil").exists());

    assert_eq!(
        written(&client, &ns).await,
        0,
        "something was written to {ns}"
    );
}

fn base64_of(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}
