//! Advisory file locks between the sandbox's processes: POSIX record locks (owned by
//! a process, or by an open file description for OFD locks) and flock(2) locks (owned
//! by an open file description). The two kinds never conflict with each other, as on
//! Linux. Locks are per file (device, inode); waiters sleep on `changed`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard};

use crate::kernel::wait::WaitQueue;

/// A file, by (device, inode).
pub type FileKey = (u64, u64);

/// Who holds a lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Owner {
    /// A process (classic POSIX record locks).
    Process(i32),
    /// An open file description (OFD and flock locks), by address.
    File(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Read,
    Write,
}

/// What `set_or_wait` decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockWait {
    Taken,
    Wait,
    Deadlock,
}

/// A byte-range lock: `[start, end)`, `end == u64::MAX` reaching past any EOF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lock {
    pub owner: Owner,
    pub kind: Kind,
    pub start: u64,
    pub end: u64,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }

    fn conflicts_with(&self, other: &Lock) -> bool {
        self.owner != other.owner
            && self.overlaps(other.start, other.end)
            && (self.kind == Kind::Write || other.kind == Kind::Write)
    }
}

#[derive(Default)]
struct Tables {
    records: HashMap<FileKey, Vec<Lock>>,
    flocks: HashMap<FileKey, Vec<(Owner, Kind)>>,
    /// Processes sleeping in F_SETLKW, with the lock they wait to take.
    waiting: HashMap<i32, (FileKey, Lock)>,
}

/// How far a chain of waiting processes is followed looking for a deadlock (Linux's
/// MAX_DEADLK_ITERATIONS).
const MAX_DEADLOCK_CHAIN: usize = 10;

/// Every lock of the sandbox.
#[derive(Default)]
pub struct FileLocks {
    tables: Mutex<Tables>,
    /// Notified whenever a lock goes away.
    pub changed: WaitQueue,
}

/// The sandbox's locks (one sandbox per sentry process).
pub static LOCKS: LazyLock<FileLocks> = LazyLock::new(FileLocks::default);

impl FileLocks {
    fn lock(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The first lock of another owner that `wanted` conflicts with.
    pub fn conflict(&self, key: FileKey, wanted: &Lock) -> Option<Lock> {
        self.lock()
            .records
            .get(&key)
            .and_then(|locks| locks.iter().find(|l| l.conflicts_with(wanted)).copied())
    }

    /// Takes `wanted` (replacing the owner's locks on its range), or returns the
    /// conflicting lock.
    pub fn set(&self, key: FileKey, wanted: Lock) -> Result<(), Lock> {
        let mut tables = self.lock();
        let locks = tables.records.entry(key).or_default();
        if let Some(c) = locks.iter().find(|l| l.conflicts_with(&wanted)) {
            return Err(*c);
        }
        carve(locks, wanted.owner, wanted.start, wanted.end);
        locks.push(wanted);
        coalesce(locks, wanted.owner);
        drop(tables);
        // A lock may have shrunk (write -> read): waiters look again.
        self.changed.notify();
        Ok(())
    }

    /// Takes `wanted` for process `pid` about to sleep until it can (F_SETLKW), or
    /// says it must wait (noting that it does), or that waiting would never end: the
    /// holder of the conflicting lock waits, directly or through other processes, for
    /// a lock `pid` holds (EDEADLK).
    pub fn set_or_wait(&self, key: FileKey, pid: i32, wanted: Lock) -> LockWait {
        let conflict = match self.set(key, wanted) {
            Ok(()) => {
                self.lock().waiting.remove(&pid);
                return LockWait::Taken;
            }
            Err(c) => c,
        };
        let mut tables = self.lock();
        let mut holder = conflict.owner;
        for _ in 0..MAX_DEADLOCK_CHAIN {
            let Owner::Process(h) = holder else { break };
            if h == pid {
                tables.waiting.remove(&pid);
                return LockWait::Deadlock;
            }
            let Some((k, w)) = tables.waiting.get(&h) else {
                break;
            };
            let next = tables
                .records
                .get(k)
                .and_then(|locks| locks.iter().find(|l| l.conflicts_with(w)));
            match next {
                Some(l) => holder = l.owner,
                None => break,
            }
        }
        tables.waiting.insert(pid, (key, wanted));
        LockWait::Wait
    }

    /// Process `pid` stopped waiting for a lock (interrupted).
    pub fn stop_waiting(&self, pid: i32) {
        self.lock().waiting.remove(&pid);
    }

    /// Drops `owner`'s record locks on `[start, end)` of `key`.
    pub fn unlock(&self, key: FileKey, owner: Owner, start: u64, end: u64) {
        let mut tables = self.lock();
        if let Some(locks) = tables.records.get_mut(&key) {
            carve(locks, owner, start, end);
            if locks.is_empty() {
                tables.records.remove(&key);
            }
        }
        drop(tables);
        self.changed.notify();
    }

    /// Drops every lock `owner` holds (process exit, last close of a description),
    /// or only those on `key`.
    pub fn release(&self, owner: Owner, key: Option<FileKey>) {
        let mut tables = self.lock();
        let mut any = false;
        for (k, locks) in tables.records.iter_mut() {
            if key.is_none_or(|key| key == *k) {
                let before = locks.len();
                locks.retain(|l| l.owner != owner);
                any |= locks.len() != before;
            }
        }
        tables.records.retain(|_, l| !l.is_empty());
        if key.is_none() {
            for holders in tables.flocks.values_mut() {
                let before = holders.len();
                holders.retain(|(o, _)| *o != owner);
                any |= holders.len() != before;
            }
            tables.flocks.retain(|_, h| !h.is_empty());
        }
        drop(tables);
        if any {
            self.changed.notify();
        }
    }

    /// flock(2): takes (or converts to) `kind` for `owner`, or fails if another
    /// description holds a conflicting one. `None` unlocks.
    pub fn flock(&self, key: FileKey, owner: Owner, kind: Option<Kind>) -> Result<(), ()> {
        let mut tables = self.lock();
        let holders = tables.flocks.entry(key).or_default();
        let Some(kind) = kind else {
            holders.retain(|(o, _)| *o != owner);
            drop(tables);
            self.changed.notify();
            return Ok(());
        };
        let conflict = holders
            .iter()
            .any(|(o, k)| *o != owner && (kind == Kind::Write || *k == Kind::Write));
        if conflict {
            return Err(());
        }
        holders.retain(|(o, _)| *o != owner);
        holders.push((owner, kind));
        drop(tables);
        self.changed.notify();
        Ok(())
    }
}

/// Removes `owner`'s coverage of `[start, end)` from `locks`, splitting ranges.
fn carve(locks: &mut Vec<Lock>, owner: Owner, start: u64, end: u64) {
    let mut kept = Vec::with_capacity(locks.len() + 1);
    for l in locks.drain(..) {
        if l.owner != owner || !l.overlaps(start, end) {
            kept.push(l);
            continue;
        }
        if l.start < start {
            kept.push(Lock { end: start, ..l });
        }
        if l.end > end {
            kept.push(Lock { start: end, ..l });
        }
    }
    *locks = kept;
}

/// Merges `owner`'s touching or overlapping locks of the same kind.
fn coalesce(locks: &mut Vec<Lock>, owner: Owner) {
    let (mut own, mut others): (Vec<Lock>, Vec<Lock>) =
        locks.drain(..).partition(|l| l.owner == owner);
    own.sort_by_key(|l| l.start);
    let mut merged: Vec<Lock> = Vec::with_capacity(own.len());
    for l in own {
        match merged.last_mut() {
            Some(m) if m.kind == l.kind && l.start <= m.end => m.end = m.end.max(l.end),
            _ => merged.push(l),
        }
    }
    others.extend(merged);
    *locks = others;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lock(pid: i32, kind: Kind, start: u64, end: u64) -> Lock {
        Lock {
            owner: Owner::Process(pid),
            kind,
            start,
            end,
        }
    }

    #[test]
    fn readers_share_writers_exclude() {
        let t = FileLocks::default();
        let key = (1, 1);
        assert!(t.set(key, lock(1, Kind::Read, 0, 10)).is_ok());
        assert!(t.set(key, lock(2, Kind::Read, 5, 20)).is_ok());
        assert_eq!(
            t.set(key, lock(3, Kind::Write, 8, 9)).unwrap_err().owner,
            Owner::Process(1)
        );
        t.release(Owner::Process(1), None);
        t.release(Owner::Process(2), Some(key));
        assert!(t.set(key, lock(3, Kind::Write, 8, 9)).is_ok());
    }

    #[test]
    fn unlocking_the_middle_splits() {
        let t = FileLocks::default();
        let key = (1, 2);
        t.set(key, lock(1, Kind::Write, 0, 100)).unwrap();
        t.unlock(key, Owner::Process(1), 40, 60);
        assert!(t.conflict(key, &lock(2, Kind::Read, 45, 55)).is_none());
        assert_eq!(
            t.conflict(key, &lock(2, Kind::Read, 30, 45)).unwrap().end,
            40
        );
        assert_eq!(
            t.conflict(key, &lock(2, Kind::Read, 55, 70)).unwrap().start,
            60
        );
    }
}
