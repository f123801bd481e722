//! The example stack passes its tiers' policies, and the public tier refuses a chart change that
//! would break Pod Security `restricted`. Renders with the real binary, checks with the policy library.

mod common;

use common::tack;
use tack::manifest::{parse_rendered, Document};
use tack::policy::{evaluate, render, Policy, Report};

/// Split a `tack template` stream back into documents, one template (`# Source:`) at a time.
fn documents(stream: &str) -> Vec<Document> {
    let mut by_source: Vec<(String, String)> = Vec::new();
    for doc in stream.split("\n---\n") {
        let doc = doc.strip_prefix("---\n").unwrap_or(doc);
        let Some(rest) = doc.strip_prefix("# Source: ") else {
            continue;
        };
        let (display, body) = rest.split_once('\n').unwrap_or((rest, ""));
        match by_source.iter_mut().find(|(d, _)| d == display) {
            Some((_, text)) => {
                text.push_str("---\n");
                text.push_str(body);
                text.push('\n');
            }
            None => by_source.push((display.to_string(), format!("{body}\n"))),
        }
    }
    let mut problems = Vec::new();
    let mut out = Vec::new();
    for (display, text) in by_source {
        let source = display.split_once('/').map_or(display.as_str(), |(_, s)| s);
        out.extend(parse_rendered(source, &display, &text, &mut problems));
    }
    assert!(problems.is_empty(), "{problems:?}");
    out
}

fn check(tier: &str, extra: &[&str]) -> Report {
    let ns = format!("webapp-{tier}");
    let mut args = vec![
        "template",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        tier,
        "--name",
        tier,
        "-n",
        &ns,
    ];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = tack(&args);
    assert_eq!(code, 0, "{stderr}");
    let docs = documents(&stdout);
    assert!(docs.iter().any(|d| d.kind() == "Deployment"));
    let start = std::time::Instant::now();
    let report = evaluate(&docs, &Policy::tier_default(Some(tier)), Some(&ns));
    eprintln!(
        "policy check of tier {tier}: {} objects in {:?}",
        docs.len(),
        start.elapsed()
    );
    report
}

#[test]
fn example_stack_passes_each_tier_policy() {
    for tier in ["private", "work", "public"] {
        let r = check(tier, &[]);
        assert!(r.findings.is_empty(), "tier {tier}:\n{}", render::text(&r));
        assert!(r.objects >= 7);
    }
}

#[test]
fn public_tier_refuses_a_change_that_breaks_restricted() {
    let r = check(
        "public",
        &["--set", "securityContext.allowPrivilegeEscalation=true"],
    );
    assert!(r.has_errors());
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "privilege-escalation")
        .expect("privilege-escalation finding");
    assert_eq!(f.object.kind, "Deployment");
    assert_eq!(f.template, "templates/deployment.yaml");
    assert!(f.line.is_some());
    // the same change is within baseline: work only sees it if a production check does
    let work = check(
        "work",
        &["--set", "securityContext.allowPrivilegeEscalation=true"],
    );
    assert!(!work.has_errors(), "{}", render::text(&work));
}
