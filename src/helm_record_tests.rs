use super::*;
use serde_json::json;
use std::io::Write;

/// A Helm record's `release` field as Helm stores it: base64 of gzip of the JSON.
fn encode(release: &Value) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes()).unwrap();
    base64::engine::general_purpose::STANDARD
        .encode(gz.finish().unwrap())
        .into_bytes()
}

fn record(status: &str) -> Value {
    json!({
        "name": "web",
        "namespace": "shop",
        "version": 2,
        "info": {
            "first_deployed": "2026-11-30T10:00:00.123456789+01:00",
            "last_deployed": "2026-12-01T09:30:00Z",
            "deleted": "0001-01-01T00:00:00Z",
            "description": "Upgrade complete",
            "status": status,
            "notes": "visit http://web\n"
        },
        "chart": {
            "metadata": {"name": "webapp", "version": "0.1.0", "appVersion": "1.16.0"},
            "values": {"replicaCount": 1, "image": {"repository": "nginx", "tag": ""},
                       "service": {"type": "ClusterIP", "port": 80}, "dropped": {"a": 1}},
            "templates": [{"name": "templates/x.yaml", "data": "e30="}]
        },
        "config": {"image": {"tag": "1.27"}, "dropped": null, "password": "hunter2"},
        "manifest": "---\n# Source: webapp/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n---\n# Source: webapp/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n---\n# Source: webapp/templates/role.yaml\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: web-reader\n",
        "hooks": [{
            "name": "web-test", "kind": "Pod", "path": "webapp/templates/tests/test.yaml",
            "manifest": "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web-test\n  annotations:\n    \"helm.sh/hook\": test\n",
            "events": ["test"], "last_run": {"started_at": "", "completed_at": "", "phase": ""}
        }]
    })
}

fn namespaced(_: &str, kind: &str) -> bool {
    kind != "ClusterRole"
}

#[test]
fn a_record_helm_wrote_decodes_and_becomes_a_tack_record() {
    let h = decode(&encode(&record("deployed")), "secret shop/x").unwrap();
    assert_eq!((h.name.as_str(), h.version), ("web", 2));
    let r = to_release(&h, "shop", &namespaced).unwrap();
    assert_eq!(r.status, Status::Deployed);
    assert_eq!(r.revision, 2);
    assert_eq!(
        (r.chart.name.as_str(), r.chart.version.as_str()),
        ("webapp", "0.1.0")
    );
    assert_eq!(r.chart.app_version.as_deref(), Some("1.16.0"));
    assert_eq!(
        r.description,
        "imported from Helm revision 2: Upgrade complete"
    );
    assert_eq!(r.notes.as_deref(), Some("visit http://web\n"));
    assert_eq!(
        r.first_deployed.to_string(),
        "2026-11-30T09:00:00.123456789Z"
    );
    assert_eq!(r.last_deployed.to_string(), "2026-12-01T09:30:00Z");
    assert_eq!(r.deleted, None, "Go's zero time is no deletion");
    // install order (ClusterRole before Service before Deployment), namespaces by scope
    let ids: Vec<String> = r.objects.iter().map(|o| o.to_string()).collect();
    assert_eq!(
        ids,
        [
            "ClusterRole web-reader",
            "Service shop/web",
            "Deployment shop/web"
        ]
    );
    // values: defaults with the config over them, null removes
    assert_eq!(
        r.values["image"],
        json!({"repository": "nginx", "tag": "1.27"})
    );
    assert_eq!(r.values["service"]["port"], json!(80));
    assert!(r.values.get("dropped").is_none());
    assert_eq!(r.layers.overrides.as_ref().unwrap()["image"]["tag"], "1.27");
    // hooks are kept in the manifest and the hook list, not among the objects
    assert_eq!(r.hooks.len(), 1);
    assert_eq!(r.hooks[0].object.to_string(), "Pod shop/web-test");
    assert!(r
        .manifest
        .contains("# Source: webapp/templates/tests/test.yaml\n"));
    assert!(!r.objects.iter().any(|o| o.name == "web-test"));
    // the tack record round-trips through tack's own codec
    let enc = crate::release::encode(&r).unwrap();
    let back = crate::release::decode(&enc.chunks, Some(&enc.digest), "t").unwrap();
    assert_eq!(back, r);
}

#[test]
fn statuses_map_and_operations_in_progress_are_refused() {
    assert_eq!(map_status("superseded"), Ok(Status::Superseded));
    assert_eq!(map_status("failed"), Ok(Status::Failed));
    assert_eq!(map_status("uninstalled"), Ok(Status::Uninstalled));
    assert_eq!(map_status("unknown"), Ok(Status::Failed));
    for pending in [
        "pending-install",
        "pending-upgrade",
        "pending-rollback",
        "uninstalling",
    ] {
        assert_eq!(map_status(pending), Err(pending.to_string()));
        let h = decode(&encode(&record(pending)), "x").unwrap();
        let err = to_release(&h, "shop", &namespaced).unwrap_err().to_string();
        assert!(
            err.contains(pending) && err.contains("in progress"),
            "{err}"
        );
    }
}

#[test]
fn plain_json_payloads_decode_too_and_bad_ones_never_quote_values() {
    let plain = base64::engine::general_purpose::STANDARD.encode(record("deployed").to_string());
    assert_eq!(decode(plain.as_bytes(), "x").unwrap().version, 2);

    let err = decode(b"not base64 !!", "configmap shop/r")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("configmap shop/r") && err.contains("not base64"),
        "{err}"
    );

    // a wrong type whose value is a secret: the error names the place, never the value
    let mut bad = record("deployed");
    bad["version"] = json!("hunter2");
    let err = format!("{:#}", decode(&encode(&bad), "x").unwrap_err());
    assert!(!err.contains("hunter2") && err.contains("line 1"), "{err}");
}

#[test]
fn an_unreadable_manifest_is_an_error_naming_the_revision() {
    let mut r = record("deployed");
    r["manifest"] = json!("---\nkind: [unclosed\n");
    let h = decode(&encode(&r), "x").unwrap();
    let err = to_release(&h, "shop", &namespaced).unwrap_err().to_string();
    assert!(err.contains("Helm release `web` revision 2"), "{err}");
}
