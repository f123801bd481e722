//! Writing to a registry: pushing a chart package as an artifact of tack's own media types, and checking
//! credentials before `tack registry login` stores them.

use super::reference::{version_tag, ChartRef};
use super::registry::{client, explain, reference};
use super::{auth, media, RegistryOptions};
use crate::package::digest_of;
use anyhow::{anyhow, bail, Context, Result};
use oci_client::secrets::RegistryAuth;
use serde_json::json;

/// A pushed package.
#[derive(Debug, Clone)]
pub struct Pushed {
    pub reference: String,
    pub digest: String,
}

/// Push a chart package to `dest` (`oci://HOST/PATH`; the chart name and version make the rest).
pub async fn push(
    pkg: &crate::package::Package,
    meta: &serde_json::Value,
    dest: &str,
    opts: &RegistryOptions,
) -> Result<Pushed> {
    let base = ChartRef::parse(&format!("{}/{}", dest.trim_end_matches('/'), pkg.name))
        .with_context(|| format!("invalid destination `{dest}`"))?;
    if base.tag.is_some() || base.digest.is_some() {
        bail!("`{dest}` names a tag or digest; push to a repository path such as `oci://HOST/PATH` (the chart's name and version are added)");
    }
    let c = client(opts)?;
    let cred = auth::credentials(&base.registry)?;
    let tag = version_tag(&pkg.version);
    let image = reference(&base, Some(&tag), None);
    c.auth(&image, &cred, oci_client::RegistryOperation::Push)
        .await
        .map_err(|e| explain(e, &base, "logging in"))?;
    let config = serde_json::to_vec(meta).context("failed to encode the chart config")?;
    let config_digest = digest_of(&config);
    c.push_blob(&image, config.clone(), &config_digest)
        .await
        .map_err(|e| explain(e, &base, "pushing the config"))?;
    c.push_blob(&image, pkg.bytes.clone(), &pkg.digest)
        .await
        .map_err(|e| explain(e, &base, "pushing the chart layer"))?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": media::MANIFEST,
        "artifactType": media::ARTIFACT,
        "config": {"mediaType": media::CONFIG, "digest": config_digest, "size": config.len()},
        "layers": [{
            "mediaType": media::CONTENT,
            "digest": pkg.digest,
            "size": pkg.bytes.len(),
            "annotations": {"org.opencontainers.image.title": pkg.file_name()},
        }],
        "annotations": {
            "org.opencontainers.image.title": pkg.name,
            "org.opencontainers.image.version": pkg.version,
            "dev.tack.chart.digest": pkg.chart_digest,
        },
    });
    let body = serde_json::to_vec(&manifest).context("failed to encode the manifest")?;
    let digest = digest_of(&body);
    c.push_manifest_raw(
        &image,
        body,
        http::HeaderValue::from_static(media::MANIFEST),
    )
    .await
    .map_err(|e| explain(e, &base, "pushing the manifest"))?;
    Ok(Pushed {
        reference: format!("{}:{tag}", base.base()),
        digest,
    })
}

/// Check `user`/`secret` against registry `host` (an authenticated request must not be refused).
pub async fn check_login(
    host: &str,
    user: &str,
    secret: &str,
    opts: &RegistryOptions,
) -> Result<()> {
    let c = client(opts)?;
    let r = ChartRef {
        registry: host.to_string(),
        repository: "tack-login-check".into(),
        tag: None,
        digest: None,
    };
    let cred = RegistryAuth::Basic(user.to_string(), secret.to_string());
    let image = reference(&r, Some("latest"), None);
    let probe = async {
        c.auth(&image, &cred, oci_client::RegistryOperation::Pull)
            .await?;
        c.list_tags(&image, &cred, Some(1), None).await.map(|_| ())
    };
    match probe.await {
        Ok(()) => Ok(()),
        Err(e) => match explain(e, &r, "logging in") {
            e if e.to_string().contains("was not found") => Ok(()),
            e if e.to_string().contains("credentials are missing or wrong") => Err(anyhow!(
                "registry `{host}` refused the credentials of user `{user}`\n\nhint: check the user name and password; nothing was stored"
            )),
            e => Err(e),
        },
    }
}
