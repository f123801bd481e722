//! Custom filters, functions and tests of the template language (see docs/templates.md).
//!
//! [`register`] installs everything on an `Environment`; each submodule owns one family of
//! helpers and registers its own names. Call [`register`] after
//! `minijinja_contrib::add_to_environment` so that the overrides of `string`, `default` and
//! `indent` win.

mod certs;
mod encoding;
mod gocompat;
mod maps;
mod printf;
mod random;
mod regex;
mod semver;
mod semver_version;
mod text;
mod toyaml;
mod yaml_scalar;

use std::fmt::Display;

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind};

pub use semver::{semver_matches, validate_constraint, version_parts};
pub use toyaml::{json_to_yaml, to_yaml};

/// Settings that change how filters behave.
#[derive(Debug, Clone, Default)]
pub struct FilterOptions {
    /// Undefined values print as `""` instead of failing (`--lenient`).
    pub lenient: bool,
    /// Seed for the `rand_*` functions and `uuidv4()`, so tests get repeatable output. `None` uses
    /// the operating system's random number generator.
    pub rng_seed: Option<u64>,
}

/// Registers every custom filter, function and test on the environment, including the overrides
/// of `string`, `default` and `indent`.
pub fn register(env: &mut Environment<'static>, opts: &FilterOptions) {
    text::register(env, opts);
    toyaml::register(env, opts);
    encoding::register(env, opts);
    printf::register(env, opts);
    maps::register(env, opts);
    regex::register(env, opts);
    semver::register(env, opts);
    random::register(env, opts);
    certs::register(env, opts);
    gocompat::register(env, opts);
}

/// An error whose message starts with the name of the filter or function that raised it.
pub(crate) fn fail(name: &str, msg: impl Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, format!("{name}: {msg}"))
}

/// The text of a filter's input or argument per the formatter rules, with errors naming `name`.
pub(crate) fn text_of(name: &str, value: &Value, lenient: bool) -> Result<String, Error> {
    crate::render::format::to_text(value, lenient).map_err(|err| {
        let detail = match value.kind() {
            ValueKind::Undefined => "the value is undefined".to_string(),
            _ => err
                .detail()
                .unwrap_or("cannot convert the value to text")
                .to_string(),
        };
        Error::new(err.kind(), format!("{name}: {detail}"))
    })
}

/// An integer argument, rejecting booleans, strings and fractional numbers with a clear message.
pub(crate) fn int_arg(name: &str, arg: &str, value: &Value) -> Result<i64, Error> {
    if value.kind() == ValueKind::Number {
        if let Ok(n) = i64::try_from(value.clone()) {
            return Ok(n);
        }
    }
    Err(fail(
        name,
        format!("{arg} must be an integer, got {}", describe(value)),
    ))
}

/// A short description of a value for error messages: its kind and size, never its content (a filter's
/// input is often a value from a Secret or a values file).
pub(crate) fn describe(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined => "an undefined value".to_string(),
        ValueKind::None => "none".to_string(),
        ValueKind::String => {
            let n = value.as_str().unwrap_or_default().chars().count();
            format!("a string of {n} character{}", if n == 1 { "" } else { "s" })
        }
        ValueKind::Map => format!("a map of {} entries", value.len().unwrap_or(0)),
        ValueKind::Seq | ValueKind::Iterable => match value.len() {
            Some(n) => format!("a list of {n} items"),
            None => "a list".to_string(),
        },
        ValueKind::Bool => format!("the boolean {value}"),
        ValueKind::Number => "a number".to_string(),
        kind => format!("a value of kind {kind}"),
    }
}

#[cfg(test)]
mod robustness_tests;

#[cfg(test)]
pub(crate) mod testenv {
    //! A small environment configured like the real one, for the unit tests of each filter file.
    use super::{register, FilterOptions};
    use minijinja::value::Value;
    use minijinja::{AutoEscape, Environment, Error, UndefinedBehavior};

    pub fn env_with(opts: FilterOptions) -> Environment<'static> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_formatter(crate::render::format::formatter(opts.lenient));
        register(&mut env, &opts);
        env
    }

    pub fn env() -> Environment<'static> {
        env_with(FilterOptions {
            lenient: false,
            rng_seed: Some(7),
        })
    }

    /// Renders `src` with `ctx` and returns the output or the error's display text.
    pub fn render(src: &str, ctx: Value) -> Result<String, Error> {
        env().render_str(src, ctx)
    }

    /// Renders `src` and returns the error message, panicking if rendering succeeded.
    pub fn render_err(src: &str, ctx: Value) -> String {
        match env().render_str(src, ctx) {
            Ok(out) => panic!("expected an error from {src:?}, got {out:?}"),
            Err(err) => err.to_string(),
        }
    }
}
