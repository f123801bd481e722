//! What operations have to say while they run (warnings, notes, per-object progress) without printing it:
//! they hand an [`Event`] to the current sink, and the command layer decides where it goes (the printer on a
//! terminal, or one instance's block in a stack run). Operations never print; this is their only voice.

use std::sync::{Arc, Mutex, OnceLock};

/// State of one object in a progress display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    Ready,
    Waiting(String),
    Failed(String),
}

/// Something an operation reports while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Something the user should know that does not stop the operation.
    Warning(String),
    /// Progress or information (`created namespace`, `waiting for the lock`, ...).
    Note(String),
    /// The current state of every object being waited on.
    Progress(Vec<(String, Progress)>),
}

/// Where events go.
pub trait Sink: Send + Sync {
    fn event(&self, event: Event);
}

static GLOBAL: OnceLock<Arc<dyn Sink>> = OnceLock::new();

tokio::task_local! {
    static SCOPED: Arc<dyn Sink>;
}

/// Install the process-wide sink (the printer). Later calls are ignored.
pub fn set_global(sink: Arc<dyn Sink>) {
    let _ = GLOBAL.set(sink);
}

/// Hand `event` to the sink of the running task, else to the global sink; dropped when there is neither
/// (unit tests).
pub fn emit(event: Event) {
    let mut event = Some(event);
    let _ = SCOPED.try_with(|s| {
        if let Some(e) = event.take() {
            s.event(e)
        }
    });
    if let (Some(e), Some(g)) = (event, GLOBAL.get()) {
        g.event(e);
    }
}

/// Report a warning.
pub fn warn(msg: impl std::fmt::Display) {
    emit(Event::Warning(msg.to_string()));
}

/// Report a progress or information line.
pub fn note(msg: impl std::fmt::Display) {
    emit(Event::Note(msg.to_string()));
}

/// Report the state of the objects being waited on.
pub fn progress(rows: Vec<(String, Progress)>) {
    emit(Event::Progress(rows));
}

/// True while the running task's events go to a scoped sink (a per-instance capture).
pub fn scoped() -> bool {
    SCOPED.try_with(|_| ()).is_ok()
}

/// A sink that keeps events in order, for one stack instance's block.
#[derive(Default)]
pub struct Collector(Mutex<Vec<Event>>);

impl Collector {
    /// The events so far, emptied.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

impl Sink for Collector {
    fn event(&self, event: Event) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(event);
    }
}

/// Run `fut` with its events collected instead of shown, and return them with its output.
pub async fn capture<F: std::future::Future>(fut: F) -> (F::Output, Vec<Event>) {
    let collector = Arc::new(Collector::default());
    let out = SCOPED.scope(collector.clone(), fut).await;
    (out, collector.take())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn capture_keeps_a_task_s_events_in_order() {
        let ((), events) = capture(async {
            warn("one");
            note("two");
            progress(vec![("a".into(), Progress::Ready)]);
        })
        .await;
        assert_eq!(
            events,
            vec![
                Event::Warning("one".into()),
                Event::Note("two".into()),
                Event::Progress(vec![("a".into(), Progress::Ready)]),
            ]
        );
        assert!(!scoped());
    }
}
