//! CLI tests that relate outputs to each other (tiers, install order, two renders, a subchart toggled) or
//! read what a command wrote; the output of single commands is snapshotted by `tests/cli_cases.rs`.

mod common;

use common::*;

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
fn output_dir_writes_one_file_per_template() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = tack(&[
        "template",
        "charts/webapp",
        "--output-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.is_empty(), "nothing on stdout: {out}");
    let written =
        std::fs::read_to_string(dir.path().join("webapp/templates/deployment.yaml")).unwrap();
    assert!(written.contains("kind: Deployment"));
}

#[test]
fn completions_are_a_script_for_the_shell() {
    let (code, out, _) = tack(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("_tack"));
}
