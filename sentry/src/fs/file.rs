//! Open file descriptions: what a descriptor refers to, with the offset and status
//! flags that `dup`ed descriptors share.

use std::sync::{Arc, Mutex, MutexGuard};

use super::hostfs::host_errno;
use super::inode::{DirEntry, FileType, Inode, SetAttr, Stat};
use super::path::Dentry;
use crate::errno::{Errno, SysResult};
use crate::host;

pub const O_ACCMODE: u32 = 0o3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_PATH: u32 = 0o10000000;
/// Status flags F_SETFL may change (O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME, O_ASYNC).
pub const SETTABLE_FLAGS: u32 = O_APPEND | O_NONBLOCK | 0o40000 | 0o1000000 | 0o20000;

/// What an open file is.
pub enum FileKind {
    /// One of the host's standard streams, passed through (the host owns its offset).
    HostStream { host_fd: i32, target: Vec<u8> },
    /// A file of the sandbox's filesystem.
    Node(Arc<Dentry>),
}

/// The record format getdents writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirentLayout {
    /// `struct linux_dirent64` (getdents64): the type before the name.
    Dirent64,
    /// `struct linux_dirent` (the old getdents): the type in the last byte.
    Dirent,
}

/// An open file description.
pub struct OpenFile {
    pub kind: FileKind,
    flags: Mutex<u32>,
    offset: Mutex<u64>,
    /// Directory listing being read by getdents64, taken at the first call.
    listing: Mutex<Option<Vec<DirEntry>>>,
    /// It has held flock or OFD locks, which go with its last close.
    held_locks: std::sync::atomic::AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The attributes of a passed-through host stream.
fn host_stat(fd: i32) -> SysResult<Stat> {
    host::fstat(fd)
        .map(|st| super::hostfs::stat_from_host(&st))
        .map_err(host_errno)
}

impl OpenFile {
    pub fn new(kind: FileKind, flags: u32) -> Arc<OpenFile> {
        if let FileKind::Node(d) = &kind {
            d.inode.on_open();
        }
        Arc::new(OpenFile {
            kind,
            flags: Mutex::new(flags),
            offset: Mutex::new(0),
            listing: Mutex::new(None),
            held_locks: Default::default(),
        })
    }

    /// A host standard stream, with the host's status flags.
    pub fn host_stream(host_fd: i32) -> Arc<OpenFile> {
        let flags = host::status_flags(host_fd).unwrap_or(O_RDWR);
        // What the host says the stream is (/dev/pts/0, pipe:[1234], a file the user
        // redirected): the user handed these to the sandbox. Read once: /proc shows it.
        let target = std::fs::read_link(format!("/proc/self/fd/{host_fd}"))
            .map(|p| p.into_os_string().into_encoded_bytes())
            .unwrap_or_else(|_| format!("host:[{host_fd}]").into_bytes());
        Self::new(FileKind::HostStream { host_fd, target }, flags)
    }

    pub fn flags(&self) -> u32 {
        *lock(&self.flags)
    }

    /// F_SETFL: changes the settable status flags.
    pub fn set_status_flags(&self, flags: u32) -> SysResult<()> {
        if let FileKind::HostStream { host_fd, .. } = self.kind {
            let current = host::status_flags(host_fd).map_err(host_errno)?;
            let wanted = (current & !SETTABLE_FLAGS) | (flags & SETTABLE_FLAGS);
            host::set_status_flags(host_fd, wanted).map_err(host_errno)?;
        }
        let mut f = lock(&self.flags);
        *f = (*f & !SETTABLE_FLAGS) | (flags & SETTABLE_FLAGS);
        Ok(())
    }

    pub fn is_path_only(&self) -> bool {
        self.flags() & O_PATH != 0
    }

    /// EBADF unless the description was opened for reading.
    pub fn check_readable(&self) -> SysResult<()> {
        let f = self.flags();
        if f & O_PATH != 0 || f & O_ACCMODE == O_WRONLY {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// EBADF unless the description was opened for writing.
    pub fn check_writable(&self) -> SysResult<()> {
        let f = self.flags();
        if f & O_PATH != 0 || f & O_ACCMODE == O_RDONLY {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// This description as the owner of flock and OFD locks (which it releases at its
    /// last close).
    pub fn lock_owner(&self) -> super::locks::Owner {
        super::locks::Owner::File(self as *const OpenFile as usize)
    }

    /// Notes that this description holds (or held) flock or OFD locks.
    pub fn note_locks(&self) {
        self.held_locks
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// The dentry of a filesystem file.
    pub fn dentry(&self) -> Option<&Arc<Dentry>> {
        match &self.kind {
            FileKind::Node(d) => Some(d),
            FileKind::HostStream { .. } => None,
        }
    }

    /// The file's inode as the concrete kind `T` (a pipe end, a socket, a timerfd...),
    /// if it is one.
    pub fn inode_as<T: 'static>(&self) -> Option<&T> {
        self.dentry()?.inode.as_any().downcast_ref::<T>()
    }

    pub fn stat(&self) -> SysResult<Stat> {
        match &self.kind {
            FileKind::HostStream { host_fd, .. } => host_stat(*host_fd),
            FileKind::Node(d) => d.inode.stat(),
        }
    }

    fn positional(&self) -> bool {
        match &self.kind {
            FileKind::HostStream { .. } => false,
            FileKind::Node(d) => d.inode.seekable(),
        }
    }

    /// read(2): at the file offset, which advances.
    pub fn read(&self, buf: &mut [u8]) -> SysResult<usize> {
        self.check_readable()?;
        match &self.kind {
            FileKind::HostStream { host_fd, .. } => host::read(*host_fd, buf).map_err(host_errno),
            FileKind::Node(d) => {
                if d.is_dir() {
                    return Err(Errno::EISDIR);
                }
                let mut offset = lock(&self.offset);
                let n = read_coherently(&*d.inode, buf, *offset)?;
                if self.positional() {
                    *offset += n as u64;
                }
                Ok(n)
            }
        }
    }

    /// write(2): at the file offset (or the end with O_APPEND), which advances.
    pub fn write(&self, buf: &[u8]) -> SysResult<usize> {
        self.check_writable()?;
        match &self.kind {
            FileKind::HostStream { host_fd, .. } => host::write(*host_fd, buf).map_err(host_errno),
            FileKind::Node(d) => {
                let mut offset = lock(&self.offset);
                if self.flags() & O_APPEND != 0 && self.positional() {
                    *offset = d.inode.stat()?.size;
                }
                let n = write_coherently(&*d.inode, buf, *offset)?;
                if self.positional() {
                    *offset += n as u64;
                }
                Ok(n)
            }
        }
    }

    /// Where a blocking operation that got EAGAIN sleeps; None when the file is in
    /// non-blocking mode or can never block.
    pub fn blocking_queue(&self) -> Option<&crate::kernel::wait::WaitQueue> {
        if self.flags() & O_NONBLOCK != 0 {
            return None;
        }
        self.wait_queue()
    }

    /// Notified when the file's readiness may have changed (poll sleeps on it).
    pub fn wait_queue(&self) -> Option<&crate::kernel::wait::WaitQueue> {
        match &self.kind {
            FileKind::Node(d) => d.inode.wait_queue(),
            FileKind::HostStream { .. } => None,
        }
    }

    /// pread(2): at `offset`, the file offset unchanged.
    pub fn pread(&self, buf: &mut [u8], offset: u64) -> SysResult<usize> {
        self.check_readable()?;
        match &self.kind {
            FileKind::HostStream { host_fd, .. } => {
                host::pread(*host_fd, buf, offset as i64).map_err(host_errno)
            }
            FileKind::Node(d) => {
                if d.inode.stream() {
                    return Err(Errno::ESPIPE);
                }
                if d.is_dir() {
                    return Err(Errno::EISDIR);
                }
                read_coherently(&*d.inode, buf, offset)
            }
        }
    }

    /// pwrite(2): at `offset` (Linux appends anyway with O_APPEND).
    pub fn pwrite(&self, buf: &[u8], offset: u64) -> SysResult<usize> {
        self.check_writable()?;
        match &self.kind {
            FileKind::HostStream { .. } => Err(Errno::ESPIPE),
            FileKind::Node(d) => {
                if d.inode.stream() {
                    return Err(Errno::ESPIPE);
                }
                let at = if self.flags() & O_APPEND != 0 && self.positional() {
                    d.inode.stat()?.size
                } else {
                    offset
                };
                write_coherently(&*d.inode, buf, at)
            }
        }
    }

    /// lseek(2).
    pub fn seek(&self, offset: i64, whence: i32) -> SysResult<u64> {
        const SEEK_SET: i32 = 0;
        const SEEK_CUR: i32 = 1;
        const SEEK_END: i32 = 2;
        const SEEK_DATA: i32 = 3;
        const SEEK_HOLE: i32 = 4;
        let d = match &self.kind {
            FileKind::HostStream { host_fd, .. } => {
                return host::lseek(*host_fd, offset, whence).map_err(host_errno);
            }
            FileKind::Node(d) => d,
        };
        let kind = d.inode.file_type();
        if matches!(kind, FileType::Fifo | FileType::Socket) {
            return Err(Errno::ESPIPE);
        }
        if kind == FileType::CharDevice {
            // /dev/null and friends accept any seek and stay at 0.
            return Ok(0);
        }
        let mut pos = lock(&self.offset);
        let size = d.inode.stat()?.size;
        let base: i64 = match whence {
            SEEK_SET => 0,
            SEEK_CUR => *pos as i64,
            SEEK_END => size as i64,
            SEEK_DATA | SEEK_HOLE if kind == FileType::Regular => {
                if offset < 0 || offset as u64 >= size {
                    return Err(Errno::ENXIO);
                }
                let at = if whence == SEEK_DATA {
                    offset as u64
                } else {
                    size
                };
                *pos = at;
                return Ok(at);
            }
            _ => return Err(Errno::EINVAL),
        };
        let new = base
            .checked_add(offset)
            .filter(|n| *n >= 0)
            .ok_or(Errno::EINVAL)?;
        if kind == FileType::Directory {
            if new != 0
                && new as u64
                    > lock(&self.listing)
                        .as_ref()
                        .map_or(0, |l| l.len() as u64 + 2)
            {
                return Err(Errno::EINVAL);
            }
            if new == 0 {
                *lock(&self.listing) = None;
            }
        }
        *pos = new as u64;
        Ok(new as u64)
    }

    /// getdents64(2): serialized `linux_dirent64` records that fit in `max` bytes.
    pub fn getdents(&self, max: usize, layout: DirentLayout) -> SysResult<Vec<u8>> {
        let d = self.dentry().ok_or(Errno::ENOTDIR)?;
        if self.is_path_only() {
            return Err(Errno::EBADF);
        }
        if !d.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        let mut pos = lock(&self.offset);
        let mut listing = lock(&self.listing);
        if listing.is_none() || *pos == 0 {
            let (dev_ino, parent_ino) = (
                d.inode.id().1,
                d.parent.as_ref().map_or(d.inode.id().1, |p| p.inode.id().1),
            );
            let mut all = vec![
                DirEntry {
                    name: b".".to_vec(),
                    ino: dev_ino,
                    file_type: FileType::Directory,
                },
                DirEntry {
                    name: b"..".to_vec(),
                    ino: parent_ino,
                    file_type: FileType::Directory,
                },
            ];
            all.extend(d.inode.readdir()?);
            *listing = Some(all);
        }
        let entries = listing.as_ref().ok_or(Errno::EIO)?;
        let mut out = Vec::new();
        let mut index = *pos as usize;
        while let Some(e) = entries.get(index) {
            // ino, offset, record length, then the name (and where the type goes).
            let header = match layout {
                DirentLayout::Dirent64 => 19,
                DirentLayout::Dirent => 18,
            };
            let reclen = match layout {
                DirentLayout::Dirent64 => (header + e.name.len() + 1).next_multiple_of(8),
                DirentLayout::Dirent => (header + e.name.len() + 2).next_multiple_of(8),
            };
            if out.len() + reclen > max {
                if out.is_empty() {
                    return Err(Errno::EINVAL);
                }
                break;
            }
            let start = out.len();
            out.extend_from_slice(&e.ino.to_le_bytes());
            out.extend_from_slice(&((index + 1) as u64).to_le_bytes());
            out.extend_from_slice(&(reclen as u16).to_le_bytes());
            if layout == DirentLayout::Dirent64 {
                out.push(e.file_type.dirent_type());
            }
            out.extend_from_slice(&e.name);
            out.resize(start + reclen, 0);
            if layout == DirentLayout::Dirent {
                // The old layout keeps the type in the record's last byte.
                out[start + reclen - 1] = e.file_type.dirent_type();
            }
            index += 1;
        }
        *pos = index as u64;
        Ok(out)
    }

    pub fn offset(&self) -> u64 {
        *lock(&self.offset)
    }

    /// A dentry for this open file (following /proc/self/fd/N): the file's own, or for
    /// a host stream a nameless one whose inode passes I/O through to the stream.
    pub fn as_dentry(&self) -> Arc<Dentry> {
        match &self.kind {
            FileKind::Node(d) => d.clone(),
            FileKind::HostStream { host_fd, .. } => {
                Dentry::root(Arc::new(HostStreamInode { host_fd: *host_fd }))
            }
        }
    }

    /// What /proc/self/fd/N shows.
    pub fn describe(&self) -> Vec<u8> {
        match &self.kind {
            FileKind::HostStream { target, .. } => target.clone(),
            FileKind::Node(d) if d.parent.is_none() && d.inode.file_type() == FileType::Fifo => {
                format!("pipe:[{}]", d.inode.id().1).into_bytes()
            }
            // Anonymous inodes (eventfd, epoll) carry their "anon_inode:[kind]" name.
            FileKind::Node(d) if d.parent.is_none() && !d.name.is_empty() => d.name.clone(),
            FileKind::Node(d) => d.path(),
        }
    }
}

impl Drop for OpenFile {
    fn drop(&mut self) {
        if self.held_locks.load(std::sync::atomic::Ordering::Relaxed) {
            super::locks::LOCKS.release(self.lock_owner(), None);
        }
        if let FileKind::Node(d) = &self.kind {
            d.inode.on_release();
        }
    }
}

/// Reads file data as a mapping would see it: what shared mappings wrote to the
/// range reaches the file first.
fn read_coherently(inode: &dyn Inode, buf: &mut [u8], offset: u64) -> SysResult<usize> {
    if let Some(pages) = inode.shared_pages(false) {
        pages.write_back(inode, offset, buf.len());
    }
    inode.read_at(buf, offset)
}

/// Writes file data, and into the pages shared mappings of it use.
fn write_coherently(inode: &dyn Inode, buf: &[u8], offset: u64) -> SysResult<usize> {
    let n = inode.write_at(buf, offset)?;
    if let Some(pages) = inode.shared_pages(false) {
        pages.written(offset, &buf[..n.min(buf.len())]);
    }
    Ok(n)
}

/// Whether `inode` is a host stream reopened through /proc/self/fd/N.
pub fn is_host_stream(inode: &dyn Inode) -> bool {
    inode.as_any().is::<HostStreamInode>()
}

/// A host standard stream reopened through /proc/self/fd/N or /dev/stdout.
struct HostStreamInode {
    host_fd: i32,
}

impl Inode for HostStreamInode {
    fn file_type(&self) -> FileType {
        self.stat()
            .ok()
            .and_then(|s| FileType::from_mode(s.mode))
            .unwrap_or(FileType::CharDevice)
    }

    fn stat(&self) -> SysResult<Stat> {
        host_stat(self.host_fd)
    }

    fn set_attr(&self, attr: &SetAttr) -> SysResult<()> {
        // O_TRUNC on a stream is ignored, as on a pipe or terminal.
        if *attr
            == (SetAttr {
                size: Some(0),
                ..SetAttr::default()
            })
        {
            return Ok(());
        }
        Err(Errno::EPERM)
    }

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        host::read(self.host_fd, buf).map_err(host_errno)
    }

    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        host::write(self.host_fd, buf).map_err(host_errno)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
