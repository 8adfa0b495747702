//! Timers that send signals: ITIMER_REAL/alarm and POSIX timers (timer_create). One
//! service thread sleeps until the earliest deadline and posts the signal; a
//! deterministic mode would drive it from virtual time instead.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::signal::Posted;
use super::thread_group::ThreadGroup;

/// What a timer sends when it fires.
#[derive(Clone)]
pub struct TimerSignal {
    pub target: Weak<ThreadGroup>,
    pub signo: i32,
    pub code: i32,
    /// si_value, and the timer id that goes in si_timerid (POSIX timers).
    pub value: Option<u64>,
    pub timer_id: Option<i32>,
}

/// What a timer calls when it fires, instead of or besides sending a signal (a
/// timerfd wakes its readers).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

struct Timer {
    signal: Option<TimerSignal>,
    wake: Option<Waker>,
    deadline: Option<Instant>,
    interval: Duration,
    /// Expirations missed while the previous signal was still pending.
    overrun: i32,
}

#[derive(Default)]
struct State {
    timers: HashMap<u64, Timer>,
    queue: BTreeSet<(Instant, u64)>,
    next_id: u64,
    thread_started: bool,
}

/// All timers of the sandbox.
#[derive(Default)]
pub struct Timers {
    state: Mutex<State>,
    changed: Condvar,
}

/// Longest timer value honoured (longer ones are clamped, never overflow).
const MAX_TIMEOUT: Duration = Duration::from_secs(1 << 32);

impl Timers {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new, disarmed timer; `signal` None is SIGEV_NONE (it only counts time).
    pub fn create(self: &Arc<Self>, signal: Option<TimerSignal>) -> u64 {
        self.create_timer(signal, None)
    }

    /// A new, disarmed timer that calls `wake` whenever it fires.
    pub fn create_waker(self: &Arc<Self>, wake: Waker) -> u64 {
        self.create_timer(None, Some(wake))
    }

    fn create_timer(self: &Arc<Self>, signal: Option<TimerSignal>, wake: Option<Waker>) -> u64 {
        let mut st = self.lock();
        st.next_id += 1;
        let id = st.next_id;
        st.timers.insert(
            id,
            Timer {
                signal,
                wake,
                deadline: None,
                interval: Duration::ZERO,
                overrun: 0,
            },
        );
        if !st.thread_started {
            let weak = Arc::downgrade(self);
            let spawned = std::thread::Builder::new()
                .name("timers".into())
                .spawn(move || run(weak));
            st.thread_started = spawned.is_ok();
        }
        id
    }

    /// Arms (`value` Some and non-zero) or disarms timer `id`; returns the previous
    /// (time left, interval).
    pub fn set(&self, id: u64, value: Duration, interval: Duration) -> (Duration, Duration) {
        let mut st = self.lock();
        let now = Instant::now();
        let Some(timer) = st.timers.get_mut(&id) else {
            return (Duration::ZERO, Duration::ZERO);
        };
        let old_deadline = timer.deadline;
        let old = (
            old_deadline.map_or(Duration::ZERO, |d| d.saturating_duration_since(now)),
            timer.interval,
        );
        timer.deadline = (!value.is_zero()).then(|| now + value.min(MAX_TIMEOUT));
        timer.interval = interval.min(MAX_TIMEOUT);
        timer.overrun = 0;
        let new_deadline = timer.deadline;
        if let Some(d) = old_deadline {
            st.queue.remove(&(d, id));
        }
        if let Some(d) = new_deadline {
            st.queue.insert((d, id));
        }
        drop(st);
        self.changed.notify_all();
        old
    }

    /// (time left, interval) of timer `id`.
    pub fn get(&self, id: u64) -> (Duration, Duration) {
        let st = self.lock();
        let now = Instant::now();
        st.timers
            .get(&id)
            .map_or((Duration::ZERO, Duration::ZERO), |t| {
                (
                    t.deadline
                        .map_or(Duration::ZERO, |d| d.saturating_duration_since(now)),
                    t.interval,
                )
            })
    }

    /// timer_getoverrun.
    pub fn overrun(&self, id: u64) -> i32 {
        self.lock().timers.get(&id).map_or(0, |t| t.overrun)
    }

    pub fn delete(&self, id: u64) {
        let mut st = self.lock();
        if let Some(t) = st.timers.remove(&id) {
            if let Some(d) = t.deadline {
                st.queue.remove(&(d, id));
            }
        }
    }
}

/// The service thread: fires timers as their deadlines pass.
fn run(timers: Weak<Timers>) {
    loop {
        let Some(timers) = timers.upgrade() else {
            return;
        };
        let mut st = timers.lock();
        let now = Instant::now();
        let mut fired = Vec::new();
        let mut wakes = Vec::new();
        while let Some(&(deadline, id)) = st.queue.first() {
            if deadline > now {
                break;
            }
            st.queue.remove(&(deadline, id));
            let Some(timer) = st.timers.get_mut(&id) else {
                continue;
            };
            timer.deadline = None;
            if !timer.interval.is_zero() {
                // Missed periods count as overruns; the next deadline stays on the grid.
                let interval_ns = timer.interval.as_nanos();
                let missed = (now - deadline).as_nanos() / interval_ns;
                timer.overrun = timer
                    .overrun
                    .saturating_add(i32::try_from(missed).unwrap_or(i32::MAX));
                let ahead = u64::try_from((missed + 1) * interval_ns)
                    .map_or(MAX_TIMEOUT, Duration::from_nanos);
                let next = deadline + ahead;
                timer.deadline = Some(next);
                st.queue.insert((next, id));
            }
            if let Some(signal) = st.timers.get(&id).and_then(|t| t.signal.clone()) {
                fired.push((id, signal));
            }
            if let Some(wake) = st.timers.get(&id).and_then(|t| t.wake.clone()) {
                wakes.push(wake);
            }
        }
        let wait = st
            .queue
            .first()
            .map(|(d, _)| d.saturating_duration_since(now));
        if fired.is_empty() && wakes.is_empty() {
            // Poisoning cannot corrupt the timer table: ignore it, as elsewhere.
            match wait {
                Some(w) => drop(timers.changed.wait_timeout(st, w)),
                None => drop(timers.changed.wait(st)),
            }
            continue;
        }
        drop(st);
        for wake in wakes {
            wake();
        }
        for (id, signal) in fired {
            let Some(group) = signal.target.upgrade() else {
                timers.delete(id);
                continue;
            };
            let overrun = timers.overrun(id);
            let sender = signal.timer_id.map(|t| (t, overrun as u32));
            if group.inbox.pending() & super::signal::bit(signal.signo) != 0
                && signal.signo < super::signal::SIGRT_FIRST
            {
                if let Some(t) = timers.lock().timers.get_mut(&id) {
                    t.overrun = t.overrun.saturating_add(1);
                }
                continue;
            }
            group.post(
                signal.signo,
                Posted {
                    code: signal.code,
                    sender,
                    status: 0,
                    value: signal.value,
                },
            );
        }
    }
}
