//! Registry credentials where container tools keep them: the Docker config file (`$DOCKER_CONFIG/config.json`,
//! else `~/.docker/config.json`), with `credHelpers` and `credsStore` honoured (`docker-credential-NAME
//! get|store|erase`). Secrets are never printed or put into errors.

use anyhow::{anyhow, bail, Context, Result};
use base64::Engine;
use oci_client::secrets::RegistryAuth;
use serde_json::{json, Value};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Where the Docker config file is.
pub fn config_path() -> PathBuf {
    if let Some(d) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(d).join("config.json");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".docker").join("config.json")
}

fn read_config() -> Result<Value> {
    let path = config_path();
    if !path.is_file() {
        return Ok(json!({}));
    }
    let text = crate::limits::read_capped(&path, 4 << 20, "Docker config file")?;
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    let v: Value = serde_json::from_str(&text).map_err(|e| {
        anyhow!(
            "invalid JSON in `{}:{}:{}`: {e}\n\nhint: fix or remove the file, then log in again",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if !v.is_object() {
        bail!("`{}` is not a JSON object", path.display());
    }
    Ok(v)
}

fn write_config(v: &Value) -> Result<PathBuf> {
    let path = config_path();
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
    }
    let text = serde_json::to_string_pretty(v)? + "\n";
    let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts
            .open(&tmp)
            .with_context(|| format!("failed to write `{}`", tmp.display()))?;
        f.write_all(text.as_bytes())
            .with_context(|| format!("failed to write `{}`", tmp.display()))?;
    }
    std::fs::rename(&tmp, &path)
        .with_context(|| format!("failed to write `{}`", path.display()))?;
    Ok(path)
}

/// The credential helper configured for `host`, if any (`credHelpers` first, then `credsStore`).
fn helper(cfg: &Value, host: &str) -> Option<String> {
    cfg["credHelpers"][host]
        .as_str()
        .or_else(|| cfg["credsStore"].as_str())
        .filter(|h| !h.is_empty())
        .map(str::to_string)
}

/// Run `docker-credential-NAME ACTION` with `input` on stdin.
fn run_helper(name: &str, action: &str, input: &str) -> Result<(bool, String)> {
    let prog = format!("docker-credential-{name}");
    let mut child = Command::new(&prog)
        .arg(action)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            anyhow!("cannot run credential helper `{prog}`: {e}\n\nhint: install it, or remove it from `{}`", config_path().display())
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        // a helper may exit without reading its input (erase of a missing entry): that is not an error
        match stdin.write_all(input.as_bytes()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                return Err(e).with_context(|| format!("failed to talk to `{prog}`"));
            }
            _ => {}
        }
    }
    let out = child
        .wait_with_output()
        .with_context(|| format!("failed to run `{prog}`"))?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

/// The credentials stored for `host` (anonymous when there are none).
pub fn credentials(host: &str) -> Result<RegistryAuth> {
    let cfg = read_config()?;
    if let Some(h) = helper(&cfg, host) {
        let (ok, out) = run_helper(&h, "get", host)?;
        if !ok {
            // helpers answer "credentials not found" with a failure
            return Ok(RegistryAuth::Anonymous);
        }
        let v: Value = serde_json::from_str(&out).map_err(|_| {
            anyhow!("credential helper `docker-credential-{h}` answered something that is not JSON")
        })?;
        let user = v["Username"].as_str().unwrap_or("");
        let secret = v["Secret"].as_str().unwrap_or("");
        return Ok(match (user, secret) {
            (_, "") => RegistryAuth::Anonymous,
            ("<token>", s) => RegistryAuth::Bearer(s.to_string()),
            (u, s) => RegistryAuth::Basic(u.to_string(), s.to_string()),
        });
    }
    let entry = &cfg["auths"][host];
    if let Some(token) = entry["registrytoken"].as_str().filter(|t| !t.is_empty()) {
        return Ok(RegistryAuth::Bearer(token.to_string()));
    }
    if let Some(auth) = entry["auth"].as_str().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                s.split_once(':')
                    .map(|(u, p)| (u.to_string(), p.to_string()))
            });
        let Some((u, p)) = decoded else {
            bail!(
                "the stored credentials for `{host}` in `{}` cannot be read (the `auth` entry is not base64 of USER:PASSWORD)\n\nhint: log in again with `tack registry login {host}`",
                config_path().display()
            );
        };
        return Ok(RegistryAuth::Basic(u, p));
    }
    Ok(RegistryAuth::Anonymous)
}

/// Store credentials for `host`: in its credential helper if one is configured, else in the config file.
/// Returns where they went.
pub fn store(host: &str, user: &str, secret: &str) -> Result<String> {
    let mut cfg = read_config()?;
    if let Some(h) = helper(&cfg, host) {
        let input = json!({"ServerURL": host, "Username": user, "Secret": secret}).to_string();
        let (ok, _) = run_helper(&h, "store", &input)?;
        if !ok {
            bail!("credential helper `docker-credential-{h}` could not store the credentials for `{host}`");
        }
        return Ok(format!("credential helper `docker-credential-{h}`"));
    }
    let auth = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}"));
    if !cfg["auths"].is_object() {
        cfg["auths"] = json!({});
    }
    cfg["auths"][host] = json!({ "auth": auth });
    let path = write_config(&cfg)?;
    Ok(format!("`{}`", path.display()))
}

/// Remove the credentials of `host`; false when none were stored.
pub fn erase(host: &str) -> Result<bool> {
    let mut cfg = read_config()?;
    if let Some(h) = helper(&cfg, host) {
        let (ok, _) = run_helper(&h, "erase", host)?;
        return Ok(ok);
    }
    let removed = cfg["auths"]
        .as_object_mut()
        .and_then(|a| a.remove(host))
        .is_some();
    if removed {
        write_config(&cfg)?;
    }
    Ok(removed)
}
