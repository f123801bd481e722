//! The release namespace: check that it exists, or create it (records and the lock live there) with the
//! labels the caller gives (Pod Security admission labels of the release's tier).

use super::Cluster;
use anyhow::{bail, Context, Result};

/// Make sure the release namespace exists (records and the lock live there).
pub async fn ensure_namespace(
    c: &Cluster,
    ns: &str,
    create: bool,
    dry_run: bool,
    labels: &std::collections::BTreeMap<String, String>,
) -> Result<()> {
    use k8s_openapi::api::core::v1::Namespace;
    let api: kube::Api<Namespace> = kube::Api::all(c.client.clone());
    match api.get_opt(ns).await {
        Ok(Some(_)) => Ok(()),
        Ok(None) if create && !dry_run => {
            let mut all_labels = labels.clone();
            all_labels.insert("app.kubernetes.io/managed-by".into(), "tack".into());
            let obj: Namespace = serde_json::from_value(serde_json::json!({
                "metadata": {"name": ns, "labels": all_labels}
            }))?;
            match api.create(&Default::default(), &obj).await {
                Ok(_) => {
                    crate::events::note(format!("created namespace `{ns}`"));
                    Ok(())
                }
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(()),
                Err(e) => Err(anyhow::Error::new(e).context(format!("failed to create namespace `{ns}`"))),
            }
        }
        Ok(None) if create => Ok(()),
        Ok(None) => bail!(
            "namespace `{ns}` does not exist\n\nhint: pass --create-namespace, or choose another with -n"
        ),
        Err(e) => Err(super::explain_error(e, &c.server)).context(format!("failed to read namespace `{ns}`")),
    }
}
