//! Compatibility of `tack convert`: for every chart of the corpus and each of its value sets, `helm
//! template` of the Helm chart and `tack template` of the converted chart must give the same objects.
//!
//! The oracle is the real Helm CLI built by `tests/oracle/helm.sh build` (run by `tests/run-all.sh`);
//! without it these tests fail, they never skip.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_yaml::Value;
use tack::convert::{convert, ConvertOptions, Report};

const RELEASE: &str = "rel";
const NAMESPACE: &str = "convert-ns";
const KUBE_VERSION: &str = "v1.30.2";
const API_VERSIONS: &[&str] = &["example.com/v1", "example.com/v1/Widget"];

fn helm() -> PathBuf {
    let script = common::repo().join("tests/oracle/helm.sh");
    let out = Command::new(&script)
        .arg("path")
        .output()
        .expect("run tests/oracle/helm.sh");
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && Path::new(&path).is_file(),
        "the Helm oracle is not built ({path}).\n\nhint: run `tests/oracle/helm.sh build` (tests/run-all.sh does)"
    );
    PathBuf::from(path)
}

/// One `--set`-style value set: a label and flags given to both tools.
struct ValueSet {
    name: &'static str,
    flags: Vec<String>,
}

fn vs(name: &'static str, flags: &[&'static str]) -> ValueSet {
    ValueSet {
        name,
        flags: flags.iter().map(|f| f.to_string()).collect(),
    }
}

/// Objects of a multi-document YAML stream keyed `kind/namespace/name`.
fn objects(text: &str, who: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for doc in serde_yaml::Deserializer::from_str(text) {
        let v: Value = match serde::Deserialize::deserialize(doc) {
            Ok(v) => v,
            Err(e) => panic!("{who} printed invalid YAML: {e}\n{text}"),
        };
        if v.is_null() {
            continue;
        }
        let get = |k: &str| -> String {
            let mut cur = &v;
            for seg in k.split('.') {
                match cur.get(seg) {
                    Some(x) => cur = x,
                    None => return String::new(),
                }
            }
            cur.as_str().unwrap_or_default().to_string()
        };
        let key = format!(
            "{}/{}/{}",
            get("kind"),
            get("metadata.namespace"),
            get("metadata.name")
        );
        out.insert(key, normalize(v));
    }
    out
}

/// Helm's own marks that tack spells its own way.
fn normalize(mut v: Value) -> Value {
    fn walk(v: &mut Value) {
        match v {
            Value::Mapping(m) => {
                for (k, val) in m.iter_mut() {
                    if k.as_str() == Some("app.kubernetes.io/managed-by")
                        && val.as_str() == Some("Helm")
                    {
                        *val = Value::String("tack".into());
                    }
                    walk(val);
                }
            }
            Value::Sequence(s) => s.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

fn run(cmd: &mut Command, who: &str) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {who}: {e}"));
    assert!(
        out.status.success(),
        "{who} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn helm_template(helm: &Path, chart: &Path, set: &ValueSet) -> String {
    let mut cmd = Command::new(helm);
    cmd.args(["template", RELEASE])
        .arg(chart)
        .args(["--namespace", NAMESPACE, "--kube-version", KUBE_VERSION])
        // tack always renders crds/ (`--skip-crds` leaves them out); Helm only when asked
        .arg("--include-crds")
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("tack-helm-oracle/cache"),
        )
        .env(
            "HELM_CONFIG_HOME",
            std::env::temp_dir().join("tack-helm-oracle/config"),
        )
        .env(
            "HELM_DATA_HOME",
            std::env::temp_dir().join("tack-helm-oracle/data"),
        );
    for a in API_VERSIONS {
        cmd.args(["--api-versions", a]);
    }
    cmd.args(&set.flags);
    run(&mut cmd, "helm template")
}

fn tack_template(chart: &Path, set: &ValueSet) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tack"));
    cmd.args(["template", "--name", RELEASE])
        .arg(chart)
        // beside the chart: no `values/` folder of the working directory is taken for its layers
        .current_dir(chart.parent().expect("chart has a parent folder"))
        .args(["--namespace", NAMESPACE, "--kube-version", KUBE_VERSION])
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG");
    for a in API_VERSIONS {
        cmd.args(["--api-versions", a]);
    }
    cmd.args(&set.flags);
    run(&mut cmd, "tack template")
}

/// A readable difference of two objects: the lines of their YAML that differ.
fn object_diff(helm: &Value, tack: &Value) -> String {
    let a = serde_yaml::to_string(helm).unwrap_or_default();
    let b = serde_yaml::to_string(tack).unwrap_or_default();
    let mut out = String::new();
    for d in diff_lines(&a, &b) {
        out.push_str(&d);
        out.push('\n');
    }
    out
}

fn diff_lines(a: &str, b: &str) -> Vec<String> {
    let a: Vec<&str> = a.lines().collect();
    let b: Vec<&str> = b.lines().collect();
    // Longest common subsequence, fine for objects of a few hundred lines.
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, Vec::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if j < b.len() && (i == a.len() || lcs[i][j + 1] >= lcs[i + 1][j]) {
            out.push(format!("  + tack: {}", b[j]));
            j += 1;
        } else {
            out.push(format!("  - helm: {}", a[i]));
            i += 1;
        }
    }
    out
}

/// Converts `chart`, renders it with both tools for every value set and returns the failures.
fn check_chart(
    helm: &Path,
    label: &str,
    chart: &Path,
    sets: &[ValueSet],
) -> (Report, Duration, Vec<String>) {
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("converted");
    let start = Instant::now();
    let report = convert(chart, &out, &ConvertOptions::default())
        .unwrap_or_else(|e| panic!("converting {label} failed: {e:#}"));
    let took = start.elapsed();
    // Set TACK_CONVERT_KEEP=DIR to look at the converted charts.
    if let Some(keep) = std::env::var_os("TACK_CONVERT_KEEP") {
        let dest = Path::new(&keep).join(label.replace(' ', "-"));
        let _ = std::fs::remove_dir_all(&dest);
        convert(chart, &dest, &ConvertOptions::default()).expect("convert again");
    }
    let mut failures = Vec::new();
    for set in sets {
        let h = objects(&helm_template(helm, chart, set), "helm");
        let t = objects(&tack_template(&out, set), "tack");
        let mut diffs = String::new();
        for key in h
            .keys()
            .chain(t.keys())
            .collect::<std::collections::BTreeSet<_>>()
        {
            match (h.get(key), t.get(key)) {
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    diffs.push_str(&format!("  {key} differs:\n{}", object_diff(a, b)))
                }
                (Some(_), None) => diffs.push_str(&format!("  {key}: only helm renders it\n")),
                (None, _) => diffs.push_str(&format!("  {key}: only tack renders it\n")),
            }
        }
        if h.is_empty() {
            diffs.push_str("  helm rendered no objects\n");
        }
        if diffs.is_empty() {
            eprintln!("identical: {label} [{}] ({} objects)", set.name, h.len());
        } else {
            failures.push(format!("{label} [{}]:\n{diffs}", set.name));
        }
    }
    (report, took, failures)
}

fn assert_all_identical(results: Vec<(String, Report, Duration, Vec<String>)>) {
    let mut failures = Vec::new();
    for (label, report, took, f) in results {
        eprintln!(
            "{label}: converted in {took:?}, {} templates, {} macros, {} unsupported",
            report.templates,
            report.macros,
            report.unsupported.len()
        );
        for u in &report.unsupported {
            eprintln!("  unsupported: {u}");
        }
        failures.extend(f);
    }
    assert!(
        failures.is_empty(),
        "renderings differ:\n{}",
        failures.join("\n")
    );
}

#[test]
fn helm_create_chart_renders_identically() {
    let helm = helm();
    let tmp = tempfile::tempdir().expect("temp dir");
    run(
        Command::new(&helm)
            .args(["create", "demo"])
            .current_dir(tmp.path()),
        "helm create",
    );
    let chart = tmp.path().join("demo");
    let sets = vec![
        vs("defaults", &[]),
        vs(
            "ingress, autoscaling, no service account",
            &[
                "--set",
                "ingress.enabled=true",
                "--set",
                "ingress.className=nginx",
                "--set",
                "ingress.annotations.a=b",
                "--set",
                "ingress.tls[0].secretName=tls",
                "--set",
                "ingress.tls[0].hosts[0]=chart-example.local",
                "--set",
                "autoscaling.enabled=true",
                "--set",
                "autoscaling.targetMemoryUtilizationPercentage=70",
                "--set",
                "serviceAccount.create=false",
            ],
        ),
        vs(
            "pod annotations, labels, selectors and odd types",
            &[
                "--set",
                "podAnnotations.checksum=abc",
                "--set",
                "podLabels.team=web",
                "--set",
                "nodeSelector.disk=ssd",
                "--set",
                "fullnameOverride=custom-name",
                "--set",
                "image.tag=1.2",
                "--set",
                "replicaCount=3",
                "--set-json",
                "tolerations=[{\"key\":\"k\",\"operator\":\"Exists\"}]",
                "--set-json",
                "imagePullSecrets=[{\"name\":\"regcred\"}]",
                "--set",
                "httpRoute.enabled=true",
                "--set",
                "service.port=8080",
            ],
        ),
    ];
    let (report, took, failures) = check_chart(&helm, "helm create", &chart, &sets);
    assert_all_identical(vec![("helm create".into(), report, took, failures)]);
}

#[test]
fn fixture_charts_render_identically() {
    let helm = helm();
    let dir = common::repo().join("tests/fixtures/helm");
    let mut results = Vec::new();
    for (name, sets) in fixture_value_sets() {
        let chart = dir.join(name);
        let (report, took, failures) = check_chart(&helm, name, &chart, &sets);
        results.push((name.to_string(), report, took, failures));
    }
    assert_all_identical(results);
}

fn fixture_value_sets() -> Vec<(&'static str, Vec<ValueSet>)> {
    vec![(
        "idioms",
        vec![
            vs("defaults", &[]),
            vs(
                "flipped conditionals and filled collections",
                &[
                    "--set",
                    "enabled=false",
                    "--set",
                    "extra.enabled=true",
                    "--set-json",
                    "ports=[{\"name\":\"metrics\",\"port\":9090}]",
                    "--set",
                    "labels.z=last",
                    "--set",
                    "labels.a=first",
                    "--set",
                    "name=Other",
                    "--set",
                    "mode=debug",
                ],
            ),
            vs(
                "emptied collections and odd types",
                &[
                    "--set-json",
                    "ports=[]",
                    "--set-json",
                    "env.B=2",
                    "--set",
                    "env.A=true",
                    "--set",
                    "labels.tier=",
                    "--set",
                    "count=0",
                    "--set-string",
                    "tag=007",
                    "--set",
                    "ratio=2",
                ],
            ),
        ],
    )]
}

/// The folder of the pinned Helm module's source, whose test charts are part of the corpus.
fn helm_module() -> PathBuf {
    let out = Command::new(common::repo().join("tests/oracle/helm.sh"))
        .arg("module")
        .output()
        .expect("run tests/oracle/helm.sh module");
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        out.status.success() && Path::new(&dir).is_dir(),
        "the Helm module's source is not in the Go module cache ({dir}): {}\n\nhint: run `tests/oracle/helm.sh build` (tests/run-all.sh does)",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(dir)
}

/// The test charts Helm ships in its module (read from the module cache, never copied here) that `helm
/// template` renders objects from, each with value sets that flip what they switch on.
#[test]
fn helm_module_test_charts_render_identically() {
    let helm = helm();
    let module = helm_module();
    let testcharts = module.join("cmd/helm/testdata/testcharts");
    let chartutil = module.join("pkg/chartutil/testdata");
    let corpus: Vec<(PathBuf, Vec<ValueSet>)> = vec![
        (
            testcharts.join("alpine"),
            vec![
                vs("defaults", &[]),
                vs(
                    "restart policy and name",
                    &["--set", "restartPolicy=Always", "--set", "Name=other"],
                ),
            ],
        ),
        (
            testcharts.join("subchart"),
            vec![
                vs("defaults", &[]),
                vs(
                    "tags off",
                    &[
                        "--set",
                        "tags.front-end=false",
                        "--set",
                        "tags.back-end=false",
                    ],
                ),
                vs(
                    "conditions override tags",
                    &[
                        "--set",
                        "tags.front-end=false",
                        "--set",
                        "subcharta.enabled=true",
                    ],
                ),
                vs(
                    "service type and port",
                    &[
                        "--set",
                        "service.type=NodePort",
                        "--set",
                        "service.externalPort=8080",
                    ],
                ),
            ],
        ),
        (
            testcharts.join("chart-with-secret"),
            vec![vs("defaults", &[])],
        ),
        (testcharts.join("object-order"), vec![vs("defaults", &[])]),
        (
            testcharts.join("chart-with-only-crds"),
            vec![vs("defaults", &[])],
        ),
        (
            chartutil.join("subpop"),
            vec![
                vs("defaults", &[]),
                vs(
                    "tags flipped",
                    &[
                        "--set",
                        "tags.front-end=false",
                        "--set",
                        "tags.back-end=true",
                    ],
                ),
                vs(
                    "a condition beats its tag",
                    &[
                        "--set",
                        "tags.back-end=false",
                        "--set",
                        "subchart2.enabled=true",
                    ],
                ),
            ],
        ),
    ];
    let mut results = Vec::new();
    for (chart, sets) in corpus {
        let label = format!(
            "helm testdata {}",
            chart.file_name().unwrap().to_string_lossy()
        );
        let (report, took, failures) = check_chart(&helm, &label, &chart, &sets);
        results.push((label, report, took, failures));
    }
    assert_all_identical(results);
}

/// `tack convert --env-layers` turns `values-<env>.yaml` into `values/<env>.yaml` layers of the converted
/// chart: `tack template OUT --env E` renders what `helm template -f values-E.yaml` renders.
#[test]
fn env_layers_render_as_helm_with_the_env_file() {
    let helm = helm();
    let chart = common::repo().join("tests/fixtures/helm/envs");
    let tmp = tempfile::tempdir().expect("temp dir");
    let out = tmp.path().join("converted");
    let opts = ConvertOptions { env_layers: true };
    let report = convert(&chart, &out, &opts).expect("convert");
    assert_eq!(report.layers, vec!["dev".to_string(), "prod".to_string()]);
    assert!(!out.join("values-prod.yaml").exists());
    let mut failures = Vec::new();
    for env in ["dev", "prod"] {
        let file = chart.join(format!("values-{env}.yaml"));
        let helm_set = ValueSet {
            name: "env file",
            flags: vec!["-f".into(), file.to_string_lossy().into_owned()],
        };
        let tack_set = ValueSet {
            name: "env layer",
            flags: vec!["--env".into(), env.into()],
        };
        let h = objects(&helm_template(&helm, &chart, &helm_set), "helm");
        let t = objects(&tack_template(&out, &tack_set), "tack");
        assert!(!h.is_empty(), "helm rendered nothing for {env}");
        if h != t {
            let diff: String = h
                .iter()
                .map(|(k, a)| match t.get(k) {
                    Some(b) if a == b => String::new(),
                    Some(b) => format!("  {k} differs:\n{}", object_diff(a, b)),
                    None => format!("  {k}: only helm renders it\n"),
                })
                .collect();
            failures.push(format!("env {env}:\n{diff}"));
        } else {
            eprintln!("identical: env layer {env} ({} objects)", h.len());
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
