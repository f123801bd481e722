//! Each production check with a passing and a failing object, exemptions, and line lookup.

use super::docs;
use crate::policy::{evaluate, production, Policy, Report, Severity};

/// A Deployment that passes every check of the public tier, plus its ServiceAccount, PDB and
/// NetworkPolicy. `{{X}}` markers are replaced by the tests to break one thing at a time.
pub(super) const GOOD: &str = r#"apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
automountServiceAccountToken: false
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  annotations: {}
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
        tier: front
    spec:
      serviceAccountName: web
      securityContext:
        runAsNonRoot: true
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: app
          image: registry.example.com/web:1.4.2
          env:
            - name: DB_PASSWORD
              valueFrom:
                secretKeyRef:
                  name: web
                  key: password
            - name: LOG_LEVEL
              value: info
          args: ["--port=8080", "--api-key=$(API_KEY)"]
          securityContext:
            allowPrivilegeEscalation: false
            capabilities:
              drop: ["ALL"]
          livenessProbe:
            httpGet: {path: /healthz, port: 8080}
          readinessProbe:
            httpGet: {path: /ready, port: 8080}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: 500m, memory: 256Mi}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: web
spec:
  minAvailable: 1
  selector:
    matchLabels:
      app: web
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
spec:
  podSelector:
    matchExpressions:
      - {key: tier, operator: In, values: [front, back]}
  policyTypes: [Ingress]
"#;

pub(super) fn public(text: &str) -> Report {
    evaluate(
        &docs(text),
        &Policy::tier_default(Some("public")),
        Some("shop"),
    )
}

pub(super) fn rules_of(r: &Report) -> Vec<&str> {
    r.findings.iter().map(|f| f.rule.as_str()).collect()
}

/// GOOD with one text replacement, which must apply.
pub(super) fn bad(from: &str, to: &str) -> Report {
    assert!(GOOD.contains(from), "fixture lacks `{from}`");
    public(&GOOD.replacen(from, to, 1))
}

#[test]
fn the_good_manifest_passes_the_public_tier() {
    let r = public(GOOD);
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.objects, 4);
}

#[test]
fn probes() {
    let r = bad(
        "          livenessProbe:\n            httpGet: {path: /healthz, port: 8080}\n",
        "",
    );
    assert_eq!(rules_of(&r), ["probes"]);
    assert_eq!(
        r.findings[0].path,
        "spec.template.spec.containers[0].livenessProbe"
    );
    // jobs run to completion: no probes needed
    let job = GOOD
        .replace("kind: Deployment", "kind: Job")
        .replace("  replicas: 2\n", "")
        .replace(
            "          readinessProbe:\n            httpGet: {path: /ready, port: 8080}\n",
            "",
        );
    assert!(public(&job).findings.iter().all(|f| f.rule != "probes"));
}

#[test]
fn resources() {
    let r = bad("limits: {cpu: 500m, memory: 256Mi}", "limits: {cpu: 500m}");
    assert_eq!(rules_of(&r), ["resources"]);
    assert!(r.findings[0]
        .message
        .ends_with("does not set resources limits.memory"));
    let r = bad(
        "requests: {cpu: 100m, memory: 128Mi}",
        "requests: {memory: 128Mi}",
    );
    assert!(r.findings[0]
        .message
        .ends_with("does not set resources requests.cpu"));
    let r = bad("          resources:\n", "          resources-not:\n");
    assert!(r.findings[0]
        .message
        .ends_with("requests.cpu, requests.memory, limits.memory"));
    // no CPU limit needed
    assert!(bad(
        "limits: {cpu: 500m, memory: 256Mi}",
        "limits: {memory: 256Mi}"
    )
    .findings
    .is_empty());
}

#[test]
fn pdb_when_replicated() {
    let r = bad(
        "      app: web\n---\napiVersion: networking",
        "      app: other\n---\napiVersion: networking",
    );
    assert_eq!(rules_of(&r), ["pdb"]);
    assert!(r.findings[0].message.contains("2 replicas"));
    // one replica needs no budget
    let single = bad("  replicas: 2", "  replicas: 1").findings.is_empty();
    assert!(single);
    // an HPA scaling the Deployment above one replica needs one
    let text = GOOD.replace("  minAvailable: 1\n  selector:\n    matchLabels:\n      app: web\n", "  minAvailable: 1\n  selector:\n    matchLabels:\n      app: none\n")
        .replace("  replicas: 2\n", "")
        + "---\napiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: web\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 5\n";
    assert_eq!(rules_of(&public(&text)), ["pdb"]);
}

#[test]
fn pinned_images_and_digests() {
    for (image, fails) in [
        ("registry.example.com/web:latest", true),
        ("registry.example.com/web", true),
        ("registry.example.com:5000/web", true),
        ("registry.example.com:5000/web:2.0", false),
        (
            "web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            false,
        ),
        (
            "web:latest@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            false,
        ),
    ] {
        let r = bad("registry.example.com/web:1.4.2", image);
        assert_eq!(
            rules_of(&r) == ["image-pinned"],
            fails,
            "{image}: {:?}",
            r.findings
        );
    }
    let mut policy = Policy::tier_default(Some("public"));
    policy.apply(&crate::policy::PolicySpec {
        require_digest: Some(true),
        ..Default::default()
    });
    let r = evaluate(&docs(GOOD), &policy, None);
    assert_eq!(rules_of(&r), ["image-digest"]);
    let pinned = GOOD.replace(
        "web:1.4.2",
        "web:1.4.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    assert!(evaluate(&docs(&pinned), &policy, None).findings.is_empty());
}

#[test]
fn secret_literals_are_found_but_never_shown() {
    let r = bad(
        "            - name: LOG_LEVEL\n              value: info\n",
        "            - name: DB_PASSWORD\n              value: hunter2\n",
    );
    assert_eq!(rules_of(&r), ["secret-literal"]);
    assert_eq!(
        r.findings[0].path,
        "spec.template.spec.containers[0].env[1].value"
    );
    let r = bad(
        "\"--api-key=$(API_KEY)\"",
        "\"--api-key=sk-live-123\", \"--token\", \"abc.def\"",
    );
    assert_eq!(rules_of(&r), ["secret-literal", "secret-literal"]);
    for out in [
        crate::policy::render::text(&r),
        crate::policy::render::json(&r),
        crate::policy::render::sarif(&r, "charts/app"),
        crate::policy::render::junit(&r),
    ] {
        assert!(
            !out.contains("sk-live-123") && !out.contains("abc.def") && !out.contains("hunter2"),
            "{out}"
        );
    }
    for (name, secret) in [
        ("DB_PASSWORD", true),
        ("api-key", true),
        ("SECRET_KEY_BASE", true),
        ("GITHUB_TOKEN", true),
        ("KEYCLOAK_URL", false),
        ("MONKEY", false),
        ("LOG_LEVEL", false),
        ("tls-key-file", false),
        ("SECRET_NAME", false),
        ("TOKEN_PATH", false),
    ] {
        assert_eq!(production::secret_name(name), secret, "{name}");
    }
}

#[test]
fn network_policy_when_required() {
    let r = bad("values: [front, back]", "values: [back]");
    assert_eq!(rules_of(&r), ["network-policy"]);
    let r = bad(
        "    matchExpressions:\n      - {key: tier, operator: In, values: [front, back]}\n",
        "    {}\n",
    );
    assert!(
        r.findings.is_empty(),
        "an empty podSelector selects every pod: {:?}",
        r.findings
    );
    // a policy in another namespace does not count
    let r = bad(
        "kind: NetworkPolicy\nmetadata:\n  name: web\n",
        "kind: NetworkPolicy\nmetadata:\n  name: web\n  namespace: other\n",
    );
    assert_eq!(rules_of(&r), ["network-policy"]);
    // work does not require it
    let work = evaluate(
        &docs(&GOOD.replace("values: [front, back]", "values: [back]")),
        &Policy::tier_default(Some("work")),
        None,
    );
    assert!(work.findings.is_empty());
}

#[test]
fn service_account_token_automount() {
    let r = bad("automountServiceAccountToken: false\n---", "---");
    assert_eq!(rules_of(&r), ["sa-token-automount"]);
    assert!(r.findings[0].message.contains("\"web\""));
    let r = bad(
        "      serviceAccountName: web\n",
        "      serviceAccountName: web\n      automountServiceAccountToken: true\n",
    );
    assert_eq!(rules_of(&r), ["sa-token-automount"]);
    let r = bad("automountServiceAccountToken: false\n---", "---");
    let text = GOOD
        .replace("automountServiceAccountToken: false\n---", "---")
        .replace(
            "      serviceAccountName: web\n",
            "      serviceAccountName: web\n      automountServiceAccountToken: false\n",
        );
    assert!(public(&text).findings.is_empty());
    assert_eq!(r.findings[0].severity, Severity::Error);
}

#[test]
fn host_access_is_reported_beside_the_pss_control() {
    let policy = {
        let mut p = Policy::tier_default(Some("work"));
        p.level = crate::policy::Level::Privileged;
        p
    };
    let text = GOOD.replace("      serviceAccountName: web\n", "      serviceAccountName: web\n      hostNetwork: true\n      volumes:\n        - name: logs\n          hostPath: {path: /var/log}\n");
    let r = evaluate(&docs(&text), &policy, None);
    assert_eq!(rules_of(&r), ["host-access", "host-access"]);
    assert!(r.findings.iter().all(|f| f.severity == Severity::Warning));
    // where the level already refuses them, they are reported once, as Pod Security errors
    let r = evaluate(&docs(&text), &Policy::tier_default(Some("work")), None);
    assert_eq!(rules_of(&r), ["host-namespaces", "host-path-volumes"]);
    assert!(r.findings.iter().all(|f| f.severity == Severity::Error));
}
