//! What a delete leaves in place although the release owns it: objects marked
//! `helm.sh/resource-policy: keep` (or `tack.dev/resource-policy`), and CustomResourceDefinitions, whose
//! deletion would take every custom resource of them with it, unless `--delete-crds` was given.

use super::{is_crd, ApplyOptions};
use serde_json::Value;

/// The annotations that keep an object when its release deletes or prunes it.
pub const RESOURCE_POLICY_ANNOTATIONS: &[&str] =
    &["helm.sh/resource-policy", "tack.dev/resource-policy"];

/// Why `live` (owned by this release) is kept instead of deleted, or `None` to delete it.
pub fn kept_reason(live: &Value, opts: &ApplyOptions) -> Option<String> {
    if opts.honour_keep {
        let annotations = &live["metadata"]["annotations"];
        for key in RESOURCE_POLICY_ANNOTATIONS {
            if annotations[*key].as_str().map(str::trim) == Some("keep") {
                return Some(format!("{key}: keep"));
            }
        }
    }
    if is_crd(live) && !opts.delete_crds {
        let kind = live["spec"]["names"]["kind"]
            .as_str()
            .unwrap_or("custom resource");
        return Some(format!(
            "a CRD: deleting it would delete every {kind} in every namespace; --delete-crds deletes it"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd() -> Value {
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "names": {"kind": "Widget", "plural": "widgets"}}})
    }

    #[test]
    fn crds_are_kept_unless_delete_crds() {
        let opts = ApplyOptions::new("web", "shop");
        let why = kept_reason(&crd(), &opts).expect("kept");
        assert!(why.contains("every Widget in every namespace"), "{why}");
        assert!(why.contains("--delete-crds"), "{why}");
        let delete = ApplyOptions {
            delete_crds: true,
            ..opts
        };
        assert_eq!(kept_reason(&crd(), &delete), None);
        // a CustomResourceDefinition kind of another group is just an object
        let lookalike = json!({"apiVersion": "example.com/v1", "kind": "CustomResourceDefinition"});
        assert_eq!(kept_reason(&lookalike, &ApplyOptions::default()), None);
    }

    #[test]
    fn resource_policy_keep_is_honoured_for_any_object_in_both_spellings() {
        let opts = ApplyOptions::new("web", "shop");
        let cm = |key: &str, value: &str| {
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "x", "annotations": {key: value}}})
        };
        assert_eq!(
            kept_reason(&cm("helm.sh/resource-policy", "keep"), &opts).as_deref(),
            Some("helm.sh/resource-policy: keep")
        );
        assert_eq!(
            kept_reason(&cm("tack.dev/resource-policy", "keep"), &opts).as_deref(),
            Some("tack.dev/resource-policy: keep")
        );
        assert_eq!(
            kept_reason(&cm("helm.sh/resource-policy", "delete"), &opts),
            None
        );
        assert_eq!(kept_reason(&cm("other", "keep"), &opts), None);
        // hooks replace their own objects whatever the policy says
        let hooks = ApplyOptions {
            honour_keep: false,
            ..opts.clone()
        };
        assert_eq!(
            kept_reason(&cm("helm.sh/resource-policy", "keep"), &hooks),
            None
        );
        // --delete-crds does not override an explicit keep
        let mut kept_crd = crd();
        kept_crd["metadata"]["annotations"] = json!({"helm.sh/resource-policy": "keep"});
        let delete = ApplyOptions {
            delete_crds: true,
            ..opts
        };
        assert!(kept_reason(&kept_crd, &delete).is_some());
    }
}
