//! CustomResourceDefinitions around an apply: the check made before anything is written (an upgrade may not
//! drop a version the cluster still stores objects in, `status.storedVersions`, since the API server would
//! refuse the CRD half-way through the release), and, once a CRD is established, waiting until discovery
//! serves its kinds so the custom resources after it in the same release can be applied.

use super::error::ApplyError;
use super::live::{owner, ownership_violation, read_live, Owner};
use super::{is_crd, ApplyOptions, Stats};
use crate::cluster::resources::{is_unknown_kind, Resolver};
use crate::cluster::Cluster;
use crate::manifest::ObjectRef;
use anyhow::{bail, Result};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long to wait for discovery to serve the kinds of established CRDs.
const SERVED_TIMEOUT: Duration = Duration::from_secs(30);

/// Refuse when a CRD among `objects` (prepared) lacks a version its live CRD still lists in
/// `status.storedVersions`. One read per CRD type; nothing is written.
pub async fn check_stored_versions(
    cluster: &Cluster,
    resolver: &Resolver,
    objects: &[Value],
    stats: &Stats,
) -> Result<()> {
    let crds: Vec<&Value> = objects.iter().filter(|o| is_crd(o)).collect();
    if crds.is_empty() {
        return Ok(());
    }
    let refs: Vec<ObjectRef> = crds.iter().map(|o| ObjectRef::of(o)).collect();
    let live = read_live(cluster, resolver, &refs, stats).await?;
    let problems: Vec<String> = crds
        .iter()
        .zip(&refs)
        .filter_map(|(desired, r)| removed_stored_versions(desired, live.get(r)?))
        .collect();
    if problems.is_empty() {
        return Ok(());
    }
    bail!(
        "refusing to change CustomResourceDefinitions: {}\n\nno object was changed\n\nhint: keep each version listed in spec.versions (`served: false` stops serving it), migrate the objects stored in it to the storage version (read and write each one back, e.g. with kube-storage-version-migrator), remove it from the CRD's status.storedVersions (`kubectl patch crd NAME --subresource=status --type=merge -p '{{\"status\":{{\"storedVersions\":[\"NEW\"]}}}}'`), then upgrade again",
        problems.join("; ")
    );
}

/// Wait until discovery serves every served version of the kinds `crds` define (discovery may lag a moment
/// behind `Established`, and a CRD that only gained a version is established already).
pub async fn wait_served(resolver: &Resolver, crds: &[&Value]) -> Result<()> {
    let mut kinds: Vec<(String, String)> = Vec::new();
    for crd in crds {
        let spec = &crd["spec"];
        let (Some(group), Some(kind)) = (spec["group"].as_str(), spec["names"]["kind"].as_str())
        else {
            continue;
        };
        for v in spec["versions"].as_array().into_iter().flatten() {
            if let (Some(name), false) = (v["name"].as_str(), v["served"] == false) {
                kinds.push((format!("{group}/{name}"), kind.to_string()));
            }
        }
    }
    let start = Instant::now();
    let mut interval = Duration::from_millis(100);
    loop {
        let mut missing = Vec::new();
        for (api_version, kind) in &kinds {
            match resolver.resolve(api_version, kind).await {
                Ok(_) => {}
                Err(e) if is_unknown_kind(&e) => missing.push(format!("{kind} in {api_version}")),
                Err(e) => return Err(e),
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if start.elapsed() > SERVED_TIMEOUT {
            bail!(
                "the API server does not serve {} {}s after their CRDs were established\n\nhint: check the CRDs with `kubectl get crd`; objects after them were not applied",
                missing.join(", "),
                SERVED_TIMEOUT.as_secs()
            );
        }
        tokio::time::sleep(interval).await;
        interval = (interval * 2).min(Duration::from_secs(1));
        resolver.invalidate();
    }
}

/// The live objects among `refs`, of kinds that CRDs applied just before define (so they could not be read
/// before the first write), with their ownership checked like every other object's.
pub async fn read_defined(
    cluster: &Cluster,
    resolver: &Resolver,
    refs: &[ObjectRef],
    opts: &ApplyOptions,
    stats: &Stats,
) -> Result<BTreeMap<ObjectRef, Value>, ApplyError> {
    let live = read_live(cluster, resolver, refs, stats)
        .await
        .map_err(ApplyError::Other)?;
    if !opts.adopt {
        let violations: Vec<String> = live
            .iter()
            .map(|(r, l)| (r, owner(l, opts)))
            .filter(|(_, who)| *who != Owner::This)
            .map(|(r, who)| ownership_violation(r, &who))
            .collect();
        if !violations.is_empty() {
            return Err(ApplyError::Ownership(violations));
        }
    }
    Ok(live)
}

/// What is wrong when `desired` (a CRD) no longer lists a version in `live`'s `status.storedVersions`.
pub fn removed_stored_versions(desired: &Value, live: &Value) -> Option<String> {
    let kept: Vec<&str> = desired["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["name"].as_str())
        .collect();
    let removed: Vec<&str> = live["status"]["storedVersions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|v| !kept.contains(v))
        .collect();
    if removed.is_empty() {
        return None;
    }
    let name = desired["metadata"]["name"].as_str().unwrap_or("");
    let plural = if removed.len() == 1 { "" } else { "s" };
    let kind = desired["spec"]["names"]["kind"]
        .as_str()
        .unwrap_or("objects");
    Some(format!(
        "CustomResourceDefinition {name} would drop version{plural} {}, which the cluster still lists in status.storedVersions ({kind} objects may be stored in {})",
        removed.join(", "),
        if removed.len() == 1 { "it" } else { "them" }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn crd(versions: &[&str]) -> Value {
        let versions: Vec<Value> = versions.iter().map(|v| json!({"name": v})).collect();
        json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"names": {"kind": "Widget"}, "versions": versions}})
    }

    fn stored(versions: &[&str]) -> Value {
        json!({"status": {"storedVersions": versions}})
    }

    #[test]
    fn dropping_a_stored_version_is_named() {
        let why = removed_stored_versions(&crd(&["v2"]), &stored(&["v1", "v2"])).expect("refused");
        assert!(
            why.contains("widgets.example.com would drop version v1, which"),
            "{why}"
        );
        assert!(why.contains("Widget objects may be stored in it"), "{why}");
        let two = removed_stored_versions(&crd(&["v3"]), &stored(&["v1", "v2"])).unwrap();
        assert!(two.contains("versions v1, v2"), "{two}");
    }

    #[test]
    fn keeping_stored_versions_or_dropping_unstored_ones_is_fine() {
        assert_eq!(
            removed_stored_versions(&crd(&["v1", "v2"]), &stored(&["v1"])),
            None
        );
        // v1beta1 was served once but nothing was ever stored in it
        assert_eq!(
            removed_stored_versions(&crd(&["v1"]), &stored(&["v1"])),
            None
        );
        assert_eq!(removed_stored_versions(&crd(&["v1"]), &json!({})), None);
    }
}
