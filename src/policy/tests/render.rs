//! The four renderers: what each carries, and that SARIF and JUnit have the structure their
//! consumers require.

use super::docs;
use crate::policy::{evaluate, render, Policy, Report};
use serde_json::Value;

fn report() -> Report {
    let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\nspec:\n  containers:\n    - name: a\n      image: x:latest\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n";
    evaluate(&docs(text), &Policy::tier_default(Some("public")), None)
}

#[test]
fn text_names_rule_object_template_line_path_and_fix() {
    let r = report();
    let t = render::text(&r);
    assert!(t.contains("error[run-as-non-root] Pod/shop/p\n"), "{t}");
    assert!(
        t.contains("  --> app/templates/t.yaml (rendered line 8), from templates/t.yaml.j2\n"),
        "{t}"
    );
    assert!(
        t.contains("  at spec.containers[0].securityContext.runAsNonRoot\n"),
        "{t}"
    );
    assert!(
        t.contains("  fix: set securityContext.runAsNonRoot: true"),
        "{t}"
    );
    assert!(t.ends_with(&format!("{}\n", render::summary(&r))));
    assert!(render::summary(&r).starts_with(&format!(
        "policy (tier public, restricted): {} errors, 0 warnings, 0 exemptions, 2 objects",
        r.errors()
    )));
}

#[test]
fn json_round_trips_counts_and_findings() {
    let r = report();
    let v: Value = serde_json::from_str(&render::json(&r)).unwrap();
    assert_eq!(v["errors"], r.errors());
    assert_eq!(v["findings"].as_array().unwrap().len(), r.findings.len());
    assert_eq!(v["findings"][0]["object"]["namespace"], "shop");
    assert_eq!(v["level"], "restricted");
}

#[test]
fn sarif_is_a_2_1_0_log_with_rules_and_located_results() {
    let r = report();
    let v: Value = serde_json::from_str(&render::sarif(&r, "charts/app/")).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), crate::policy::rules::RULES.len());
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), r.findings.len());
    for res in results {
        let i = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[i]["id"], res["ruleId"]);
        assert!(matches!(res["level"].as_str(), Some("error" | "warning")));
        let loc = &res["locations"][0]["physicalLocation"];
        assert_eq!(
            loc["artifactLocation"]["uri"],
            "charts/app/templates/t.yaml.j2"
        );
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn junit_has_one_case_per_object_and_fails_those_with_errors() {
    let r = report();
    let x = render::junit(&r);
    assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
    assert_eq!(x.matches("<testcase ").count(), 2);
    assert_eq!(x.matches("<failure ").count(), 1);
    assert!(x.contains("tests=\"2\" failures=\"1\""));
    assert!(x.contains("<testcase classname=\"templates/t.yaml.j2\" name=\"ConfigMap/c\"/>"));
    assert_eq!(
        x.matches("<testsuite ").count(),
        x.matches("</testsuite>").count()
    );
    assert_eq!(
        x.matches("<testcase ").count(),
        x.matches("</testcase>").count() + x.matches("/>\n").count()
    );
}
