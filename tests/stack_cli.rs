//! CLI tests of stacks without a cluster that look into a long YAML stream: which instances a selector
//! picks, and that a client dry run masks Secret values. The output of single stack commands (template,
//! lint, values --compare, the isolation guard, stack-file mistakes) is snapshotted by `tests/cli_cases.rs`.

mod common;

use common::*;

/// The sections of a stack's YAML stream, by instance name.
fn sections(stream: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in stream.lines() {
        if let Some(rest) = line.strip_prefix("# Instance: ") {
            out.push((rest.split(' ').next().unwrap().to_string(), String::new()));
        } else if let Some((_, text)) = out.last_mut() {
            text.push_str(line);
            text.push('\n');
        }
    }
    out
}

#[test]
fn template_with_a_selector_renders_only_matching_instances() {
    let (code, out, err) = tack(&["template", "-l", "tier=public"]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["public"]);
    let (code, out, err) = tack(&[
        "template",
        "-l",
        "tier in (work,private),env=prod",
        "--instance",
        "dev",
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["private", "work", "dev"]);
}

#[test]
fn client_dry_run_of_a_stack_needs_no_cluster() {
    let (code, out, err) = tack(&[
        "install",
        "-l",
        "env=prod",
        "--dry-run",
        "--set",
        "secret.data.API_TOKEN=hunter2",
    ]);
    assert_eq!(code, 0, "{err}");
    let names: Vec<String> = sections(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["private", "work", "public"]);
    assert!(
        !out.contains("hunter2") && out.contains("<redacted"),
        "Secret values are masked"
    );
    assert!(err.contains("nothing was sent to a cluster"), "{err}");
}
