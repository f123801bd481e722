//! `tpl` (render template text that comes from values) and `lookup` (read live objects), the two template
//! functions that need the render state rather than just their arguments.

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Error, ErrorKind, State};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Deepest nesting of `tpl` inside `tpl`.
pub const MAX_TPL_DEPTH: usize = 16;
/// Most `tpl` calls in one template render.
pub const MAX_TPL_CALLS: usize = 100_000;

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
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Reset the per-render `tpl` call budget; called before each template is rendered.
pub fn reset_budget() {
    CALLS.with(|c| c.set(0));
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
    let calls = CALLS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    if calls > MAX_TPL_CALLS {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("tpl: more than {MAX_TPL_CALLS} calls in one template"),
        ));
    }
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
            Ok(Value::from(state.env().render_named_str(
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

/// Build the `lookup(apiVersion, kind, namespace="", name="")` function.
pub fn lookup_fn(
    source: Option<Arc<dyn Lookup>>,
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
            Ok(Some(v)) => Ok(Value::from(minijinja::value::Serde(&v))),
            Ok(None) => Ok(Value::from_pairs(BTreeMap::<String, Value>::new())),
            Err(e) => Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("lookup({api_version}, {kind}, {ns}, {name}) failed: {e:#}"),
            )),
        }
    }
}
