//! epoll(7) instances: an interest list keyed, as in Linux, by (descriptor number, open
//! file description), each interest with the events it wants and 64 bits of user data.
//!
//! Files do not push readiness here (they only notify their wait queues): epoll_wait
//! polls the interests when it looks, and sleeps on their wait queues in between. For
//! edge-triggered interests an epoll instance remembers what it reported: Linux reports
//! such an interest again once its file's wait queue was woken since, so each interest
//! in a file with a wait queue keeps a `Watch`, a waiter subscribed to that queue for as
//! long as the interest lives, whose generation counts the wake-ups. Eventfds and nested
//! epoll instances have counters of their own; host streams, which have no queue here,
//! count a change of what they report as an edge.
//!
//! An interest holds its open file weakly: once the file is closed everywhere, the
//! interest is gone (dropped the next time the instance looks), as in Linux.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Waker};

use super::eventfd::anonymous_inode_basics;
use super::eventfd::EventFd;
use super::file::{FileKind, OpenFile};
use super::inode::{poll_bits, FileType, Inode, InodeRef};
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::{WaitQueue, Waiter};

pub const EPOLLIN: u32 = 0x001;
pub const EPOLLPRI: u32 = 0x002;
pub const EPOLLOUT: u32 = 0x004;
pub const EPOLLERR: u32 = 0x008;
pub const EPOLLHUP: u32 = 0x010;
pub const EPOLLRDNORM: u32 = 0x040;
pub const EPOLLRDBAND: u32 = 0x080;
pub const EPOLLWRNORM: u32 = 0x100;
pub const EPOLLWRBAND: u32 = 0x200;
pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
/// The only flags EPOLLEXCLUSIVE may come with.
pub const EXCLUSIVE_OK: u32 =
    EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET | EPOLLEXCLUSIVE;

/// Events that a write to a file (new data) makes ready, and those a read (new room).
const READ_EVENTS: u32 = EPOLLIN | EPOLLPRI | EPOLLRDNORM | EPOLLRDBAND;
const WRITE_EVENTS: u32 = EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND;

/// How deep epoll instances may nest in each other (Linux's EP_MAX_NESTS).
pub const MAX_NESTING: usize = 4;
/// Most interests one instance holds (Linux bounds them per user: max_user_watches).
pub const MAX_INTERESTS: usize = 1 << 17;

/// A waiter kept subscribed to one inode's wait queue: its generation counts the
/// queue's wake-ups. The subscription borrows the queue from the inode, so the two
/// live together in a (safely self-referential) future that is polled once, to
/// subscribe, and never again; dropping it unsubscribes.
struct Watch {
    waiter: Arc<Waiter>,
    _held: Pin<Box<dyn Future<Output = ()> + Send>>,
}

impl Watch {
    fn new(inode: InodeRef) -> Option<Watch> {
        inode.wait_queue()?;
        let waiter = Arc::new(Waiter::default());
        let subscriber = waiter.clone();
        let mut held: Pin<Box<dyn Future<Output = ()> + Send>> = Box::pin(async move {
            if let Some(queue) = inode.wait_queue() {
                let _subscription = queue.subscribe(&subscriber);
                std::future::pending::<()>().await;
            }
        });
        let _ = held.as_mut().poll(&mut Context::from_waker(Waker::noop()));
        Some(Watch {
            waiter,
            _held: held,
        })
    }
}

/// What says whether an edge-triggered interest has a new edge.
#[derive(Clone, Copy)]
enum Marker {
    /// A count of the file's wake-ups: an edge when it moved since the last report.
    Count(u64),
    /// What a host stream reports: an edge when it changed since the last look.
    Seen(u64),
}

struct Interest {
    fd: i32,
    file: Weak<OpenFile>,
    /// The events asked for, with EPOLLERR and EPOLLHUP (always reported) and flags.
    events: u32,
    data: u64,
    /// False once a one-shot interest has been reported (until EPOLL_CTL_MOD).
    enabled: bool,
    /// The wake-up count when last reported (edge-triggered).
    reported: Option<u64>,
    /// For host streams: what was seen at the last look.
    seen: Option<u64>,
    /// Changed by EPOLL_CTL_MOD (so an undo does not overwrite a newer setting).
    version: u64,
    watch: Option<Watch>,
}

/// One reported event, with what is needed to take the report back if the event
/// cannot be copied to the guest.
pub struct Ready {
    pub events: u32,
    pub data: u64,
    id: u64,
    version: u64,
    enabled: bool,
    reported: Option<u64>,
    seen: Option<u64>,
}

#[derive(Default)]
struct State {
    /// By id: ids grow with each EPOLL_CTL_ADD, so this is the order of addition.
    interests: BTreeMap<u64, Interest>,
    by_key: HashMap<(i32, usize), u64>,
    next_id: u64,
    /// The id last reported: the next scan starts after it (round robin).
    cursor: u64,
}

/// An epoll instance (the inode behind an epoll descriptor).
#[derive(Default)]
pub struct Epoll {
    state: Mutex<State>,
    /// Notified on every change of the interest list.
    queue: WaitQueue,
    changes: AtomicU64,
}

/// The key of an open file: its address, stable while a `Weak` to it lives.
fn key_of(file: &Arc<OpenFile>) -> usize {
    Arc::as_ptr(file) as usize
}

/// An epoll instance behind `inode`, if it is one.
pub fn as_epoll(inode: &dyn Inode) -> Option<&Epoll> {
    inode.as_any().downcast_ref::<Epoll>()
}

/// The epoll instance behind an open file.
pub fn file_epoll(file: &OpenFile) -> Option<&Epoll> {
    file.dentry().and_then(|d| as_epoll(d.inode.as_ref()))
}

/// Whether epoll can watch `file`: Linux refuses files without a poll operation
/// (regular files, directories, /dev/null and the other memory devices) with EPERM.
pub fn can_poll(file: &OpenFile) -> bool {
    if let FileKind::Node(d) = &file.kind {
        if as_epoll(d.inode.as_ref()).is_some() || d.inode.poll_mask().is_some() {
            return true;
        }
    }
    let Ok(st) = file.stat() else {
        return false;
    };
    match FileType::from_mode(st.mode) {
        Some(FileType::Fifo | FileType::Socket) => true,
        Some(FileType::CharDevice) => {
            // Of the memory devices (major 1) only /dev/random (1, 8) can be polled.
            let (major, minor) = ((st.rdev >> 8) & 0xfff, st.rdev & 0xff);
            major != 1 || minor == 8
        }
        _ => false,
    }
}

/// What `file` is ready for now, as poll bits.
fn readiness(file: &OpenFile, events: u32, depth: usize) -> u32 {
    match &file.kind {
        FileKind::HostStream { host_fd, .. } => {
            let ask = (events & 0xffff) as u16 as i16;
            crate::host::poll(&[(*host_fd, ask)], 0)
                .ok()
                .and_then(|r| r.first().copied())
                .map_or(0, |r| u32::from(r as u16))
        }
        FileKind::Node(d) => {
            if let Some(inner) = as_epoll(d.inode.as_ref()) {
                return inner.mask_at(depth + 1);
            }
            match d.inode.poll_mask() {
                Some(mask) => u32::from(mask),
                // Files that never block.
                None => u32::from(
                    poll_bits::POLLIN
                        | poll_bits::POLLOUT
                        | poll_bits::POLLRDNORM
                        | poll_bits::POLLWRNORM,
                ),
            }
        }
    }
}

fn mix(id: u64, value: u64) -> u64 {
    (id.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ value).wrapping_mul(0xff51_afd7_ed55_8ccd)
}

impl Interest {
    /// The wake-up count of the file, read before its readiness (so that a wake-up
    /// between the two is never lost); None for host streams.
    fn count(&self, file: &OpenFile, depth: usize) -> Option<u64> {
        if let Some(w) = &self.watch {
            return Some(w.waiter.generation());
        }
        let d = match &file.kind {
            FileKind::Node(d) => d,
            FileKind::HostStream { .. } => return None,
        };
        if let Some(e) = d.inode.as_any().downcast_ref::<EventFd>() {
            return Some(e.changes(
                self.events & READ_EVENTS != 0,
                self.events & WRITE_EVENTS != 0,
            ));
        }
        if let Some(inner) = as_epoll(d.inode.as_ref()) {
            return Some(inner.fingerprint(depth + 1));
        }
        // A file that never changes: one edge, at the first report.
        Some(0)
    }

    /// The edge marker, from the count read before and the readiness seen.
    fn marker(&self, file: &OpenFile, count: Option<u64>, mask: u32) -> Marker {
        match count {
            Some(c) => Marker::Count(c),
            None => {
                let readable = match &file.kind {
                    FileKind::HostStream { host_fd, .. } if mask & EPOLLIN != 0 => {
                        crate::host::bytes_readable(*host_fd).unwrap_or(0)
                    }
                    _ => 0,
                };
                Marker::Seen(u64::from(mask) | (u64::from(readable) << 32))
            }
        }
    }
}

impl Epoll {
    pub fn new() -> Epoll {
        Epoll::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The interest list changed: wake whoever waits on this instance.
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
        self.queue.notify();
    }

    /// Drops the interests whose file is closed everywhere.
    fn prune(st: &mut State) {
        let dead: Vec<u64> = st
            .interests
            .iter()
            .filter(|(_, i)| i.file.strong_count() == 0)
            .map(|(id, _)| *id)
            .collect();
        for id in dead {
            if let Some(i) = st.interests.remove(&id) {
                st.by_key.remove(&(i.fd, i.file.as_ptr() as usize));
            }
        }
    }

    /// Live interests.
    #[cfg(test)]
    fn live(&self) -> usize {
        let mut st = self.lock();
        Self::prune(&mut st);
        st.interests.len()
    }

    /// EPOLL_CTL_ADD. `events` has EPOLLERR and EPOLLHUP added by the caller.
    pub fn add(&self, fd: i32, file: &Arc<OpenFile>, events: u32, data: u64) -> SysResult<()> {
        let mut st = self.lock();
        Self::prune(&mut st);
        let key = (fd, key_of(file));
        if st.by_key.contains_key(&key) {
            return Err(Errno::EEXIST);
        }
        if st.interests.len() >= MAX_INTERESTS {
            return Err(Errno::ENOSPC);
        }
        // Eventfds and epoll instances count their own changes; other files with a
        // wait queue are watched.
        let watch = match &file.kind {
            FileKind::Node(d)
                if !d.inode.as_any().is::<EventFd>() && as_epoll(d.inode.as_ref()).is_none() =>
            {
                Watch::new(d.inode.clone())
            }
            _ => None,
        };
        st.next_id += 1;
        let id = st.next_id;
        st.interests.insert(
            id,
            Interest {
                fd,
                file: Arc::downgrade(file),
                events,
                data,
                enabled: true,
                reported: None,
                seen: None,
                version: 0,
                watch,
            },
        );
        st.by_key.insert(key, id);
        drop(st);
        self.changed();
        Ok(())
    }

    /// EPOLL_CTL_MOD: new events and data; a disabled one-shot interest is re-armed
    /// and an edge-triggered one may report at once again.
    pub fn modify(&self, fd: i32, file: &Arc<OpenFile>, events: u32, data: u64) -> SysResult<()> {
        let mut st = self.lock();
        Self::prune(&mut st);
        let id = *st.by_key.get(&(fd, key_of(file))).ok_or(Errno::ENOENT)?;
        let i = st.interests.get_mut(&id).ok_or(Errno::ENOENT)?;
        if i.events & EPOLLEXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        i.events = events;
        i.data = data;
        i.enabled = true;
        i.reported = None;
        i.seen = None;
        i.version += 1;
        drop(st);
        self.changed();
        Ok(())
    }

    /// EPOLL_CTL_DEL.
    pub fn remove(&self, fd: i32, file: &Arc<OpenFile>) -> SysResult<()> {
        let mut st = self.lock();
        Self::prune(&mut st);
        let id = st.by_key.remove(&(fd, key_of(file))).ok_or(Errno::ENOENT)?;
        let removed = st.interests.remove(&id);
        drop(st);
        drop(removed);
        self.changed();
        Ok(())
    }

    /// The events ready now, at most `max`, in round-robin order. With `commit`, the
    /// reports count: edge-triggered interests wait for their next edge and one-shot
    /// interests are disabled; without it, this only looks.
    fn scan(&self, max: usize, commit: bool, depth: usize) -> Vec<Ready> {
        let mut out = Vec::new();
        if max == 0 || depth > MAX_NESTING {
            return out;
        }
        // Files are released only after the lock (their release may wake others).
        let mut held = Vec::new();
        let mut st = self.lock();
        Self::prune(&mut st);
        let cursor = st.cursor;
        let order: Vec<u64> = st
            .interests
            .range(cursor + 1..)
            .chain(st.interests.range(..=cursor))
            .map(|(id, _)| *id)
            .collect();
        for id in order {
            let Some(i) = st.interests.get_mut(&id) else {
                continue;
            };
            if !i.enabled {
                continue;
            }
            let Some(file) = i.file.upgrade() else {
                continue;
            };
            let count = i.count(&file, depth);
            let mask = readiness(&file, i.events, depth);
            let marker = i.marker(&file, count, mask);
            let edge = match marker {
                Marker::Count(c) => i.reported != Some(c),
                Marker::Seen(s) => i.seen != Some(s),
            };
            let seen_before = i.seen;
            if commit {
                if let Marker::Seen(s) = marker {
                    i.seen = Some(s);
                }
            }
            held.push(file);
            let events = mask & i.events;
            if events == 0 || (i.events & EPOLLET != 0 && !edge) {
                continue;
            }
            out.push(Ready {
                events,
                data: i.data,
                id,
                version: i.version,
                enabled: i.enabled,
                reported: i.reported,
                seen: seen_before,
            });
            if commit {
                if let Marker::Count(c) = marker {
                    i.reported = Some(c);
                }
                if i.events & EPOLLONESHOT != 0 {
                    i.enabled = false;
                }
                st.cursor = id;
            }
            if out.len() >= max {
                break;
            }
        }
        drop(st);
        drop(held);
        out
    }

    /// Takes up to `max` ready events (epoll_wait).
    pub fn collect(&self, max: usize) -> Vec<Ready> {
        self.scan(max, true, 0)
    }

    /// Takes back reports that could not be delivered (the guest's buffer faulted).
    pub fn undo(&self, events: &[Ready]) {
        let mut st = self.lock();
        for r in events {
            if let Some(i) = st.interests.get_mut(&r.id) {
                if i.version == r.version {
                    i.enabled = r.enabled;
                    i.reported = r.reported;
                    i.seen = r.seen;
                }
            }
        }
    }

    /// POLLIN when epoll_wait would report something now.
    fn mask_at(&self, depth: usize) -> u32 {
        if self.scan(1, false, depth).is_empty() {
            0
        } else {
            EPOLLIN | EPOLLRDNORM
        }
    }

    /// Changes when the interest list or any interest's wake-up count changes: a
    /// nested instance's wake-up count, as its parent instance sees it.
    fn fingerprint(&self, depth: usize) -> u64 {
        if depth > MAX_NESTING {
            return 0;
        }
        let mut held = Vec::new();
        let st = self.lock();
        let mut h = self.changes.load(Ordering::Acquire);
        for (id, i) in &st.interests {
            let Some(file) = i.file.upgrade() else {
                continue;
            };
            let value = match i.count(&file, depth) {
                Some(c) => c,
                None => u64::from(readiness(&file, i.events, depth)),
            };
            h = h.wrapping_add(mix(*id, value));
            held.push(file);
        }
        drop(st);
        drop(held);
        h
    }

    /// Changes whenever this instance's or a nested instance's interest list changes.
    pub fn list_changes(&self, depth: usize) -> u64 {
        let mut n = self.changes.load(Ordering::Acquire);
        if depth < MAX_NESTING {
            for inner in self.nested() {
                if let Some(e) = as_epoll(inner.as_ref()) {
                    n = n.wrapping_add(e.list_changes(depth + 1));
                }
            }
        }
        n
    }

    /// The inodes of the nested epoll instances among the interests.
    fn nested(&self) -> Vec<InodeRef> {
        let st = self.lock();
        st.interests
            .values()
            .filter_map(|i| i.file.upgrade())
            .filter_map(|f| f.dentry().map(|d| d.inode.clone()))
            .filter(|inode| as_epoll(inode.as_ref()).is_some())
            .collect()
    }

    /// What an epoll_wait on this instance sleeps on: the inodes whose wait queues
    /// may announce readiness (this instance's nested ones included), and whether
    /// host streams are watched (they must be polled on the host now and then).
    pub fn sleep_targets(&self, inodes: &mut Vec<InodeRef>, host: &mut bool, depth: usize) {
        if depth > MAX_NESTING {
            return;
        }
        let mut nested = Vec::new();
        {
            let st = self.lock();
            for i in st.interests.values().filter(|i| i.enabled) {
                let Some(file) = i.file.upgrade() else {
                    continue;
                };
                match &file.kind {
                    FileKind::HostStream { .. } => *host = true,
                    FileKind::Node(d) => {
                        if as_epoll(d.inode.as_ref()).is_some() {
                            nested.push(d.inode.clone());
                        }
                        if d.inode.wait_queue().is_some() {
                            inodes.push(d.inode.clone());
                        }
                    }
                }
            }
        }
        for inode in nested {
            if let Some(e) = as_epoll(inode.as_ref()) {
                e.sleep_targets(inodes, host, depth + 1);
            }
        }
    }

    /// Whether adding `self` to `parent` would make a loop or nest too deep (ELOOP).
    pub fn would_loop(&self, parent: &Epoll) -> bool {
        self.reaches(parent, 0)
    }

    fn reaches(&self, target: &Epoll, depth: usize) -> bool {
        if depth >= MAX_NESTING {
            return true;
        }
        self.nested().iter().any(|inode| {
            as_epoll(inode.as_ref())
                .is_some_and(|e| std::ptr::eq(e, target) || e.reaches(target, depth + 1))
        })
    }
}

impl Inode for Epoll {
    anonymous_inode_basics!();

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn poll_mask(&self) -> Option<u16> {
        Some(self.mask_at(0) as u16)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::path::Dentry;
    use crate::fs::pipe::Pipe;

    fn open(inode: InodeRef, flags: u32) -> Arc<OpenFile> {
        OpenFile::new(FileKind::Node(Dentry::root(inode)), flags)
    }

    #[test]
    fn level_edge_and_oneshot() {
        let (r, w) = Pipe::create();
        let (r, w) = (open(r, 0), open(w, 1));
        let ep = Epoll::new();
        ep.add(3, &r, EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP, 7)
            .unwrap();
        assert_eq!(ep.add(3, &r, EPOLLIN, 7).err(), Some(Errno::EEXIST));
        assert!(ep.collect(8).is_empty());
        w.write(b"x").unwrap();
        let got = ep.collect(8);
        assert_eq!((got.len(), got[0].events, got[0].data), (1, EPOLLIN, 7));
        assert!(ep.collect(8).is_empty());
        w.write(b"y").unwrap();
        assert_eq!(ep.collect(8).len(), 1);
        ep.modify(3, &r, EPOLLIN | EPOLLONESHOT | EPOLLERR | EPOLLHUP, 9)
            .unwrap();
        assert_eq!(ep.collect(8)[0].data, 9);
        assert!(ep.collect(8).is_empty());
        ep.modify(3, &r, EPOLLIN | EPOLLERR | EPOLLHUP, 1).unwrap();
        assert_eq!(ep.collect(8).len(), 1);
        assert_eq!(ep.collect(8).len(), 1);
        assert_eq!(
            ep.poll_mask(),
            Some(poll_bits::POLLIN | poll_bits::POLLRDNORM)
        );
        drop(r);
        assert_eq!(ep.live(), 0);
        assert_eq!(ep.remove(3, &w).err(), Some(Errno::ENOENT));
    }
}
