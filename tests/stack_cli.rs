//! CLI tests of stacks without a cluster: the repository's tack.yaml through template, lint, values
//! --compare and a client dry run, and stack files that break isolation or are malformed.

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

/// A temporary folder holding `tack.yaml` with `text` (`{chart}` replaced by the tenant fixture chart).
fn stack_dir(text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let chart = repo().join("tests/fixtures/charts/tenant");
    let text = text.replace("{chart}", &chart.display().to_string());
    std::fs::write(dir.path().join("tack.yaml"), text).unwrap();
    dir
}

#[test]
fn template_all_renders_every_instance_of_the_example() {
    let (code, out, err) = tack(&["template", "--all"]);
    assert_eq!(code, 0, "{err}");
    let s = sections(&out);
    let names: Vec<&str> = s.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["private", "work", "public", "dev"]);
    assert!(
        out.contains("# Instance: public (namespace webapp-public)"),
        "{out}"
    );
    let text = |n: &str| &s.iter().find(|(x, _)| x == n).unwrap().1;
    assert!(
        !text("private").contains("kind: Ingress"),
        "private exposes nothing"
    );
    assert!(text("public").contains("host: \"webapp.example.com\""));
    assert!(
        text("work").contains("host: \"webapp.work.example.internal\""),
        "the stack file's set entry applies"
    );
    assert!(text("dev").contains("host: \"webapp.dev.example.internal\""));
    assert!(
        text("public").contains("name: public-webapp"),
        "the instance name is the release name"
    );
    // the summary table goes to stderr, stdout stays a YAML stream
    assert!(
        err.starts_with("INSTANCE  NAMESPACE       REVISION  RESULT     DURATION\n"),
        "{err}"
    );
    assert!(
        err.contains("\npublic    webapp-public   -         9 objects"),
        "{err}"
    );
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
    let (code, _, err) = tack(&["template", "-l", "tier=secret"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("selector `tier=secret` matches no instance"),
        "{err}"
    );
}

#[test]
fn lint_all_checks_every_instance_offline() {
    let (code, out, err) = tack(&["lint", "--all"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.starts_with("INSTANCE  NAMESPACE"), "{out}");
    for n in ["private", "work", "public", "dev"] {
        assert!(
            err.contains(&format!("==> linting instance `{n}`")),
            "{err}"
        );
        assert!(
            out.lines().any(|l| l.starts_with(n) && l.contains("ok, ")),
            "{out}"
        );
    }
    assert!(
        err.contains("4 instances linted") && err.contains("0 isolation problems"),
        "{err}"
    );
}

#[test]
fn values_compare_shows_each_difference_with_its_layer() {
    let (code, out, err) = tack(&["values", "--instance", "private", "--compare", "public"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with("values of `private` vs `public`: "),
        "{out}"
    );
    assert!(
        out.contains("global.tier\n  private  \"private\"")
            && out.contains("tier `private` at values/private.yaml:3:3")
            && out.contains("tier `public` at values/public.yaml:3:3"),
        "{out}"
    );
    assert!(out.contains("\ningress.enabled\n  private  false"), "{out}");
    // secret-looking keys are masked, and the env-tier layer is named
    assert!(
        out.contains("ingress.tls.secretName\n  private  \"<redacted>\""),
        "{out}"
    );
    assert!(
        out.contains("env-tier `prod-public` at values/prod-public.yaml:4:5"),
        "{out}"
    );
    assert!(!out.contains("webapp-example-com-tls"), "{out}");
    // a stack-file `set` entry is named by its line
    let (code, out, err) = tack(&[
        "values",
        "--instance",
        "work",
        "--compare",
        "dev",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let host = json["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == "ingress.host")
        .unwrap();
    assert_eq!(host["left"]["value"], "webapp.work.example.internal");
    assert_eq!(
        host["left"]["source"],
        "tack.yaml:24:9 set ingress.host=webapp.work.example.internal"
    );
    assert_eq!(host["right"]["source"], "env `dev` at values/dev.yaml:19:3");
    // one instance's values, and explain within it
    let (code, out, _) = tack(&[
        "values",
        "--instance",
        "public",
        "--explain",
        "ingress.enabled",
    ]);
    assert_eq!(code, 0);
    assert!(
        out.contains("final value: true (from tier `public` at values/public.yaml:6:3)"),
        "{out}"
    );
    let (code, _, err) = tack(&["values", "--instance", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("has no instance `nope`"), "{err}");
}

#[test]
fn an_instance_rendering_into_a_foreign_namespace_is_refused() {
    let stack = "tests/fixtures/stacks/foreign/tack.yaml";
    let (code, out, err) = tack(&["template", "--stack", stack, "--all"]);
    assert_eq!(code, 1);
    assert!(out.is_empty(), "nothing printed: {out}");
    assert!(
        err.contains("instance `green` (tests/fixtures/stacks/foreign/tack.yaml:7, namespace `tenant-green`) renders ConfigMap tenant-blue/green-settings from templates/configmap.yaml.j2 (rendered line 1) into namespace `tenant-blue`, the namespace of instance `blue`"),
        "{err}"
    );
    assert!(
        err.contains("isolation guard: 1 problem in the stack; nothing was printed"),
        "{err}"
    );
    // lint reports it too, and fails only the instance at fault
    let (code, out, err) = tack(&["lint", "--stack", stack, "--all"]);
    assert_eq!(code, 1);
    assert!(err.contains("the namespace of instance `blue`"), "{err}");
    assert!(
        out.lines()
            .any(|l| l.starts_with("green") && l.contains("isolation")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("blue") && l.contains("ok")),
        "{out}"
    );
    // selecting only the victim still checks it against the others, but the fault is not its own
    let (code, _, err) = tack(&["template", "--stack", stack, "--instance", "blue"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn cluster_scoped_objects_need_allowing_and_may_not_collide() {
    let dir = stack_dir(
        "defaults:\n  chart: {chart}\ninstances:\n  - name: a\n    namespace: t-a\n    set: [clusterRole.create=true]\n  - name: b\n    namespace: t-b\n",
    );
    let (code, _, err) = tack_in(dir.path(), &["lint", "--all"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("instance `a` (tack.yaml:4) renders cluster-scoped ClusterRole a-reader from templates/clusterrole.yaml.j2 (rendered line 1), and the stack file does not allow ClusterRole for it"),
        "{err}"
    );
    assert!(
        err.contains("add `allowClusterScoped: [ClusterRole]` to instance `a` in tack.yaml"),
        "{err}"
    );

    let dir = stack_dir(
        "defaults:\n  chart: {chart}\ninstances:\n  - name: a\n    namespace: t-a\n    set: [clusterRole.create=true, clusterRole.name=shared]\n    allowClusterScoped: [ClusterRole]\n  - name: b\n    namespace: t-b\n    set: [clusterRole.create=true, clusterRole.name=shared]\n    allowClusterScoped: [ClusterRole]\n",
    );
    let (code, _, err) = tack_in(dir.path(), &["template", "--all"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("instances `a` (tack.yaml:4) and `b` (tack.yaml:8) both render cluster-scoped ClusterRole shared"),
        "{err}"
    );
}

#[test]
fn shared_hosts_and_namespaces_are_refused() {
    let dir = stack_dir(
        "defaults:\n  chart: {chart}\ninstances:\n  - name: a\n    namespace: t-a\n    set: [ingress.enabled=true]\n  - name: b\n    namespace: t-b\n    set: [ingress.enabled=true]\n  - name: c\n    namespace: t-a\n",
    );
    let (code, _, err) = tack_in(dir.path(), &["lint", "--all"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("both render host `tenant.example.com` path `/`: `a` in Ingress a-web"),
        "{err}"
    );
    assert!(
        err.contains("instances `a` (tack.yaml:4) and `c` (tack.yaml:10) both use namespace `t-a`"),
        "{err}"
    );
}

#[test]
fn stack_file_mistakes_name_the_line() {
    let dir = stack_dir("defaults:\n  chart: {chart}\ninstances:\n  - name: a\n    namespace: t-a\n    teir: public\n");
    let (code, _, err) = tack_in(dir.path(), &["template", "--all"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("tack.yaml:6:5: instances[0]: unknown field `teir`"),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = tack_in(dir.path(), &["lint", "--all"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("no stack file: there is no `tack.yaml`"),
        "{err}"
    );
}

#[test]
fn positionals_are_needed_only_without_stack_flags() {
    let (code, _, err) = tack(&["template"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("missing CHART") && err.contains("--all, -l SELECTOR or --instance NAME"),
        "{err}"
    );
    let (code, _, err) = tack(&["install", "web"]);
    assert_eq!(code, 2);
    assert!(err.contains("missing CHART"), "{err}");
    let (code, _, err) = tack(&["template", "charts/webapp", "--all"]);
    assert_eq!(code, 1);
    assert!(err.contains("CHART comes from the stack file"), "{err}");
    let (code, _, err) = tack(&["install", "--all", "--tier", "public"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("--env and --tier do not combine with stack instances"),
        "{err}"
    );
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

#[test]
fn diff_takes_stack_flags_and_refuses_what_it_cannot_do_with_them() {
    let (code, _, err) = tack(&["diff", "--all", "--offline"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("--offline does not combine with stack instances"),
        "{err}"
    );
    let (code, _, err) = tack(&["diff", "web", "charts/webapp", "-l", "tier=public"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("NAME and CHART come from the stack file"),
        "{err}"
    );
    let (code, _, err) = tack(&["diff", "--all", "--env", "prod"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("--env and --tier do not combine"), "{err}");
    // without stack flags NAME and CHART are still needed
    let (code, _, err) = tack(&["diff"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("missing NAME") && err.contains("--all"),
        "{err}"
    );
}
