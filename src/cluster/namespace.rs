//! The release namespace: check that it exists, or create it (records and the lock live there) with the
//! labels the caller gives (Pod Security admission labels of the release's tier); in a dry run, have the
//! server validate its creation without creating it.

use super::Cluster;
use anyhow::{bail, Context, Result};
use std::collections::BTreeMap;

/// The namespace that stands in for one a dry run would create: it always exists.
pub const STAND_IN: &str = "default";

/// What [`ensure_namespace`] found or did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NamespaceState {
    /// It was there already.
    Existed,
    /// It was missing and was created.
    Created,
    /// It is missing; a dry run had the server validate its creation (name, labels, admission) and wrote
    /// nothing. Objects cannot be validated inside it.
    WouldCreate,
}

/// Make sure the release namespace exists (records and the lock live there). With `dry_run`, a missing
/// namespace that `create` allows is validated by a server-side dry-run create instead.
pub async fn ensure_namespace(
    c: &Cluster,
    ns: &str,
    create: bool,
    dry_run: bool,
    labels: &BTreeMap<String, String>,
) -> Result<NamespaceState> {
    use k8s_openapi::api::core::v1::Namespace;
    let api: kube::Api<Namespace> = kube::Api::all(c.client.clone());
    match api.get_opt(ns).await {
        Ok(Some(_)) => Ok(NamespaceState::Existed),
        Ok(None) if create => {
            let mut all_labels = labels.clone();
            all_labels.insert("app.kubernetes.io/managed-by".into(), "tack".into());
            let obj: Namespace = serde_json::from_value(serde_json::json!({
                "metadata": {"name": ns, "labels": all_labels}
            }))?;
            let params = kube::api::PostParams {
                dry_run,
                ..Default::default()
            };
            match api.create(&params, &obj).await {
                Ok(_) if dry_run => Ok(NamespaceState::WouldCreate),
                Ok(_) => {
                    crate::events::note(format!("created namespace `{ns}`"));
                    Ok(NamespaceState::Created)
                }
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(NamespaceState::Existed),
                Err(e) => Err(super::explain_error(e, &c.server)).context(format!(
                    "failed to {}create namespace `{ns}`",
                    if dry_run { "dry-run " } else { "" }
                )),
            }
        }
        Ok(None) => bail!(
            "namespace `{ns}` does not exist\n\nhint: pass --create-namespace, or choose another with -n"
        ),
        Err(e) => Err(super::explain_error(e, &c.server)).context(format!("failed to read namespace `{ns}`")),
    }
}
