//! Exemptions, where findings point (template and rendered line), and robustness on malformed input.

use super::docs;
use super::production::{bad, public, rules_of, GOOD};
use crate::policy::{evaluate, Policy, Severity};

#[test]
fn exemptions_waive_named_rules_and_need_a_reason() {
    let exempt = |value: &str| {
        bad(
            "  annotations: {}\nspec:\n  replicas: 2",
            &format!(
                "  annotations:\n    tack.dev/policy-exempt: \"{value}\"\nspec:\n  replicas: 2"
            ),
        )
    };
    let text = GOOD.replace("  replicas: 2", "  replicas: 3").replace(
        "app: web\n---\napiVersion: net",
        "app: x\n---\napiVersion: net",
    );
    assert_eq!(rules_of(&public(&text)), ["pdb"]);
    let r = public(&text.replace(
        "  annotations: {}",
        "  annotations:\n    tack.dev/policy-exempt: \"pdb: batch workers tolerate eviction, OPS-12\"",
    ));
    assert!(r.findings.is_empty(), "{:?}", r.findings);
    assert_eq!(r.exemptions.len(), 1);
    assert_eq!(
        r.exemptions[0].reason,
        "batch workers tolerate eviction, OPS-12"
    );
    assert_eq!(r.exemptions[0].waived, 1);
    assert!(crate::policy::render::text(&r)
        .contains("exempt[pdb] Deployment/web: batch workers tolerate eviction, OPS-12"));

    let r = exempt("run-as-non-root");
    assert_eq!(rules_of(&r), ["exemption"]);
    assert!(r.findings[0].message.contains("no reason"));
    assert_eq!(r.findings[0].severity, Severity::Error);
    let r = exempt("run-as-root: vendor image");
    assert_eq!(rules_of(&r), ["exemption"]);
    assert!(r.findings[0].message.contains("run-as-root"));
    let r = exempt("probes, resources: sidecar-less batch; run-as-non-root: vendor image, OPS-12");
    assert!(r.findings.is_empty());
    assert_eq!(r.exemptions.len(), 2);
    assert_eq!(r.exemptions[0].rules, ["probes", "resources"]);
    assert_eq!(r.exemptions[1].waived, 0);
}

#[test]
fn findings_carry_template_and_rendered_line() {
    let text = format!(
        "# leading comment\n{}",
        GOOD.replace("registry.example.com/web:1.4.2", "web")
    );
    let d = docs(&text);
    let r = evaluate(&d, &Policy::tier_default(Some("public")), None);
    let f = &r.findings[0];
    assert_eq!(f.rule, "image-pinned");
    assert_eq!(f.template, "templates/t.yaml.j2");
    assert_eq!(f.display, "app/templates/t.yaml");
    let line = f.line.unwrap();
    assert_eq!(text.lines().nth(line - 1).unwrap().trim(), "image: web");
    assert_eq!(f.object.to_string(), "Deployment/web");
    assert_eq!(f.tier, "public");
}

#[test]
fn line_index_handles_nesting_flow_and_missing_fields() {
    use crate::policy::locate::{find, line_index};
    let text = "a:\n  b:\n    - x: 1\n      y: [1, 2]\n    - {z: 3}\n  \"c.d\": 4\ne: 5\n";
    let idx = line_index(text);
    assert_eq!(idx["a.b[0].x"], 3);
    assert_eq!(idx["a.b[0].y"], 4);
    assert_eq!(idx["a.b[1]"], 5);
    assert_eq!(idx["a.\"c.d\""], 6);
    assert_eq!(idx["e"], 7);
    assert_eq!(find(&idx, "a.b[1].z.missing"), Some(5));
    assert_eq!(find(&idx, "q.r"), None);
}

#[test]
fn malformed_objects_are_checked_without_panicking() {
    let text = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: odd
  annotations:
    tack.dev/policy-exempt: 5
spec:
  replicas: "two"
  template:
    metadata: []
    spec:
      securityContext: [1]
      volumes: ["x", {name: v}]
      initContainers: "oops"
      containers:
        - 7
        - name: 5
          image: 5
          env: [{name: 5, value: {a: 1}}, "x"]
          args: [1, "--token"]
          ports: 5
          securityContext:
            capabilities: {add: [1], drop: "ALL"}
            seLinuxOptions: "x"
            runAsUser: "0"
---
apiVersion: v1
kind: Pod
metadata:
  name: empty
spec: {}
"#;
    for tier in ["public", "work", "private"] {
        let r = evaluate(&docs(text), &Policy::tier_default(Some(tier)), None);
        assert_eq!(r.objects, 2);
        let _ = crate::policy::render::text(&r);
        let _ = crate::policy::render::junit(&r);
    }
    let r = public(text);
    assert!(rules_of(&r).contains(&"volume-types"));
    assert!(rules_of(&r).contains(&"capabilities-restricted"));
}
