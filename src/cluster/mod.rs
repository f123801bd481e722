//! The connection to a Kubernetes cluster: kubeconfig resolution, a client with bounded timeouts, and
//! server facts. Nothing above this module builds a kube client itself.

pub mod apply;
pub mod helm_records;
pub mod hooks;
pub mod limiter;
pub mod live_diff;
pub mod lookup;
pub mod namespace;
pub mod resources;
pub mod retry;
pub mod takeover;
pub mod versions;
pub mod wait;

use anyhow::{Context, Result};
use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How to reach the cluster, from `--kubeconfig`, `--kube-context` and `KUBECONFIG`.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    /// Upper bound for connecting to the server.
    pub connect_timeout: Option<Duration>,
}

/// A connected client and the context it came from.
#[derive(Clone)]
pub struct Cluster {
    pub client: kube::Client,
    pub server: String,
    pub context: Option<String>,
    /// How many writes (applies, deletes, dry runs) are in flight at once, learnt from this server's answers
    /// and shared by every operation on it.
    pub writes: Arc<limiter::Gate>,
}

impl Cluster {
    /// A cluster reached through `client`, with a fresh write limiter.
    pub fn new(client: kube::Client, server: String, context: Option<String>) -> Cluster {
        Cluster {
            client,
            server,
            context,
            writes: Arc::new(limiter::Gate::default()),
        }
    }
}

/// Default bound for establishing a connection.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Build a client for `target`. Fails with a clear message when no kubeconfig can be found or read.
pub async fn connect(target: &Target) -> Result<Cluster> {
    let opts = KubeConfigOptions {
        context: target.context.clone(),
        ..Default::default()
    };
    let (kubeconfig, shown) = match &target.kubeconfig {
        Some(p) => (
            Kubeconfig::read_from(p)
                .with_context(|| format!("failed to read kubeconfig `{}`", p.display()))?,
            p.display().to_string(),
        ),
        None => {
            let shown = std::env::var("KUBECONFIG").unwrap_or_else(|_| "~/.kube/config".into());
            let kc = Kubeconfig::read().with_context(|| {
                format!("failed to read kubeconfig `{shown}`\n\nhint: set KUBECONFIG or pass --kubeconfig FILE")
            })?;
            (kc, shown)
        }
    };
    let context = target
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone());
    if let Some(ctx) = &target.context {
        if !kubeconfig.contexts.iter().any(|c| &c.name == ctx) {
            let known: Vec<_> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
            anyhow::bail!(
                "kubeconfig `{shown}` has no context `{ctx}`\n\nhint: contexts there: {}",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            );
        }
    }
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &opts)
        .await
        .with_context(|| format!("failed to load kubeconfig `{shown}`"))?;
    config.connect_timeout = Some(target.connect_timeout.unwrap_or(CONNECT_TIMEOUT));
    config.read_timeout = Some(Duration::from_secs(60));
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).context("failed to build a Kubernetes client")?;
    Ok(Cluster::new(client, server, context))
}

/// Explain a failed request in terms a user can act on.
pub fn explain_error(err: kube::Error, server: &str) -> anyhow::Error {
    match &err {
        kube::Error::Api(status) if status.code == 401 => anyhow::anyhow!(
            "the server at `{server}` rejected the credentials (401 Unauthorized)\n\nhint: check the user of the kubeconfig context, or log in again"
        ),
        kube::Error::Api(status) if status.code == 403 => anyhow::anyhow!(
            "the server at `{server}` refused the request (403 Forbidden): {}\n\nhint: the kubeconfig user lacks permission",
            status.message
        ),
        _ => anyhow::Error::new(err).context(format!(
            "cannot reach the Kubernetes API server at `{server}`\n\nhint: check that the cluster is up and that the kubeconfig points at it"
        )),
    }
}

/// [`explain_error`] for callers that hold only a client (the server's address is in the kubeconfig).
pub fn explain_client_error(err: kube::Error) -> anyhow::Error {
    match &err {
        kube::Error::Api(_) => explain_error(err, "of the kubeconfig context"),
        _ => anyhow::Error::new(err).context(
            "cannot reach the Kubernetes API server\n\nhint: check that the cluster is up and that the kubeconfig points at it",
        ),
    }
}

/// The server's version, within `timeout`.
pub async fn server_version(cluster: &Cluster, timeout: Duration) -> Result<String> {
    match tokio::time::timeout(timeout, cluster.client.apiserver_version()).await {
        Err(_) => anyhow::bail!(
            "the Kubernetes API server at `{}` did not answer within {}s\n\nhint: check that the cluster is up and reachable",
            cluster.server,
            timeout.as_secs()
        ),
        Ok(Err(e)) => Err(explain_error(e, &cluster.server)),
        Ok(Ok(info)) => Ok(info.git_version),
    }
}

/// A current-thread runtime for commands that talk to the cluster.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

/// The namespace the kubeconfig context names (as kubectl and Helm use it for `-n`'s default). Reads only
/// the kubeconfig file; `None` when there is none, it cannot be read, or the context names no namespace.
pub fn context_namespace(target: &Target) -> Option<String> {
    let kubeconfig = match &target.kubeconfig {
        Some(p) => Kubeconfig::read_from(p).ok()?,
        None => Kubeconfig::read().ok()?,
    };
    let name = target
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone())?;
    kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)?
        .context
        .as_ref()?
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
}
