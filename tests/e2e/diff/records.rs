//! Diffs that read release records: Secret values masked in every format (upgrade, rollback, revisions),
//! and `diff rollback` / `diff revisions` themselves.

use super::*;
use crate::harness::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_values_never_appear_in_any_output() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-secret").await;
    let old = format!("old-pw-{}", ns.replace('-', "Q"));
    let new = format!("new-pw-{}", ns.replace('-', "Z"));
    let set_old = format!("secret.data.PASSWORD={old}");
    let set_new = format!("secret.data.PASSWORD={new}");
    ok(&mut web_args(
        &["install"],
        &ns,
        &["--set-string", &set_old],
    ));

    for format in FORMATS {
        let (c, out, err) = code(&mut diff(
            &ns,
            &["--set-string", &set_new, "-o", format, "--exit-code"],
        ));
        assert_eq!(c, 2, "{format}: {out}\n{err}");
        for s in [&old, &new] {
            assert_hidden(&out, s, format);
            assert_hidden(&err, s, format);
        }
        if format != "summary" {
            assert!(out.contains("PASSWORD"), "{format}: {out}");
        }
    }
    let (_, out, _) = code(&mut diff(&ns, &["--set-string", &set_new]));
    assert!(
        out.contains(&format!("Secret {ns}/web-webapp: changed")),
        "{out}"
    );
    let line = out
        .lines()
        .find(|l| l.contains("changed") && l.contains("PASSWORD"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("bytes, sha256:") && line.contains('→'),
        "{line}"
    );
    let (_, out, _) = code(&mut diff(&ns, &["--set-string", &set_new, "-o", "json"]));
    let doc = json_of(&out);
    let keys = &object(&doc, "Secret")["secretKeys"];
    assert_eq!(keys[0]["key"], "PASSWORD");
    assert_eq!(keys[0]["change"], "changed");

    // the same value: unchanged
    let (c, out, _) = code(&mut diff(&ns, &["--set-string", &set_old, "--exit-code"]));
    assert_eq!(c, 0, "{out}");

    // rollback and revisions diffs mask too
    ok(&mut web_args(
        &["upgrade"],
        &ns,
        &["--set-string", &set_new],
    ));
    for format in FORMATS {
        for args in [
            vec!["diff", "rollback", "web", "-n", &ns, "-o", format],
            vec![
                "diff",
                "revisions",
                "web",
                "1",
                "2",
                "-n",
                &ns,
                "-o",
                format,
            ],
        ] {
            let (c, out, err) = code(tack().args(&args));
            assert_eq!(c, 0, "{args:?}: {out}\n{err}");
            if format != "summary" {
                assert!(out.contains("PASSWORD"), "{args:?}: {out}");
            }
            for s in [&old, &new] {
                assert_hidden(&out, s, &format!("{args:?}"));
                assert_hidden(&err, s, &format!("{args:?}"));
            }
        }
    }

    // --show-secrets is the explicit opt-in
    let (_, out, _) = code(&mut diff(
        &ns,
        &["--set-string", &set_old, "--show-secrets"],
    ));
    assert!(out.contains(&b64(&old)), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rollback_and_revisions_diffs() {
    let client = client().await;
    let ns = namespace(&client, "e2e-diff-rb").await;
    ok(&mut web_args(&["install"], &ns, &[]));
    ok(&mut web_args(
        &["upgrade"],
        &ns,
        &[
            "--set",
            "replicaCount=2",
            "--set",
            "podDisruptionBudget.enabled=true",
        ],
    ));

    let (c, out, err) = code(tack().args(["diff", "rollback", "web", "-n", &ns, "--exit-code"]));
    assert_eq!(c, 2, "{out}\n{err}");
    assert!(
        out.contains("rollback to revision 1, compared with the live cluster"),
        "{out}"
    );
    assert!(out.contains("-  replicas: 2\n+  replicas: 1\n"), "{out}");
    assert!(
        out.contains(&format!("PodDisruptionBudget {ns}/web-webapp: deleted")),
        "{out}"
    );

    let (c, out, _) = code(tack().args([
        "diff",
        "revisions",
        "web",
        "1",
        "2",
        "-n",
        &ns,
        "-o",
        "json",
    ]));
    assert_eq!(c, 0, "{out}");
    let doc = json_of(&out);
    assert_eq!(doc["against"], json!({"kind": "revision", "revision": 1}));
    assert_eq!(doc["driftCheck"]["state"], "not-applicable");
    assert_eq!(
        object(&doc, "Deployment")["paths"],
        json!(["spec.replicas"])
    );
    assert_eq!(object(&doc, "PodDisruptionBudget")["action"], "add");

    let (c, _, err) = code(tack().args(["diff", "revisions", "web", "1", "9", "-n", &ns]));
    assert_eq!(c, 1);
    assert!(
        err.contains("revision 9") && err.contains("tack history web"),
        "{err}"
    );
    let (c, _, err) = code(tack().args(["diff", "rollback", "web", "7", "-n", &ns]));
    assert_eq!(c, 1);
    assert!(err.contains("no revision 7"), "{err}");
}
