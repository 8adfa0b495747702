//! Futex wait queues. A futex is named by where its word lives: (address space,
//! address) for private memory, as Linux does (so a copy-on-write copy does not move
//! it), and the guest-physical address for shared memory (so processes sharing the
//! frame meet). The value check and the queueing happen under one lock, so a wake
//! between them cannot be lost.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::wait::Waiter;

/// Where a futex word lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FutexKey {
    /// A word in private memory; `shared_op` for an operation without
    /// FUTEX_PRIVATE_FLAG, which Linux keeps apart from private ones.
    Private {
        mm: usize,
        addr: u64,
        shared_op: bool,
    },
    Shared {
        phys: u64,
    },
}

struct Waiting {
    bitset: u32,
    woken: Arc<AtomicBool>,
    waiter: Arc<Waiter>,
}

/// Every task waiting on a futex, by key.
#[derive(Default)]
pub struct Futexes {
    queues: Mutex<HashMap<FutexKey, VecDeque<Waiting>>>,
}

/// A queued wait: `woken` turns true when a wake (or requeue-and-wake) picked it.
pub struct Ticket {
    pub woken: Arc<AtomicBool>,
}

/// The queues, locked: hold this while checking a futex word before queueing.
pub struct Locked<'a>(MutexGuard<'a, HashMap<FutexKey, VecDeque<Waiting>>>);

impl Futexes {
    pub fn lock(&self) -> Locked<'_> {
        Locked(self.queues.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Withdraws `ticket` (timeout, signal); true if a wake picked it first.
    pub fn cancel(&self, ticket: &Ticket) -> bool {
        let mut queues = self.lock();
        let mut found = false;
        for queue in queues.0.values_mut() {
            if let Some(i) = queue
                .iter()
                .position(|w| Arc::ptr_eq(&w.woken, &ticket.woken))
            {
                queue.remove(i);
                found = true;
                break;
            }
        }
        queues.0.retain(|_, q| !q.is_empty());
        !found && ticket.woken.load(Ordering::Acquire)
    }
}

impl Locked<'_> {
    /// Queues a waiter on `key`, woken only by wakes whose bitset meets `bitset`.
    pub fn enqueue(&mut self, key: FutexKey, bitset: u32, waiter: Arc<Waiter>) -> Ticket {
        let woken = Arc::new(AtomicBool::new(false));
        self.0.entry(key).or_default().push_back(Waiting {
            bitset,
            woken: woken.clone(),
            waiter,
        });
        Ticket { woken }
    }

    /// Wakes up to `n` waiters of `key` whose bitset meets `bitset`; how many.
    pub fn wake(&mut self, key: FutexKey, bitset: u32, n: usize) -> usize {
        let Some(queue) = self.0.get_mut(&key) else {
            return 0;
        };
        let mut woken = 0;
        let mut i = 0;
        while i < queue.len() && woken < n {
            if queue[i].bitset & bitset != 0 {
                if let Some(w) = queue.remove(i) {
                    w.woken.store(true, Ordering::Release);
                    w.waiter.wake();
                    woken += 1;
                }
            } else {
                i += 1;
            }
        }
        if queue.is_empty() {
            self.0.remove(&key);
        }
        woken
    }

    /// Wakes up to `wake` waiters of `from` and moves up to `requeue` more to `to`;
    /// how many were woken or moved.
    pub fn requeue(&mut self, from: FutexKey, to: FutexKey, wake: usize, requeue: usize) -> usize {
        let woken = self.wake(from, u32::MAX, wake);
        if from == to {
            return woken + requeue.min(self.0.get(&from).map_or(0, VecDeque::len));
        }
        let Some(queue) = self.0.get_mut(&from) else {
            return woken;
        };
        let moved: Vec<Waiting> = queue.drain(..requeue.min(queue.len())).collect();
        if queue.is_empty() {
            self.0.remove(&from);
        }
        let count = moved.len();
        self.0.entry(to).or_default().extend(moved);
        woken + count
    }
}
