//! pidfd: a descriptor for a process (pidfd_open). It polls readable once every
//! thread of the process has exited, signals it without a pid race
//! (pidfd_send_signal), and names it to waitid (P_PIDFD). Reads give EINVAL.

use std::any::Any;
use std::sync::Arc;

use super::eventfd::anon_inode_stat;
use super::inode::{poll_bits, FileType, Inode, Stat};
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
    /// Anonymous inodes have no file type; see `EventFd::file_type`.
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(anon_inode_stat())
    }

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        Err(Errno::EINVAL)
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(Errno::EINVAL)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn stream(&self) -> bool {
        true
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

    fn as_any(&self) -> &dyn Any {
        self
    }
}
