//! `upgrade --install` from CI twice (no TTY, `CI=true`): plain output without colour or live progress, exit
//! code 0, and the second run writes no object.

use super::*;
use std::process::Stdio;

fn ci(ns: &str) -> Command {
    let mut c = shop(
        "upgrade",
        ns,
        &[
            "--install",
            "--create-namespace",
            "--wait",
            "--timeout",
            "120s",
            "--stats",
        ],
    );
    c.env("CI", "true")
        .env_remove("NO_COLOR")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::null());
    c
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_install_twice_from_ci_is_plain_and_the_second_run_writes_nothing() {
    let client = client().await;
    let ns = namespace(&client, "wf-ci").await;
    create_secret(&client, &ns, "shop-secrets").await;

    let (o, out, err) = run(&mut ci(&ns));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("revision 1 deployed"), "{out}");
    for text in [&out, &err] {
        assert!(
            !text.contains('\u{1b}'),
            "no escape sequences in CI: {text:?}"
        );
        assert!(!text.contains('\r'), "no redrawn lines in CI: {text:?}");
    }
    let before = object_versions(&client, &ns).await;
    assert!(before.len() >= 13, "{before:?}");

    let (o, out, err) = run(&mut ci(&ns));
    assert_eq!(o.status.code(), Some(0), "{out}\n{err}");
    assert!(out.contains("revision 2 deployed"), "{out}");
    assert!(
        !out.contains("  configured") && !out.contains("  created"),
        "{out}"
    );
    assert!(err.contains("object writes 0"), "{err}");
    assert!(!err.contains('\u{1b}'), "{err:?}");
    assert_eq!(
        object_versions(&client, &ns).await,
        before,
        "no object written"
    );
    delete_namespace(&client, &ns).await;
}
