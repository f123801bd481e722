//! More charts through the test registry: dependencies locked against it, Helm chart artifacts, and
//! credentials kept by a credential helper instead of the Docker config file.

use crate::harness::*;
use crate::registry::*;
use std::process::Command;

#[test]
fn dependencies_lock_against_the_registry_and_helm_charts_pull() {
    let r = registry();
    let home = Home::new();
    assert!(home.login(&r, &r.password).0);
    let path = format!("e2e/{}", unique("deps"));
    let remote = format!("oci://{}/{path}", r.host);
    // a small library-free subchart at two versions
    let mut archives = Vec::new();
    for v in ["1.0.0", "1.1.0"] {
        let src = home.path().join(format!("common-{v}"));
        std::fs::create_dir_all(src.join("templates")).unwrap();
        std::fs::write(
            src.join("Chart.yaml"),
            format!("apiVersion: v2\nname: common\nversion: {v}\n"),
        )
        .unwrap();
        std::fs::write(
            src.join("templates/cm.yaml.j2"),
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: common-{{ chart.version | replace('.', '-') }}\n",
        )
        .unwrap();
        let pkg = package(&home, &src, &home.path().join("out"));
        archives.push(sha256_file(&pkg));
        ok(home
            .tack()
            .args(["push", pkg.to_str().unwrap(), &remote, "--ca-file", &r.ca]));
    }
    let app = home.path().join("app");
    std::fs::create_dir_all(app.join("templates")).unwrap();
    std::fs::write(
        app.join("Chart.yaml"),
        format!("apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: \"~1.0\"\n    repository: {remote}\n"),
    )
    .unwrap();
    let app_s = app.to_str().unwrap();
    ok(home
        .tack()
        .args(["dependency", "update", app_s, "--ca-file", &r.ca]));
    let lock = std::fs::read_to_string(app.join("Chart.lock")).unwrap();
    assert!(
        lock.contains("version: 1.0.0") && lock.contains(&archives[0]),
        "{lock}"
    );
    let rendered = ok(home.tack().args(["template", app_s]));
    assert!(rendered.contains("name: common-1-0-0"), "{rendered}");

    // build installs exactly the lock, even though 1.0.x is not the newest version any more
    std::fs::remove_dir_all(app.join("charts")).unwrap();
    let e = run(home.tack().args(["template", app_s])).2;
    assert!(
        e.contains("dependency `common`") && e.contains("dependency build"),
        "{e}"
    );
    ok(home
        .tack()
        .args(["dependency", "build", app_s, "--ca-file", &r.ca]));
    assert_eq!(
        sha256_file(&app.join("charts/common-1.0.0.tgz")),
        archives[0]
    );
    assert_eq!(
        std::fs::read_to_string(app.join("Chart.lock")).unwrap(),
        lock
    );

    // Helm chart artifacts pull with Helm's media types
    let helm_repo = format!("{path}/hello");
    let helm_tgz = {
        use std::io::Write;
        let mut b = tar::Builder::new(Vec::new());
        let meta = b"apiVersion: v2\nname: hello\nversion: 0.3.0\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(meta.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "hello/Chart.yaml", &meta[..])
            .unwrap();
        let tpl = b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(tpl.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, "hello/templates/cm.yaml", &tpl[..])
            .unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&b.into_inner().unwrap()).unwrap();
        gz.finish().unwrap()
    };
    raw_push(
        &r,
        &helm_repo,
        "0.3.0",
        "application/vnd.cncf.helm.config.v1+json",
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
        &helm_tgz,
    );
    let dest = home.path().join("helm");
    let (out, stdout, stderr) = run(home.tack().args([
        "pull",
        &format!("oci://{}/{helm_repo}", r.host),
        "--untar",
        "-d",
        dest.to_str().unwrap(),
        "--ca-file",
        &r.ca,
    ]));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("pulled hello 0.3.0"), "{stdout}");
    assert!(
        stderr.contains("Helm chart") && stderr.contains("tack convert"),
        "{stderr}"
    );
    assert!(dest.join("hello/templates/cm.yaml").is_file());
}

#[test]
fn credential_helpers_keep_the_secret_out_of_the_config_file() {
    use std::os::unix::fs::PermissionsExt;
    let r = registry();
    let home = Home::new();
    // a credential helper that keeps one entry in a file: get|store|erase, as docker-credential-* do
    let bin = home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let store = home.path().join("helper-store.json");
    let helper = bin.join("docker-credential-tacktest");
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nset -e\nf={}\ncase \"$1\" in\n  get) host=$(cat); [ -f \"$f\" ] || {{ echo 'credentials not found in native keychain'; exit 1; }}; cat \"$f\" ;;\n  store) cat > \"$f\" ;;\n  erase) cat >/dev/null; rm -f \"$f\" ;;\nesac\n",
            store.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::create_dir_all(home.path().join("docker")).unwrap();
    let config = home.path().join("docker/config.json");
    std::fs::write(
        &config,
        serde_json::json!({"credHelpers": {r.host.clone(): "tacktest"}}).to_string(),
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let with_path = |mut c: Command| {
        c.env("PATH", &path);
        c
    };

    use std::io::Write;
    let mut child = with_path(home.tack())
        .args([
            "registry",
            "login",
            &r.host,
            "-u",
            &r.user,
            "--password-stdin",
            "--ca-file",
            &r.ca,
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(r.password.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("docker-credential-tacktest"), "{stdout}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&store).unwrap()).unwrap();
    assert_eq!(stored["Username"], r.user.as_str());
    assert_eq!(stored["Secret"], r.password.as_str());
    let cfg = std::fs::read_to_string(&config).unwrap();
    assert!(
        !cfg.contains(&r.password) && !cfg.contains("auths"),
        "{cfg}"
    );

    // the helper's credentials are used for push
    let pkg = package(
        &home,
        &repo().join("charts/webapp"),
        &home.path().join("out"),
    );
    let remote = format!("oci://{}/e2e/{}", r.host, unique("helper"));
    let mut push = with_path(home.tack());
    ok(push.args(["push", pkg.to_str().unwrap(), &remote, "--ca-file", &r.ca]));

    // logout erases them in the helper; then the registry refuses
    ok(with_path(home.tack()).args(["registry", "logout", &r.host]));
    assert!(!store.exists());
    let (out, _, err) = run(with_path(home.tack()).args([
        "pull",
        &format!("{remote}/webapp:1.4.0"),
        "-d",
        home.path().join("p").to_str().unwrap(),
        "--ca-file",
        &r.ca,
    ]));
    assert!(!out.status.success());
    assert!(err.contains("credentials are missing or wrong"), "{err}");
}
