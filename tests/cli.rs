//! CLI tests: the real binary on the example charts and on broken fixtures, checking output, exit codes
//! and that error messages name the file, the line and the value.

mod common;

use common::*;

fn fixture(name: &str) -> String {
    format!("tests/fixtures/charts/{name}")
}

fn kinds(stream: &str) -> Vec<String> {
    stream
        .lines()
        .filter_map(|l| l.strip_prefix("kind: "))
        .map(str::to_string)
        .collect()
}

#[test]
fn renders_the_example_for_every_tier_with_real_differences() {
    let (code, public, err) = tack(&[
        "template",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        "public",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, private, err) = tack(&[
        "template",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        "private",
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, work, err) = tack(&[
        "template",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        "work",
    ]);
    assert_eq!(code, 0, "{err}");

    assert!(kinds(&public).contains(&"Ingress".to_string()));
    assert!(public.contains("tls:"), "public has TLS");
    assert!(
        public.contains("secretName: webapp-example-com-tls"),
        "prod-public layer applies"
    );
    assert!(
        !kinds(&private).contains(&"Ingress".to_string()),
        "private exposes nothing"
    );
    assert!(kinds(&work).contains(&"Ingress".to_string()));
    assert!(work.contains("ingressClassName: nginx-internal"));
    assert!(!work.contains("tls:"));
    assert!(public.contains("- Egress") && !work.contains("- Egress"));
    assert!(
        public.contains("kind: HorizontalPodAutoscaler"),
        "prod autoscales"
    );
}

#[test]
fn output_is_in_install_order_with_source_headers() {
    let (code, out, err) = tack(&[
        "template",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        "public",
    ]);
    assert_eq!(code, 0, "{err}");
    let order = kinds(&out);
    let pos = |k: &str| {
        order
            .iter()
            .position(|x| x == k)
            .unwrap_or_else(|| panic!("{k} missing: {order:?}"))
    };
    assert!(pos("NetworkPolicy") < pos("PodDisruptionBudget"));
    assert!(pos("ServiceAccount") < pos("Secret"));
    assert!(pos("Secret") < pos("ConfigMap"));
    assert!(pos("ConfigMap") < pos("Service"));
    assert!(pos("Service") < pos("Deployment"));
    assert!(pos("Deployment") < pos("HorizontalPodAutoscaler"));
    assert!(pos("HorizontalPodAutoscaler") < pos("Ingress"));
    assert!(out.starts_with("---\n# Source: webapp/templates/"));
    assert!(out.contains("# Source: webapp/templates/deployment.yaml\n"));
}

#[test]
fn rendering_twice_is_byte_identical() {
    let args = [
        "template",
        "charts/stack",
        "--env",
        "staging",
        "--tier",
        "work",
        "--set",
        "postgres.password=fixed",
    ];
    let (c1, a, e1) = tack(&args);
    let (c2, b, e2) = tack(&args);
    assert_eq!((c1, c2), (0, 0), "{e1}{e2}");
    assert_eq!(a, b);
}

#[test]
fn subchart_gets_its_values_and_globals() {
    let (code, out, err) = tack(&[
        "template",
        "charts/stack",
        "--env",
        "prod",
        "--tier",
        "private",
        "--name",
        "shop",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("# Source: stack/charts/postgres/templates/statefulset.yaml"));
    assert!(
        out.contains("storage: 50Gi"),
        "env layer reaches the subchart"
    );
    assert!(
        out.contains("image: \"registry.example.com/library/postgres:16.4-alpine\""),
        "global.imageRegistry from the parent"
    );
    let (code, out, err) = tack(&[
        "template",
        "charts/stack",
        "--set",
        "postgres.enabled=false",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !out.contains("StatefulSet"),
        "condition disables the subchart"
    );
}

#[test]
fn unknown_env_lists_the_ones_that_exist() {
    let (code, _, err) = tack(&["template", "charts/webapp", "--env", "qa"]);
    assert_eq!(code, 1);
    assert!(err.contains("qa"), "{err}");
    for env in ["dev", "staging", "prod"] {
        assert!(err.contains(env), "lists `{env}`: {err}");
    }
}

#[test]
fn template_error_names_template_line_and_shows_excerpt() {
    let (code, out, err) = tack(&["template", &fixture("bad-template")]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing printed to stdout on error");
    assert!(err.contains("templates/_helpers.j2:2"), "{err}");
    assert!(
        err.contains("values.missing.deeply"),
        "excerpt shows the expression: {err}"
    );
    assert!(
        err.contains("templates/cm.yaml.j2"),
        "names the template being rendered: {err}"
    );
}

#[test]
fn invalid_rendered_yaml_names_source_and_shows_rendered_lines() {
    let (code, _, err) = tack(&["template", &fixture("bad-yaml")]);
    assert_eq!(code, 1);
    assert!(err.contains("templates/cm.yaml.j2"), "{err}");
    assert!(err.contains("not valid YAML"), "{err}");
    // keys and indentation are shown, values are masked
    assert!(err.contains("   b: <redacted>"), "{err}");
    assert!(!err.contains("broken indentation"), "{err}");
}

#[test]
fn duplicate_objects_name_both_templates() {
    let (code, _, err) = tack(&["template", &fixture("duplicate")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("templates/one.yaml.j2") && err.contains("templates/two.yaml.j2"),
        "{err}"
    );
    assert!(
        err.contains("ConfigMap") && err.contains("same-name"),
        "{err}"
    );
}

#[test]
fn objects_need_identity() {
    let (code, _, err) = tack(&["template", &fixture("missing-name")]);
    assert_eq!(code, 1);
    assert!(err.contains("metadata.name"), "{err}");
    assert!(err.contains("templates/cm.yaml.j2"), "{err}");
}

#[test]
fn runaway_templates_are_stopped() {
    let (code, _, err) = tack(&["template", &fixture("recursion")]);
    assert_eq!(code, 1);
    assert!(err.contains("templates/loop.yaml.j2"), "{err}");
    assert!(
        err.contains("templates/spin.yaml.j2"),
        "fuel stops the endless loop: {err}"
    );
}

#[test]
fn symlinks_leaving_the_chart_are_refused() {
    let (code, _, err) = tack(&["template", &fixture("escape")]);
    assert_eq!(code, 1);
    assert!(err.contains("points outside the chart"), "{err}");
    assert!(
        !err.contains("root:x:0:0"),
        "no content of the target is read"
    );
}

#[test]
fn missing_required_value_names_the_key() {
    let (code, _, err) = tack(&["template", "charts/webapp", "--set", "ingress.enabled=true"]);
    assert_eq!(code, 1);
    assert!(err.contains("ingress.host is required"), "{err}");
    assert!(err.contains("templates/ingress.yaml.j2"), "{err}");
}

#[test]
fn values_file_yaml_error_names_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "replicaCount: 2\nimage:\n  tag: [unclosed\n").unwrap();
    let (code, _, err) = tack(&["template", "charts/webapp", "-f", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(err.contains("bad.yaml"), "{err}");
    assert!(
        err.contains(":3:") || err.contains("line 3") || err.contains(":4:"),
        "{err}"
    );
}

#[test]
fn schema_violation_names_key_value_and_layer() {
    let (code, _, err) = tack(&["template", "charts/webapp", "--set", "replicaCount=500"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("replicaCount"), "{err}");
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("--set"), "names the layer that set it: {err}");
}

#[test]
fn absurd_set_index_is_rejected_without_allocating() {
    let (code, _, err) = tack(&[
        "template",
        "charts/webapp",
        "--set",
        "tolerations[999999999].key=x",
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("999999999"), "{err}");
}

#[test]
fn set_flags_apply_in_command_line_order() {
    let (code, out, err) = tack(&[
        "values",
        "charts/webapp",
        "-o",
        "json",
        "--set-string",
        "logLevel=debug",
        "--set",
        "logLevel=error",
        "--set-json",
        "config={\"A\":\"1\"}",
        "--set-string",
        "replicaCount=7",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["logLevel"], "error");
    assert_eq!(v["config"]["A"], "1");
    assert_eq!(v["replicaCount"], "7", "--set-string keeps strings");
}

#[test]
fn values_explain_names_each_layer_with_file_and_line() {
    let (code, out, err) = tack(&[
        "values",
        "charts/webapp",
        "--env",
        "prod",
        "--tier",
        "public",
        "--set",
        "logLevel=error",
        "--explain",
        "logLevel",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("values.yaml"), "{out}");
    assert!(out.contains("values/prod.yaml:"), "{out}");
    assert!(out.contains("--set"), "{out}");
    assert!(out.contains("error"), "{out}");
}

#[test]
fn show_only_and_output_dir() {
    let (code, out, err) = tack(&[
        "template",
        "charts/webapp",
        "--show-only",
        "templates/service.yaml",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(kinds(&out), ["Service"]);
    let (code, _, err) = tack(&[
        "template",
        "charts/webapp",
        "--show-only",
        "templates/nope.yaml",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("templates/service.yaml.j2"),
        "lists what exists: {err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = tack(&[
        "template",
        "charts/webapp",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written =
        std::fs::read_to_string(dir.path().join("webapp/templates/deployment.yaml")).unwrap();
    assert!(written.contains("kind: Deployment"));
}

#[test]
fn lint_matrix_covers_every_env_and_tier() {
    let (code, out, err) = tack(&["lint", "charts/webapp", "--matrix"]);
    assert_eq!(code, 0, "{out}{err}");
    for env in ["dev", "staging", "prod"] {
        for tier in ["private", "work", "public"] {
            assert!(
                out.lines().any(|l| l.starts_with(env)
                    && l.contains(tier)
                    && l.trim_end().ends_with("ok")),
                "row {env}/{tier}: {out}"
            );
        }
    }
}

#[test]
fn lint_reports_all_problems_and_fails() {
    let (code, _, err) = tack(&["lint", &fixture("recursion")]);
    assert_eq!(code, 1);
    assert!(
        err.contains("loop.yaml.j2") && err.contains("spin.yaml.j2"),
        "{err}"
    );
    assert!(err.contains("2 errors"), "{err}");
}

#[test]
fn usage_errors_exit_2() {
    let (code, _, err) = tack(&["template"]);
    assert_eq!(code, 2, "{err}");
    let (code, _, _) = tack(&["no-such-command"]);
    assert_eq!(code, 2);
}

#[test]
fn version_and_completions() {
    let (code, out, _) = tack(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.contains(env!("CARGO_PKG_VERSION")));
    let (code, out, _) = tack(&["version", "--client"]);
    assert_eq!(code, 0);
    assert!(out.contains("client: tack"));
    let (code, out, _) = tack(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("_tack"));
}

#[test]
fn tpl_files_lookup_and_capabilities_work_offline() {
    let (code, out, err) = tack(&[
        "template",
        &fixture("features"),
        "--name",
        "demo",
        "-n",
        "ns1",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("owner/features: ns1"),
        "tpl renders map keys and values: {out}"
    );
    assert!(out.contains("greeting: \"hello from demo\""), "{out}");
    assert!(out.contains("motd: \"plain text\""), "{out}");
    assert!(out.contains("missing: \"\""), "{out}");
    assert!(
        out.contains("lookup: \"{}\""),
        "lookup is empty offline: {out}"
    );
    assert!(
        out.contains("mode: \"true\""),
        "bare `on` in values is a YAML 1.1 boolean: {out}"
    );
    assert!(
        err.contains("values.yaml:4") && err.contains("`on`"),
        "with a warning naming the line: {err}"
    );
    assert!(out.contains("policy: \"true\""), "{out}");
    assert!(out.contains("kube: \"32\""), "{out}");
    assert!(
        out.contains("yes-string: 'yes'"),
        "toyaml quotes YAML 1.1 booleans: {out}"
    );
    assert!(out.contains("conf-count: \"2\""), "{out}");
    assert!(
        out.contains("a.conf: |\n    listen 8080"),
        "as_config: {out}"
    );
    let (code, out, _) = tack(&["template", &fixture("features"), "--kube-version", "1.29.4"]);
    assert_eq!(code, 0);
    assert!(out.contains("kube: \"29\""), "{out}");
}

#[test]
fn kube_version_constraint_is_checked() {
    let (code, _, err) = tack(&["template", "charts/webapp", "--kube-version", "1.20.0"]);
    assert_eq!(code, 1);
    assert!(
        err.contains(">=1.27.0-0") && err.contains("v1.20.0"),
        "{err}"
    );
}
