//! Release records as Secrets and locks as Leases in the release namespace.
//!
//! Record `tack.release.v1.<name>.v<rev>` (type `tack.dev/release.v1`) carries the summary in labels and
//! annotations and the gzip JSON payload in `data.release`; a payload too big for one Secret is written first
//! as chunk Secrets (`...v<rev>.<digest>.c<i>`), and the record then names them. Updates carry the
//! resourceVersion they read. The lock is the Lease `tack.lock.<name>`, renewed while an operation runs.

use super::{Acquire, Holder, LockState, ReleaseStore, StoreError, Stored};
use crate::cluster::retry::{retry, Budget};
use crate::release::{self, Release, Status, Summary};
use anyhow::{Context, Result};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use k8s_openapi::ByteString;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use std::collections::BTreeMap;
use std::time::Duration;

pub const SECRET_TYPE: &str = "tack.dev/release.v1";
pub const CHUNK_TYPE: &str = "tack.dev/release-chunk.v1";
pub const MANAGED_BY: &str = "app.kubernetes.io/managed-by";
pub const LABEL_RELEASE: &str = "tack.dev/release";
pub const LABEL_REVISION: &str = "tack.dev/revision";
pub const LABEL_STATUS: &str = "tack.dev/status";
pub const LABEL_RECORD: &str = "tack.dev/record";
const ANN_CHART: &str = "tack.dev/chart";
const ANN_APP_VERSION: &str = "tack.dev/app-version";
const ANN_UPDATED: &str = "tack.dev/updated";
const ANN_DESCRIPTION: &str = "tack.dev/description";
const ANN_SOURCE: &str = "tack.dev/chart-source";
/// The release's `--labels`, as a JSON object, so `list -l` selects without decoding payloads.
const ANN_LABELS: &str = "tack.dev/labels";

/// Name of the record Secret of one revision.
pub fn record_name(release: &str, revision: u64) -> String {
    format!("tack.release.{}.{release}.v{revision}", release::FORMAT)
}

/// Name of the lock Lease of a release.
pub fn lock_name(release: &str) -> String {
    format!("tack.lock.{release}")
}

/// The cluster-backed store.
#[derive(Clone)]
pub struct SecretStore {
    client: kube::Client,
}

impl SecretStore {
    pub fn new(client: kube::Client) -> SecretStore {
        SecretStore { client }
    }

    fn secrets(&self, ns: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), ns)
    }

    pub(super) fn leases(&self, ns: &str) -> Api<Lease> {
        Api::namespaced(self.client.clone(), ns)
    }

    /// Build the record Secret, writing chunk Secrets first when the payload needs them.
    async fn build(&self, rel: &Release) -> Result<Secret, StoreError> {
        let enc = release::encode(rel)?;
        let mut data = BTreeMap::new();
        if enc.chunks.len() == 1 {
            data.insert("release".to_string(), ByteString(enc.chunks[0].clone()));
        } else {
            let short = &enc.digest["sha256:".len().."sha256:".len() + 12];
            let mut names = Vec::new();
            for (i, chunk) in enc.chunks.iter().enumerate() {
                let name = format!("{}.{short}.c{i}", record_name(&rel.name, rel.revision));
                let secret = Secret {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(rel.namespace.clone()),
                        labels: Some(BTreeMap::from([
                            (MANAGED_BY.to_string(), "tack".to_string()),
                            (LABEL_RELEASE.to_string(), rel.name.clone()),
                            (LABEL_REVISION.to_string(), rel.revision.to_string()),
                            (LABEL_RECORD.to_string(), "chunk".to_string()),
                        ])),
                        ..Default::default()
                    },
                    type_: Some(CHUNK_TYPE.to_string()),
                    data: Some(BTreeMap::from([(
                        "chunk".to_string(),
                        ByteString(chunk.clone()),
                    )])),
                    ..Default::default()
                };
                match self
                    .secrets(&rel.namespace)
                    .create(&PostParams::default(), &secret)
                    .await
                {
                    Ok(_) => {}
                    // same digest, same content: written by an earlier attempt
                    Err(kube::Error::Api(s)) if s.code == 409 => {}
                    Err(e) => {
                        return Err(StoreError::Other(anyhow::Error::new(e).context(format!(
                            "failed to write chunk {i} of the release record `{}`",
                            record_name(&rel.name, rel.revision)
                        ))))
                    }
                }
                names.push(name);
            }
            data.insert(
                "chunks".to_string(),
                ByteString(serde_json::to_vec(&names).expect("names serialise")),
            );
            data.insert("digest".to_string(), ByteString(enc.digest.into_bytes()));
        }
        let mut description = rel.description.clone();
        if description.len() > 1024 {
            let mut cut = 1024;
            while !description.is_char_boundary(cut) {
                cut -= 1;
            }
            description.truncate(cut);
        }
        Ok(Secret {
            metadata: ObjectMeta {
                name: Some(record_name(&rel.name, rel.revision)),
                namespace: Some(rel.namespace.clone()),
                labels: Some(BTreeMap::from([
                    (MANAGED_BY.to_string(), "tack".to_string()),
                    (LABEL_RELEASE.to_string(), rel.name.clone()),
                    (LABEL_REVISION.to_string(), rel.revision.to_string()),
                    (LABEL_STATUS.to_string(), rel.status.as_str().to_string()),
                    (LABEL_RECORD.to_string(), "index".to_string()),
                ])),
                annotations: Some(
                    BTreeMap::from([
                        (
                            ANN_CHART.to_string(),
                            format!("{}-{}", rel.chart.name, rel.chart.version),
                        ),
                        (
                            ANN_APP_VERSION.to_string(),
                            rel.chart.app_version.clone().unwrap_or_default(),
                        ),
                        (ANN_UPDATED.to_string(), rel.last_deployed.to_string()),
                        (ANN_DESCRIPTION.to_string(), description),
                    ])
                    .into_iter()
                    .chain(
                        rel.chart
                            .source
                            .clone()
                            .map(|s| (ANN_SOURCE.to_string(), s)),
                    )
                    .chain((!rel.labels.is_empty()).then(|| {
                        (
                            ANN_LABELS.to_string(),
                            serde_json::to_string(&rel.labels).unwrap_or_default(),
                        )
                    }))
                    .collect(),
                ),
                ..Default::default()
            },
            type_: Some(SECRET_TYPE.to_string()),
            data: Some(data),
            ..Default::default()
        })
    }

    /// Chunk Secrets of one revision that the record no longer names.
    async fn delete_chunks_except(
        &self,
        ns: &str,
        name: &str,
        revision: u64,
        keep: &[String],
    ) -> Result<()> {
        let lp = ListParams::default().labels(&format!(
            "{LABEL_RELEASE}={name},{LABEL_REVISION}={revision},{LABEL_RECORD}=chunk"
        ));
        for meta in self.secrets(ns).list_metadata(&lp).await?.items {
            let Some(n) = meta.metadata.name else {
                continue;
            };
            if !keep.contains(&n) {
                match self.secrets(ns).delete(&n, &DeleteParams::default()).await {
                    Ok(_) => {}
                    Err(kube::Error::Api(s)) if s.code == 404 => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(())
    }

    async fn summaries(
        &self,
        ns: Option<&str>,
        selector: &str,
    ) -> Result<(Vec<Summary>, Vec<String>)> {
        let api: Api<Secret> = match ns {
            Some(ns) => self.secrets(ns),
            None => Api::all(self.client.clone()),
        };
        let params = ListParams::default().labels(selector);
        let list = retry(Budget::default(), || api.list_metadata(&params))
            .await
            .map_err(crate::cluster::explain_client_error)
            .context("failed to list release records")?;
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for item in list.items {
            let m = item.metadata;
            let where_ = format!(
                "secret {}/{}",
                m.namespace.clone().unwrap_or_default(),
                m.name.clone().unwrap_or_default()
            );
            match summary_of(&m) {
                Ok(s) => out.push(s),
                Err(e) => warnings.push(format!(
                    "skipping unreadable release record {where_}: {e:#}"
                )),
            }
        }
        out.sort_by(|a, b| {
            (a.namespace.as_str(), a.name.as_str(), a.revision).cmp(&(
                b.namespace.as_str(),
                b.name.as_str(),
                b.revision,
            ))
        });
        Ok((out, warnings))
    }
}

fn summary_of(m: &ObjectMeta) -> Result<Summary> {
    let labels = m.labels.clone().unwrap_or_default();
    let ann = m.annotations.clone().unwrap_or_default();
    let get = |k: &str| {
        labels
            .get(k)
            .cloned()
            .with_context(|| format!("label `{k}` is missing"))
    };
    let revision: u64 = get(LABEL_REVISION)?
        .parse()
        .context("label `tack.dev/revision` is not a number")?;
    if revision > release::MAX_REVISION {
        anyhow::bail!(
            "label `tack.dev/revision` is {revision}, past the highest revision tack writes ({})",
            release::MAX_REVISION
        );
    }
    let status: Status = get(LABEL_STATUS)?.parse()?;
    Ok(Summary {
        name: get(LABEL_RELEASE)?,
        namespace: m.namespace.clone().unwrap_or_default(),
        revision,
        status,
        chart: ann.get(ANN_CHART).cloned().unwrap_or_default(),
        app_version: ann.get(ANN_APP_VERSION).cloned().filter(|s| !s.is_empty()),
        updated: ann.get(ANN_UPDATED).cloned().unwrap_or_default(),
        description: ann.get(ANN_DESCRIPTION).cloned().unwrap_or_default(),
        source: ann.get(ANN_SOURCE).cloned().filter(|s| !s.is_empty()),
        labels: match ann.get(ANN_LABELS) {
            Some(text) => serde_json::from_str(text)
                .context("annotation `tack.dev/labels` is not a JSON object of strings")?,
            None => Default::default(),
        },
    })
}

fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

impl ReleaseStore for SecretStore {
    async fn history(&self, namespace: &str, name: &str) -> Result<(Vec<Summary>, Vec<String>)> {
        self.summaries(
            Some(namespace),
            &format!("{MANAGED_BY}=tack,{LABEL_RECORD}=index,{LABEL_RELEASE}={name}"),
        )
        .await
    }

    async fn list(&self, namespace: Option<&str>) -> Result<(Vec<Summary>, Vec<String>)> {
        self.summaries(
            namespace,
            &format!("{MANAGED_BY}=tack,{LABEL_RECORD}=index"),
        )
        .await
    }

    async fn get(&self, namespace: &str, name: &str, revision: u64) -> Result<Option<Stored>> {
        let secret_name = record_name(name, revision);
        let location = format!("secret {namespace}/{secret_name}");
        let secrets = self.secrets(namespace);
        let secret = match retry(Budget::default(), || secrets.get_opt(&secret_name)).await {
            Ok(Some(s)) => s,
            Ok(None) => return Ok(None),
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!("failed to read {location}")))
            }
        };
        let version = secret.metadata.resource_version.clone().unwrap_or_default();
        let data = secret.data.unwrap_or_default();
        let release = if let Some(payload) = data.get("release") {
            release::decode(std::slice::from_ref(&payload.0), None, &location)?
        } else {
            let names: Vec<String> = data
                .get("chunks")
                .and_then(|c| serde_json::from_slice(&c.0).ok())
                .with_context(|| format!("release record {location} is corrupt: it has neither a payload nor a chunk list"))?;
            let digest = data
                .get("digest")
                .map(|d| String::from_utf8_lossy(&d.0).into_owned())
                .with_context(|| {
                    format!("release record {location} is corrupt: it has chunks but no digest")
                })?;
            release::check_chunk_names(&names, &secret_name, &digest, &location)?;
            let mut chunks = Vec::new();
            for n in &names {
                let chunk = retry(Budget::default(), || secrets.get_opt(n))
                    .await?
                    .and_then(|s| s.data)
                    .and_then(|mut d| d.remove("chunk"))
                    .with_context(|| {
                        format!(
                            "release record {location} is corrupt: chunk secret `{n}` is missing"
                        )
                    })?;
                chunks.push(chunk.0);
            }
            release::decode(&chunks, Some(&digest), &location)?
        };
        if release.name != name || release.revision != revision {
            anyhow::bail!(
                "release record {location} is corrupt: it holds `{}` revision {}",
                release.name,
                release.revision
            );
        }
        Ok(Some(Stored {
            release,
            version,
            location,
        }))
    }

    async fn create(&self, rel: &Release) -> Result<String, StoreError> {
        let secret = self.build(rel).await?;
        let name = record_name(&rel.name, rel.revision);
        match self
            .secrets(&rel.namespace)
            .create(&PostParams::default(), &secret)
            .await
        {
            Ok(s) => Ok(s.metadata.resource_version.unwrap_or_default()),
            Err(e) if api_code(&e) == Some(409) => Err(StoreError::AlreadyExists(format!(
                "release record secret {}/{name}",
                rel.namespace
            ))),
            Err(e) => Err(StoreError::Other(anyhow::Error::new(e).context(format!(
                "failed to write release record {}/{name}",
                rel.namespace
            )))),
        }
    }

    async fn update(&self, rel: &Release, version: &str) -> Result<String, StoreError> {
        let mut secret = self.build(rel).await?;
        secret.metadata.resource_version = Some(version.to_string());
        let name = record_name(&rel.name, rel.revision);
        let place = format!("release record secret {}/{name}", rel.namespace);
        match self
            .secrets(&rel.namespace)
            .replace(&name, &PostParams::default(), &secret)
            .await
        {
            Ok(s) => {
                let keep: Vec<String> = secret
                    .data
                    .as_ref()
                    .and_then(|d| d.get("chunks"))
                    .and_then(|c| serde_json::from_slice(&c.0).ok())
                    .unwrap_or_default();
                self.delete_chunks_except(&rel.namespace, &rel.name, rel.revision, &keep)
                    .await?;
                Ok(s.metadata.resource_version.unwrap_or_default())
            }
            Err(e) if api_code(&e) == Some(409) => Err(StoreError::Conflict(place)),
            Err(e) if api_code(&e) == Some(404) => Err(StoreError::NotFound(place)),
            Err(e) => Err(StoreError::Other(
                anyhow::Error::new(e).context(format!("failed to update {place}")),
            )),
        }
    }

    async fn delete(&self, namespace: &str, name: &str, revision: u64) -> Result<()> {
        let secret_name = record_name(name, revision);
        match self
            .secrets(namespace)
            .delete(&secret_name, &DeleteParams::default())
            .await
        {
            Ok(_) => {}
            Err(e) if api_code(&e) == Some(404) => {}
            Err(e) => {
                return Err(anyhow::Error::new(e).context(format!(
                    "failed to delete release record {namespace}/{secret_name}"
                )))
            }
        }
        self.delete_chunks_except(namespace, name, revision, &[])
            .await
    }

    async fn acquire(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
    ) -> Result<Acquire> {
        self.lease_acquire(namespace, name, holder, ttl).await
    }

    async fn take_over(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
        stale: &LockState,
    ) -> Result<Acquire> {
        self.lease_take_over(namespace, name, holder, ttl, stale)
            .await
    }

    async fn renew(
        &self,
        namespace: &str,
        name: &str,
        holder_id: &str,
        version: &str,
    ) -> Result<String> {
        self.lease_renew(namespace, name, holder_id, version).await
    }

    async fn unlock(
        &self,
        namespace: &str,
        name: &str,
        holder_id: Option<&str>,
        version: Option<&str>,
    ) -> Result<bool> {
        self.lease_unlock(namespace, name, holder_id, version).await
    }

    async fn read_lock(&self, namespace: &str, name: &str) -> Result<Option<LockState>> {
        self.lease_read(namespace, name).await
    }
}

#[cfg(test)]
#[path = "secrets_tests.rs"]
mod tests;
