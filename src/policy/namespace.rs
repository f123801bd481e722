//! Pod Security admission labels for a namespace, so the cluster enforces the tier's level too.

use super::pss::POLICY_VERSION;
use super::Level;
use std::collections::BTreeMap;

pub const ENFORCE: &str = "pod-security.kubernetes.io/enforce";
pub const ENFORCE_VERSION: &str = "pod-security.kubernetes.io/enforce-version";

/// The labels enforcing `level` at the policy version tack checks against.
pub fn namespace_labels(level: Level) -> BTreeMap<String, String> {
    BTreeMap::from([
        (ENFORCE.to_string(), level.as_str().to_string()),
        (ENFORCE_VERSION.to_string(), POLICY_VERSION.to_string()),
    ])
}

/// The labels to add to a namespace that already has `existing` labels: none when it already carries
/// an enforce label (an administrator's choice is never overwritten), else [`namespace_labels`].
pub fn labels_to_add(
    level: Level,
    existing: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    if existing.contains_key(ENFORCE) {
        BTreeMap::new()
    } else {
        namespace_labels(level)
    }
}
