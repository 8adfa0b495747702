//! Pipes: a bounded byte queue with a read end and a write end. Linux's semantics:
//! end of file when no writer is left, EPIPE (and SIGPIPE) when no reader is, writes of
//! up to PIPE_BUF bytes never interleave. Blocking is the caller's business: an
//! operation that would block returns EAGAIN.

use std::any::Any;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use super::inode::{FileType, Inode, InodeRef, Stat};
use crate::errno::{Errno, SysResult};
use crate::kernel::wait::WaitQueue;

/// Bytes a pipe holds by default (16 pages, as Linux).
pub const PIPE_CAPACITY: usize = 65536;
/// Writes up to this size are atomic.
pub const PIPE_BUF: usize = 4096;
/// Device number of the pipe filesystem.
const PIPEFS_DEV: u64 = 0x0d;

struct State {
    data: VecDeque<u8>,
    readers: usize,
    writers: usize,
}

/// The shared queue.
pub struct Pipe {
    ino: u64,
    state: Mutex<State>,
    /// Readers and writers waiting for data, room, or the other end's close.
    queue: WaitQueue,
}

/// One end of a pipe, as an inode (so it has a descriptor, fstat, /proc/self/fd).
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    write: bool,
}

impl Pipe {
    /// A new pipe: its read end and write end.
    pub fn create() -> (InodeRef, InodeRef) {
        static NEXT_INO: AtomicU64 = AtomicU64::new(1);
        let pipe = Arc::new(Pipe {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                data: VecDeque::new(),
                readers: 0,
                writers: 0,
            }),
            queue: WaitQueue::default(),
        });
        let read: InodeRef = Arc::new(PipeEnd {
            pipe: pipe.clone(),
            write: false,
        });
        let write: InodeRef = Arc::new(PipeEnd { pipe, write: true });
        (read, write)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PipeEnd {
    /// Whether the end is readable, writable, hung up (poll).
    pub fn readiness(&self) -> (bool, bool, bool) {
        let st = self.pipe.lock();
        if self.write {
            (
                false,
                st.readers == 0 || st.data.len() < PIPE_CAPACITY,
                st.readers == 0,
            )
        } else {
            (
                !st.data.is_empty() || st.writers == 0,
                false,
                st.writers == 0 && st.data.is_empty(),
            )
        }
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn available(&self) -> usize {
        self.pipe.lock().data.len()
    }
}

impl Inode for PipeEnd {
    fn file_type(&self) -> FileType {
        FileType::Fifo
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(Stat {
            dev: PIPEFS_DEV,
            ino: self.pipe.ino,
            mode: 0o010600,
            nlink: 1,
            blksize: 4096,
            ..Stat::default()
        })
    }

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        let mut st = self.pipe.lock();
        if buf.is_empty() {
            return Ok(0);
        }
        if st.data.is_empty() {
            return if st.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let n = buf.len().min(st.data.len());
        for (slot, byte) in buf.iter_mut().zip(st.data.drain(..n)) {
            *slot = byte;
        }
        drop(st);
        self.pipe.queue.notify();
        Ok(n)
    }

    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        let mut st = self.pipe.lock();
        if st.readers == 0 {
            return Err(Errno::EPIPE);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let room = PIPE_CAPACITY - st.data.len();
        if room == 0 || (buf.len() <= PIPE_BUF && room < buf.len()) {
            return Err(Errno::EAGAIN);
        }
        let n = buf.len().min(room);
        st.data.extend(&buf[..n]);
        drop(st);
        self.pipe.queue.notify();
        Ok(n)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.pipe.queue)
    }

    fn on_open(&self) {
        let mut st = self.pipe.lock();
        if self.write {
            st.writers += 1;
        } else {
            st.readers += 1;
        }
        drop(st);
        self.pipe.queue.notify();
    }

    fn on_release(&self) {
        let mut st = self.pipe.lock();
        if self.write {
            st.writers = st.writers.saturating_sub(1);
        } else {
            st.readers = st.readers.saturating_sub(1);
        }
        drop(st);
        self.pipe.queue.notify();
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eof_and_epipe_follow_the_other_end() {
        let (r, w) = Pipe::create();
        r.on_open();
        w.on_open();
        assert_eq!(w.write_at(b"abc", 0), Ok(3));
        let mut buf = [0u8; 8];
        assert_eq!(r.read_at(&mut buf, 0), Ok(3));
        assert_eq!(r.read_at(&mut buf, 0), Err(Errno::EAGAIN));
        w.on_release();
        assert_eq!(r.read_at(&mut buf, 0), Ok(0));
        r.on_release();
        assert_eq!(w.write_at(b"x", 0), Err(Errno::EPIPE));
    }

    #[test]
    fn small_writes_are_atomic() {
        let (r, w) = Pipe::create();
        r.on_open();
        w.on_open();
        assert_eq!(
            w.write_at(&vec![0u8; PIPE_CAPACITY - 10], 0),
            Ok(PIPE_CAPACITY - 10)
        );
        assert_eq!(w.write_at(&[1u8; 20], 0), Err(Errno::EAGAIN));
        assert_eq!(w.write_at(&vec![1u8; PIPE_BUF + 1], 0), Ok(10));
    }
}
