//! timerfd: a timer read as a descriptor. A read returns how many times it expired
//! since the last read (8 bytes) and waits while that is 0; poll and epoll see it
//! readable then. The sandbox's timer service wakes its readers at each expiration;
//! the count itself is worked out from the deadline and interval when asked.

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use super::eventfd::anonymous_inode_basics;
use super::inode::{poll_bits, Inode};
use crate::errno::{Errno, SysResult};
use crate::kernel::timers::Timers;
use crate::kernel::wait::WaitQueue;

/// Longest timer value honoured (longer ones are clamped, never overflow).
const MAX_TIMEOUT: Duration = Duration::from_secs(1 << 32);

#[derive(Default)]
struct State {
    /// The next expiration, if armed.
    deadline: Option<Instant>,
    interval: Duration,
    /// Expirations not read yet.
    ticks: u64,
}

impl State {
    /// Counts the expirations that passed by `now` and moves the deadline past it.
    fn settle(&mut self, now: Instant) {
        let Some(deadline) = self.deadline else {
            return;
        };
        if now < deadline {
            return;
        }
        if self.interval.is_zero() {
            self.ticks = self.ticks.saturating_add(1);
            self.deadline = None;
            return;
        }
        let interval_ns = self.interval.as_nanos();
        let periods = (now - deadline).as_nanos() / interval_ns + 1;
        self.ticks = self
            .ticks
            .saturating_add(u64::try_from(periods).unwrap_or(u64::MAX));
        let ahead = u64::try_from(periods * interval_ns).map_or(MAX_TIMEOUT, Duration::from_nanos);
        self.deadline = deadline.checked_add(ahead);
    }

    fn left(&self, now: Instant) -> Duration {
        self.deadline
            .map_or(Duration::ZERO, |d| d.saturating_duration_since(now))
    }
}

/// A timerfd's timer.
pub struct TimerFd {
    /// The clock absolute times are read on (`CLOCK_*`).
    clock: i32,
    timers: Arc<Timers>,
    /// Its entry in the timer service, which only wakes the readers.
    id: u64,
    state: Mutex<State>,
    queue: WaitQueue,
}

impl TimerFd {
    pub fn new(timers: &Arc<Timers>, clock: i32) -> Arc<TimerFd> {
        Arc::new_cyclic(|me: &Weak<TimerFd>| {
            let me = me.clone();
            let id = timers.create_waker(Arc::new(move || {
                if let Some(timer) = me.upgrade() {
                    timer.queue.notify();
                }
            }));
            TimerFd {
                clock,
                timers: timers.clone(),
                id,
                state: Mutex::new(State::default()),
                queue: WaitQueue::default(),
            }
        })
    }

    pub fn clock(&self) -> i32 {
        self.clock
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// timerfd_settime: arms the timer to expire in `value` (disarms it if zero), then
    /// every `interval`; unread expirations are forgotten. Returns the previous
    /// (time left, interval).
    pub fn set(&self, value: Duration, interval: Duration) -> (Duration, Duration) {
        let now = Instant::now();
        let (value, interval) = (value.min(MAX_TIMEOUT), interval.min(MAX_TIMEOUT));
        let mut st = self.lock();
        st.settle(now);
        let old = (st.left(now), st.interval);
        st.deadline = (!value.is_zero()).then(|| now + value);
        st.interval = interval;
        st.ticks = 0;
        drop(st);
        self.timers.set(self.id, value, interval);
        self.queue.notify();
        old
    }

    /// timerfd_gettime: (time left, interval).
    pub fn get(&self) -> (Duration, Duration) {
        let now = Instant::now();
        let mut st = self.lock();
        st.settle(now);
        (st.left(now), st.interval)
    }
}

impl Drop for TimerFd {
    fn drop(&mut self) {
        self.timers.delete(self.id);
    }
}

impl Inode for TimerFd {
    anonymous_inode_basics!();

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        // An empty read is how the I/O layer checks the descriptor before the buffer.
        if buf.is_empty() {
            return Ok(0);
        }
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        st.settle(Instant::now());
        if st.ticks == 0 {
            return Err(Errno::EAGAIN);
        }
        let ticks = std::mem::take(&mut st.ticks);
        buf[..8].copy_from_slice(&ticks.to_ne_bytes());
        Ok(8)
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(Errno::EINVAL)
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn poll_mask(&self) -> Option<u16> {
        let mut st = self.lock();
        st.settle(Instant::now());
        Some(if st.ticks > 0 { poll_bits::POLLIN } else { 0 })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_counted_and_the_deadline_stays_on_the_grid() {
        let start = Instant::now();
        let mut st = State {
            deadline: Some(start),
            interval: Duration::from_millis(10),
            ticks: 0,
        };
        st.settle(start + Duration::from_millis(35));
        assert_eq!(st.ticks, 4);
        assert_eq!(st.deadline, Some(start + Duration::from_millis(40)));
        st.settle(start + Duration::from_millis(39));
        assert_eq!(st.ticks, 4);
        let mut once = State {
            deadline: Some(start),
            interval: Duration::ZERO,
            ticks: 0,
        };
        once.settle(start + Duration::from_secs(5));
        assert_eq!((once.ticks, once.deadline), (1, None));
    }
}
