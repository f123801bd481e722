//! One budget per chart render, so hostile templates stop with a clear error instead of running for minutes
//! or exhausting memory: fuel (template instructions) shared by every template, subchart and `tpl` call,
//! and a cap on the bytes a render may produce (template output and `tpl` results).
//!
//! minijinja meters fuel per render state; the shared budget is kept here: each template starts with what
//! is left, and each `tpl` call renders with what is left of its caller (see `docs/templates.md`).

use std::cell::{Cell, RefCell};
use std::io;

use minijinja::{Error, ErrorKind, State};

/// Most `tpl` calls in one chart render (subcharts included).
pub const MAX_TPL_CALLS: usize = 100_000;

/// Bytes of output one chart render may produce in all (templates, NOTES, `tpl` results).
pub const DEFAULT_MAX_OUTPUT: u64 = 64 * 1024 * 1024;

/// One render level: a template, or a `tpl` call inside one.
struct Level {
    /// Fuel its minijinja state started with.
    initial: u64,
    /// Fuel used by the `tpl` calls it made (their own states are separate).
    children: u64,
}

thread_local! {
    static LEVELS: RefCell<Vec<Level>> = const { RefCell::new(Vec::new()) };
    static OUTPUT_LEFT: Cell<u64> = const { Cell::new(DEFAULT_MAX_OUTPUT) };
    static OUTPUT_MAX: Cell<u64> = const { Cell::new(DEFAULT_MAX_OUTPUT) };
    static FUEL_MAX: Cell<Option<u64>> = const { Cell::new(None) };
    static TPL_CALLS: Cell<usize> = const { Cell::new(0) };
}

/// Count one `tpl` call against the render's limit.
pub(crate) fn count_tpl_call() -> Result<(), Error> {
    let calls = TPL_CALLS.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    if calls > MAX_TPL_CALLS {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("tpl: more than {MAX_TPL_CALLS} calls in one chart render"),
        ));
    }
    Ok(())
}

/// The chart-wide budget of one render.
pub(crate) struct Budget {
    fuel_left: Option<u64>,
}

impl Budget {
    /// Start a render with `fuel` instructions (`None`: unmetered) and `max_output` bytes.
    pub(crate) fn start(fuel: Option<u64>, max_output: u64) -> Budget {
        LEVELS.with(|l| l.borrow_mut().clear());
        OUTPUT_LEFT.with(|c| c.set(max_output));
        OUTPUT_MAX.with(|c| c.set(max_output));
        FUEL_MAX.with(|c| c.set(fuel));
        TPL_CALLS.with(|c| c.set(0));
        Budget { fuel_left: fuel }
    }

    /// Fuel to give the next template.
    pub(crate) fn fuel_left(&self) -> Option<u64> {
        self.fuel_left
    }

    /// Whether the fuel is used up (the error has been reported; later templates are not rendered).
    pub(crate) fn exhausted(&self) -> bool {
        self.fuel_left == Some(0)
    }

    /// Run one template render with what is left of the budget. `render` gets a writer for the output and
    /// returns the fuel its state consumed.
    pub(crate) fn template<F>(&mut self, render: F) -> Result<String, Error>
    where
        F: FnOnce(&mut Sink) -> Result<Option<u64>, Error>,
    {
        let initial = self.fuel_left;
        if let Some(f) = initial {
            LEVELS.with(|l| {
                l.borrow_mut().push(Level {
                    initial: f,
                    children: 0,
                })
            });
        }
        let mut sink = Sink::default();
        let result = render(&mut sink);
        let children = match initial {
            Some(_) => LEVELS.with(|l| l.borrow_mut().pop().map_or(0, |l| l.children)),
            None => 0,
        };
        let Some(left) = initial else {
            return sink.finish(result);
        };
        match &result {
            Ok(used) => {
                let used = used.unwrap_or(0).saturating_add(children);
                self.fuel_left = Some(left.saturating_sub(used));
            }
            Err(e) if e.kind() == ErrorKind::OutOfFuel => self.fuel_left = Some(0),
            // The fuel a failed render used is not known: charge half of what is left, so any number of
            // failing templates together still use at most twice the budget.
            Err(_) => self.fuel_left = Some(left.saturating_sub(children) / 2),
        }
        sink.finish(result)
    }
}

/// What is left of a render's budget when templates are rendered ahead on several threads: each thread
/// starts from all of it, and the render uses what they rendered only if all of them together stayed
/// within it (otherwise it renders again one template at a time, as if they had not run).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Share {
    fuel_left: Option<u64>,
    fuel_max: Option<u64>,
    output_left: u64,
    output_max: u64,
    tpl_calls: usize,
}

/// What one thread used of a [`Share`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Used {
    fuel: u64,
    output: u64,
    tpl_calls: usize,
}

impl Used {
    /// Both together.
    pub(crate) fn add(self, other: Used) -> Used {
        Used {
            fuel: self.fuel.saturating_add(other.fuel),
            output: self.output.saturating_add(other.output),
            tpl_calls: self.tpl_calls.saturating_add(other.tpl_calls),
        }
    }
}

impl Budget {
    /// What is left of this (the calling thread's) budget, for other threads.
    pub(crate) fn share(&self) -> Share {
        Share {
            fuel_left: self.fuel_left,
            fuel_max: FUEL_MAX.with(Cell::get),
            output_left: OUTPUT_LEFT.with(Cell::get),
            output_max: OUTPUT_MAX.with(Cell::get),
            tpl_calls: TPL_CALLS.with(Cell::get),
        }
    }

    /// A budget for this thread that starts from `share`.
    pub(crate) fn from_share(share: &Share) -> Budget {
        Budget::resume(share);
        Budget {
            fuel_left: share.fuel_left,
        }
    }

    /// Put this thread's budget back to where it was when `share` was taken.
    pub(crate) fn resume(share: &Share) {
        LEVELS.with(|l| l.borrow_mut().clear());
        OUTPUT_LEFT.with(|c| c.set(share.output_left));
        OUTPUT_MAX.with(|c| c.set(share.output_max));
        FUEL_MAX.with(|c| c.set(share.fuel_max));
        TPL_CALLS.with(|c| c.set(share.tpl_calls));
    }

    /// What this thread has used of `share` since [`Budget::from_share`].
    pub(crate) fn used_of(&self, share: &Share) -> Used {
        Used {
            fuel: match (share.fuel_left, self.fuel_left) {
                (Some(start), Some(now)) => start.saturating_sub(now),
                _ => 0,
            },
            output: share
                .output_left
                .saturating_sub(OUTPUT_LEFT.with(Cell::get)),
            tpl_calls: TPL_CALLS.with(Cell::get).saturating_sub(share.tpl_calls),
        }
    }

    /// Whether `used` (by all threads together) fits in `share`.
    pub(crate) fn fits(share: &Share, used: Used) -> bool {
        share.fuel_left.is_none_or(|f| used.fuel <= f)
            && used.output <= share.output_left
            && share.tpl_calls.saturating_add(used.tpl_calls) <= MAX_TPL_CALLS
    }

    /// Charge this thread's budget with what other threads used of its [`Budget::share`].
    pub(crate) fn charge(&mut self, used: Used) {
        if let Some(f) = self.fuel_left.as_mut() {
            *f = f.saturating_sub(used.fuel);
        }
        OUTPUT_LEFT.with(|c| c.set(c.get().saturating_sub(used.output)));
        TPL_CALLS.with(|c| c.set(c.get().saturating_add(used.tpl_calls)));
    }
}

/// Bytes of output still allowed in this render.
fn take_output(n: usize) -> bool {
    OUTPUT_LEFT.with(|c| match c.get().checked_sub(n as u64) {
        Some(left) => {
            c.set(left);
            true
        }
        None => {
            c.set(0);
            false
        }
    })
}

/// The error for output over the limit.
pub(crate) fn output_error() -> Error {
    let max = OUTPUT_MAX.with(Cell::get);
    Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "rendered output exceeds the limit of {} MiB for one chart (templates and tpl results together)\n\n\
             hint: a loop that builds text without end? raise the limit with --max-output MiB",
            max / (1024 * 1024)
        ),
    )
}

/// The error for fuel exhausted.
pub(crate) fn fuel_error() -> Error {
    let max = FUEL_MAX.with(Cell::get).unwrap_or(0);
    Error::new(
        ErrorKind::OutOfFuel,
        format!(
            "the chart used up its fuel of {max} template instructions (shared by all templates and tpl calls)\n\n\
             hint: a loop that never ends? raise the limit with --fuel N"
        ),
    )
}

/// Template output, counted against the render's byte budget.
#[derive(Default)]
pub(crate) struct Sink {
    text: String,
    over: bool,
}

impl Sink {
    fn finish<T>(self, result: Result<T, Error>) -> Result<String, Error> {
        match result {
            Ok(_) => Ok(self.text),
            Err(e) => Err(self.explain(e)),
        }
    }

    fn explain(&self, e: Error) -> Error {
        if self.over {
            output_error()
        } else if e.kind() == ErrorKind::OutOfFuel && e.detail().is_none() {
            fuel_error()
        } else {
            e
        }
    }
}

impl io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !take_output(buf.len()) {
            self.over = true;
            return Err(io::Error::other("output limit"));
        }
        // minijinja writes whole UTF-8 strings; checking that is cheaper than the lossy conversion
        match std::str::from_utf8(buf) {
            Ok(s) => self.text.push_str(s),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(buf)),
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Render `source` for `tpl` with what is left of the caller's fuel, charging what it used to the caller.
pub(crate) fn render_tpl(
    state: &State,
    name: &str,
    source: &str,
    ctx: minijinja::value::Value,
) -> Result<String, Error> {
    let metered = state.fuel_levels();
    let left = match metered {
        Some((consumed, _)) => {
            let left = LEVELS.with(|l| {
                l.borrow().last().map(|lv| {
                    lv.initial
                        .saturating_sub(consumed)
                        .saturating_sub(lv.children)
                })
            });
            match left {
                Some(0) => return Err(fuel_error()),
                other => other,
            }
        }
        None => None,
    };
    let mut env = state.env().clone();
    env.set_fuel(left);
    if let Some(f) = left {
        LEVELS.with(|l| {
            l.borrow_mut().push(Level {
                initial: f,
                children: 0,
            })
        });
    }
    let result = env
        .template_from_named_str(name, source)
        .and_then(|t| t.render_captured(ctx))
        .map(|c| {
            let used = c.state().fuel_levels().map_or(0, |(used, _)| used);
            (c.output().to_string(), used)
        });
    if let Some(f) = left {
        let children = LEVELS.with(|l| l.borrow_mut().pop().map_or(0, |l| l.children));
        let used = match &result {
            Ok((_, used)) => used.saturating_add(children),
            Err(_) => f,
        };
        LEVELS.with(|l| {
            if let Some(parent) = l.borrow_mut().last_mut() {
                parent.children = parent.children.saturating_add(used);
            }
        });
    }
    let (text, _) = result.map_err(|e| {
        if e.kind() == ErrorKind::OutOfFuel && e.detail().is_none() {
            fuel_error()
        } else {
            e
        }
    })?;
    if !take_output(text.len()) {
        return Err(output_error());
    }
    Ok(text)
}
