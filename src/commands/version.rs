//! `tack version`: the client version and, unless `--client`, the server version of the target cluster.

use super::Ctx;
use crate::cli::VersionArgs;
use crate::cluster;
use anyhow::Result;
use std::time::Duration;

pub fn run(ctx: &Ctx, args: &VersionArgs) -> Result<()> {
    ctx.printer
        .stdout(&format!("client: tack {}\n", env!("CARGO_PKG_VERSION")));
    if args.client {
        return Ok(());
    }
    let timeout = args.timeout.max(Duration::from_secs(1));
    let target = cluster::Target {
        connect_timeout: Some(timeout),
        ..ctx.settings.cluster()
    };
    let rt = cluster::runtime()?;
    let version = rt.block_on(async {
        let c = cluster::connect(&target).await?;
        cluster::server_version(&c, timeout).await
    })?;
    ctx.printer
        .stdout(&format!("server: kubernetes {version}\n"));
    Ok(())
}
