//! `tack diff --offline`: compared with a saved manifest or a second render, with a kubeconfig whose server
//! cannot be reached, so any cluster call would fail the command.

use super::*;
use crate::harness::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_diffs_contact_no_cluster() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-off").await;
    let secret = format!("offline-pw-{}", ns.replace('-', "K"));
    let set = format!("secret.data.PASSWORD={secret}");
    ok(&mut web_args(&["install"], &ns, &["--set-string", &set]));
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("manifest.yaml");
    std::fs::write(
        &saved,
        ok(tack().args(["get", "manifest", "web", "-n", &ns])),
    )
    .unwrap();
    let rendered = dir.path().join("template.yaml");
    std::fs::write(
        &rendered,
        ok(tack().args([
            "template",
            "charts/webapp",
            "--name",
            "web",
            "--env",
            "dev",
            "--tier",
            "private",
            "--set-string",
            &set,
        ])),
    )
    .unwrap();
    // a kubeconfig whose server cannot be reached: any cluster call would fail the command
    let dead = dir.path().join("kubeconfig");
    std::fs::write(
        &dead,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: x\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: x\n  context:\n    cluster: x\n    user: x\ncurrent-context: x\nusers:\n- name: x\n  user:\n    token: x\n",
    )
    .unwrap();
    let offline = |extra: &[&str]| {
        let mut c = diff(&ns, &["--offline"]);
        c.env("KUBECONFIG", &dead).args(extra);
        c
    };

    // the saved manifest has masked Secret values: the same value compares equal by digest
    let saved_s = saved.to_str().unwrap();
    let (c, out, err) = code(&mut offline(&[
        "--against-manifest",
        saved_s,
        "--set-string",
        &set,
        "--exit-code",
    ]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert!(
        out.contains("No changes") && out.contains("no cluster was contacted"),
        "{out}"
    );
    for format in FORMATS {
        let (c, out, err) = code(&mut offline(&[
            "--against-manifest",
            rendered.to_str().unwrap(),
            "--set-string",
            "secret.data.PASSWORD=other-value-1234",
            "--set",
            "image.tag=5.0",
            "-o",
            format,
            "--exit-code",
        ]));
        assert_eq!(c, 2, "{format}: {out}\n{err}");
        assert_hidden(&out, &secret, format);
        assert_hidden(&out, "other-value-1234", format);
        if format != "json" {
            assert!(out.contains("no cluster was contacted"), "{format}: {out}");
        }
    }
    let (_, out, _) = code(&mut offline(&[
        "--against-manifest",
        saved_s,
        "--set",
        "image.tag=5.0",
        "-o",
        "json",
    ]));
    let doc = json_of(&out);
    assert_eq!(doc["driftCheck"]["state"], "offline");
    assert_eq!(doc["against"]["kind"], "manifest");

    // a second render instead of a file
    let values = dir.path().join("old.yaml");
    std::fs::write(&values, "image:\n  tag: \"1.0\"\n").unwrap();
    let (c, out, err) = code(&mut offline(&[
        "--against-values",
        values.to_str().unwrap(),
        "-o",
        "summary",
        "--exit-code",
    ]));
    assert_eq!(c, 2, "{out}\n{err}");
    assert!(
        out.contains(&format!("~ change    Deployment {ns}/web-webapp")),
        "{out}"
    );
    let (c, out, _) = code(&mut offline(&[
        "--against-set",
        "replicaCount=1",
        "--exit-code",
    ]));
    assert_eq!(c, 0, "{out}");

    // nothing to compare with
    let (c, _, err) = code(&mut offline(&[]));
    assert_eq!(c, 1);
    assert!(err.contains("--against-manifest"), "{err}");
}
