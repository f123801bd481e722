//! `tack convert`: turns a Helm chart (Go templates with Sprig functions) into a tack chart (Jinja) that
//! renders the same objects, and reports every construct it cannot convert exactly (see docs/convert.md).
//!
//! The pipeline per template file is lexer → parser → code generator → emitter. Named templates
//! (`define`) of all files become macros in `templates/_helpers.j2`; how each macro is called (with the
//! root object, a `dict`, or another value) is found by generating the chart until the call shapes
//! settle.

mod codegen;
mod emit;
mod expr;
mod funcs;
mod lexer;
mod operands;
mod parser;

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use codegen::{ChartInfo, Gen, Macro, Shape};
use emit::{Out, TagKind};
use expr::{snake, Kind, Val, J, RESERVED};
use parser::{Define, Parsed};

/// Options of a conversion.
#[derive(Debug, Clone, Default)]
pub struct ConvertOptions {
    /// Also split `values-<env>.yaml` files into `values/<env>.yaml` layers.
    pub env_layers: bool,
}

/// A construct that was not converted exactly. The converted template fails with the same message
/// where it is used, so the chart never renders something different silently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsupported {
    /// Path of the Helm file, relative to the converted chart root (`charts/sub/templates/x.yaml`).
    pub file: String,
    pub line: usize,
    pub construct: String,
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.construct)
    }
}

/// What a conversion did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// Charts converted (the chart and its subcharts).
    pub charts: usize,
    /// Template files written.
    pub templates: usize,
    /// Named templates turned into macros.
    pub macros: usize,
    /// Value layers written by `env_layers`.
    pub layers: Vec<String>,
    pub unsupported: Vec<Unsupported>,
}

/// Convert the Helm chart at `src` into a tack chart at `out` (which must not exist or be empty).
pub fn convert(src: &Path, out: &Path, opts: &ConvertOptions) -> Result<Report> {
    if out.exists()
        && fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        bail!(
            "`{}` already exists and is not empty\n\nhint: convert into a new directory",
            out.display()
        );
    }
    let mut report = Report::default();
    convert_chart(src, out, "", opts, &mut report)?;
    Ok(report)
}

fn convert_chart(
    src: &Path,
    out: &Path,
    prefix: &str,
    opts: &ConvertOptions,
    report: &mut Report,
) -> Result<()> {
    let chart_yaml = src.join("Chart.yaml");
    let meta_text = fs::read_to_string(&chart_yaml).with_context(|| {
        format!(
            "`{}` is not a Helm chart: it has no readable Chart.yaml\n\nhint: point convert at the directory that holds Chart.yaml",
            src.display()
        )
    })?;
    let meta: serde_yaml::Value = serde_yaml::from_str(&meta_text)
        .with_context(|| format!("`{}` is not valid YAML", chart_yaml.display()))?;
    let values_text = fs::read_to_string(src.join("values.yaml")).unwrap_or_default();
    let values: serde_yaml::Value = serde_yaml::from_str(&values_text)
        .with_context(|| format!("`{}` is not valid YAML", src.join("values.yaml").display()))?;
    let name = meta
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or_default()
        .to_string();
    let info = ChartInfo { meta, values };
    fs::create_dir_all(out).with_context(|| format!("cannot create `{}`", out.display()))?;
    report.charts += 1;

    // Everything but templates/ and charts/ is copied as it is.
    copy_tree(src, out, &|rel| {
        let first = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy().to_string());
        !matches!(first.as_deref(), Some("templates" | "charts"))
    })?;
    if opts.env_layers {
        split_env_layers(src, out, report)?;
    }

    // Parse every template file.
    let mut files: Vec<(String, Parsed)> = Vec::new();
    for path in walk(&src.join("templates"))? {
        let rel = path
            .strip_prefix(src)
            .expect("under src")
            .to_string_lossy()
            .replace('\\', "/");
        let text = fs::read_to_string(&path)
            .with_context(|| format!("cannot read `{}`", path.display()))?;
        let parsed = lexer::lex(&text).and_then(parser::parse).map_err(|e| {
            anyhow::anyhow!(
                "{prefix}{rel}: {e}\n\nhint: `helm template` fails on this file too; fix it first"
            )
        })?;
        files.push((rel, parsed));
    }
    let defines: Vec<(String, Define)> = files
        .iter()
        .flat_map(|(f, p)| p.defines.iter().map(move |d| (f.clone(), d.clone())))
        .collect();

    let mut macros = name_macros(&name, &defines);
    let mut result = None;
    for _ in 0..6 {
        let gen = generate(&info, &macros, &files, &defines, prefix);
        let mut shapes: BTreeMap<String, Shape> = BTreeMap::new();
        for (t, s) in &gen.calls {
            let merged = match shapes.remove(t) {
                Some(old) => old.merge(s.clone()),
                None => s.clone(),
            };
            shapes.insert(t.clone(), merged);
        }
        let mut changed = false;
        for (t, m) in macros.iter_mut() {
            let s = shapes.get(t).cloned().unwrap_or(Shape::Root);
            if s != m.shape {
                m.shape = s;
                changed = true;
            }
        }
        result = Some(gen);
        if !changed {
            break;
        }
    }
    let gen = result.expect("generated once");
    for (rel, text) in &gen.files {
        let dest = out.join(rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(&dest, text).with_context(|| format!("cannot write `{}`", dest.display()))?;
        report.templates += 1;
    }
    report.macros += macros.len();
    report.unsupported.extend(gen.issues);

    // Subcharts, converted recursively.
    let charts_dir = src.join("charts");
    if charts_dir.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(&charts_dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for sub in entries {
            let fname = sub
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .to_string();
            if sub.is_dir() {
                convert_chart(
                    &sub,
                    &out.join("charts").join(&fname),
                    &format!("{prefix}charts/{fname}/"),
                    opts,
                    report,
                )?;
            } else if fname.ends_with(".tgz") || fname.ends_with(".tar.gz") {
                report.unsupported.push(Unsupported {
                    file: format!("{prefix}charts/{fname}"),
                    line: 0,
                    construct: "a packaged subchart (unpack it into charts/ and convert again)"
                        .into(),
                });
            }
        }
    }
    Ok(())
}

/// Macro names: the define name without the chart's prefix, in snake case, unique.
fn name_macros(chart: &str, defines: &[(String, Define)]) -> BTreeMap<String, Macro> {
    let mut macros: BTreeMap<String, Macro> = BTreeMap::new();
    let mut used: Vec<String> = RESERVED.iter().map(|s| s.to_string()).collect();
    for (_, d) in defines {
        if macros.contains_key(&d.name) {
            continue;
        }
        let short = d.name.strip_prefix(&format!("{chart}.")).unwrap_or(&d.name);
        let base = snake(short);
        let mut jname = base.clone();
        let mut i = 2;
        while used.contains(&jname) {
            jname = format!("{base}_{i}");
            i += 1;
        }
        used.push(jname.clone());
        macros.insert(
            d.name.clone(),
            Macro {
                jname,
                shape: Shape::Root,
            },
        );
    }
    macros
}

struct Generated {
    files: Vec<(String, String)>,
    calls: Vec<(String, Shape)>,
    issues: Vec<Unsupported>,
}

fn generate(
    info: &ChartInfo,
    macros: &BTreeMap<String, Macro>,
    files: &[(String, Parsed)],
    defines: &[(String, Define)],
    prefix: &str,
) -> Generated {
    let mut g = Generated {
        files: Vec::new(),
        calls: Vec::new(),
        issues: Vec::new(),
    };
    // Macros. Helm lets a later define of the same name win.
    let mut last: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (_, d)) in defines.iter().enumerate() {
        last.insert(d.name.as_str(), i);
    }
    let mut helpers = Out::default();
    for (i, (file, d)) in defines.iter().enumerate() {
        if last.get(d.name.as_str()) != Some(&i) {
            continue;
        }
        let m = &macros[&d.name];
        let (params, dot) = macro_params(&m.shape);
        let mut gen = Gen::new(info, macros, &format!("{prefix}{file}"), true, dot);
        gen.line = d.line;
        helpers.block(
            &format!("macro {}({})", m.jname, params.join(", ")),
            true,
            d.open.trim_r,
        );
        gen.nodes(&d.body, &mut helpers);
        helpers.block("endmacro", d.end.trim_l, false);
        helpers.text("\n\n");
        g.calls.append(&mut gen.calls);
        g.issues.append(&mut gen.issues);
    }
    if !defines.is_empty() {
        let mut head = Out::default();
        head.tag(
            TagKind::Comment,
            "Named templates converted from the Helm chart's `define`s.",
            false,
            true,
        );
        head.text("\n\n");
        head.append(helpers);
        g.files
            .push(("templates/_helpers.j2".into(), head.finish()));
    }
    // Templates: partials (`_*`) only hold defines in Helm and print nothing.
    for (rel, parsed) in files {
        let base = rel.rsplit('/').next().unwrap_or(rel);
        if base.starts_with('_') {
            continue;
        }
        let mut gen = Gen::new(info, macros, &format!("{prefix}{rel}"), false, Val::Root);
        let mut body = Out::default();
        gen.nodes(&parsed.nodes, &mut body);
        let mut text = String::new();
        if gen.uses_h {
            text.push_str("{% import \"_helpers.j2\" as h %}\n");
        }
        text.push_str(&body.finish());
        g.files.push((format!("{rel}.j2"), text));
        g.calls.append(&mut gen.calls);
        g.issues.append(&mut gen.issues);
    }
    g
}

/// Parameters of a macro and what `.` is inside it.
fn macro_params(shape: &Shape) -> (Vec<String>, Val) {
    match shape {
        Shape::Root => (Vec::new(), Val::Root),
        Shape::Dict(keys) => {
            let mut params = Vec::new();
            let mut entries = Vec::new();
            for (k, is_root) in keys {
                if *is_root {
                    entries.push((k.clone(), Val::Root));
                    continue;
                }
                let mut p = snake(k);
                while RESERVED.contains(&p.as_str()) || params.contains(&p) {
                    p.push('_');
                }
                params.push(p.clone());
                entries.push((k.clone(), Val::Expr(J::path(p, Kind::Any))));
            }
            (params, Val::Dict(entries))
        }
        Shape::Opaque | Shape::Conflict => {
            (vec!["ctx".into()], Val::Expr(J::path("ctx", Kind::Any)))
        }
    }
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(&d).with_context(|| format!("cannot read `{}`", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn copy_tree(src: &Path, out: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<()> {
    for path in walk(src)? {
        let rel = path.strip_prefix(src).expect("under src");
        if !keep(rel) {
            continue;
        }
        let dest = out.join(rel);
        if let Some(dir) = dest.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::copy(&path, &dest).with_context(|| format!("cannot copy `{}`", path.display()))?;
    }
    Ok(())
}

/// `values-dev.yaml` / `values.prod.yaml` → `values/dev.yaml`.
fn split_env_layers(src: &Path, out: &Path, report: &mut Report) -> Result<()> {
    for e in fs::read_dir(src)? {
        let name = e?.file_name().to_string_lossy().to_string();
        let env = name
            .strip_prefix("values-")
            .or_else(|| name.strip_prefix("values."))
            .and_then(|r| r.strip_suffix(".yaml").or_else(|| r.strip_suffix(".yml")));
        if let Some(env) = env.filter(|e| !e.is_empty() && *e != "schema") {
            fs::create_dir_all(out.join("values"))?;
            fs::rename(
                out.join(&name),
                out.join("values").join(format!("{env}.yaml")),
            )?;
            report.layers.push(env.to_string());
        }
    }
    report.layers.sort();
    Ok(())
}

/// The first template of `dir` written in Go templates (a Helm chart): a `templates/` folder with no `.j2`
/// file and a `.yaml`, `.yml`, `.tpl` or `.txt` file holding a Go action such as `{{ .Values.x }}`,
/// `{{- include ... }}` or `{{ define ... }}`. `None` for a tack chart.
pub fn helm_template_in(dir: &Path) -> Option<std::path::PathBuf> {
    let templates = dir.join("templates");
    // every render asks this first: a tack chart answers at its first `.j2` file, without listing them all
    if holds_j2(&templates) {
        return None;
    }
    let entries: Vec<std::path::PathBuf> = walk_files(&templates);
    let go_action = regex::Regex::new(
        r"\{\{-?\s*(\.|\$|include\s|template\s|define\s|if\s|range\s|with\s|toYaml\s|/\*)",
    )
    .ok()?;
    entries.into_iter().find(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "tpl" | "txt"))
            && fs::read_to_string(p).is_ok_and(|t| go_action.is_match(&t))
    })
}

/// Whether a `.j2` file is in `dir` or below it.
fn holds_j2(dir: &Path) -> bool {
    let Ok(rd) = fs::read_dir(dir) else {
        return false;
    };
    let mut below = Vec::new();
    for e in rd.flatten() {
        match e.file_type() {
            Ok(t)
                if t.is_file()
                    && Path::new(&e.file_name())
                        .extension()
                        .is_some_and(|x| x == "j2") =>
            {
                return true;
            }
            Ok(t) if t.is_dir() => below.push(e.path()),
            _ => {}
        }
    }
    below.iter().any(|d| holds_j2(d))
}

fn walk_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(rd) = fs::read_dir(dir) else {
        return out;
    };
    for e in rd.flatten() {
        let p = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => out.extend(walk_files(&p)),
            Ok(t) if t.is_file() => out.push(p),
            _ => {}
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::helm_template_in;

    #[test]
    fn a_helm_template_is_found_unless_a_j2_file_is_anywhere_below_templates() {
        let dir = tempfile::tempdir().unwrap();
        let t = dir.path().join("templates");
        std::fs::create_dir_all(t.join("a/b")).unwrap();
        std::fs::write(t.join("cm.yaml"), "name: {{ .Values.name }}\n").unwrap();
        std::fs::write(t.join("a/plain.yaml"), "kind: ConfigMap\n").unwrap();
        assert_eq!(helm_template_in(dir.path()), Some(t.join("cm.yaml")));
        std::fs::write(t.join("a/b/x.yaml.j2"), "kind: ConfigMap\n").unwrap();
        assert_eq!(helm_template_in(dir.path()), None);
        std::fs::remove_file(t.join("a/b/x.yaml.j2")).unwrap();
        std::fs::create_dir_all(t.join("a/b/dir.j2")).unwrap();
        assert_eq!(helm_template_in(dir.path()), Some(t.join("cm.yaml")));
    }
}
