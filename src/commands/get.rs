//! `tack get manifest|values|notes|hooks`: what a stored revision holds, Secret values masked unless
//! `--show-secrets`.

use super::{connect, Ctx};
use crate::cli::{GetArgs, GetWhat};
use crate::ops::inspect;
use anyhow::Result;

pub fn run(ctx: &Ctx, args: &GetArgs) -> Result<()> {
    crate::release::validate_name(&args.name)?;
    let ns = ctx.settings.namespace();
    let (rt, c) = connect(ctx)?;
    let rel = rt.block_on(inspect::get(&c, &ns, &args.name, args.revision))?;
    let text = match args.what {
        GetWhat::Notes => rel.notes.clone().unwrap_or_default(),
        GetWhat::Hooks => inspect::hooks_text(&rel, args.show_secrets)?,
        GetWhat::Manifest if args.show_secrets => rel.manifest.clone(),
        GetWhat::Manifest => inspect::masked_manifest(&rel),
        GetWhat::Values => {
            let values = if args.show_secrets {
                rel.values
            } else {
                crate::values::redacted(&rel.values)
            };
            format!(
                "{}\n",
                crate::render::filters::json_to_yaml(&values).trim_end()
            )
        }
    };
    ctx.printer.stdout(&text);
    Ok(())
}
