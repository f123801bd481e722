//! Helm's own release records in the cluster, for `tack import helm`: listing a release's records from both
//! of Helm's storage drivers (Secrets, the default, and ConfigMaps) and deleting them once an import
//! succeeded. The payloads are decoded by `helm_record`.

use super::retry::{describe, retry, status_code, Budget};
use super::Cluster;
use anyhow::Result;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, ListParams, Preconditions};

/// Where Helm kept a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    Secret,
    ConfigMap,
}

impl Driver {
    pub fn as_str(self) -> &'static str {
        match self {
            Driver::Secret => "secret",
            Driver::ConfigMap => "configmap",
        }
    }
}

/// One Helm record as stored: its place, its labels and its still encoded `release` field.
#[derive(Debug, Clone)]
pub struct HelmRecord {
    pub driver: Driver,
    pub namespace: String,
    /// `sh.helm.release.v1.NAME.vN`
    pub name: String,
    pub uid: String,
    /// The `status` label (what Helm lists, without decoding).
    pub status: String,
    /// The `release` field (base64 of gzip of JSON); empty when the record has none.
    pub payload: Vec<u8>,
}

impl HelmRecord {
    /// `secret shop/sh.helm.release.v1.web.v2`, for messages.
    pub fn location(&self) -> String {
        format!("{} {}/{}", self.driver.as_str(), self.namespace, self.name)
    }
}

fn selector(release: &str) -> ListParams {
    ListParams::default().labels(&format!("owner=helm,name={release}"))
}

/// Every Helm record of `release` in `ns`, Secrets and ConfigMaps alike, in no particular order.
pub async fn read(c: &Cluster, ns: &str, release: &str) -> Result<Vec<HelmRecord>> {
    let mut out = Vec::new();
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), ns);
    let what = format!("list the Helm records of `{release}` in namespace `{ns}`");
    let params = selector(release);
    let list = retry(Budget::default(), || secrets.list(&params))
        .await
        .map_err(|e| describe(e, &what, &c.server))?;
    for s in list.items {
        if s.type_.as_deref() != Some("helm.sh/release.v1") {
            continue;
        }
        let meta = s.metadata;
        out.push(HelmRecord {
            driver: Driver::Secret,
            namespace: ns.to_string(),
            name: meta.name.unwrap_or_default(),
            uid: meta.uid.unwrap_or_default(),
            status: label(&meta.labels, "status"),
            payload: s
                .data
                .and_then(|mut d| d.remove("release"))
                .map(|b| b.0)
                .unwrap_or_default(),
        });
    }
    let maps: Api<ConfigMap> = Api::namespaced(c.client.clone(), ns);
    let list = retry(Budget::default(), || maps.list(&params))
        .await
        .map_err(|e| describe(e, &what, &c.server))?;
    for m in list.items {
        let meta = m.metadata;
        if !meta
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("sh.helm.release.v1."))
        {
            continue;
        }
        out.push(HelmRecord {
            driver: Driver::ConfigMap,
            namespace: ns.to_string(),
            name: meta.name.unwrap_or_default(),
            uid: meta.uid.unwrap_or_default(),
            status: label(&meta.labels, "status"),
            payload: m
                .data
                .and_then(|mut d| d.remove("release"))
                .map(String::into_bytes)
                .unwrap_or_default(),
        });
    }
    Ok(out)
}

fn label(labels: &Option<std::collections::BTreeMap<String, String>>, key: &str) -> String {
    labels
        .as_ref()
        .and_then(|l| l.get(key).cloned())
        .unwrap_or_default()
}

/// Delete the given records (each only if it is still the object that was read). Records already gone are
/// fine; the first other failure stops and is returned with what was deleted before it.
pub async fn delete(c: &Cluster, records: &[HelmRecord]) -> Result<usize> {
    let mut deleted = 0;
    for r in records {
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: Some(r.uid.clone()).filter(|u| !u.is_empty()),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        let what = format!("delete the Helm record {}", r.location());
        let result = match r.driver {
            Driver::Secret => {
                let api: Api<Secret> = Api::namespaced(c.client.clone(), &r.namespace);
                retry(Budget::default(), || api.delete(&r.name, &params))
                    .await
                    .map(|_| ())
            }
            Driver::ConfigMap => {
                let api: Api<ConfigMap> = Api::namespaced(c.client.clone(), &r.namespace);
                retry(Budget::default(), || api.delete(&r.name, &params))
                    .await
                    .map(|_| ())
            }
        };
        match result {
            Ok(()) => deleted += 1,
            Err(e) if status_code(&e) == Some(404) => {}
            Err(e) => {
                return Err(describe(e, &what, &c.server).context(format!(
                    "{deleted} of {} Helm records were deleted",
                    records.len()
                )))
            }
        }
    }
    Ok(deleted)
}
