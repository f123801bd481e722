//! Secrets and ConfigMaps that a chart's pods reference but the chart does not render: they must come from
//! elsewhere (`kubectl create secret`, an operator) before the pods can start. `lint` names each, a user
//! declares the expected ones with `--external`, and with `--cluster` lint checks they exist.

use crate::manifest::Document;
use serde_json::Value;
use std::collections::BTreeSet;

/// A Secret or ConfigMap a pod template needs, that the chart does not render.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// `Secret` or `ConfigMap`.
    pub kind: String,
    pub name: String,
    /// The namespace the pods run in (`None`: the release namespace).
    pub namespace: Option<String>,
    /// The object that references it, e.g. `Deployment shop-api`, and where (`envFrom`, `volume data`, ...).
    pub from: String,
    /// The template of that object.
    pub template: String,
}

impl Reference {
    /// `Secret/db-credentials`, as `--external` takes it.
    pub fn key(&self) -> String {
        format!("{}/{}", self.kind, self.name)
    }
}

/// Every required Secret or ConfigMap that the pods of `docs` reference and `docs` do not render. Optional
/// references (`optional: true`) are left out.
pub fn unrendered(docs: &[Document]) -> Vec<Reference> {
    let rendered: BTreeSet<(String, String)> = docs
        .iter()
        .map(|d| {
            (
                d.object()["kind"].as_str().unwrap_or("").to_string(),
                d.object()["metadata"]["name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect();
    let mut out = BTreeSet::new();
    for d in docs {
        let Some(spec) = pod_spec(d.object()) else {
            continue;
        };
        let owner = format!(
            "{} {}",
            d.object()["kind"].as_str().unwrap_or(""),
            d.object()["metadata"]["name"].as_str().unwrap_or("")
        );
        let namespace = d.object()["metadata"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map(str::to_string);
        for (kind, name, how) in refs_of(spec) {
            if rendered.contains(&(kind.to_string(), name.clone())) {
                continue;
            }
            out.insert(Reference {
                kind: kind.to_string(),
                name,
                namespace: namespace.clone(),
                from: format!("{owner} ({how})"),
                template: d.source.clone(),
            });
        }
    }
    // one line per missing object: the first referrer names it
    let mut seen = BTreeSet::new();
    out.into_iter()
        .filter(|r| seen.insert((r.kind.clone(), r.name.clone(), r.namespace.clone())))
        .collect()
}

/// The pod spec of a workload object.
fn pod_spec(obj: &Value) -> Option<&Value> {
    let spec = match obj["kind"].as_str()? {
        "Pod" => &obj["spec"],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "Job"
        | "ReplicationController" => &obj["spec"]["template"]["spec"],
        "CronJob" => &obj["spec"]["jobTemplate"]["spec"]["template"]["spec"],
        _ => return None,
    };
    spec.is_object().then_some(spec)
}

fn required(v: &Value) -> bool {
    v["optional"].as_bool() != Some(true)
}

/// `(kind, name, where)` of every required reference of a pod spec.
fn refs_of(spec: &Value) -> Vec<(&'static str, String, String)> {
    let mut out = Vec::new();
    let mut push = |kind: &'static str, name: &Value, how: String| {
        if let Some(n) = name.as_str().filter(|n| !n.is_empty()) {
            out.push((kind, n.to_string(), how));
        }
    };
    for group in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec[group].as_array().into_iter().flatten() {
            let cname = c["name"].as_str().unwrap_or("?");
            for ef in c["envFrom"].as_array().into_iter().flatten() {
                if ef["secretRef"].is_object() && required(&ef["secretRef"]) {
                    push(
                        "Secret",
                        &ef["secretRef"]["name"],
                        format!("envFrom of container {cname}"),
                    );
                }
                if ef["configMapRef"].is_object() && required(&ef["configMapRef"]) {
                    push(
                        "ConfigMap",
                        &ef["configMapRef"]["name"],
                        format!("envFrom of container {cname}"),
                    );
                }
            }
            for e in c["env"].as_array().into_iter().flatten() {
                let vf = &e["valueFrom"];
                let var = e["name"].as_str().unwrap_or("?");
                if vf["secretKeyRef"].is_object() && required(&vf["secretKeyRef"]) {
                    push(
                        "Secret",
                        &vf["secretKeyRef"]["name"],
                        format!("env {var} of container {cname}"),
                    );
                }
                if vf["configMapKeyRef"].is_object() && required(&vf["configMapKeyRef"]) {
                    push(
                        "ConfigMap",
                        &vf["configMapKeyRef"]["name"],
                        format!("env {var} of container {cname}"),
                    );
                }
            }
        }
    }
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let vname = v["name"].as_str().unwrap_or("?");
        if v["secret"].is_object() && required(&v["secret"]) {
            push(
                "Secret",
                &v["secret"]["secretName"],
                format!("volume {vname}"),
            );
        }
        if v["configMap"].is_object() && required(&v["configMap"]) {
            push(
                "ConfigMap",
                &v["configMap"]["name"],
                format!("volume {vname}"),
            );
        }
        for s in v["projected"]["sources"].as_array().into_iter().flatten() {
            if s["secret"].is_object() && required(&s["secret"]) {
                push("Secret", &s["secret"]["name"], format!("volume {vname}"));
            }
            if s["configMap"].is_object() && required(&s["configMap"]) {
                push(
                    "ConfigMap",
                    &s["configMap"]["name"],
                    format!("volume {vname}"),
                );
            }
        }
    }
    for p in spec["imagePullSecrets"].as_array().into_iter().flatten() {
        push("Secret", &p["name"], "imagePullSecrets".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(obj: Value) -> Document {
        Document::new(
            "t/templates/x.yaml.j2".into(),
            "t/templates/x.yaml".into(),
            0,
            1,
            String::new(),
            obj,
        )
    }

    #[test]
    fn references_the_chart_does_not_render_are_found_and_optional_ones_are_not() {
        let deploy = json!({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api"},
            "spec": {"template": {"spec": {
                "imagePullSecrets": [{"name": "regcred"}],
                "containers": [{
                    "name": "app",
                    "envFrom": [{"secretRef": {"name": "db-credentials"}}, {"configMapRef": {"name": "own"}}],
                    "env": [
                        {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "api-token", "key": "t"}}},
                        {"name": "OPT", "valueFrom": {"secretKeyRef": {"name": "maybe", "key": "t", "optional": true}}}
                    ]
                }],
                "volumes": [
                    {"name": "certs", "secret": {"secretName": "tls-certs"}},
                    {"name": "cfg", "configMap": {"name": "own"}},
                    {"name": "p", "projected": {"sources": [{"configMap": {"name": "extra"}}]}}
                ]
            }}}
        });
        let own = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "own"}});
        let cron = json!({
            "apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "containers": [{"name": "c", "envFrom": [{"secretRef": {"name": "db-credentials"}}]}]
            }}}}}
        });
        let refs = unrendered(&[doc(deploy), doc(own), doc(cron)]);
        let keys: Vec<String> = refs.iter().map(Reference::key).collect();
        assert_eq!(
            keys,
            vec![
                "ConfigMap/extra",
                "Secret/api-token",
                "Secret/db-credentials",
                "Secret/regcred",
                "Secret/tls-certs"
            ]
        );
        let db = refs.iter().find(|r| r.name == "db-credentials").unwrap();
        assert!(db.from.contains("envFrom of container"), "{}", db.from);
    }
}
