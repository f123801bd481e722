//! `tack version`: the client version and, unless `--client`, the server version of the target cluster.

use super::Ctx;
use crate::cli::VersionArgs;
use crate::cluster::{self, Target};
use anyhow::Result;
use std::time::Duration;

pub fn run(ctx: &Ctx, args: &VersionArgs) -> Result<()> {
    println!("client: tack {}", env!("CARGO_PKG_VERSION"));
    if args.client {
        return Ok(());
    }
    let timeout = Duration::from_secs(args.timeout.max(1));
    let target = Target {
        kubeconfig: ctx.kubeconfig.clone(),
        context: ctx.kube_context.clone(),
        connect_timeout: Some(timeout),
    };
    let rt = cluster::runtime()?;
    let version = rt.block_on(async {
        let c = cluster::connect(&target).await?;
        cluster::server_version(&c, timeout).await
    })?;
    println!("server: kubernetes {version}");
    Ok(())
}
