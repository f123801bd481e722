//! One code path for a single release and a stack: every stack-capable command (install, upgrade, diff,
//! rollback, status, uninstall) run on release `web` with flags, and on a stack instance `web` with the same
//! chart and layers, prints the same result: the instance's block holds exactly what the single release
//! printed (namespaces aside).

use crate::harness::*;
use crate::stack::{stack_cmd, stack_file};

/// The body of the one instance block of a stack command's stdout (between its header and the summary).
fn block_body(out: &str) -> String {
    let (header, rest) = out.split_once('\n').expect("a block header");
    assert!(header.starts_with("==> instance `web`"), "{out}");
    let (body, summary) = rest
        .rsplit_once("\nINSTANCE ")
        .unwrap_or_else(|| panic!("no summary table in:\n{out}"));
    assert!(summary.contains("web"), "{out}");
    body.trim_end().to_string()
}

/// `LAST DEPLOYED:` differs between two releases made a moment apart.
fn without_times(text: &str) -> String {
    text.lines()
        .filter(|l| !l.starts_with("LAST DEPLOYED:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn a_single_release_and_a_stack_instance_take_the_same_path() {
    let client = client().await;
    let solo = namespace(&client, "one-solo").await;
    let inst = namespace(&client, "one-inst").await;
    let (_dir, file) = stack_file(&format!(
        "defaults:\n  chart: {{repo}}/charts/webapp\n  valuesDir: {{repo}}/values\ninstances:\n  - name: web\n    namespace: {inst}\n    env: dev\n    tier: private\n"
    ));
    let same = |cmd: &str, single: String, stack: String| {
        let single = single.trim_end().replace(&solo, "NS");
        let stack = block_body(&stack).replace(&inst, "NS");
        assert_eq!(
            without_times(&stack),
            without_times(&single),
            "`{cmd}` printed something else for the stack instance"
        );
    };

    let single = ok(&mut webapp("install", &solo, &[]));
    let stack = ok(&mut stack_cmd(&file, &["install", "--instance", "web"]));
    assert!(single.contains("installed release `web`"), "{single}");
    same("install", single, stack);

    let set = ["--set", "image.tag=2.0.0"];
    let single = ok(&mut webapp("diff", &solo, &set));
    let stack = ok(&mut stack_cmd(
        &file,
        &["diff", "--instance", "web", set[0], set[1]],
    ));
    assert!(single.contains("2.0.0"), "{single}");
    same("diff", single, stack);

    let single = ok(&mut webapp("upgrade", &solo, &set));
    let stack = ok(&mut stack_cmd(
        &file,
        &["upgrade", "--instance", "web", set[0], set[1]],
    ));
    assert!(single.contains("upgraded release `web`"), "{single}");
    same("upgrade", single, stack);

    let single = ok(tack().args(["rollback", "web", "1", "-n", &solo]));
    let stack = ok(&mut stack_cmd(
        &file,
        &["rollback", "--instance", "web", "1"],
    ));
    assert!(single.contains("rolled back to revision 1"), "{single}");
    same("rollback", single, stack);

    let single = ok(tack().args(["status", "web", "-n", &solo]));
    let stack = ok(&mut stack_cmd(&file, &["status", "--instance", "web"]));
    assert!(single.contains("REVISION: 3"), "{single}");
    same("status", single, stack);

    let single = ok(tack().args(["uninstall", "web", "-n", &solo]));
    let stack = ok(&mut stack_cmd(&file, &["uninstall", "--instance", "web"]));
    assert!(single.contains("uninstalled release `web`"), "{single}");
    same("uninstall", single, stack);
}
