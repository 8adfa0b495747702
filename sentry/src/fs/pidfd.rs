//! pidfd: a descriptor for a process (pidfd_open). It polls readable once every
//! thread of the process has exited, signals it without a pid race
//! (pidfd_send_signal), and names it to waitid (P_PIDFD). Reads give EINVAL.

use std::sync::Arc;

use super::eventfd::anonymous_inode_basics;
use super::inode::{poll_bits, Inode};
use crate::errno::{Errno, SysResult};
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::wait::WaitQueue;

pub struct PidFd {
    pub pid: i32,
    /// The process itself: a pid reused after it is reaped is another group.
    pub group: Arc<ThreadGroup>,
}

impl PidFd {
    /// Whether every thread of the process is gone (a zombie, or reaped).
    pub fn exited(&self) -> bool {
        self.group.count() == 0
    }
}

impl Inode for PidFd {
    anonymous_inode_basics!();

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Err(Errno::EINVAL)
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(Errno::EINVAL)
    }

    /// Notified as the process's threads leave.
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.group.left)
    }

    fn poll_mask(&self) -> Option<u16> {
        Some(if self.exited() {
            poll_bits::POLLIN | poll_bits::POLLRDNORM
        } else {
            0
        })
    }
}
