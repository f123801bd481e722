//! Talking to a registry through `oci-client`: choosing the version (tags, semver ranges, digests),
//! pulling the manifest and the chart layer with size caps and digest checks, pushing a package, and
//! turning protocol errors into messages that say what to do.

use super::reference::{tag_version, version_tag, ChartRef};
use super::{auth, media, RegistryOptions};
use crate::package::{cache, digest_of};
use anyhow::{anyhow, bail, Context, Result};
use futures::StreamExt;
use oci_client::client::{Certificate, CertificateEncoding, ClientConfig, ClientProtocol};
use oci_client::errors::OciDistributionError;
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

/// Largest manifest accepted.
const MAX_MANIFEST_BYTES: u64 = 4 << 20;

/// A pulled chart package.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub reference: ChartRef,
    /// The version (tag) pulled, if it was chosen by tag.
    pub version: Option<String>,
    /// The manifest digest.
    pub digest: String,
    /// The chart package bytes (verified against the manifest's layer digest).
    pub archive: Vec<u8>,
    pub archive_digest: String,
    /// Whether it is a Helm chart (Helm's media types) rather than a tack chart.
    pub helm: bool,
}

impl Pulled {
    /// `oci://HOST/PATH/NAME:VERSION@sha256:...`.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(v) => format!("{}:{}@{}", self.reference.base(), v, self.digest),
            None => format!("{}@{}", self.reference.base(), self.digest),
        }
    }
}

/// An `oci-client` client for `opts`.
pub(super) fn client(opts: &RegistryOptions) -> Result<Client> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut config = ClientConfig {
        protocol: if opts.plain_http {
            ClientProtocol::Http
        } else {
            ClientProtocol::Https
        },
        platform_resolver: None,
        ..Default::default()
    };
    if let Some(ca) = &opts.ca_file {
        let data = std::fs::read(ca).with_context(|| {
            format!(
                "failed to read the CA file `{}` given with --ca-file",
                ca.display()
            )
        })?;
        if !String::from_utf8_lossy(&data).contains("-----BEGIN CERTIFICATE-----") {
            bail!(
                "`{}` holds no PEM certificate\n\nhint: --ca-file takes a PEM file of CA certificates",
                ca.display()
            );
        }
        config.extra_root_certificates.push(Certificate {
            encoding: CertificateEncoding::Pem,
            data,
        });
    }
    Client::try_from(config).map_err(|e| anyhow!("failed to set up the registry client: {e}"))
}

pub(super) fn reference(r: &ChartRef, tag: Option<&str>, digest: Option<&str>) -> Reference {
    match (tag, digest) {
        (_, Some(d)) => Reference::with_digest(r.registry.clone(), r.repository.clone(), d.into()),
        (Some(t), None) => Reference::with_tag(r.registry.clone(), r.repository.clone(), t.into()),
        (None, None) => {
            Reference::with_tag(r.registry.clone(), r.repository.clone(), "latest".into())
        }
    }
}

/// Turn a protocol error into one that names the registry, the reference and what to do.
pub(super) fn explain(e: OciDistributionError, r: &ChartRef, what: &str) -> anyhow::Error {
    let host = &r.registry;
    let login = format!(
        "hint: log in with `tack registry login {host}`, or check the user name and password stored for it"
    );
    let status = match &e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_) => Some(401),
        OciDistributionError::ServerError { code, .. } => Some(*code),
        OciDistributionError::RegistryError { envelope, .. } => {
            let codes: Vec<String> = envelope
                .errors
                .iter()
                .map(|e| format!("{:?}", e.code))
                .collect();
            if codes
                .iter()
                .any(|c| c.contains("Unauthorized") || c.contains("Denied"))
            {
                Some(401)
            } else if codes.iter().any(|c| c.contains("Unknown")) {
                Some(404)
            } else {
                None
            }
        }
        OciDistributionError::ImageManifestNotFoundError(_) => Some(404),
        _ => None,
    };
    match status {
        Some(401) | Some(403) => anyhow!(
            "registry `{host}` refused access to `{}` while {what}: the credentials are missing or wrong\n\n{login}",
            r.base()
        ),
        Some(404) => anyhow!(
            "`{}` was not found in registry `{host}` while {what}\n\nhint: check the repository and version; list what is there with your registry's tools",
            r.base()
        ),
        _ => {
            let mut chain = e.to_string();
            let mut src = std::error::Error::source(&e);
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            anyhow!(
                "cannot reach registry `{host}` while {what}: {chain}\n\nhint: check the host and port; for a private CA pass --ca-file, for a registry without TLS pass --plain-http"
            )
        }
    }
}

/// The tag to pull for `version` (exact, or the highest tag in a semver range), or the ref's own tag.
async fn choose_tag(
    c: &Client,
    r: &ChartRef,
    version: Option<&str>,
    cred: &RegistryAuth,
) -> Result<String> {
    let exact = version.and_then(|v| semver::Version::parse(v.trim_start_matches('v')).ok());
    match (version, &r.tag) {
        (Some(v), Some(t)) if version_tag(v) != *t => bail!(
            "`{}` names tag `{t}` and --version names `{v}`\n\nhint: give the version one way",
            r.base()
        ),
        (_, Some(t)) => return Ok(t.clone()),
        _ => {}
    }
    if let Some(v) = exact {
        return Ok(version_tag(&v.to_string()));
    }
    let req = match version {
        Some(v) => Some(semver::VersionReq::parse(v).map_err(|e| {
            anyhow!("`{v}` is neither a version nor a version range: {e}\n\nhint: write `1.4.0`, `^1.4` or `>=1.2, <2`")
        })?),
        None => None,
    };
    let image = reference(r, None, None);
    let mut tags = Vec::new();
    let mut last: Option<String> = None;
    for _ in 0..100 {
        let page = c
            .list_tags(&image, cred, Some(1000), last.as_deref())
            .await
            .map_err(|e| explain(e, r, "listing its versions"))?;
        let n = page.tags.len();
        last = page.tags.last().cloned();
        tags.extend(page.tags);
        if n < 1000 {
            break;
        }
    }
    let best = tags
        .iter()
        .filter_map(|t| tag_version(t).map(|v| (v, t)))
        .filter(|(v, _)| match &req {
            Some(req) => req.matches(v),
            None => v.pre.is_empty(),
        })
        .max_by(|a, b| a.0.cmp(&b.0));
    match best {
        Some((_, t)) => Ok(t.clone()),
        None => bail!(
            "no version of `{}` matches `{}` (versions found: {})\n\nhint: pick a version the registry holds",
            r.base(),
            version.unwrap_or("any release"),
            if tags.is_empty() { "none".into() } else { tags.join(", ") }
        ),
    }
}

/// Pull `r` (at `version`, or its tag or digest): manifest and chart layer, size-capped, digest-verified,
/// cached by digest.
pub async fn pull(r: &ChartRef, version: Option<&str>, opts: &RegistryOptions) -> Result<Pulled> {
    let c = client(opts)?;
    let cred = auth::credentials(&r.registry)?;
    if r.digest.is_some() && version.is_some() {
        bail!("`{}` is pinned to a digest; leave out --version", r.base());
    }
    let tag = match &r.digest {
        Some(_) => r.tag.clone(),
        None => Some(choose_tag(&c, r, version, &cred).await?),
    };
    let (raw, digest) = match &r.digest {
        Some(d) => match cache::read_blob(d)? {
            Some(bytes) => (bytes, d.clone()),
            None => fetch_manifest(&c, r, None, Some(d), &cred).await?,
        },
        None => fetch_manifest(&c, r, tag.as_deref(), None, &cred).await?,
    };
    let manifest: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| anyhow!("the manifest of `{}` is not JSON: {e}", r.base()))?;
    let config_type = manifest["config"]["mediaType"].as_str().unwrap_or("");
    let helm = config_type == media::HELM_CONFIG;
    if config_type != media::CONFIG && !helm {
        bail!(
            "`{}` is not a chart: its config media type is `{config_type}`\n\nhint: tack pulls charts pushed by `tack push` ({}) or Helm ({})",
            r.base(),
            media::CONFIG,
            media::HELM_CONFIG
        );
    }
    let want = if helm {
        media::HELM_CONTENT
    } else {
        media::CONTENT
    };
    let layers = manifest["layers"].as_array().cloned().unwrap_or_default();
    let Some(layer) = layers.iter().find(|l| l["mediaType"] == want) else {
        bail!("`{}` has no chart layer of media type `{want}`", r.base());
    };
    let layer_digest = layer["digest"].as_str().unwrap_or("").to_string();
    cache::digest_hex(&layer_digest)?;
    let size = layer["size"].as_u64().unwrap_or(u64::MAX);
    if size > crate::limits::MAX_CHART_BYTES {
        bail!(
            "the chart layer of `{}` is {size} bytes, over the limit of {} bytes for a chart",
            r.base(),
            crate::limits::MAX_CHART_BYTES
        );
    }
    let archive = match cache::read_blob(&layer_digest)? {
        Some(b) => b,
        None => {
            let b = fetch_blob(&c, r, &layer_digest, size, &cred).await?;
            cache::store_blob(&layer_digest, &b)?;
            b
        }
    };
    cache::store_blob(&digest, &raw)?;
    Ok(Pulled {
        reference: r.clone(),
        version: tag,
        digest,
        archive_digest: layer_digest,
        archive,
        helm,
    })
}

/// The manifest at a tag or digest, with its digest computed from the bytes (and checked against a pin).
async fn fetch_manifest(
    c: &Client,
    r: &ChartRef,
    tag: Option<&str>,
    pin: Option<&str>,
    cred: &RegistryAuth,
) -> Result<(Vec<u8>, String)> {
    let image = reference(r, tag, pin);
    let shown = match (tag, pin) {
        (_, Some(d)) => format!("{}@{d}", r.base()),
        (Some(t), None) => format!("{}:{t}", r.base()),
        _ => r.base(),
    };
    let (raw, _) = c
        .pull_manifest_raw(&image, cred, &[media::MANIFEST])
        .await
        .map_err(|e| match explain(e, r, "pulling its manifest") {
            e if e.to_string().contains("was not found") => anyhow!(
                "`{shown}` was not found in registry `{}`\n\nhint: check the version; `tack pull` and --version take an exact version or a range such as `^1.2`",
                r.registry
            ),
            e => e,
        })?;
    if raw.len() as u64 > MAX_MANIFEST_BYTES {
        bail!("the manifest of `{shown}` is larger than {MAX_MANIFEST_BYTES} bytes");
    }
    let digest = digest_of(&raw);
    if let Some(p) = pin {
        if digest != p {
            bail!(
                "digest mismatch for `{shown}`: the registry sent a manifest with digest {digest}\n\nhint: the registry content was altered or the digest is wrong; nothing was used"
            );
        }
    }
    Ok((raw.to_vec(), digest))
}

/// One blob, streamed with a size cap and checked against its digest.
async fn fetch_blob(
    c: &Client,
    r: &ChartRef,
    digest: &str,
    size: u64,
    cred: &RegistryAuth,
) -> Result<Vec<u8>> {
    let image = reference(r, None, Some(digest));
    c.store_auth_if_needed(image.resolve_registry(), cred).await;
    let desc = oci_client::manifest::OciDescriptor {
        digest: digest.to_string(),
        size: size as i64,
        ..Default::default()
    };
    let mut stream = c
        .pull_blob_stream(&image, &desc)
        .await
        .map_err(|e| explain(e, r, "pulling the chart layer"))?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            // the client checks the digest as the stream ends
            if e.to_string().to_lowercase().contains("digest") {
                anyhow!(
                    "digest mismatch for the chart layer of `{}` (expected {digest}): {e}\n\nhint: the registry content was altered or damaged in transit; nothing was used",
                    r.base()
                )
            } else {
                anyhow!(
                    "the transfer of the chart layer of `{}` broke: {e}\n\nhint: try again",
                    r.base()
                )
            }
        })?;
        if (out.len() + chunk.len()) as u64 > size.min(crate::limits::MAX_CHART_BYTES) {
            bail!(
                "the chart layer of `{}` is larger than its manifest says ({size} bytes); refusing it",
                r.base()
            );
        }
        out.extend_from_slice(&chunk);
    }
    let got = digest_of(&out);
    if got != digest {
        bail!(
            "digest mismatch for the chart layer of `{}`: expected {digest}, got {got}\n\nhint: the registry content was altered or damaged in transit; nothing was used",
            r.base()
        );
    }
    Ok(out)
}
