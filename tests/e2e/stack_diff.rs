//! `tack diff --all` end to end: a stack installed for real, one instance's values changed in the stack
//! file, then one markdown PR comment (and one JSON document) covering every instance, with exit codes
//! and Secret values set through the stack never printed.

use crate::diff::{assert_hidden, code, json_of};
use crate::harness::*;
use crate::stack::{stack_cmd, stack_file, stamp};

const OLD_PASSWORD: &str = "stack-old-password-81";
const NEW_PASSWORD: &str = "stack-new-password-92";

fn stack_text(ns: &dyn Fn(&str) -> String, private_sets: &str) -> String {
    format!(
        "defaults:\n  chart: {{repo}}/charts/webapp\n  valuesDir: {{repo}}/values\n  env: prod\ninstances:\n  - name: private\n    namespace: {}\n    tier: private\n    set: [{private_sets}]\n  - name: work\n    namespace: {}\n    tier: work\n    set: [ingress.host=webapp.work.example.internal]\n  - name: public\n    namespace: {}\n    tier: public\n",
        ns("private"),
        ns("work"),
        ns("public"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stack_diff_is_one_comment_for_every_instance() {
    let s = stamp();
    let ns = |t: &str| format!("e2e-stkdiff-{s}-{t}");
    let before = format!("secret.data.DB_PASSWORD={OLD_PASSWORD}");
    let (dir, file) = stack_file(&stack_text(&ns, &before));
    ok(&mut stack_cmd(
        &file,
        &["install", "--all", "--create-namespace"],
    ));

    // nothing changed yet
    let (c, out, err) = code(&mut stack_cmd(&file, &["diff", "--all", "--exit-code"]));
    assert_eq!(c, 0, "{out}\n{err}");
    assert_eq!(out.matches("No changes:").count(), 3, "{out}");

    // the private tier gets a new log level and a new password
    let after = format!("logLevel=debug, secret.data.DB_PASSWORD={NEW_PASSWORD}");
    std::fs::write(
        &file,
        stack_text(&ns, &after).replace("{repo}", &repo().display().to_string()),
    )
    .unwrap();
    let (c, md, err) = code(&mut stack_cmd(
        &file,
        &["diff", "--all", "-o", "markdown", "--exit-code"],
    ));
    assert_eq!(c, 2, "{md}\n{err}");
    assert!(md.starts_with("### tack diff: 3 stack instances"), "{md}");
    assert!(md.contains("**1 of 3 instances would change"), "{md}");
    let row = |name: &str| {
        md.lines()
            .find(|l| l.starts_with(&format!("| `{name}` | `{}` | prod | {name} |", ns(name))))
            .unwrap_or_else(|| panic!("no summary row for {name}:\n{md}"))
            .to_string()
    };
    // ConfigMap, Secret, and the Deployment whose config checksum follows them
    assert!(
        row("private").ends_with("| 0 | 3 | 0 | 0 | changes |"),
        "{md}"
    );
    for name in ["work", "public"] {
        assert!(
            row(name).ends_with("| 0 | 0 | 0 | 0 | no changes |"),
            "{md}"
        );
        assert!(
            md.contains(&format!(
                "#### `{name}` (namespace `{}`): unchanged",
                ns(name)
            )),
            "{md}"
        );
    }
    assert!(
        md.contains(&format!(
            "#### `private` (namespace `{}`): changed",
            ns("private")
        )),
        "{md}"
    );
    assert_eq!(md.matches("<details>").count(), 3, "{md}");
    for name in ["work", "public"] {
        assert!(
            !md.contains(&format!("<code>ConfigMap {}", ns(name))),
            "{md}"
        );
    }
    assert!(md.contains("+  LOG_LEVEL: debug"), "{md}");
    assert!(md.contains("| `DB_PASSWORD` | changed |"), "{md}");
    for secret in [OLD_PASSWORD, NEW_PASSWORD] {
        assert_hidden(&md, secret, "the stack markdown");
        assert_hidden(&err, secret, "stderr of the stack markdown");
    }

    let (c, json, err) = code(&mut stack_cmd(
        &file,
        &["diff", "-l", "tier in (private,work)", "-o", "json"],
    ));
    assert_eq!(c, 0, "changes without --exit-code exit 0: {err}");
    let doc = json_of(&json);
    let states: Vec<(&str, &str)> = doc["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["name"].as_str().unwrap(), i["state"].as_str().unwrap()))
        .collect();
    assert_eq!(states, [("private", "changed"), ("work", "unchanged")]);
    assert_eq!(doc["summary"]["change"], 3);
    assert_eq!(doc["instances"][0]["plan"]["summary"]["change"], 3);
    assert_eq!(doc["instances"][1]["error"], serde_json::Value::Null);
    for secret in [OLD_PASSWORD, NEW_PASSWORD] {
        assert_hidden(&json, secret, "the stack JSON");
    }

    // text blocks and the runner's summary table
    let (c, out, err) = code(&mut stack_cmd(
        &file,
        &["diff", "--all", "-o", "summary", "--exit-code"],
    ));
    assert_eq!(c, 2, "{out}\n{err}");
    assert!(
        out.contains(&format!(
            "==> instance `private` (namespace `{}`)",
            ns("private")
        )),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("private") && l.contains("0 to add, 3 to change, 0 to delete")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("public") && l.contains("no changes")),
        "{out}"
    );

    // back to what is deployed: no changes, exit 0
    std::fs::write(
        &file,
        stack_text(&ns, &before).replace("{repo}", &repo().display().to_string()),
    )
    .unwrap();
    let (c, out, err) = code(&mut stack_cmd(&file, &["diff", "--all", "--exit-code"]));
    assert_eq!(c, 0, "{out}\n{err}");

    ok(&mut stack_cmd(&file, &["uninstall", "--all"]));
    drop(dir);
}

#[test]
fn stack_diff_refuses_offline_positionals_and_isolation_violations() {
    let (_dir, file) = stack_file(
        "defaults:\n  chart: {repo}/charts/webapp\n  valuesDir: {repo}/values\ninstances:\n  - name: one\n    namespace: e2e-stkdiff-unused\n",
    );
    let (c, _, err) = code(&mut stack_cmd(&file, &["diff", "--all", "--offline"]));
    assert_eq!(c, 2, "a usage error: {err}");
    assert!(
        err.contains("--offline does not combine with stack instances"),
        "{err}"
    );
    let (c, _, err) = code(&mut stack_cmd(&file, &["diff", "web", "--all"]));
    assert_eq!(c, 2, "a usage error: {err}");
    assert!(err.contains("NAME comes from the stack file"), "{err}");

    // the isolation guard runs before any instance is compared
    let (_dir, file) = stack_file(
        "defaults:\n  chart: {repo}/tests/fixtures/charts/tenant\ninstances:\n  - name: blue\n    namespace: e2e-stkdiff-blue\n  - name: green\n    namespace: e2e-stkdiff-green\n    set: [namespaceOverride=e2e-stkdiff-blue]\n",
    );
    let (c, out, err) = code(&mut stack_cmd(&file, &["diff", "--all", "-o", "markdown"]));
    assert_eq!(c, 1, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("isolation guard") && err.contains("no instance was compared"),
        "{err}"
    );
}
