//! The operation lock of a release as a Lease `tack.lock.<name>`: create-only to take it, renewed while the
//! operation runs (each renewal names the resourceVersion it last saw), taken over with a resourceVersion
//! precondition when judged stale, removed with uid and resourceVersion preconditions.

use super::secrets::{lock_name, SecretStore, MANAGED_BY};
use super::{Acquire, Holder, LockState};
use crate::cluster::retry::{retry, Budget};
use anyhow::{Context, Result};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::api::{DeleteParams, PostParams, Preconditions};
use std::collections::BTreeMap;
use std::time::Duration;

const ANN_HOLDER: &str = "tack.dev/holder";

fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(s) => Some(s.code),
        _ => None,
    }
}

impl SecretStore {
    pub(super) async fn lease_acquire(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
    ) -> Result<Acquire> {
        let api = self.leases(namespace);
        let lease_name = lock_name(name);
        for _ in 0..3 {
            let lease = lease_for(&lease_name, namespace, holder, ttl);
            match api.create(&PostParams::default(), &lease).await {
                Ok(created) => {
                    return Ok(Acquire::Acquired {
                        version: version_of(&created),
                    })
                }
                Err(e) if api_code(&e) == Some(409) => {}
                Err(e) => {
                    return Err(anyhow::Error::new(e).context(format!(
                    "failed to take the lock of release `{name}` (lease {namespace}/{lease_name})"
                )))
                }
            }
            if let Some(current) = api.get_opt(&lease_name).await? {
                let state = lock_state(&current).with_context(|| {
                    format!("lock lease {namespace}/{lease_name} is unreadable; remove it with `tack unlock {name} --force`")
                })?;
                return Ok(Acquire::Held(Box::new(state)));
            }
            // released in between: try again
        }
        anyhow::bail!("the lock of release `{name}` kept changing hands; retry")
    }

    pub(super) async fn lease_take_over(
        &self,
        namespace: &str,
        name: &str,
        holder: &Holder,
        ttl: Duration,
        stale: &LockState,
    ) -> Result<Acquire> {
        let api = self.leases(namespace);
        let lease_name = lock_name(name);
        let mut taken = lease_for(&lease_name, namespace, holder, ttl);
        taken.metadata.resource_version = Some(stale.version.clone());
        match api
            .replace(&lease_name, &PostParams::default(), &taken)
            .await
        {
            Ok(l) => Ok(Acquire::Acquired {
                version: version_of(&l),
            }),
            Err(e) if matches!(api_code(&e), Some(409) | Some(404)) => {
                match api.get_opt(&lease_name).await? {
                    Some(l) => Ok(Acquire::Held(Box::new(lock_state(&l)?))),
                    None => self.lease_acquire(namespace, name, holder, ttl).await,
                }
            }
            Err(e) => {
                Err(anyhow::Error::new(e).context("failed to take over a stale release lock"))
            }
        }
    }

    pub(super) async fn lease_renew(
        &self,
        namespace: &str,
        name: &str,
        holder_id: &str,
        version: &str,
    ) -> Result<String> {
        let api = self.leases(namespace);
        let lease_name = lock_name(name);
        let mut lease = retry(Budget::default(), || api.get_opt(&lease_name))
            .await?
            .with_context(|| {
                format!("the lock of release `{name}` was removed while this operation held it")
            })?;
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(holder_id) {
            anyhow::bail!("the lock of release `{name}` was taken over by another operation");
        }
        if lease.metadata.resource_version.as_deref() != Some(version) {
            anyhow::bail!("the lock of release `{name}` was changed by another operation");
        }
        spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
        let renewed = api
            .replace(&lease_name, &PostParams::default(), &lease)
            .await
            .with_context(|| format!("failed to renew the lock of release `{name}`"))?;
        Ok(version_of(&renewed))
    }

    pub(super) async fn lease_unlock(
        &self,
        namespace: &str,
        name: &str,
        holder_id: Option<&str>,
        version: Option<&str>,
    ) -> Result<bool> {
        let api = self.leases(namespace);
        let lease_name = lock_name(name);
        let Some(current) = retry(Budget::default(), || api.get_opt(&lease_name)).await? else {
            return Ok(false);
        };
        if let Some(id) = holder_id {
            let held_by = current
                .spec
                .as_ref()
                .and_then(|s| s.holder_identity.as_deref());
            if held_by != Some(id) {
                return Ok(false);
            }
        }
        if version.is_some_and(|v| current.metadata.resource_version.as_deref() != Some(v)) {
            return Ok(false);
        }
        let dp = DeleteParams {
            preconditions: Some(Preconditions {
                resource_version: current.metadata.resource_version.clone(),
                uid: current.metadata.uid.clone(),
            }),
            ..Default::default()
        };
        match api.delete(&lease_name, &dp).await {
            Ok(_) => Ok(true),
            Err(e) if matches!(api_code(&e), Some(404) | Some(409)) => Ok(false),
            Err(e) => Err(anyhow::Error::new(e)
                .context(format!("failed to remove the lock of release `{name}`"))),
        }
    }

    pub(super) async fn lease_read(
        &self,
        namespace: &str,
        name: &str,
    ) -> Result<Option<LockState>> {
        let (api, lease_name) = (self.leases(namespace), lock_name(name));
        match retry(Budget::default(), || api.get_opt(&lease_name)).await? {
            None => Ok(None),
            Some(l) => Ok(Some(lock_state(&l)?)),
        }
    }
}

fn version_of(lease: &Lease) -> String {
    lease.metadata.resource_version.clone().unwrap_or_default()
}

fn lease_for(name: &str, ns: &str, holder: &Holder, ttl: Duration) -> Lease {
    let now = jiff::Timestamp::now();
    Lease {
        metadata: ObjectMeta {
            name: Some(name.to_string()),
            namespace: Some(ns.to_string()),
            labels: Some(BTreeMap::from([(
                MANAGED_BY.to_string(),
                "tack".to_string(),
            )])),
            annotations: Some(BTreeMap::from([(
                ANN_HOLDER.to_string(),
                serde_json::to_string(holder).expect("holder serialises"),
            )])),
            ..Default::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: Some(holder.id.clone()),
            lease_duration_seconds: Some(ttl.as_secs().max(1) as i32),
            acquire_time: Some(MicroTime(now)),
            renew_time: Some(MicroTime(now)),
            ..Default::default()
        }),
    }
}

fn lock_state(lease: &Lease) -> Result<LockState> {
    let holder: Holder = lease
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANN_HOLDER))
        .and_then(|h| serde_json::from_str(h).ok())
        .context("the lock names no holder")?;
    let spec = lease.spec.clone().unwrap_or_default();
    let renewed = spec
        .renew_time
        .or(spec.acquire_time)
        .map(|t| t.0)
        .unwrap_or(holder.since);
    Ok(LockState {
        holder,
        renewed,
        ttl: Duration::from_secs(spec.lease_duration_seconds.unwrap_or(30).max(1) as u64),
        version: version_of(lease),
    })
}
