//! Tier defaults, the `policy:` override section, chart policy files and their merge.

use crate::policy::{
    merge, parse_chart_policy, parse_spec, resolve, Checks, Level, Policy, PolicySpec, Setting,
    Severity,
};

#[test]
fn tier_defaults() {
    let public = Policy::tier_default(Some("public"));
    assert_eq!(public.level, Level::Restricted);
    assert_eq!(public.severity("probes"), Some(Severity::Error));
    assert_eq!(public.severity("network-policy"), Some(Severity::Error));
    assert_eq!(public.severity("image-digest"), None);
    assert!(public.require_network_policy && !public.require_digest);

    let work = Policy::tier_default(Some("work"));
    assert_eq!(work.level, Level::Baseline);
    assert_eq!(work.severity("secret-literal"), Some(Severity::Warning));
    assert_eq!(work.severity("network-policy"), None);

    let private = Policy::tier_default(Some("private"));
    assert_eq!(private.level, Level::Baseline);
    assert!(private.checks.is_empty());

    let none = Policy::tier_default(None);
    assert_eq!(none.tier, "none");
    assert_eq!(none.severity("probes"), Some(Severity::Warning));
}

#[test]
fn overrides_change_level_checks_and_toggles() {
    let spec = parse_spec(
        "level: restricted\nchecks:\n  probes: off\n  resources: error\nrequireDigest: true\n",
        "tack.yaml",
    )
    .unwrap();
    let p = resolve(Some("work"), None, Some(&spec));
    assert_eq!(p.level, Level::Restricted);
    assert_eq!(p.severity("probes"), None);
    assert_eq!(p.severity("resources"), Some(Severity::Error));
    assert_eq!(p.severity("pdb"), Some(Severity::Warning));
    assert!(p.require_digest);
    assert_eq!(p.severity("image-digest"), Some(Severity::Error));

    let off = parse_spec("checks: off\nrequire_network_policy: false\n", "x").unwrap();
    let p = resolve(Some("public"), None, Some(&off));
    assert!(p.checks.is_empty(), "{:?}", p.checks);
    assert!(!p.require_network_policy);
    assert_eq!(p.level, Level::Restricted);

    let on = parse_spec("checks: on\n", "x").unwrap();
    let p = resolve(Some("private"), None, Some(&on));
    assert_eq!(p.severity("probes"), Some(Severity::Error));
    assert_eq!(p.severity("network-policy"), None);
}

#[test]
fn chart_policy_applies_per_tier_and_tack_yaml_wins() {
    let chart = parse_chart_policy(
        "checks:\n  pdb: off\ntiers:\n  public:\n    level: baseline\n    requireDigest: true\n",
        "charts/app/policy.yaml",
    )
    .unwrap();
    let p = resolve(Some("public"), Some(&chart), None);
    assert_eq!(p.level, Level::Baseline);
    assert_eq!(p.severity("pdb"), None);
    assert!(p.require_digest);
    let stack = PolicySpec {
        level: Some(Level::Restricted),
        ..Default::default()
    };
    let p = resolve(Some("public"), Some(&chart), Some(&stack));
    assert_eq!(p.level, Level::Restricted);
    let work = resolve(Some("work"), Some(&chart), None);
    assert_eq!(work.level, Level::Baseline);
    assert!(!work.require_digest);
}

#[test]
fn merge_lets_the_upper_layer_win_and_merges_check_maps() {
    let base = parse_spec(
        "level: baseline\nchecks:\n  probes: off\n  pdb: warning\n",
        "a",
    )
    .unwrap();
    let over = parse_spec("checks:\n  pdb: error\nrequireDigest: true\n", "b").unwrap();
    let m = merge(&base, &over);
    assert_eq!(m.level, Some(Level::Baseline));
    assert_eq!(m.require_digest, Some(true));
    let Some(Checks::Each(map)) = m.checks else {
        panic!()
    };
    assert_eq!(map["probes"], Setting::Off);
    assert_eq!(map["pdb"], Setting::Error);
}

#[test]
fn bad_policy_input_is_refused_with_file_line_and_hint() {
    let e = parse_spec("level: strict\n", "tack.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("tack.yaml:1:"), "{e}");
    assert!(e.contains("hint:"), "{e}");
    let e = parse_spec("checks:\n  probe: off\n", "tack.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("unknown policy check `probe`") && e.contains("probes"),
        "{e}"
    );
    let e = parse_spec("checks:\n  privileged: off\n", "tack.yaml")
        .unwrap_err()
        .to_string();
    assert!(e.contains("follows `level`"), "{e}");
    let e = parse_chart_policy("levle: baseline\n", "charts/app/policy.yaml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("charts/app/policy.yaml:1:") && e.contains("levle"),
        "{e}"
    );
}

#[test]
fn namespace_labels_follow_the_level_and_never_overwrite() {
    use crate::policy::{labels_to_add, namespace_labels};
    use std::collections::BTreeMap;
    let l = namespace_labels(Level::Restricted);
    assert_eq!(l["pod-security.kubernetes.io/enforce"], "restricted");
    assert_eq!(l["pod-security.kubernetes.io/enforce-version"], "v1.32");
    let existing = BTreeMap::from([(
        "pod-security.kubernetes.io/enforce".to_string(),
        "privileged".to_string(),
    )]);
    assert!(labels_to_add(Level::Baseline, &existing).is_empty());
    assert_eq!(labels_to_add(Level::Baseline, &BTreeMap::new()).len(), 2);
}

#[test]
fn docs_list_every_rule() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/policies.md")).unwrap();
    for r in crate::policy::rules::RULES {
        assert!(
            doc.contains(&format!("| `{}` |", r.id)),
            "docs/policies.md has no row for rule `{}`",
            r.id
        );
    }
}

#[test]
fn check_release_reads_the_chart_policy_file() {
    let dir = tempfile::tempdir().unwrap();
    let docs = super::docs(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: a\n      image: x:1\n",
    );
    let (policy, report) =
        crate::policy::check_release(&docs, dir.path(), Some("public"), None, None).unwrap();
    assert_eq!(policy.level, Level::Restricted);
    assert!(report.has_errors());
    let refusal = crate::policy::refusal(&report, "--skip-policy")
        .unwrap()
        .to_string();
    assert!(
        refusal.contains("tier `public`") && refusal.contains("--skip-policy"),
        "{refusal}"
    );
    assert!(
        refusal.contains("run-as-non-root") && refusal.contains("hint:"),
        "{refusal}"
    );

    std::fs::write(
        dir.path().join("policy.yaml"),
        "level: privileged\nchecks: off\n",
    )
    .unwrap();
    let (policy, report) =
        crate::policy::check_release(&docs, dir.path(), Some("public"), None, None).unwrap();
    assert_eq!(policy.level, Level::Privileged);
    assert!(report.findings.is_empty());
    assert!(crate::policy::refusal(&report, "--skip-policy").is_none());

    // tack.yaml wins over the chart
    let stack = parse_spec("level: baseline\n", "tack.yaml").unwrap();
    let (policy, _) =
        crate::policy::check_release(&docs, dir.path(), Some("public"), Some(&stack), None)
            .unwrap();
    assert_eq!(policy.level, Level::Baseline);

    std::fs::write(dir.path().join("policy.yaml"), "checks:\n  nope: off\n").unwrap();
    let e = crate::policy::check_release(&docs, dir.path(), Some("public"), None, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("policy.yaml") && e.contains("unknown policy check `nope`"),
        "{e}"
    );
}
