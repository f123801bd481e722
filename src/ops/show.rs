//! `tack show`: the files of a chart a user reads before installing it (Chart.yaml, values.yaml with its
//! comments, the README, the CRDs, and the env and tier layers of the values folder), from a folder, a package or
//! a registry.

use crate::chart::Chart;
use anyhow::Result;

/// The readable files of a chart, as written.
#[derive(Debug)]
pub struct Shown {
    /// `Chart.yaml`.
    pub chart_yaml: String,
    /// `values.yaml`, comments kept; `None` when the chart has none.
    pub values: Option<String>,
    /// The README's file name and text.
    pub readme: Option<(String, String)>,
    /// Each file under `crds/`: path and text.
    pub crds: Vec<(String, String)>,
    /// The env and tier layers (and `layers.yaml`) of the values folder: path and text.
    pub layers: Vec<(String, String)>,
}

/// Read what `tack show` prints from a loaded chart and the folder of env and tier layers used with it.
pub fn read(chart: &Chart, values_dir: &std::path::Path) -> Result<Shown> {
    let read = |p: &std::path::Path| {
        crate::limits::read_capped(p, crate::limits::MAX_CHART_BYTES, "chart file")
    };
    let chart_yaml = read(&chart.dir.join("Chart.yaml"))?;
    let values = chart.values_file.as_deref().map(read).transpose()?;
    let readme = chart
        .files
        .iter()
        .filter(|f| !f.path.contains('/'))
        .find(|f| {
            let lower = f.path.to_ascii_lowercase();
            lower == "readme.md" || lower == "readme.txt" || lower == "readme"
        })
        .map(|f| Ok::<_, anyhow::Error>((f.path.clone(), f.text()?.to_string())))
        .transpose()?;
    let crds = chart
        .crds
        .iter()
        .map(|f| Ok((f.path.clone(), f.text()?.to_string())))
        .collect::<Result<Vec<_>>>()?;
    let mut layers = Vec::new();
    if let Ok(entries) = std::fs::read_dir(values_dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if e.path().is_file() && (name.ends_with(".yaml") || name.ends_with(".yml")) {
                layers.push((e.path().display().to_string(), read(&e.path())?));
            }
        }
    }
    layers.sort();
    Ok(Shown {
        chart_yaml,
        values,
        readme,
        crds,
        layers,
    })
}
