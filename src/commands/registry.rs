//! `tack registry login|logout`: credentials for OCI registries, kept where container tools keep them.

use super::Ctx;
use crate::cli::{LoginArgs, RegistryCommand};
use crate::error::usage;
use crate::ops::share;
use crate::settings;
use anyhow::{Context, Result};
use std::io::Read;

pub fn run(ctx: &Ctx, cmd: &RegistryCommand) -> Result<()> {
    match cmd {
        RegistryCommand::Login(a) => login(ctx, a),
        RegistryCommand::Logout { host } => {
            if crate::oci::auth::erase(host)? {
                ctx.printer
                    .stdout(&format!("removed the credentials of `{host}`\n"));
            } else {
                ctx.printer
                    .stdout(&format!("no credentials were stored for `{host}`\n"));
            }
            Ok(())
        }
    }
}

fn login(ctx: &Ctx, a: &LoginArgs) -> Result<()> {
    settings::registry(&a.registry);
    if !a.password_stdin {
        return Err(usage(
            "give the password on standard input with --password-stdin\n\nhint: `printf %s \"$PASSWORD\" | tack registry login HOST -u USER --password-stdin` keeps it out of the shell history and process list",
        ));
    }
    let mut secret = String::new();
    std::io::stdin()
        .take(64 * 1024)
        .read_to_string(&mut secret)
        .context("failed to read the password from standard input")?;
    let secret = secret.trim_end_matches(['\n', '\r']);
    if secret.is_empty() {
        return Err(usage("the password on standard input is empty"));
    }
    let place = share::login(&a.host, &a.username, secret)?;
    ctx.printer.stdout(&format!(
        "logged in to `{}` as `{}` (credentials stored in {place})\n",
        a.host, a.username
    ));
    Ok(())
}
