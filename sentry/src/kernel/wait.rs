//! Blocking: a task sleeps on its `Waiter` until something it subscribed to (a
//! `WaitQueue` of a pipe, of its children, ...) changes, a signal arrives, or a
//! deadline passes. Conditions are always re-checked after waking, so a wake-up is
//! only ever a hint ("look again"), never a message: spurious wake-ups are harmless
//! and no wake-up can be lost (the generation is read before the condition).
//!
//! This is the one place tasks block, so a deterministic scheduler can later replace
//! the host condition variable without touching the syscalls.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Instant;

/// One task's wake-up point.
#[derive(Default)]
pub struct Waiter {
    generation: Mutex<u64>,
    cond: Condvar,
}

impl Waiter {
    fn lock(&self) -> MutexGuard<'_, u64> {
        self.generation.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current generation: pass it to `wait` after checking the condition.
    pub fn generation(&self) -> u64 {
        *self.lock()
    }

    /// Wakes the task if it sleeps, or makes its next `wait` return at once.
    pub fn wake(&self) {
        *self.lock() += 1;
        self.cond.notify_all();
    }

    /// Sleeps until the generation moves past `seen` or `deadline` passes.
    pub fn wait(&self, seen: u64, deadline: Option<Instant>) {
        let mut generation = self.lock();
        while *generation == seen {
            match deadline {
                None => {
                    generation = self
                        .cond
                        .wait(generation)
                        .unwrap_or_else(|e| e.into_inner())
                }
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        return;
                    }
                    generation = self
                        .cond
                        .wait_timeout(generation, deadline - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0;
                }
            }
        }
    }
}

/// The waiters interested in one object's changes.
#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<Weak<Waiter>>>,
}

impl WaitQueue {
    fn lock(&self) -> MutexGuard<'_, Vec<Weak<Waiter>>> {
        self.waiters.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes every subscribed waiter.
    pub fn notify(&self) {
        let waiters: Vec<Arc<Waiter>> = self.lock().iter().filter_map(Weak::upgrade).collect();
        for waiter in waiters {
            waiter.wake();
        }
    }

    /// Subscribes `waiter` until the returned guard is dropped.
    pub fn subscribe<'a>(&'a self, waiter: &Arc<Waiter>) -> Subscription<'a> {
        let mut waiters = self.lock();
        waiters.retain(|w| w.strong_count() > 0);
        waiters.push(Arc::downgrade(waiter));
        Subscription {
            queue: self,
            waiter: Arc::downgrade(waiter),
        }
    }
}

/// A waiter's subscription to a queue; dropping it unsubscribes.
pub struct Subscription<'a> {
    queue: &'a WaitQueue,
    waiter: Weak<Waiter>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        let mut waiters = self.queue.lock();
        if let Some(i) = waiters.iter().position(|w| w.ptr_eq(&self.waiter)) {
            waiters.swap_remove(i);
        }
    }
}

/// Why a blocking wait ended without its condition.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interrupted {
    /// A signal the task does not block arrived.
    Signal,
    /// The deadline passed.
    TimedOut,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn wake_before_wait_is_not_lost() {
        let w = Arc::new(Waiter::default());
        let seen = w.generation();
        w.wake();
        w.wait(seen, None); // returns at once
    }

    #[test]
    fn queue_wakes_subscribers_only_while_subscribed() {
        let q = WaitQueue::default();
        let w = Arc::new(Waiter::default());
        let seen = w.generation();
        {
            let _s = q.subscribe(&w);
            q.notify();
        }
        assert_ne!(w.generation(), seen);
        let seen = w.generation();
        q.notify();
        assert_eq!(w.generation(), seen);
        w.wait(seen, Some(Instant::now() + Duration::from_millis(1)));
    }
}
