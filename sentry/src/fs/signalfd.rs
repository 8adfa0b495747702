//! signalfd: pending signals of a set, taken by reading a descriptor instead of by a
//! handler (the signals are normally blocked). Each read takes as many as fit, 128
//! bytes of `struct signalfd_siginfo` each: the thread's own signals first, then the
//! process's, lowest number first. The descriptor reads the signals of the thread
//! that created it and of its process (Linux: of whoever reads).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::eventfd::anonymous_inode_basics;
use super::inode::{poll_bits, Inode};
use crate::errno::{Errno, SysResult};
use crate::kernel::signal::{bit, Posted, SigSet, SignalInbox, SIGKILL, SIGSTOP};
use crate::kernel::wait::WaitQueue;

/// `struct signalfd_siginfo`.
const SIGINFO_SIZE: usize = 128;
/// si_code of a POSIX timer's signal.
const SI_TIMER: i32 = -2;
const SIGCHLD: i32 = 17;

pub struct SignalFd {
    mask: AtomicU64,
    thread: Arc<SignalInbox>,
    process: Arc<SignalInbox>,
    /// Notified by both inboxes whenever a signal is posted.
    queue: Arc<WaitQueue>,
}

impl SignalFd {
    pub fn new(mask: SigSet, thread: Arc<SignalInbox>, process: Arc<SignalInbox>) -> SignalFd {
        let queue = Arc::new(WaitQueue::default());
        thread.watch(&queue);
        process.watch(&queue);
        let fd = SignalFd {
            mask: AtomicU64::new(0),
            thread,
            process,
            queue,
        };
        fd.set_mask(mask);
        fd
    }

    /// The signals read; SIGKILL and SIGSTOP are never among them.
    pub fn set_mask(&self, mask: SigSet) {
        self.mask
            .store(mask & !(bit(SIGKILL) | bit(SIGSTOP)), Ordering::Release);
        self.queue.notify();
    }

    fn ready(&self) -> SigSet {
        (self.thread.pending() | self.process.pending()) & self.mask.load(Ordering::Acquire)
    }

    /// Takes the next signal of the mask: the thread's own first.
    fn take(&self) -> Option<(i32, Posted)> {
        let mask = self.mask.load(Ordering::Acquire);
        for inbox in [&self.thread, &self.process] {
            let ready = inbox.pending() & mask;
            if ready != 0 {
                let signo = ready.trailing_zeros() as i32 + 1;
                if let Some(posted) = inbox.take_signal(signo) {
                    return Some((signo, posted));
                }
            }
        }
        None
    }
}

/// The `struct signalfd_siginfo` Linux fills for `signo` as sent (`posted`).
fn siginfo(signo: i32, posted: &Posted) -> [u8; SIGINFO_SIZE] {
    let mut b = [0u8; SIGINFO_SIZE];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &(signo as u32).to_le_bytes());
    put(8, &posted.code.to_le_bytes());
    match (posted.code, posted.sender) {
        // A timer's id and overrun count (ssi_tid, ssi_overrun).
        (SI_TIMER, Some((id, overrun))) => {
            put(24, &(id as u32).to_le_bytes());
            put(32, &overrun.to_le_bytes());
        }
        (_, Some((pid, uid))) => {
            put(12, &(pid as u32).to_le_bytes());
            put(16, &uid.to_le_bytes());
        }
        _ => {}
    }
    if signo == SIGCHLD {
        put(40, &posted.status.to_le_bytes());
    }
    if let Some(value) = posted.value {
        put(44, &(value as u32).to_le_bytes());
        put(48, &value.to_le_bytes());
    }
    b
}

impl Inode for SignalFd {
    anonymous_inode_basics!();

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        // An empty read is how the I/O layer checks the descriptor before the buffer.
        if buf.is_empty() {
            return Ok(0);
        }
        let room = buf.len() / SIGINFO_SIZE;
        if room == 0 {
            return Err(Errno::EINVAL);
        }
        let mut done = 0;
        while done < room {
            let Some((signo, posted)) = self.take() else {
                break;
            };
            buf[done * SIGINFO_SIZE..(done + 1) * SIGINFO_SIZE]
                .copy_from_slice(&siginfo(signo, &posted));
            done += 1;
        }
        if done == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(done * SIGINFO_SIZE)
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(Errno::EINVAL)
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue)
    }

    fn poll_mask(&self) -> Option<u16> {
        Some(if self.ready() != 0 {
            poll_bits::POLLIN
        } else {
            0
        })
    }
}
