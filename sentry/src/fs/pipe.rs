//! Pipes: a queue of page-sized buffers with a read end and a write end, as Linux
//! keeps them (so partial writes and capacity match Linux's to the byte): end of file
//! when no writer is left, EPIPE (and SIGPIPE) when no reader is, writes of up to
//! PIPE_BUF bytes never interleave. Blocking is the caller's business: an operation
//! that would block returns EAGAIN, and the pipe's wait queue says when to retry.

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

/// Bytes of one pipe buffer: a write of up to PIPE_BUF bytes fits one, so it never
/// interleaves with another.
const PAGE: usize = PIPE_BUF;

struct State {
    /// Buffers of at most `PAGE` bytes each; a write fills new ones (or tops up the
    /// last one when all of a small write fits there, as Linux merges).
    bufs: VecDeque<Vec<u8>>,
    /// Bytes in `bufs`.
    len: usize,
    /// Bytes the pipe holds at most (F_SETPIPE_SZ): `capacity / PAGE` buffers.
    capacity: usize,
    readers: usize,
    writers: usize,
    /// Opens of each kind ever made (a FIFO open waits for the other kind's count to
    /// move, so a peer that came and went still counts).
    reader_opens: u64,
    writer_opens: u64,
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
    read: bool,
    write: bool,
    /// For a named FIFO: its filesystem node (what fstat shows).
    node: Option<InodeRef>,
    /// Taken when this end was first counted, under the pipe's lock: whether the
    /// other side was there, and how many of each side had ever opened.
    opened: Mutex<Option<(bool, (u64, u64))>>,
}

/// The pipes behind named FIFOs that some descriptor has open, by the FIFO's
/// (device, inode): every opener of one FIFO shares its pipe; the data goes when the
/// last end closes.
static FIFOS: Mutex<Vec<FifoPipe>> = Mutex::new(Vec::new());

/// A FIFO's (device, inode) and its pipe while open.
type FifoPipe = ((u64, u64), std::sync::Weak<Pipe>);

impl Pipe {
    fn new() -> Arc<Pipe> {
        static NEXT_INO: AtomicU64 = AtomicU64::new(1);
        Arc::new(Pipe {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                bufs: VecDeque::new(),
                len: 0,
                capacity: PIPE_CAPACITY,
                readers: 0,
                writers: 0,
                reader_opens: 0,
                writer_opens: 0,
            }),
            queue: WaitQueue::default(),
        })
    }

    /// A new pipe: its read end and write end.
    pub fn create() -> (InodeRef, InodeRef) {
        let pipe = Pipe::new();
        let read: InodeRef = Arc::new(PipeEnd {
            pipe: pipe.clone(),
            read: true,
            write: false,
            node: None,
            opened: Mutex::new(None),
        });
        let write: InodeRef = Arc::new(PipeEnd {
            pipe,
            read: false,
            write: true,
            node: None,
            opened: Mutex::new(None),
        });
        (read, write)
    }

    /// An end of the pipe behind the FIFO `node`, for reading and/or writing.
    pub fn fifo_end(node: &InodeRef, read: bool, write: bool) -> Arc<PipeEnd> {
        let key = node.id();
        let mut fifos = FIFOS.lock().unwrap_or_else(|e| e.into_inner());
        fifos.retain(|(_, p)| p.strong_count() > 0);
        let pipe = match fifos
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, p)| p.upgrade())
        {
            Some(pipe) => pipe,
            None => {
                let pipe = Pipe::new();
                fifos.push((key, Arc::downgrade(&pipe)));
                pipe
            }
        };
        Arc::new(PipeEnd {
            pipe,
            read,
            write,
            node: Some(node.clone()),
            opened: Mutex::new(None),
        })
    }

    /// An end of the pipe that the open of `inode` (a FIFO's node, or a pipe end
    /// reached again through /proc/[pid]/fd/N) joins, for reading and/or writing,
    /// and whether it is an anonymous pipe: opening one never waits for the other
    /// side, as Linux's pipefs pipes.
    pub fn end_to_open(inode: &InodeRef, read: bool, write: bool) -> (Arc<PipeEnd>, bool) {
        match inode.as_any().downcast_ref::<PipeEnd>() {
            Some(end) => match &end.node {
                None => {
                    let end = Arc::new(PipeEnd {
                        pipe: end.pipe.clone(),
                        read,
                        write,
                        node: None,
                        opened: Mutex::new(None),
                    });
                    (end, true)
                }
                Some(node) => (Pipe::fifo_end(node, read, write), false),
            },
            None => (Pipe::fifo_end(inode, read, write), false),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl PipeEnd {
    /// Whether the other side of a FIFO being opened is there: a writer for a reader,
    /// a reader for a writer.
    pub fn peer_present(&self) -> bool {
        let st = self.pipe.lock();
        (!self.read || st.writers > 0) && (!self.write || st.readers > 0)
    }

    /// Whether the other side of a FIFO open has been there since this end was
    /// counted (it may have come and gone already).
    pub fn peer_arrived(&self) -> bool {
        let Some((present_then, counts)) = *self.opened.lock().unwrap_or_else(|e| e.into_inner())
        else {
            return self.peer_present();
        };
        let st = self.pipe.lock();
        present_then
            || ((!self.read || st.writers > 0 || st.writer_opens != counts.1)
                && (!self.write || st.readers > 0 || st.reader_opens != counts.0))
    }

    /// The queue opens of the FIFO wait on.
    pub fn queue(&self) -> &WaitQueue {
        &self.pipe.queue
    }

    /// The capacity in bytes (F_GETPIPE_SZ).
    pub fn capacity(&self) -> usize {
        self.pipe.lock().capacity
    }

    /// F_SETPIPE_SZ: at least `size` bytes, rounded up to a power-of-two number of
    /// pages, within Linux's unprivileged limit; EBUSY if the data would not fit.
    pub fn set_capacity(&self, size: u64) -> SysResult<usize> {
        /// /proc/sys/fs/pipe-max-size's default.
        const PIPE_MAX_SIZE: u64 = 1 << 20;
        if size > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        if size > PIPE_MAX_SIZE {
            return Err(Errno::EPERM);
        }
        let pages = size.div_ceil(4096).max(1).next_power_of_two();
        let capacity = (pages * 4096) as usize;
        let mut st = self.pipe.lock();
        if st.bufs.len() > capacity / PAGE {
            return Err(Errno::EBUSY);
        }
        st.capacity = capacity;
        drop(st);
        self.pipe.queue.notify();
        Ok(capacity)
    }

    /// Bytes waiting to be read (FIONREAD).
    pub fn available(&self) -> usize {
        self.pipe.lock().len
    }
}

impl Inode for PipeEnd {
    fn file_type(&self) -> FileType {
        FileType::Fifo
    }

    fn stat(&self) -> SysResult<Stat> {
        if let Some(node) = &self.node {
            return node.stat();
        }
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
        if st.len == 0 {
            return if st.writers == 0 {
                Ok(0)
            } else {
                Err(Errno::EAGAIN)
            };
        }
        let mut n = 0;
        while n < buf.len() {
            let Some(front) = st.bufs.front_mut() else {
                break;
            };
            let take = front.len().min(buf.len() - n);
            buf[n..n + take].copy_from_slice(&front[..take]);
            front.drain(..take);
            if front.is_empty() {
                st.bufs.pop_front();
            }
            n += take;
        }
        st.len -= n;
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
        let slots = st.capacity / PAGE;
        let mut n = 0;
        // The odd part of the write may top up the last buffer if all of it fits.
        let chars = buf.len() % PAGE;
        if chars != 0 {
            if let Some(last) = st.bufs.back_mut().filter(|b| b.len() + chars <= PAGE) {
                last.extend_from_slice(&buf[..chars]);
                n = chars;
            }
        }
        while n < buf.len() && st.bufs.len() < slots {
            let take = (buf.len() - n).min(PAGE);
            st.bufs.push_back(buf[n..n + take].to_vec());
            n += take;
        }
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        st.len += n;
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

    fn poll_mask(&self) -> Option<u16> {
        use super::inode::poll_bits::*;
        let st = self.pipe.lock();
        let mut mask = 0;
        if self.write {
            if st.bufs.len() < st.capacity / PAGE {
                mask |= POLLOUT | POLLWRNORM;
            }
            if st.readers == 0 {
                mask |= POLLERR;
            }
        }
        if self.read {
            if st.len > 0 {
                mask |= POLLIN | POLLRDNORM;
            }
            if st.writers == 0 {
                mask |= POLLHUP;
            }
        }
        Some(mask)
    }

    fn on_open(&self) {
        let mut st = self.pipe.lock();
        if self.write {
            st.writers += 1;
            st.writer_opens += 1;
        }
        if self.read {
            st.readers += 1;
            st.reader_opens += 1;
        }
        let present = (!self.read || st.writers > 0) && (!self.write || st.readers > 0);
        self.opened
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get_or_insert((present, (st.reader_opens, st.writer_opens)));
        drop(st);
        self.pipe.queue.notify();
    }

    fn on_release(&self) {
        let mut st = self.pipe.lock();
        if self.write {
            st.writers = st.writers.saturating_sub(1);
        }
        if self.read {
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
        assert_eq!(w.write_at(&[1u8; 10], 0), Ok(10));
        assert_eq!(w.write_at(&[1u8; 1], 0), Err(Errno::EAGAIN));
        let mut out = vec![0u8; PIPE_CAPACITY];
        assert_eq!(r.read_at(&mut out, 0), Ok(PIPE_CAPACITY));
        // A large write does not top up a partial buffer: it takes whole ones.
        assert_eq!(w.write_at(&[1u8; 100], 0), Ok(100));
        assert_eq!(
            w.write_at(&vec![1u8; PIPE_CAPACITY], 0),
            Ok(PIPE_CAPACITY - PAGE)
        );
    }
}
