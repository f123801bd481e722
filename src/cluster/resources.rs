//! Discovery of resource types: maps `apiVersion` + `kind` to the REST resource and its scope, with a
//! cache that lives for one command run, so that applying 500 objects asks the server once per group version.

use super::retry::{retry, Budget};
use anyhow::Result;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList;
use kube::api::{Api, DynamicObject};
use kube::discovery::ApiResource;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// The cluster serves no resource of this kind: its group version is missing or lacks the kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownKind {
    pub api_version: String,
    pub kind: String,
}

impl fmt::Display for UnknownKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the cluster has no kind `{}` in `{}`; is its CRD installed?",
            self.kind, self.api_version
        )
    }
}

impl std::error::Error for UnknownKind {}

/// Whether `err` says that a kind is unknown to the cluster (as opposed to the server being unreachable).
pub fn is_unknown_kind(err: &anyhow::Error) -> bool {
    err.downcast_ref::<UnknownKind>().is_some()
}

type Cell = Arc<OnceCell<Option<Arc<APIResourceList>>>>;

/// Resolves kinds to resources, asking the server once per group version until [`Resolver::invalidate`].
pub struct Resolver {
    client: kube::Client,
    server: String,
    cache: Mutex<HashMap<String, Cell>>,
}

impl Resolver {
    pub fn new(client: kube::Client) -> Self {
        Resolver {
            server: String::new(),
            client,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// A resolver for `cluster` whose errors name its server.
    pub fn for_cluster(cluster: &super::Cluster) -> Self {
        Resolver {
            server: cluster.server.clone(),
            ..Resolver::new(cluster.client.clone())
        }
    }

    /// The resource for `kind` in `api_version`, and whether it is namespaced.
    pub async fn resolve(&self, api_version: &str, kind: &str) -> Result<(ApiResource, bool)> {
        let unknown = || {
            anyhow::Error::new(UnknownKind {
                api_version: api_version.to_string(),
                kind: kind.to_string(),
            })
        };
        let cell = {
            let mut cache = self.cache.lock().expect("resolver cache poisoned");
            cache.entry(api_version.to_string()).or_default().clone()
        };
        let list = cell
            .get_or_try_init(|| self.fetch(api_version))
            .await?
            .clone()
            .ok_or_else(unknown)?;
        let found = list
            .resources
            .iter()
            .find(|r| r.kind == kind && !r.name.contains('/'))
            .ok_or_else(unknown)?;
        let (group, version) = split_api_version(api_version);
        let resource = ApiResource {
            group: found.group.clone().unwrap_or_else(|| group.to_string()),
            version: found.version.clone().unwrap_or_else(|| version.to_string()),
            api_version: api_version.to_string(),
            kind: kind.to_string(),
            plural: found.name.clone(),
        };
        Ok((resource, found.namespaced))
    }

    /// Forget what was discovered, e.g. after CustomResourceDefinitions were applied.
    pub fn invalidate(&self) {
        self.cache.lock().expect("resolver cache poisoned").clear();
    }

    /// The resource list of a group version; `None` when the server does not serve it.
    async fn fetch(&self, api_version: &str) -> Result<Option<Arc<APIResourceList>>> {
        let what = format!("discover the resources of `{api_version}`");
        let got = retry(Budget::default(), || async {
            if api_version.contains('/') {
                self.client.list_api_group_resources(api_version).await
            } else {
                self.client.list_core_api_resources(api_version).await
            }
        })
        .await;
        match got {
            Ok(list) => Ok(Some(Arc::new(list))),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
            Err(e) => Err(super::retry::describe(e, &what, &self.server)),
        }
    }
}

/// A dynamic API handle for objects of `resource` in `namespace` (ignored for cluster-scoped ones).
pub fn api_for(
    client: &kube::Client,
    resource: &ApiResource,
    namespaced: bool,
    namespace: Option<&str>,
) -> Api<DynamicObject> {
    match (namespaced, namespace) {
        (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, resource),
        (true, None) => Api::default_namespaced_with(client.clone(), resource),
        (false, _) => Api::all_with(client.clone(), resource),
    }
}

/// A request builder for objects of `resource` in `namespace`, the same URLs as [`api_for`]'s, for requests
/// whose answer is read into something smaller than a whole object.
pub fn request_for(
    client: &kube::Client,
    resource: &ApiResource,
    namespaced: bool,
    namespace: Option<&str>,
) -> kube::core::Request {
    use kube::Resource;
    let ns = match (namespaced, namespace) {
        (true, Some(ns)) => Some(ns),
        (true, None) => Some(client.default_namespace()),
        (false, _) => None,
    };
    kube::core::Request::new(DynamicObject::url_path(resource, ns))
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, Instant};

    const THROTTLED: &str = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":1},"code":429}"#;
    const CORE: &str = r#"{"kind":"APIResourceList","groupVersion":"v1","resources":[{"name":"configmaps","singularName":"configmap","namespaced":true,"kind":"ConfigMap","verbs":["get","list"]},{"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["get"]},{"name":"namespaces/status","singularName":"","namespaced":false,"kind":"Namespace","verbs":["get"]}]}"#;
    const MISSING: &str = r#"{"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server could not find the requested resource","reason":"NotFound","code":404}"#;

    /// A client whose server throttles the first request, then serves the core group and nothing else.
    fn fake_server() -> (kube::Client, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let (status, body) = match (n, req.uri().path()) {
                (0, _) => (429, THROTTLED),
                (_, "/api/v1") => (200, CORE),
                _ => (404, MISSING),
            };
            async move {
                Ok::<_, std::convert::Infallible>(
                    http::Response::builder()
                        .status(status)
                        .header("content-type", "application/json")
                        .body(kube::client::Body::from(body.as_bytes().to_vec()))
                        .unwrap(),
                )
            }
        });
        (kube::Client::new(service, "default"), calls)
    }

    #[tokio::test]
    async fn discovery_waits_out_throttling_caches_and_forgets_on_invalidate() {
        let (client, calls) = fake_server();
        let resolver = Resolver::new(client);
        let start = Instant::now();
        let (cm, namespaced) = resolver.resolve("v1", "ConfigMap").await.unwrap();
        assert!(
            start.elapsed() >= Duration::from_secs(1),
            "waited retryAfterSeconds"
        );
        assert_eq!((cm.plural.as_str(), namespaced), ("configmaps", true));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        let (ns, namespaced) = resolver.resolve("v1", "Namespace").await.unwrap();
        assert_eq!((ns.plural.as_str(), namespaced), ("namespaces", false));
        assert_eq!(calls.load(Ordering::SeqCst), 2, "cached per group version");
        resolver.invalidate();
        resolver.resolve("v1", "ConfigMap").await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn unknown_group_versions_and_kinds_say_so() {
        let (client, _) = fake_server();
        let resolver = Resolver::new(client);
        let e = resolver
            .resolve("example.com/v1", "Widget")
            .await
            .unwrap_err();
        assert!(is_unknown_kind(&e), "{e:#}");
        let e = resolver.resolve("v1", "Widget").await.unwrap_err();
        assert_eq!(
            e.to_string(),
            "the cluster has no kind `Widget` in `v1`; is its CRD installed?"
        );
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        assert_eq!(split_api_version("apps/v1"), ("apps", "v1"));
        assert_eq!(split_api_version("v1"), ("", "v1"));
    }

    #[test]
    fn unknown_kind_names_the_kind_and_the_crd() {
        let e = anyhow::Error::new(UnknownKind {
            api_version: "example.com/v1".into(),
            kind: "Widget".into(),
        });
        assert!(is_unknown_kind(&e));
        assert_eq!(
            e.to_string(),
            "the cluster has no kind `Widget` in `example.com/v1`; is its CRD installed?"
        );
    }
}
