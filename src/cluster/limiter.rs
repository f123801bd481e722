//! How many write requests to keep in flight, learnt from the server's answers instead of fixed: the limit
//! doubles while each step up buys throughput (slow start, as in TCP), then climbs by half, steps back when latency rises without buying any (the extra
//! requests only queue in the server), and halves on 429 Too Many Requests (whose Retry-After also pauses
//! new requests). The learning ([`Limiter`]) is a pure state machine fed with instants, so its behaviour is
//! tested without a clock; [`Gate`] holds requests to the limit.
//!
//! Why throughput leads and latency only vetoes: on a server sharing its cores with other work, latency
//! rises long before throughput stops rising (measured in docs/performance.md: 20x the latency for 2.6x the
//! throughput between 1 and 64 in flight), so a limiter that backs off at a fixed multiple of the lowest
//! latency leaves much of the server unused.

use crate::cluster::retry::{retry_within, Budget, RESTART_PATIENCE, UNREACHABLE_PATIENCE};
use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// Where the limit starts and how high it may go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    pub initial: usize,
    pub max: usize,
}

/// Eight at once was the fixed concurrency before; past 64 a single client only queues inside the server.
pub const DEFAULT_BOUNDS: Bounds = Bounds {
    initial: 8,
    max: 64,
};

/// Fewest answers a window holds before it is judged (a window also holds at least `limit` answers).
const MIN_WINDOW: usize = 16;
/// One step up once slow start is over (at least one more request), and the step back when it bought nothing.
const GROWTH: f64 = 1.5;
/// One step up during slow start: until the first window whose throughput does not rise (or a 429), the
/// limit doubles, so a run of thousands of requests reaches the server's best in a few windows.
const SLOW_START_GROWTH: f64 = 2.0;
/// Throughput must beat the last window's by this much to count as rising (not noise).
const RISE: f64 = 1.05;
/// Latency above the last window's by this much, with no more throughput, is queueing: step back.
const QUEUEING: f64 = 1.2;
/// After this many windows held at one limit, probe one step up again (the server may have more room now).
const PROBE_AFTER: u32 = 4;
/// What a 429 does to the limit.
const BACKOFF: f64 = 0.5;

/// The learning half: fed with when requests started and were answered, it says how many may be in flight.
#[derive(Debug, Clone)]
pub struct Limiter {
    limit: f64,
    max: f64,
    window: Vec<Duration>,
    window_start: Option<Instant>,
    /// Throughput and median latency of the last judged window.
    last: Option<(f64, Duration)>,
    held: u32,
    last_decrease: Option<Instant>,
    paused_until: Option<Instant>,
    /// Still doubling: no window has yet failed to raise throughput, and no 429 came.
    slow_start: bool,
}

impl Limiter {
    pub fn new(bounds: Bounds) -> Limiter {
        let max = bounds.max.max(1) as f64;
        Limiter {
            limit: (bounds.initial.max(1) as f64).min(max),
            max,
            window: Vec::new(),
            window_start: None,
            last: None,
            held: 0,
            last_decrease: None,
            paused_until: None,
            slow_start: true,
        }
    }

    /// Requests that may be in flight now: between 1 and the maximum.
    pub fn limit(&self) -> usize {
        // the epsilon keeps 15.999... (a product of ratios) from counting as 15
        ((self.limit + 1e-9).floor() as usize).clamp(1, self.max as usize)
    }

    /// Until when new requests must wait, if the server asked for a pause that has not ended by `now`.
    pub fn paused_until(&self, now: Instant) -> Option<Instant> {
        self.paused_until.filter(|until| *until > now)
    }

    /// A request sent at `started` was answered at `now` (any answer but 429: an error is a round trip too).
    pub fn answered(&mut self, started: Instant, now: Instant) {
        self.window_start.get_or_insert(started);
        self.window.push(now.saturating_duration_since(started));
        if self.window.len() >= MIN_WINDOW.max(self.limit()) {
            self.judge(now);
        }
    }

    /// A request sent at `started` was refused with 429 at `now`. The limit halves once per round of
    /// requests (refusals of requests sent before the last decrease are that decrease's), and no new request
    /// is sent before the server's Retry-After has passed.
    pub fn overloaded(&mut self, started: Instant, now: Instant, retry_after: Option<Duration>) {
        if let Some(after) = retry_after {
            let until = now + after;
            self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        }
        if self.last_decrease.is_some_and(|d| started < d) {
            return;
        }
        self.slow_start = false;
        self.limit = (self.limit * BACKOFF).max(1.0);
        self.last_decrease = Some(now);
        self.window.clear();
        self.window_start = Some(now);
        self.last = None;
        self.held = 0;
    }

    fn judge(&mut self, now: Instant) {
        let mut sorted = self.window.clone();
        sorted.sort();
        let latency = sorted[sorted.len() / 2];
        let span = self
            .window_start
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s));
        let throughput = self.window.len() as f64 / span.as_secs_f64().max(1e-6);
        self.window.clear();
        self.window_start = Some(now);
        let last = self.last.replace((throughput, latency));
        match last {
            Some((t, l)) if throughput <= t * RISE => {
                self.slow_start = false;
                if latency.as_secs_f64() > l.as_secs_f64() * QUEUEING {
                    // more waiting, no more answers: the last step up only queues in the server
                    self.limit = (self.limit / GROWTH).max(1.0);
                    self.last_decrease = Some(now);
                    self.held = 0;
                } else {
                    self.held += 1;
                    if self.held >= PROBE_AFTER {
                        self.grow();
                    }
                }
            }
            // the first window, or throughput rose
            _ => self.grow(),
        }
    }

    fn grow(&mut self) {
        let growth = if self.slow_start {
            SLOW_START_GROWTH
        } else {
            GROWTH
        };
        self.limit = (self.limit * growth).max(self.limit + 1.0).min(self.max);
        self.held = 0;
    }
}

/// The holding half: at most the limit's requests in flight, none while the server asked for a pause.
#[derive(Debug)]
pub struct Gate {
    max: usize,
    state: Mutex<GateState>,
    notify: Notify,
}

#[derive(Debug)]
struct GateState {
    limiter: Limiter,
    in_flight: usize,
    /// Whether the server has answered any request through this gate.
    answered: bool,
}

/// One request's place among those in flight; given back when dropped.
pub struct Permit<'a> {
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.lock().in_flight -= 1;
        self.gate.notify.notify_waiters();
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate::new(DEFAULT_BOUNDS)
    }
}

impl Gate {
    pub fn new(bounds: Bounds) -> Gate {
        Gate {
            max: bounds.max.max(1),
            state: Mutex::new(GateState {
                limiter: Limiter::new(bounds),
                in_flight: 0,
                answered: false,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The most requests ever in flight at once: how many a caller needs ready to keep the gate full.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The current limit.
    pub fn limit(&self) -> usize {
        self.lock().limiter.limit()
    }

    /// Wait for a place among the requests in flight.
    pub async fn acquire(&self) -> Permit<'_> {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let pause = {
                let mut s = self.lock();
                match s.limiter.paused_until(Instant::now()) {
                    Some(until) => Some(until),
                    None if s.in_flight < s.limiter.limit() => {
                        s.in_flight += 1;
                        return Permit { gate: self };
                    }
                    None => None,
                }
            };
            match pause {
                Some(until) => tokio::time::sleep_until(until.into()).await,
                None => notified.await,
            }
        }
    }

    /// How long a request waits for a server it cannot reach: longer once the server has answered through
    /// this gate (it is restarting, not missing).
    pub fn patience(&self) -> Duration {
        if self.lock().answered {
            RESTART_PATIENCE
        } else {
            UNREACHABLE_PATIENCE
        }
    }

    /// Run the idempotent request `op` with [`retry_within`] and [`Gate::patience`], holding one place among
    /// those in flight for all its attempts and learning from each.
    pub async fn send<T, F, Fut>(&self, budget: Budget, mut op: F) -> Result<T, kube::Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let _permit = self.acquire().await;
        retry_within(budget, self.patience(), || {
            let started = Instant::now();
            let attempt = op();
            async move {
                let result = attempt.await;
                self.observe(started, &result);
                result
            }
        })
        .await
    }

    /// Learn from one attempt sent at `started`: answers teach latency, 429 backs off, and a request that
    /// never reached the server (refused or dropped connection) teaches nothing.
    pub fn observe<T>(&self, started: Instant, result: &Result<T, kube::Error>) {
        let now = Instant::now();
        let grew = {
            let mut s = self.lock();
            let before = s.limiter.limit();
            match result {
                Err(kube::Error::Api(status)) if status.code == 429 => {
                    let after = status
                        .details
                        .as_ref()
                        .map(|d| d.retry_after_seconds)
                        .filter(|s| *s > 0)
                        .map(|s| Duration::from_secs(u64::from(s)));
                    s.limiter.overloaded(started, now, after);
                }
                Ok(_) | Err(kube::Error::Api(_)) => {
                    s.answered = true;
                    s.limiter.answered(started, now)
                }
                Err(_) => {}
            }
            s.limiter.limit() > before
        };
        if grew {
            self.notify.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    /// Feed `n` answers of `latency` each, `per_ms` of them completing every millisecond.
    fn feed(l: &mut Limiter, clock: &mut Instant, n: usize, latency: Duration, per_ms: usize) {
        for i in 0..n {
            if i % per_ms == 0 {
                *clock += MS;
            }
            l.answered(*clock - latency, *clock);
        }
    }

    /// Feed one window at the current limit.
    fn window(l: &mut Limiter, clock: &mut Instant, latency: Duration, per_ms: usize) {
        let n = l.limit().max(MIN_WINDOW);
        feed(l, clock, n, latency, per_ms);
    }

    fn bounds(initial: usize, max: usize) -> Bounds {
        Bounds { initial, max }
    }

    #[test]
    fn doubles_while_throughput_rises_even_as_latency_rises_and_never_past_the_maximum() {
        let mut l = Limiter::new(bounds(4, 20));
        let mut clock = Instant::now();
        let mut seen = vec![l.limit()];
        for round in 1..=8 {
            // each window answers more per millisecond, each a little slower
            window(&mut l, &mut clock, round as u32 * 4 * MS, round);
            seen.push(l.limit());
        }
        assert_eq!(seen[..4], [4, 8, 16, 20], "{seen:?}");
        assert!(seen.iter().all(|&n| n <= 20), "{seen:?}");
        assert_eq!(*seen.last().unwrap(), 20, "{seen:?}");
    }

    #[test]
    fn holds_when_throughput_stops_rising_and_probes_again_later() {
        let mut l = Limiter::new(bounds(8, 64));
        let mut clock = Instant::now();
        window(&mut l, &mut clock, 4 * MS, 2);
        assert_eq!(l.limit(), 16);
        // two answers a millisecond, more than the first window (whose span holds one latency)
        window(&mut l, &mut clock, 4 * MS, 2);
        assert_eq!(l.limit(), 32);
        // the same throughput and latency at a higher limit: held, and slow start is over
        for _ in 1..PROBE_AFTER {
            window(&mut l, &mut clock, 4 * MS, 2);
            assert_eq!(l.limit(), 32);
        }
        // until it probes one step up, by half now
        window(&mut l, &mut clock, 4 * MS, 2);
        assert_eq!(l.limit(), 48);
    }

    #[test]
    fn latency_rising_without_throughput_steps_back() {
        let mut l = Limiter::new(bounds(16, 64));
        let mut clock = Instant::now();
        window(&mut l, &mut clock, 4 * MS, 4);
        assert_eq!(l.limit(), 32);
        window(&mut l, &mut clock, 4 * MS, 4);
        assert_eq!(l.limit(), 64);
        // the same four answers a millisecond, each waiting three times as long: queueing
        window(&mut l, &mut clock, 12 * MS, 4);
        assert_eq!(l.limit(), 42);
        // latency back down, throughput as before: held, not grown
        window(&mut l, &mut clock, 4 * MS, 4);
        assert_eq!(l.limit(), 42);
    }

    #[test]
    fn too_many_requests_halves_once_per_round_and_pauses_for_retry_after() {
        let mut l = Limiter::new(bounds(32, 64));
        let t0 = Instant::now();
        let now = t0 + 10 * MS;
        l.overloaded(t0, now, Some(Duration::from_secs(2)));
        assert_eq!(l.limit(), 16);
        assert_eq!(l.paused_until(now), Some(now + Duration::from_secs(2)));
        assert_eq!(l.paused_until(now + Duration::from_secs(3)), None);
        // requests sent before that decrease are part of it
        l.overloaded(t0 + MS, now + MS, None);
        assert_eq!(l.limit(), 16);
        // a request sent after it is a new signal
        l.overloaded(now + 2 * MS, now + 5 * MS, Some(Duration::from_secs(1)));
        assert_eq!(l.limit(), 8);
        // the longer pause wins
        assert_eq!(l.paused_until(now), Some(now + Duration::from_secs(2)));
        // and slow start is over: the next step up is by half, not double
        let mut clock = now + Duration::from_secs(3);
        window(&mut l, &mut clock, 4 * MS, 2);
        assert_eq!(l.limit(), 12);
    }

    #[test]
    fn never_below_one() {
        let mut l = Limiter::new(bounds(3, 64));
        let mut clock = Instant::now();
        for _ in 0..10 {
            let sent = clock;
            clock += MS;
            l.overloaded(sent, clock, None);
            assert!(l.limit() >= 1);
        }
        assert_eq!(l.limit(), 1);
        // queueing at a limit of one: still one
        window(&mut l, &mut clock, 4 * MS, 1);
        assert_eq!(l.limit(), 2);
        window(&mut l, &mut clock, 40 * MS, 1);
        assert_eq!(l.limit(), 1);
        window(&mut l, &mut clock, 400 * MS, 1);
        assert_eq!(l.limit(), 1);
    }

    #[test]
    fn bounds_are_kept_from_the_start() {
        assert_eq!(Limiter::new(bounds(100, 10)).limit(), 10);
        assert_eq!(Limiter::new(bounds(0, 10)).limit(), 1);
        assert_eq!(Limiter::new(bounds(5, 0)).limit(), 1);
    }

    #[test]
    fn a_server_that_answered_is_waited_for_longer_when_it_goes_away() {
        let gate = Gate::new(bounds(2, 4));
        assert_eq!(gate.patience(), UNREACHABLE_PATIENCE);
        // a request that never reached the server teaches nothing
        let refused: Result<(), kube::Error> = Err(kube::Error::Service("refused".into()));
        gate.observe(Instant::now(), &refused);
        assert_eq!(gate.patience(), UNREACHABLE_PATIENCE);
        gate.observe(Instant::now(), &Ok(()));
        assert_eq!(gate.patience(), RESTART_PATIENCE);
        assert!(RESTART_PATIENCE > UNREACHABLE_PATIENCE);
    }

    #[tokio::test]
    async fn the_gate_holds_requests_to_the_limit() {
        let gate = Gate::new(bounds(2, 4));
        let a = gate.acquire().await;
        let _b = gate.acquire().await;
        let third = gate.acquire();
        tokio::pin!(third);
        assert!(futures::poll!(third.as_mut()).is_pending());
        drop(a);
        assert!(futures::poll!(third.as_mut()).is_ready());
    }
}
