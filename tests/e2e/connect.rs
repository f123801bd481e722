//! Connecting to a cluster: kubeconfig resolution, server version, and clear, bounded failures.

use crate::harness::*;
use std::time::{Duration, Instant};

#[test]
fn version_reports_client_and_server() {
    let out = ok(tack().arg("version"));
    assert!(
        out.contains(&format!("client: tack {}", env!("CARGO_PKG_VERSION"))),
        "{out}"
    );
    assert!(out.contains("server: kubernetes v1.32."), "{out}");
}

#[test]
fn explicit_kubeconfig_and_context_are_honoured() {
    let kc = kubeconfig();
    let text = std::fs::read_to_string(&kc).unwrap();
    let doc: serde_json::Value = serde_yaml::from_str(&text).unwrap();
    let ctx = doc["current-context"].as_str().unwrap().to_string();
    let out = ok(tack()
        .env_remove("KUBECONFIG")
        .args(["version", "--kubeconfig"])
        .arg(&kc)
        .args(["--kube-context", &ctx]));
    assert!(out.contains("server: kubernetes v1."), "{out}");

    let (o, _, err) = run(tack().args(["version", "--kube-context", "no-such-context"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(err.contains("no context `no-such-context`"), "{err}");
    assert!(
        err.contains(&ctx),
        "the error lists the contexts that exist: {err}"
    );
}

fn kubeconfig_with(server: &str, token: &str, ca_from_real: bool) -> tempfile::NamedTempFile {
    let real: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(kubeconfig()).unwrap()).unwrap();
    let ca = real["clusters"][0]["cluster"]["certificate-authority-data"]
        .as_str()
        .unwrap()
        .to_string();
    let cluster = if ca_from_real {
        format!("{{server: \"{server}\", certificate-authority-data: \"{ca}\"}}")
    } else {
        format!("{{server: \"{server}\", insecure-skip-tls-verify: true}}")
    };
    let text = format!(
        "apiVersion: v1\nkind: Config\nclusters: [{{name: c, cluster: {cluster}}}]\nusers: [{{name: u, user: {{token: \"{token}\"}}}}]\ncontexts: [{{name: x, context: {{cluster: c, user: u}}}}]\ncurrent-context: x\n"
    );
    let f = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(f.path(), text).unwrap();
    f
}

#[test]
fn unreachable_server_fails_fast_with_a_clear_error() {
    // a loopback port with nothing listening: connection refused
    let kc = kubeconfig_with("https://127.0.0.1:9", "t", false);
    let start = Instant::now();
    let (o, _, err) = run(tack()
        .env("KUBECONFIG", kc.path())
        .args(["version", "--timeout", "5"]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("cannot reach the Kubernetes API server"),
        "{err}"
    );
    assert!(err.contains("127.0.0.1:9"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn unresponsive_server_is_bounded_by_the_timeout() {
    // a listener that accepts but never answers
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let _keep = std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().take(8) {
            held.push(s);
        }
        std::thread::sleep(Duration::from_secs(30));
    });
    let kc = kubeconfig_with(&format!("https://127.0.0.1:{port}"), "t", false);
    let start = Instant::now();
    let (o, _, err) = run(tack()
        .env("KUBECONFIG", kc.path())
        .args(["version", "--timeout", "3"]));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("did not answer within 3s") || err.contains("cannot reach"),
        "{err}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "took {:?}",
        start.elapsed()
    );
}

#[test]
fn wrong_token_is_reported_as_unauthorised() {
    let real: serde_json::Value =
        serde_yaml::from_str(&std::fs::read_to_string(kubeconfig()).unwrap()).unwrap();
    let server = real["clusters"][0]["cluster"]["server"]
        .as_str()
        .unwrap()
        .to_string();
    let kc = kubeconfig_with(&server, "not-a-valid-token", true);
    let (o, _, err) = run(tack().env("KUBECONFIG", kc.path()).arg("version"));
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("401 Unauthorized"), "{err}");
    assert!(
        !err.contains("not-a-valid-token"),
        "the token must not be printed: {err}"
    );
}
