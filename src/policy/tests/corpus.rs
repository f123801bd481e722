//! The Pod Security Standards corpus (tests/fixtures/policy/pss): every document states the verdict
//! of the specification at baseline and restricted; the offline checks must give exactly that, for the
//! Pod and for the same pod template inside every workload kind.

use crate::manifest::split_documents;
use crate::policy::pod::{pod_template, WORKLOAD_KINDS};
use crate::policy::{pss, pss_violations, rules, Level};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

pub(crate) struct Case {
    pub file: String,
    pub name: String,
    pub object: Value,
    pub baseline: bool,
    pub restricted: bool,
}

fn expect(line: &str, level: &str) -> bool {
    let v = line
        .split_whitespace()
        .find_map(|w| w.strip_prefix(&format!("{level}=")))
        .unwrap_or_else(|| panic!("`{line}` has no {level}= verdict"));
    match v {
        "allow" => true,
        "deny" => false,
        other => panic!("bad verdict {other}"),
    }
}

pub(crate) fn load() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/policy/pss");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for (_, doc) in split_documents(&text) {
            let line = doc
                .lines()
                .find(|l| l.starts_with("# expect:"))
                .unwrap_or_else(|| panic!("{}: a document without `# expect:`", f.display()));
            let object: Value = serde_yaml::from_str(&doc).unwrap();
            cases.push(Case {
                file: f.file_name().unwrap().to_string_lossy().into_owned(),
                name: object["metadata"]["name"].as_str().unwrap().to_string(),
                baseline: expect(line, "baseline"),
                restricted: expect(line, "restricted"),
                object,
            });
        }
    }
    cases
}

/// The pod of `pod` as the template of a workload of `kind`.
pub(crate) fn wrap(pod: &Value, kind: &str) -> Value {
    let name = pod["metadata"]["name"].as_str().unwrap();
    let mut meta = pod["metadata"].clone();
    meta["labels"] = json!({"corpus": name});
    meta.as_object_mut().unwrap().remove("name");
    let mut spec = pod["spec"].clone();
    if matches!(kind, "Job" | "CronJob") {
        spec["restartPolicy"] = json!("Never");
    }
    let template = json!({"metadata": meta, "spec": spec});
    let selector = json!({"matchLabels": {"corpus": name}});
    let (api, spec) = match kind {
        "Deployment" | "ReplicaSet" | "DaemonSet" => (
            "apps/v1",
            json!({"selector": selector, "template": template}),
        ),
        "StatefulSet" => (
            "apps/v1",
            json!({"selector": selector, "serviceName": name, "template": template}),
        ),
        "ReplicationController" => (
            "v1",
            json!({"selector": {"corpus": name}, "template": template}),
        ),
        "Job" => ("batch/v1", json!({"template": template})),
        "CronJob" => (
            "batch/v1",
            json!({"schedule": "0 0 * * *", "jobTemplate": {"spec": {"template": template}}}),
        ),
        other => panic!("not a workload kind: {other}"),
    };
    json!({"apiVersion": api, "kind": kind, "metadata": {"name": name}, "spec": spec})
}

#[test]
fn corpus_verdicts_match_the_specification_for_pods_and_every_workload_kind() {
    let cases = load();
    assert!(cases.len() > 100, "corpus shrank to {}", cases.len());
    let mut checked = 0;
    for case in &cases {
        for kind in WORKLOAD_KINDS {
            let object = if *kind == "Pod" {
                case.object.clone()
            } else {
                wrap(&case.object, kind)
            };
            let prefix = pod_template(&object).unwrap().spec_path;
            for (level, want) in [
                (Level::Privileged, true),
                (Level::Baseline, case.baseline),
                (Level::Restricted, case.restricted),
            ] {
                let got = pss_violations(&object, level).unwrap();
                assert_eq!(
                    got.is_empty(),
                    want,
                    "{} {} as {kind} at {level}: {got:?}",
                    case.file,
                    case.name
                );
                for v in &got {
                    assert!(
                        v.path.starts_with(prefix)
                            || v.path.starts_with("spec.template.metadata")
                            || v.path
                                .starts_with("spec.jobTemplate.spec.template.metadata")
                            || v.path.starts_with("metadata"),
                        "{}: path {} outside the pod template",
                        case.name,
                        v.path
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, cases.len() * WORKLOAD_KINDS.len() * 3);
}

#[test]
fn every_control_is_triggered_by_some_corpus_case_and_lands_at_its_level() {
    let mut fired = BTreeSet::new();
    for case in load() {
        for level in [Level::Baseline, Level::Restricted] {
            for v in pss_violations(&case.object, level).unwrap() {
                let rule = rules::rule(v.rule).unwrap();
                match rule.kind {
                    rules::RuleKind::Pss(l) => assert!(l <= level, "{} fired at {level}", v.rule),
                    _ => panic!("{} is not a PSS control", v.rule),
                }
                fired.insert(v.rule);
            }
        }
    }
    let all: BTreeSet<&str> = rules::RULES
        .iter()
        .filter(|r| matches!(r.kind, rules::RuleKind::Pss(_)))
        .map(|r| r.id)
        .collect();
    assert_eq!(fired, all);
}

#[test]
fn restricted_replaces_three_baseline_controls_and_keeps_the_others() {
    let b = pss::controls(Level::Baseline);
    let r = pss::controls(Level::Restricted);
    assert_eq!(b.len(), 11);
    assert_eq!(r.len(), 11 - 3 + 6);
    for replaced in [
        "capabilities-baseline",
        "host-path-volumes",
        "seccomp-baseline",
    ] {
        assert!(b.contains(&replaced) && !r.contains(&replaced));
    }
    assert!(pss::controls(Level::Privileged).is_empty());
}

#[test]
fn objects_without_a_pod_template_have_no_verdict() {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    assert!(pss_violations(&cm, Level::Restricted).is_none());
    let broken = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {}});
    assert!(pss_violations(&broken, Level::Restricted).is_none());
}

#[test]
fn explicit_nulls_count_as_unset() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"securityContext": null, "hostNetwork": null,
                 "containers": [{"name": "a", "image": "x:1", "securityContext": null}]}});
    assert!(pss_violations(&pod, Level::Baseline).unwrap().is_empty());
    let r = pss_violations(&pod, Level::Restricted).unwrap();
    let ids: BTreeSet<&str> = r.iter().map(|v| v.rule).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "privilege-escalation",
            "run-as-non-root",
            "seccomp-restricted",
            "capabilities-restricted"
        ])
    );
}

#[test]
fn violation_paths_name_the_offending_field() {
    let pod = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
        "spec": {"template": {"spec": {"initContainers": [{"name": "i", "image": "x:1"}],
            "containers": [{"name": "a", "image": "x:1", "securityContext": {"privileged": true},
                            "ports": [{"containerPort": 80}, {"containerPort": 81, "hostPort": 81}]}]}}}});
    let v = pss_violations(&pod, Level::Baseline).unwrap();
    let paths: Vec<&str> = v.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "spec.template.spec.containers[0].securityContext.privileged",
            "spec.template.spec.containers[0].ports[1].hostPort"
        ]
    );
}
