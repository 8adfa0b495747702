//! The filesystem object model: inodes (files, directories, symlinks, devices) behind
//! one trait, so the path walk, the descriptor table and the syscalls never care which
//! filesystem they are in. Every operation has Linux's errno as its default answer.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use super::shared_pages::SharedPages;
use crate::errno::{Errno, SysResult};

pub type InodeRef = Arc<dyn Inode>;

/// The kind of an inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

impl FileType {
    /// The S_IF* bits of `st_mode`.
    pub fn mode_bits(self) -> u32 {
        match self {
            FileType::Regular => 0o100000,
            FileType::Directory => 0o040000,
            FileType::Symlink => 0o120000,
            FileType::CharDevice => 0o020000,
            FileType::BlockDevice => 0o060000,
            FileType::Fifo => 0o010000,
            FileType::Socket => 0o140000,
        }
    }

    /// From the S_IF* bits of a mode; `None` for an invalid type.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & 0o170000 {
            0o100000 => FileType::Regular,
            0o040000 => FileType::Directory,
            0o120000 => FileType::Symlink,
            0o020000 => FileType::CharDevice,
            0o060000 => FileType::BlockDevice,
            0o010000 => FileType::Fifo,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }

    /// The DT_* value getdents64 reports.
    pub fn dirent_type(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// What stat(2) reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    /// Type bits and permission bits.
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: Duration,
    pub mtime: Duration,
    pub ctime: Duration,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: Vec<u8>,
    pub ino: u64,
    pub file_type: FileType,
}

/// What `create` makes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewNode {
    Regular,
    Directory,
    Symlink(Vec<u8>),
    Fifo,
    /// A UNIX domain socket's node (bind(2), or mknod with S_IFSOCK).
    Socket,
}

/// Owner and permissions of a new inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
    /// Permission bits (already masked by the umask).
    pub perm: u32,
}

/// Attribute changes (chmod, chown, truncate, utimensat).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    pub perm: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub size: Option<u64>,
    pub atime: Option<Duration>,
    pub mtime: Option<Duration>,
}

/// File seals (fcntl F_ADD_SEALS), as Linux numbers them.
pub const F_SEAL_SEAL: u32 = 0x1;
pub const F_SEAL_SHRINK: u32 = 0x2;
pub const F_SEAL_GROW: u32 = 0x4;
pub const F_SEAL_WRITE: u32 = 0x8;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
pub const F_ALL_SEALS: u32 = 0x3f;

/// renameat2 flags.
pub const RENAME_NOREPLACE: u32 = 1;
pub const RENAME_EXCHANGE: u32 = 2;

/// A filesystem object. Directory operations take names that are single components
/// (never empty, ".", ".." or containing '/': the path walk guarantees it).
pub trait Inode: Send + Sync + Any {
    fn file_type(&self) -> FileType;
    fn stat(&self) -> SysResult<Stat>;

    /// The device number of the filesystem and the inode number: identifies the inode.
    fn id(&self) -> (u64, u64) {
        self.stat().map_or((0, 0), |s| (s.dev, s.ino))
    }

    fn set_attr(&self, _attr: &SetAttr) -> SysResult<()> {
        Err(Errno::EPERM)
    }

    fn lookup(&self, _name: &[u8]) -> SysResult<InodeRef> {
        Err(Errno::ENOTDIR)
    }

    fn readdir(&self) -> SysResult<Vec<DirEntry>> {
        Err(Errno::ENOTDIR)
    }

    fn create(&self, _name: &[u8], _node: NewNode, _owner: Owner) -> SysResult<InodeRef> {
        Err(Errno::ENOTDIR)
    }

    /// Adds a hard link `name` to `target` (which is in the same filesystem).
    fn link(&self, _name: &[u8], _target: &InodeRef) -> SysResult<()> {
        Err(Errno::ENOTDIR)
    }

    /// Removes `name`; `directory` says whether rmdir (true) or unlink (false) asked.
    fn unlink(&self, _name: &[u8], _directory: bool) -> SysResult<()> {
        Err(Errno::ENOTDIR)
    }

    /// Moves `old` in this directory to `new` in `new_dir` (same filesystem).
    fn rename(&self, _old: &[u8], _new_dir: &InodeRef, _new: &[u8], _flags: u32) -> SysResult<()> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> SysResult<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    /// Reads file data at `offset`.
    fn read_at(&self, _buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        Err(if self.file_type() == FileType::Directory {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// The host file holding this inode's data, for mapping it (read-only host files).
    fn host_file(&self) -> Option<std::fs::File> {
        None
    }

    /// Reads file data at `offset` into guest frames, a page each, in order; bytes
    /// read (short at end of file: the rest of the frames stays as it was).
    fn read_into_frames(
        &self,
        ram: &vmm::GuestRam,
        frames: &[vmm::Frame],
        offset: u64,
    ) -> SysResult<usize> {
        read_into_frames_by_copy(self, ram, frames, offset)
    }

    /// Writes file data at `offset`.
    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(if self.file_type() == FileType::Directory {
            Errno::EISDIR
        } else {
            Errno::EINVAL
        })
    }

    /// Whether data comes as a stream that pread/pwrite cannot address (ESPIPE):
    /// pipes, sockets, and anonymous inodes like eventfd and epoll.
    fn stream(&self) -> bool {
        matches!(self.file_type(), FileType::Fifo | FileType::Socket)
    }

    /// Whether offsets mean anything (false for devices like /dev/null's streams).
    fn seekable(&self) -> bool {
        matches!(
            self.file_type(),
            FileType::Regular | FileType::Directory | FileType::BlockDevice
        )
    }

    /// For /proc/[pid]/fd/N: (pid, N). Following such a link reaches the open file
    /// itself (a "magic link"), not the path its text shows.
    fn fd_link(&self) -> Option<(i32, i32)> {
        None
    }

    /// For a file whose readiness varies (pipes, sockets, eventfds): the `poll_bits`
    /// that hold now. None: always ready for reading and writing (regular files).
    fn poll_mask(&self) -> Option<u16> {
        None
    }

    /// Notified whenever the inode may have become readable or writable (pipes): a
    /// blocking operation that got EAGAIN sleeps on it, and so do poll and epoll.
    fn wait_queue(&self) -> Option<&crate::kernel::wait::WaitQueue> {
        None
    }

    /// An open file description of this inode was created (pipes count their ends).
    fn on_open(&self) {}

    /// The last descriptor of an open file description of this inode was closed.
    fn on_release(&self) {}

    /// For a file whose contents can never change while the sandbox runs (a read-only
    /// host file): its identity, so its pages can be cached and shared.
    fn immutable_key(&self) -> Option<(u64, u64)> {
        None
    }

    /// The pages of this file that MAP_SHARED mappings use, if it can have any; made
    /// on first use if `create` (a mapping faults), else only if some exist.
    fn shared_pages(&self, _create: bool) -> Option<Arc<SharedPages>> {
        None
    }

    /// A shared mapping of this file went away: drops the pages no mapping uses.
    fn release_shared_pages(&self) {}

    /// The file seals (`F_SEAL_*`) of a file that can have them (a memfd).
    fn seals(&self) -> Option<u32> {
        None
    }

    /// Adds file seals: EINVAL for a file that cannot have any, EPERM once F_SEAL_SEAL
    /// is set.
    fn add_seals(&self, _seals: u32) -> SysResult<()> {
        Err(Errno::EINVAL)
    }

    /// Whether the inode lives on a read-only mount (opening for write gives EROFS).
    fn read_only(&self) -> bool {
        false
    }

    /// Changes the file's size (truncate, ftruncate, O_TRUNC).
    fn truncate(&self, size: u64) -> SysResult<()> {
        self.set_attr(&SetAttr {
            size: Some(size),
            ..SetAttr::default()
        })
    }

    fn as_any(&self) -> &dyn Any;
}

/// poll(2) event bits, as `Inode::poll_mask` reports them.
pub mod poll_bits {
    pub const POLLIN: u16 = 0x1;
    pub const POLLOUT: u16 = 0x4;
    pub const POLLERR: u16 = 0x8;
    pub const POLLHUP: u16 = 0x10;
    pub const POLLRDNORM: u16 = 0x40;
    pub const POLLWRNORM: u16 = 0x100;
    pub const POLLWRBAND: u16 = 0x200;
    /// The peer shut down writing (or closed): sockets report it when asked.
    pub const POLLRDHUP: u16 = 0x2000;
}

/// `Inode::read_into_frames` through `read_at` and a page buffer.
pub fn read_into_frames_by_copy<I: Inode + ?Sized>(
    inode: &I,
    ram: &vmm::GuestRam,
    frames: &[vmm::Frame],
    offset: u64,
) -> SysResult<usize> {
    let mut page = vec![0u8; vmm::PAGE_SIZE as usize];
    let mut total = 0;
    for frame in frames {
        let mut got = 0;
        while got < page.len() {
            match inode.read_at(&mut page[got..], offset + total as u64 + got as u64)? {
                0 => break,
                n => got += n,
            }
        }
        ram.write(frame.addr(), &page[..got])
            .map_err(|_| Errno::EFAULT)?;
        total += got;
        if got < page.len() {
            break;
        }
    }
    Ok(total)
}
