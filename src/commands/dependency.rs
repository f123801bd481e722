//! `tack dependency update|build`: resolve a chart's dependencies into `Chart.lock` and `charts/`, or
//! install exactly what the lock names.

use super::Ctx;
use crate::cli::DependencyCommand;
use crate::ops::dependency;
use crate::settings;
use anyhow::Result;

pub fn run(ctx: &Ctx, cmd: &DependencyCommand) -> Result<()> {
    let (a, out) = match cmd {
        DependencyCommand::Update(a) => {
            settings::registry(&a.registry);
            (a, dependency::update(&a.chart)?)
        }
        DependencyCommand::Build(a) => {
            settings::registry(&a.registry);
            (a, dependency::build(&a.chart)?)
        }
    };
    let mut text = String::new();
    for l in &out.lock.dependencies {
        text.push_str(&format!(
            "{} {} from {} ({})\n",
            l.name, l.version, l.repository, l.archive
        ));
    }
    for p in &out.removed {
        text.push_str(&format!("removed {}\n", p.display()));
    }
    text.push_str(&format!(
        "{} dependenc{} in {}/charts, locked in {}/Chart.lock\n",
        out.written.len(),
        if out.written.len() == 1 { "y" } else { "ies" },
        a.chart.display(),
        a.chart.display()
    ));
    ctx.printer.stdout(&text);
    Ok(())
}
