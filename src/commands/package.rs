//! `tack package`, `tack push` and `tack pull`: a chart folder as a reproducible package, and packages to
//! and from OCI registries.

use super::Ctx;
use crate::cli::{PackageArgs, PullArgs, PushArgs};
use crate::ops::share;
use crate::settings;
use anyhow::Result;

pub fn package(ctx: &Ctx, a: &PackageArgs) -> Result<()> {
    let (pkg, path) = share::package(&a.chart, &a.destination)?;
    ctx.printer.stdout(&format!(
        "packaged {} {} ({} files, {} bytes) to {}\ndigest: {}\nchart digest: {}\n",
        pkg.name,
        pkg.version,
        pkg.files.len(),
        pkg.bytes.len(),
        path.display(),
        pkg.digest,
        pkg.chart_digest
    ));
    Ok(())
}

pub fn push(ctx: &Ctx, a: &PushArgs) -> Result<()> {
    settings::registry(&a.registry);
    let (pkg, pushed) = share::push(&a.package, &a.remote)?;
    ctx.printer.stdout(&format!(
        "pushed {} {} to {}\ndigest: {}\n",
        pkg.name, pkg.version, pushed.reference, pushed.digest
    ));
    Ok(())
}

pub fn pull(ctx: &Ctx, a: &PullArgs) -> Result<()> {
    settings::registry(&a.registry);
    let out = share::pull(
        &a.chart,
        a.chart_version.as_deref(),
        a.untar,
        &a.destination,
    )?;
    if out.pulled.helm {
        ctx.printer.info(&format!(
            "`{}` is a Helm chart; convert it with `tack convert` before rendering it",
            out.pulled.reference.base()
        ));
    }
    ctx.printer.stdout(&format!(
        "pulled {} {} to {}\ndigest: {}\n",
        out.name,
        out.version,
        out.path.display(),
        out.pulled.digest
    ));
    Ok(())
}
