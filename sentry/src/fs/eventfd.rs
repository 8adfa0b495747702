//! eventfd(2): a 64-bit counter behind a descriptor. A write adds to it (blocking while
//! the sum would pass 0xfffffffffffffffe), a read takes all of it (or 1 with
//! EFD_SEMAPHORE) and blocks while it is 0. As with pipes, an operation that would
//! block returns EAGAIN and the wait queue says when to retry.

use std::sync::{Arc, Mutex, MutexGuard};

use super::inode::{poll_bits, Inode, Stat};
use super::path::Dentry;
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::WaitQueue;

/// Device and inode number of Linux's anonymous-inode filesystem: every eventfd, epoll
/// and other anonymous file shares the one inode, as in Linux.
pub const ANON_INODE_DEV: u64 = 0x0e;
pub const ANON_INODE_INO: u64 = 1;

/// What fstat reports for an anonymous inode: no file type bits, owner read/write.
pub fn anon_inode_stat() -> Stat {
    Stat {
        dev: ANON_INODE_DEV,
        ino: ANON_INODE_INO,
        mode: 0o600,
        nlink: 1,
        blksize: 4096,
        ..Stat::default()
    }
}

/// The `Inode` methods every anonymous inode (eventfd, epoll, timerfd, signalfd,
/// pidfd) shares: no file type of its own (a character device is the closest kind: no
/// offsets, lseek succeeds and stays at 0, mmap gives ENODEV), the one anonymous
/// inode's attributes, data as a stream.
macro_rules! anonymous_inode_basics {
    () => {
        fn file_type(&self) -> $crate::fs::inode::FileType {
            $crate::fs::inode::FileType::CharDevice
        }

        fn stat(&self) -> $crate::errno::SysResult<$crate::fs::inode::Stat> {
            Ok($crate::fs::eventfd::anon_inode_stat())
        }

        fn seekable(&self) -> bool {
            false
        }

        fn stream(&self) -> bool {
            true
        }

        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
    };
}
pub(crate) use anonymous_inode_basics;

/// A nameless dentry for an anonymous inode; /proc/self/fd shows `anon_inode:[kind]`.
pub fn anon_dentry(inode: Arc<dyn Inode>, kind: &str) -> Arc<Dentry> {
    Arc::new(Dentry {
        inode,
        parent: None,
        name: format!("anon_inode:[{kind}]").into_bytes(),
    })
}

/// The largest value the counter holds.
const MAX_COUNT: u64 = u64::MAX - 1;

struct State {
    count: u64,
    /// Successful writes and reads so far: what epoll's edge-triggered mode watches (a
    /// write wakes readers, a read wakes writers, as Linux's keyed wake-ups do).
    writes: u64,
    reads: u64,
}

/// An eventfd's counter.
pub struct EventFd {
    state: Mutex<State>,
    semaphore: bool,
    queue: WaitQueue,
}

impl EventFd {
    pub fn new(initial: u64, semaphore: bool) -> EventFd {
        EventFd {
            state: Mutex::new(State {
                count: initial,
                writes: 0,
                reads: 0,
            }),
            semaphore,
            queue: WaitQueue::default(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many writes (`for_read`) or reads (`for_write`) have happened: a change is an
    /// edge for an edge-triggered epoll interest in reading or writing.
    pub fn changes(&self, for_read: bool, for_write: bool) -> u64 {
        let st = self.lock();
        let mut n = 0u64;
        if for_read {
            n = n.wrapping_add(st.writes);
        }
        if for_write {
            n = n.wrapping_add(st.reads);
        }
        n
    }
}

impl Inode for EventFd {
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
        if st.count == 0 {
            return Err(Errno::EAGAIN);
        }
        let value = if self.semaphore { 1 } else { st.count };
        st.count -= value;
        st.reads = st.reads.wrapping_add(1);
        drop(st);
        buf[..8].copy_from_slice(&value.to_ne_bytes());
        self.queue.notify();
        Ok(8)
    }

    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let Some(raw) = buf.get(..8) else {
            return Err(Errno::EINVAL);
        };
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(raw);
        let value = u64::from_ne_bytes(bytes);
        if value == u64::MAX {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        if value > MAX_COUNT - st.count {
            return Err(Errno::EAGAIN);
        }
        st.count += value;
        st.writes = st.writes.wrapping_add(1);
        drop(st);
        self.queue.notify();
        Ok(8)
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn poll_mask(&self) -> Option<u16> {
        let count = self.lock().count;
        let mut mask = 0;
        if count > 0 {
            mask |= poll_bits::POLLIN;
        }
        if count == u64::MAX {
            mask |= poll_bits::POLLERR;
        }
        if count < MAX_COUNT {
            mask |= poll_bits::POLLOUT;
        }
        Some(mask)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(e: &EventFd) -> SysResult<u64> {
        let mut b = [0u8; 8];
        e.read_at(&mut b, 0)?;
        Ok(u64::from_ne_bytes(b))
    }

    #[test]
    fn counter_and_semaphore() {
        let e = EventFd::new(5, false);
        assert_eq!(e.write_at(&3u64.to_ne_bytes(), 0), Ok(8));
        assert_eq!(read(&e), Ok(8));
        assert_eq!(read(&e), Err(Errno::EAGAIN));
        let s = EventFd::new(2, true);
        assert_eq!(read(&s), Ok(1));
        assert_eq!(read(&s), Ok(1));
        assert_eq!(read(&s), Err(Errno::EAGAIN));
        assert_eq!(s.read_at(&mut [0u8; 4], 0), Err(Errno::EINVAL));
    }

    #[test]
    fn overflow_blocks_and_max_is_invalid() {
        let e = EventFd::new(0, false);
        assert_eq!(e.write_at(&u64::MAX.to_ne_bytes(), 0), Err(Errno::EINVAL));
        assert_eq!(e.write_at(&MAX_COUNT.to_ne_bytes(), 0), Ok(8));
        assert_eq!(e.poll_mask(), Some(poll_bits::POLLIN));
        assert_eq!(e.write_at(&1u64.to_ne_bytes(), 0), Err(Errno::EAGAIN));
        assert_eq!(e.write_at(&0u64.to_ne_bytes(), 0), Ok(8));
        assert_eq!(e.write_at(&[0u8; 7], 0), Err(Errno::EINVAL));
    }
}
