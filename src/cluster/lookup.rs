//! `lookup` for templates: reads live objects through the cluster client, so raw API calls stay here.

use super::resources::Resolver;
use anyhow::Result;
use serde_json::Value;

/// `lookup` for templates, reading live objects through the cluster client.
pub struct ClusterLookup {
    pub client: kube::Client,
    pub handle: tokio::runtime::Handle,
    /// The command's bound on calls before its first write (`--timeout`).
    pub deadline: Option<crate::deadline::Deadline>,
}

impl crate::render::tpl::Lookup for ClusterLookup {
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> Result<Option<Value>> {
        let client = self.client.clone();
        let (api_version, kind, namespace, name) = (
            api_version.to_string(),
            kind.to_string(),
            namespace.to_string(),
            name.to_string(),
        );
        let deadline = self.deadline.as_ref();
        let doing = format!("running `lookup \"{api_version}\" \"{kind}\"` in a template");
        tokio::task::block_in_place(|| {
            self.handle
                .block_on(crate::deadline::within(deadline, &doing, async move {
                    let resolver = Resolver::new(client.clone());
                    let (ar, namespaced) = resolver.resolve(&api_version, &kind).await?;
                    let api: kube::Api<kube::api::DynamicObject> =
                        if namespaced && !namespace.is_empty() {
                            kube::Api::namespaced_with(client, &namespace, &ar)
                        } else {
                            kube::Api::all_with(client, &ar)
                        };
                    if name.is_empty() {
                        let list = api.list(&Default::default()).await?;
                        let items: Vec<Value> = list
                            .items
                            .into_iter()
                            .map(|o| serde_json::to_value(o).unwrap_or_default())
                            .collect();
                        return Ok(Some(serde_json::json!({ "items": items })));
                    }
                    Ok(api
                        .get_opt(&name)
                        .await?
                        .map(|o| serde_json::to_value(o).unwrap_or_default()))
                }))
        })
    }
}

/// Whether a Secret or ConfigMap exists, read as metadata only (a Secret's data is never fetched).
pub async fn config_exists(
    c: &super::Cluster,
    kind: &str,
    namespace: &str,
    name: &str,
) -> Result<bool> {
    use k8s_openapi::api::core::v1::{ConfigMap, Secret};
    use kube::Api;
    let found = match kind {
        "Secret" => Api::<Secret>::namespaced(c.client.clone(), namespace)
            .get_metadata_opt(name)
            .await?
            .is_some(),
        _ => Api::<ConfigMap>::namespaced(c.client.clone(), namespace)
            .get_metadata_opt(name)
            .await?
            .is_some(),
    };
    Ok(found)
}
