//! System V shared memory segments (shmget, shmat, shmdt, shmctl). A segment is a
//! file of the internal tmpfs that memfds use, which no directory holds; attaching
//! maps it shared, so every attachment in every process uses the same pages
//! (`fs::shared_pages`). A segment's attachment count is how many mappings hold its
//! inode, so fork and exit keep it right without hooks of their own; a mapping split
//! by a partial munmap counts twice.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use super::sysv_ipc::IpcPerm;
use crate::fs::inode::InodeRef;
use crate::fs::memfs::MemNode;

/// `shm_perm.mode` bits beyond the permissions.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;
/// Most segments at once (SHMMNI).
pub const SHMMNI: usize = 4096;

/// One segment.
pub struct Segment {
    /// The key is IPC_PRIVATE (0) once removed; the mode holds SHM_DEST and
    /// SHM_LOCKED besides the permission bits.
    pub perm: IpcPerm,
    pub node: Arc<MemNode>,
    pub size: u64,
    pub cpid: i32,
    pub lpid: i32,
    pub atime: u64,
    pub dtime: u64,
    pub ctime: u64,
}

impl Segment {
    /// How many mappings (in any process) hold the segment.
    pub fn attachments(&self) -> u64 {
        Arc::strong_count(&self.node) as u64 - 1
    }

    /// Whether `inode` is this segment's file.
    pub fn is(&self, inode: &InodeRef) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(inode), Arc::as_ptr(&self.node))
    }
}

/// The sandbox's segments by id (ids are table indexes).
#[derive(Default)]
pub struct ShmTable {
    segments: Mutex<BTreeMap<i32, Segment>>,
}

impl ShmTable {
    /// The segments, with removed ones nobody holds any more dropped first.
    pub fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Segment>> {
        let mut segments = self.segments.lock().unwrap_or_else(|e| e.into_inner());
        segments.retain(|_, s| s.perm.mode & SHM_DEST == 0 || s.attachments() > 0);
        segments
    }

    /// The lowest free id, if any is left.
    pub fn free_id(segments: &BTreeMap<i32, Segment>) -> Option<i32> {
        (0..SHMMNI as i32).find(|id| !segments.contains_key(id))
    }
}
