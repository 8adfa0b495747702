//! System V semaphore sets (semget, semop, semctl). A set's values live behind one
//! lock; semop applies all of its operations or none, and a caller that must wait
//! sleeps on the set's queue, which every change (and removal) notifies.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::sysv_ipc::IpcPerm;
use crate::kernel::wait::WaitQueue;

/// Largest semaphore value (SEMVMX).
pub const SEMVMX: u16 = 32767;
/// Most semaphores in a set (SEMMSL), operations per semop (SEMOPM), sets (SEMMNI).
pub const SEMMSL: usize = 32000;
pub const SEMOPM: usize = 500;
pub const SEMMNI: usize = 32000;

/// One semaphore.
#[derive(Clone, Copy, Default)]
pub struct Sem {
    pub value: u16,
    /// The last process to change it.
    pub pid: i32,
    /// Tasks waiting for it to grow (GETNCNT) or to be zero (GETZCNT).
    pub waiting_increase: u32,
    pub waiting_zero: u32,
}

/// A set's values and attributes.
pub struct SemState {
    pub perm: IpcPerm,
    pub otime: u64,
    pub ctime: u64,
    pub sems: Vec<Sem>,
    /// IPC_RMID: waiters wake with EIDRM.
    pub removed: bool,
}

pub struct SemSet {
    state: Mutex<SemState>,
    /// Notified at every change of a value, and at removal.
    pub queue: WaitQueue,
}

impl SemSet {
    pub fn new(state: SemState) -> Arc<SemSet> {
        Arc::new(SemSet {
            state: Mutex::new(state),
            queue: WaitQueue::default(),
        })
    }

    pub fn lock(&self) -> MutexGuard<'_, SemState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// What one attempt at a semop found.
pub enum Attempt {
    Done,
    /// Operation `index` cannot proceed yet: on semaphore `sem`, waiting for it to be
    /// zero or to grow.
    Blocked {
        index: usize,
        sem: usize,
        zero: bool,
    },
    /// A value would pass SEMVMX.
    OutOfRange,
}

impl SemState {
    /// A task starts (`waiting`) or stops waiting for semaphore `sem` to be zero or to
    /// grow: what GETZCNT and GETNCNT count.
    pub fn count_waiter(&mut self, sem: usize, zero: bool, waiting: bool) {
        let w = &mut self.sems[sem];
        let count = if zero {
            &mut w.waiting_zero
        } else {
            &mut w.waiting_increase
        };
        *count = if waiting {
            count.saturating_add(1)
        } else {
            count.saturating_sub(1)
        };
    }

    /// Applies every `(sem, op)` in order, or none of them.
    pub fn apply(&mut self, ops: &[(usize, i16)], pid: i32) -> Attempt {
        let mut values: Vec<u16> = self.sems.iter().map(|s| s.value).collect();
        for (index, &(sem, op)) in ops.iter().enumerate() {
            let value = i32::from(values[sem]);
            match op {
                0 if value != 0 => {
                    return Attempt::Blocked {
                        index,
                        sem,
                        zero: true,
                    }
                }
                0 => {}
                _ if value + i32::from(op) < 0 => {
                    return Attempt::Blocked {
                        index,
                        sem,
                        zero: false,
                    }
                }
                _ if value + i32::from(op) > i32::from(SEMVMX) => return Attempt::OutOfRange,
                _ => values[sem] = (value + i32::from(op)) as u16,
            }
        }
        for &(sem, _) in ops {
            self.sems[sem].pid = pid;
        }
        for (sem, value) in self.sems.iter_mut().zip(values) {
            sem.value = value;
        }
        Attempt::Done
    }
}

/// The sandbox's semaphore sets by id (ids are table indexes).
#[derive(Default)]
pub struct SemTable {
    sets: Mutex<BTreeMap<i32, Arc<SemSet>>>,
}

impl SemTable {
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Arc<SemSet>>> {
        self.sets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The lowest free id, if any is left.
    pub fn free_id(sets: &BTreeMap<i32, Arc<SemSet>>) -> Option<i32> {
        (0..SEMMNI as i32).find(|id| !sets.contains_key(id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(values: &[u16]) -> SemState {
        SemState {
            perm: IpcPerm {
                key: 0,
                uid: 0,
                gid: 0,
                cuid: 0,
                cgid: 0,
                mode: 0o600,
            },
            otime: 0,
            ctime: 0,
            sems: values
                .iter()
                .map(|&value| Sem {
                    value,
                    ..Sem::default()
                })
                .collect(),
            removed: false,
        }
    }

    #[test]
    fn operations_apply_all_or_none() {
        let mut s = set(&[1, 0]);
        assert!(matches!(
            s.apply(&[(0, -1), (1, -1)], 7),
            Attempt::Blocked {
                index: 1,
                sem: 1,
                zero: false
            }
        ));
        assert_eq!(s.sems[0].value, 1);
        assert!(matches!(s.apply(&[(0, -1), (1, 2)], 7), Attempt::Done));
        assert_eq!((s.sems[0].value, s.sems[1].value, s.sems[1].pid), (0, 2, 7));
        assert!(matches!(
            s.apply(&[(1, 0)], 7),
            Attempt::Blocked { zero: true, .. }
        ));
        assert!(matches!(s.apply(&[(1, i16::MAX)], 7), Attempt::OutOfRange));
    }
}
