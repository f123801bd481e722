use super::*;
use serde_json::json;

fn helm() -> Vec<String> {
    vec!["helm".to_string()]
}

fn r() -> ObjectRef {
    ObjectRef::of(
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg", "namespace": "shop"}}),
    )
}

/// A live ConfigMap that Helm 3 created (client-side: `Update`) and a controller annotated.
fn helm3_live() -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "cfg", "namespace": "shop", "resourceVersion": "41",
            "annotations": {HELM_NAME_ANNOTATION: "web", HELM_NAMESPACE_ANNOTATION: "shop", "other": "x"},
            "managedFields": [
                {"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": "2026-12-01T10:00:00Z",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:a": {}},
                    "f:metadata": {"f:annotations": {".": {}, "f:meta.helm.sh/release-name": {},
                        "f:meta.helm.sh/release-namespace": {}}, "f:labels": {"f:app": {}}}}},
                {"manager": "kubectl-annotate", "operation": "Update", "apiVersion": "v1",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": {"f:other": {}}}}},
                {"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": "2026-12-01T11:00:00Z",
                 "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:b": {}}}}
            ]},
        "data": {"a": "1", "b": "2"}})
}

#[test]
fn helm3_update_entries_become_one_tack_apply_entry() {
    let live = helm3_live();
    let after = hand_over(
        live["metadata"]["managedFields"].as_array().unwrap(),
        &helm(),
        "v1",
    );
    assert_eq!(after.len(), 2, "{after:#?}");
    let tack = &after[0];
    assert_eq!(
        (&tack["manager"], &tack["operation"]),
        (&json!("tack"), &json!("Apply"))
    );
    // both of Helm's sets, without Helm's ownership annotations
    assert_eq!(
        tack["fieldsV1"],
        json!({"f:data": {"f:a": {}, "f:b": {}},
               "f:metadata": {"f:annotations": {".": {}}, "f:labels": {"f:app": {}}}})
    );
    assert_eq!(tack["time"], "2026-12-01T11:00:00Z");
    // other managers are kept as they are
    assert_eq!(after[1]["manager"], "kubectl-annotate");
}

#[test]
fn helm4_apply_entries_merge_into_an_existing_tack_entry() {
    let entries = vec![
        json!({"manager": "tack", "operation": "Apply", "apiVersion": "apps/v1",
               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}),
        json!({"manager": "helm", "operation": "Apply", "apiVersion": "apps/v1",
               "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:x": {}}}}}),
        // a subresource entry of Helm's manager is the status writer's business, not the object's fields
        json!({"manager": "helm", "operation": "Update", "subresource": "status", "apiVersion": "apps/v1",
               "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}),
    ];
    let after = hand_over(&entries, &helm(), "apps/v1");
    assert_eq!(after.len(), 2, "{after:#?}");
    assert_eq!(
        after[0]["fieldsV1"],
        json!({"f:spec": {"f:replicas": {}, "f:template": {"f:x": {}}}})
    );
    assert_eq!(after[1]["subresource"], "status");
    // with nothing of Helm's, nothing changes
    assert_eq!(hand_over(&after, &helm(), "apps/v1"), after);
    // another binary name is another manager
    assert_eq!(
        hand_over(&entries, &["helm3".to_string()], "apps/v1"),
        entries
    );
}

#[test]
fn the_patch_swaps_annotations_with_a_version_precondition_and_can_be_reverted() {
    let live = helm3_live();
    let t = plan_one(&r(), Some(&live), ("web", "shop"), &helm()).unwrap();
    assert_eq!(t.action, Action::Take);
    assert_eq!(
        t.managers_before,
        [
            "helm (Update)",
            "kubectl-annotate (Update)",
            "helm (Update)"
        ]
    );
    assert_eq!(
        t.managers_after,
        ["tack (Apply)", "kubectl-annotate (Update)"]
    );
    let meta = &t.patch["metadata"];
    assert_eq!(meta["resourceVersion"], "41");
    assert_eq!(meta["annotations"][RELEASE_NAME_ANNOTATION], "web");
    assert_eq!(meta["annotations"][RELEASE_NAMESPACE_ANNOTATION], "shop");
    assert!(meta["annotations"][HELM_NAME_ANNOTATION].is_null());
    assert!(meta.get("spec").is_none() && t.patch.get("data").is_none());
    assert_eq!(
        t.revert["metadata"]["managedFields"],
        live["metadata"]["managedFields"]
    );
    assert_eq!(
        t.revert["metadata"]["annotations"][HELM_NAME_ANNOTATION],
        "web"
    );
    assert!(t.revert["metadata"]["annotations"][RELEASE_NAME_ANNOTATION].is_null());
}

#[test]
fn objects_of_other_releases_are_refused_and_taken_ones_left_alone() {
    let mut other = helm3_live();
    other["metadata"]["annotations"][HELM_NAME_ANNOTATION] = json!("db");
    let err = plan_one(&r(), Some(&other), ("web", "shop"), &helm()).unwrap_err();
    assert_eq!(
        err,
        "ConfigMap shop/cfg belongs to Helm release `db` in namespace `shop`"
    );

    let mut tack_other = helm3_live();
    tack_other["metadata"]["annotations"] =
        json!({RELEASE_NAME_ANNOTATION: "api", RELEASE_NAMESPACE_ANNOTATION: "shop"});
    let err = plan_one(&r(), Some(&tack_other), ("web", "shop"), &helm()).unwrap_err();
    assert!(err.contains("tack release `api`"), "{err}");

    // after a first import: tack's annotations, no Helm entries left
    let mut taken = helm3_live();
    taken["metadata"]["annotations"] =
        json!({RELEASE_NAME_ANNOTATION: "web", RELEASE_NAMESPACE_ANNOTATION: "shop"});
    let entries = taken["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .clone();
    taken["metadata"]["managedFields"] = json!(hand_over(&entries, &helm(), "v1"));
    let t = plan_one(&r(), Some(&taken), ("web", "shop"), &helm()).unwrap();
    assert_eq!(t.action, Action::AlreadyTaken);

    let missing = plan_one(&r(), None, ("web", "shop"), &helm()).unwrap();
    assert_eq!(missing.action, Action::Missing);
}
