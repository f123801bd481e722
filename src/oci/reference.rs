//! `oci://HOST[:PORT]/PATH/NAME[:TAG][@sha256:DIGEST]`: parsing, and the tag a version is stored under.

use anyhow::{bail, Result};

/// A chart in a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRef {
    /// `HOST[:PORT]`.
    pub registry: String,
    /// `PATH/NAME`.
    pub repository: String,
    pub tag: Option<String>,
    pub digest: Option<String>,
}

impl ChartRef {
    /// Parse `oci://...`; errors name the reference and show the expected form.
    pub fn parse(s: &str) -> Result<ChartRef> {
        let hint = "hint: write a registry chart as `oci://HOST/PATH/NAME`, with `--version V` or `@sha256:DIGEST`";
        let Some(rest) = s.strip_prefix("oci://") else {
            bail!("`{s}` is not an OCI reference: it does not start with `oci://`\n\n{hint}");
        };
        let (rest, digest) = match rest.split_once('@') {
            Some((r, d)) => {
                crate::package::cache::digest_hex(d)?;
                (r, Some(d.to_string()))
            }
            None => (rest, None),
        };
        let Some((registry, path)) = rest.split_once('/') else {
            bail!("`{s}` names no repository after the registry host\n\n{hint}");
        };
        let (path, tag) = match path.rsplit_once(':') {
            Some((p, t)) if !t.contains('/') => (p, Some(t.to_string())),
            _ => (path, None),
        };
        let ok_repo = !path.is_empty()
            && path.split('/').all(|seg| {
                !seg.is_empty()
                    && seg
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
            });
        if registry.is_empty() || !ok_repo {
            bail!("`{s}` is not a valid OCI reference: repository paths are lower-case letters, digits, `.`, `_`, `-` and `/`\n\n{hint}");
        }
        if let Some(t) = &tag {
            let ok = !t.is_empty()
                && t.len() <= 128
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                bail!("`{s}` has an invalid tag `{t}`\n\n{hint}");
            }
        }
        Ok(ChartRef {
            registry: registry.to_string(),
            repository: path.to_string(),
            tag,
            digest,
        })
    }

    /// The chart name: the last path segment.
    pub fn name(&self) -> &str {
        self.repository
            .rsplit('/')
            .next()
            .unwrap_or(&self.repository)
    }

    /// `oci://HOST/PATH/NAME` without tag or digest.
    pub fn base(&self) -> String {
        format!("oci://{}/{}", self.registry, self.repository)
    }

    /// The same repository with another last segment (a dependency `NAME` under an `oci://HOST/PATH`
    /// repository).
    pub fn child(&self, name: &str) -> ChartRef {
        ChartRef {
            registry: self.registry.clone(),
            repository: format!("{}/{name}", self.repository),
            tag: None,
            digest: None,
        }
    }
}

/// The tag a chart version is stored under (`+` is not allowed in tags; `_` stands for it, as Helm does).
pub fn version_tag(version: &str) -> String {
    version.replace('+', "_")
}

/// The version a tag stands for, if it is a semantic version.
pub fn tag_version(tag: &str) -> Option<semver::Version> {
    semver::Version::parse(&tag.replace('_', "+")).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_with_port_tag_and_digest() {
        let r = ChartRef::parse("oci://127.0.0.1:5443/team/web:1.2.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5443");
        assert_eq!(r.repository, "team/web");
        assert_eq!(r.tag.as_deref(), Some("1.2.0"));
        assert_eq!(r.name(), "web");
        let d = format!("sha256:{}", "a".repeat(64));
        let r = ChartRef::parse(&format!("oci://reg.example/web@{d}")).unwrap();
        assert_eq!(r.digest.as_deref(), Some(d.as_str()));
        assert_eq!(r.tag, None);
        assert_eq!(r.base(), "oci://reg.example/web");
    }

    #[test]
    fn bad_references_are_refused_with_the_form() {
        for bad in [
            "https://reg/web",
            "oci://reg",
            "oci://reg/Web",
            "oci://reg/web@sha256:xyz",
            "oci://reg/web:bad tag",
            "oci://reg//web",
        ] {
            let e = ChartRef::parse(bad).unwrap_err().to_string();
            assert!(
                e.contains("oci://HOST/PATH/NAME") || e.contains("digest"),
                "{bad}: {e}"
            );
        }
    }

    #[test]
    fn build_metadata_travels_as_underscore() {
        assert_eq!(version_tag("1.0.0+build.1"), "1.0.0_build.1");
        assert_eq!(
            tag_version("1.0.0_build.1").unwrap().to_string(),
            "1.0.0+build.1"
        );
        assert!(tag_version("latest").is_none());
    }
}
