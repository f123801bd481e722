//! The template environment of one chart: minijinja configured for Kubernetes YAML, with the chart's
//! partials and its library dependencies' templates compiled up front, and its other templates compiled
//! when they render and dropped after. A compiled template holds several kilobytes whatever its size, so a
//! chart of thousands of templates kept them all in memory at once; now only partials are kept.

use super::{errors, filters, format, plain_error, tpl, RenderOptions, TemplateError};
use crate::chart::{Chart, ChartFile};
use minijinja::syntax::SyntaxConfig;
use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One chart's environment, and the problems found building it.
pub(super) struct ChartEnv {
    pub env: Environment<'static>,
    /// Templates rendered one at a time: their text by name (relative to `templates/`).
    pub sources: Arc<BTreeMap<String, String>>,
    /// Files that could not be read and partials that do not compile, each with its position among the
    /// chart's templates (then its library dependencies' files), so that all of a chart's syntax errors are
    /// reported in file order.
    pub errs: Vec<(usize, TemplateError)>,
}

/// The environment for one chart: its partials, plus those of its library dependencies under the
/// library's name (`common/_names.j2`); its other `.j2` templates are loaded by name when asked for.
pub(super) fn build_env(
    chart: &Chart,
    opts: &RenderOptions,
    tpl_prefix: &str,
    seen: &tpl::SeenSecrets,
) -> ChartEnv {
    let mut env = Environment::new();
    env.set_debug(true);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(true)
        .build()
        .expect("static syntax configuration is valid");
    env.set_syntax(syntax);
    env.set_fuel(opts.fuel);
    minijinja_contrib::add_to_environment(&mut env);
    env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
    filters::register(
        &mut env,
        &filters::FilterOptions {
            lenient: opts.lenient,
            rng_seed: opts.rng_seed,
        },
    );
    env.set_formatter(format::formatter(opts.lenient));
    env.add_filter("tpl", tpl::tpl);
    env.add_function("lookup", tpl::lookup_fn(opts.lookup.clone(), seen.clone()));

    let mut errs = Vec::new();
    let mut sources = BTreeMap::new();
    let mut read = |at: usize, file: &ChartFile, shown: &dyn Fn() -> String| match file.text() {
        Ok(t) => Some(t.to_string()),
        Err(e) => {
            errs.push((at, plain_error(&shown(), format!("{e:#}"))));
            None
        }
    };
    let mut partials = Vec::new();
    for (at, file) in chart.templates.iter().enumerate() {
        let rel = &file.path["templates/".len()..];
        let base = rel.rsplit('/').next().unwrap_or(rel);
        let shown = || format!("{tpl_prefix}{rel}");
        if base.starts_with('_') {
            if let Some(text) = read(at, file, &shown) {
                partials.push((at, rel.to_string(), text, shown()));
            }
        } else if rel.ends_with(".j2") {
            if let Some(text) = read(at, file, &shown) {
                sources.insert(rel.to_string(), text);
            }
        }
    }
    let mut at = chart.templates.len();
    for (dep, sub) in chart.dependencies() {
        if !sub.is_library() {
            continue;
        }
        for file in &sub.templates {
            let rel = &file.path["templates/".len()..];
            let shown = || format!("charts/{}/{}", dep.name, file.path);
            if let Some(text) = read(at, file, &shown) {
                partials.push((at, format!("{}/{rel}", dep.name), text, shown()));
            }
            at += 1;
        }
    }
    for (at, name, text, shown) in partials {
        if let Err(e) = env.add_template_owned(name, text) {
            errs.push((
                at,
                errors::convert(&e, &shown, tpl_prefix, opts.show_secrets),
            ));
        }
    }
    let sources = Arc::new(sources);
    let loader = sources.clone();
    env.set_loader(move |name| Ok(loader.get(name).cloned()));
    ChartEnv { env, sources, errs }
}

#[cfg(test)]
#[path = "environment_tests.rs"]
mod tests;
