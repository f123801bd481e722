//! `tpl` (render template text that comes from values) and `lookup` (read live objects), the two template
//! functions that need the render state rather than just their arguments.

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

/// Deepest nesting of `tpl` inside `tpl`.
pub const MAX_TPL_DEPTH: usize = 16;
pub use super::budget::MAX_TPL_CALLS;

/// Names every template sees; `tpl` passes them on to the text it renders.
pub const RESERVED: &[&str] = &[
    "values",
    "chart",
    "release",
    "capabilities",
    "template",
    "files",
];

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

struct DepthGuard;
impl Drop for DepthGuard {
    fn drop(&mut self) {
        DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

fn enter() -> Result<DepthGuard, Error> {
    let depth = DEPTH.with(|d| {
        d.set(d.get() + 1);
        d.get()
    });
    let guard = DepthGuard;
    if depth > MAX_TPL_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "tpl: nested more than {MAX_TPL_DEPTH} levels deep (does a value render itself?)"
            ),
        ));
    }
    super::budget::count_tpl_call()?;
    Ok(guard)
}

/// `value | tpl(**extra)`: render strings (and, recursively, the keys and string leaves of maps and lists)
/// as templates with the reserved names of the calling template plus `extra`.
pub fn tpl(state: &State, value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let mut ctx: BTreeMap<String, Value> = BTreeMap::new();
    for name in RESERVED {
        if let Some(v) = state.lookup(name) {
            ctx.insert((*name).to_string(), v);
        }
    }
    for key in kwargs.args() {
        ctx.insert(key.to_string(), kwargs.get::<Value>(key)?);
    }
    let ctx = Value::from_pairs(ctx);
    let name = format!("<tpl:{}>", state.name());
    render_value(state, &name, &value, &ctx)
}

fn render_value(state: &State, name: &str, value: &Value, ctx: &Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => {
            let s = value.as_str().unwrap_or_default();
            if !(s.contains("{{") || s.contains("{%") || s.contains("{#")) {
                return Ok(value.clone());
            }
            let _guard = enter()?;
            Ok(Value::from(super::budget::render_tpl(
                state,
                name,
                s,
                ctx.clone(),
            )?))
        }
        ValueKind::Map => {
            let mut out = BTreeMap::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                let k = render_value(state, name, &key, ctx)?;
                out.insert(k, render_value(state, name, &item, ctx)?);
            }
            Ok(Value::from_pairs(out))
        }
        ValueKind::Seq | ValueKind::Iterable => {
            let items = value
                .try_iter()?
                .map(|v| render_value(state, name, &v, ctx))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Value::from(items))
        }
        _ => Ok(value.clone()),
    }
}

/// Where `lookup` reads live objects from. Offline rendering has none and `lookup` returns `{}`.
pub trait Lookup: Send + Sync {
    /// The object, `{"items": [...]}` when `name` is empty, or `None` when it does not exist.
    fn lookup(
        &self,
        api_version: &str,
        kind: &str,
        namespace: &str,
        name: &str,
    ) -> anyhow::Result<Option<serde_json::Value>>;
}

/// The values of Secrets `lookup` returned during a render, shared by the environments of a chart and its
/// subcharts so they can be masked in whatever the render's output ends up in.
#[derive(Clone, Default)]
pub struct SeenSecrets(Arc<Mutex<BTreeSet<String>>>);

impl SeenSecrets {
    /// Record the `data` (decoded) and `stringData` values of `obj` if it is a Secret (or, for a list
    /// result, of every item).
    pub fn record(&self, kind: &str, obj: &serde_json::Value) {
        if let Some(items) = obj.get("items").and_then(serde_json::Value::as_array) {
            for item in items {
                self.record(kind, item);
            }
            return;
        }
        if kind != "Secret" && obj.get("kind").and_then(serde_json::Value::as_str) != Some("Secret")
        {
            return;
        }
        let Ok(mut seen) = self.0.lock() else { return };
        for field in ["data", "stringData"] {
            let Some(map) = obj.get(field).and_then(serde_json::Value::as_object) else {
                continue;
            };
            for v in map.values().filter_map(serde_json::Value::as_str) {
                if field == "data" {
                    use base64::Engine;
                    match base64::engine::general_purpose::STANDARD.decode(v.trim()) {
                        Ok(bytes) => match String::from_utf8(bytes) {
                            Ok(text) => seen.insert(text),
                            Err(_) => seen.insert(v.to_string()),
                        },
                        Err(_) => seen.insert(v.to_string()),
                    };
                } else {
                    seen.insert(v.to_string());
                }
            }
        }
    }

    /// Everything recorded so far, emptying the record.
    pub fn take(&self) -> Vec<String> {
        match self.0.lock() {
            Ok(mut seen) => std::mem::take(&mut *seen).into_iter().collect(),
            Err(_) => Vec::new(),
        }
    }
}

/// Build the `lookup(apiVersion, kind, namespace="", name="")` function. Secrets it returns are recorded in
/// `seen`.
pub fn lookup_fn(
    source: Option<Arc<dyn Lookup>>,
    seen: SeenSecrets,
) -> impl Fn(String, String, Option<String>, Option<String>) -> Result<Value, Error>
       + Send
       + Sync
       + 'static {
    move |api_version, kind, namespace, name| {
        let Some(src) = &source else {
            return Ok(Value::from_pairs(BTreeMap::<String, Value>::new()));
        };
        let ns = namespace.unwrap_or_default();
        let name = name.unwrap_or_default();
        match src.lookup(&api_version, &kind, &ns, &name) {
            Ok(Some(v)) => {
                seen.record(&kind, &v);
                Ok(Value::from(minijinja::value::Serde(&v)))
            }
            Ok(None) => Ok(Value::from_pairs(BTreeMap::<String, Value>::new())),
            Err(e) => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("lookup({api_version}, {kind}, {ns}, {name}) failed: {e:#}"),
            )),
        }
    }
}
