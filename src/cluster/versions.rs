//! The live resourceVersion of objects: what an approved plan records, and checks again before it is applied.

use super::resources::{api_for, is_unknown_kind, Resolver};
use super::Cluster;
use crate::manifest::ObjectRef;
use anyhow::{Context, Result};

/// The resourceVersion of each object as the server has it now (`None` where it does not exist, its kind
/// included), in the order given.
pub async fn resource_versions(c: &Cluster, objects: &[ObjectRef]) -> Result<Vec<Option<String>>> {
    let resolver = Resolver::for_cluster(c);
    let mut out = Vec::with_capacity(objects.len());
    for o in objects {
        let (resource, namespaced) = match resolver.resolve(&o.api_version, &o.kind).await {
            Ok(r) => r,
            Err(e) if is_unknown_kind(&e) => {
                out.push(None);
                continue;
            }
            Err(e) => return Err(e),
        };
        let api = api_for(&c.client, &resource, namespaced, o.namespace.as_deref());
        let live = api
            .get_opt(&o.name)
            .await
            .map_err(|e| super::explain_error(e, &c.server))
            .with_context(|| format!("failed to read {} {}", o.kind, o.name))?;
        out.push(live.and_then(|l| l.metadata.resource_version));
    }
    Ok(out)
}
