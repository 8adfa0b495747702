//! A host directory seen from the sandbox: the lower layer of the root overlay
//! (read-only) and `--bind` mounts (read-only or read-write).
//!
//! Safety rule: no guest path string ever reaches the host kernel. Each inode holds an
//! O_PATH descriptor; a lookup opens one more single component under it with
//! O_NOFOLLOW, so symlinks are returned to the sentry's path walk, which resolves them
//! inside the sandbox. Data and metadata are reached through `/proc/self/fd/N` of
//! those descriptors, never through a host path.

use std::any::Any;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::fs::{DirBuilderExt, DirEntryExt, FileExt, OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::inode::*;
use super::shared_pages::{SharedPageRegistry, SharedPages};
use crate::errno::{Errno, SysResult};
use crate::host;

/// The errno for a failed host call.
pub fn host_errno(e: io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::new)
}

/// One mounted host directory tree.
pub struct HostFs {
    writable: bool,
    shared_pages: SharedPageRegistry,
}

/// A host file, directory or symlink.
pub struct HostInode {
    fs: Arc<HostFs>,
    fd: OwnedFd,
    kind: FileType,
    /// The attributes when the inode was looked up.
    looked_up: Stat,
    /// An open descriptor for data access, opened on first use.
    data: Mutex<Option<File>>,
}

/// Our `Stat` of a host `stat`.
pub(super) fn stat_from_host(st: &libc::stat) -> Stat {
    let time = |s: i64, ns: i64| Duration::new(s.max(0) as u64, ns.clamp(0, 999_999_999) as u32);
    Stat {
        dev: st.st_dev,
        ino: st.st_ino,
        mode: st.st_mode,
        nlink: st.st_nlink,
        uid: st.st_uid,
        gid: st.st_gid,
        rdev: st.st_rdev,
        size: st.st_size.max(0) as u64,
        blksize: st.st_blksize.max(0) as u64,
        blocks: st.st_blocks.max(0) as u64,
        atime: time(st.st_atime, st.st_atime_nsec),
        mtime: time(st.st_mtime, st.st_mtime_nsec),
        ctime: time(st.st_ctime, st.st_ctime_nsec),
    }
}

/// Valid single path component (the path walk guarantees it; checked again here
/// because this is where names meet the host).
fn check_name(name: &[u8]) -> SysResult<()> {
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') || name.contains(&0)
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl HostFs {
    /// The root inode of host directory `dir`.
    pub fn mount(dir: &std::path::Path, writable: bool) -> io::Result<Arc<HostInode>> {
        let fd = host::open_path(dir)?;
        let fs = Arc::new(HostFs {
            writable,
            shared_pages: SharedPageRegistry::default(),
        });
        HostInode::from_fd(fs, fd)
    }
}

impl HostInode {
    fn from_fd(fs: Arc<HostFs>, fd: OwnedFd) -> io::Result<Arc<HostInode>> {
        let st = host::fstat_fd(&fd)?;
        let kind = FileType::from_mode(st.st_mode).unwrap_or(FileType::Regular);
        Ok(Arc::new(HostInode {
            fs,
            fd,
            kind,
            looked_up: stat_from_host(&st),
            data: Mutex::new(None),
        }))
    }

    fn proc_path(&self) -> PathBuf {
        PathBuf::from(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))
    }

    fn child_path(&self, name: &[u8]) -> SysResult<PathBuf> {
        check_name(name)?;
        use std::os::unix::ffi::OsStrExt;
        Ok(self.proc_path().join(std::ffi::OsStr::from_bytes(name)))
    }

    fn check_writable(&self) -> SysResult<()> {
        if self.fs.writable {
            Ok(())
        } else {
            Err(Errno::EROFS)
        }
    }

    /// Runs `f` on the data descriptor, opening it (read-only, or read-write on a
    /// writable mount) the first time.
    fn with_data<T>(&self, write: bool, f: impl FnOnce(&File) -> io::Result<T>) -> SysResult<T> {
        if self.kind != FileType::Regular {
            return Err(if self.kind == FileType::Directory {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        }
        if write {
            self.check_writable()?;
        }
        let mut data = self.data.lock().unwrap_or_else(|e| e.into_inner());
        if data.is_none() {
            // The O_PATH descriptor is known to be a regular file; reopening it through
            // /proc follows no path a guest chose.
            let file = OpenOptions::new()
                .read(true)
                .write(self.fs.writable)
                .open(self.proc_path())
                .or_else(|_| File::open(self.proc_path()))
                .map_err(host_errno)?;
            *data = Some(file);
        }
        let file = data.as_ref().ok_or(Errno::EIO)?;
        f(file).map_err(host_errno)
    }

    fn same_fs<'a>(&self, other: &'a InodeRef) -> SysResult<&'a HostInode> {
        let other = other
            .as_any()
            .downcast_ref::<HostInode>()
            .ok_or(Errno::EXDEV)?;
        if !Arc::ptr_eq(&self.fs, &other.fs) {
            return Err(Errno::EXDEV);
        }
        Ok(other)
    }
}

impl Inode for HostInode {
    fn shared_pages(&self, create: bool) -> Option<Arc<SharedPages>> {
        if self.kind != FileType::Regular {
            return None;
        }
        self.fs.shared_pages.of(self.looked_up.ino, create)
    }

    fn release_shared_pages(&self) {
        self.fs.shared_pages.release_unused(self.looked_up.ino);
    }

    fn file_type(&self) -> FileType {
        self.kind
    }

    fn stat(&self) -> SysResult<Stat> {
        // Through a read-only mount nothing of ours changes the file: the attributes
        // seen at lookup stand (saves a host call per page when mapping it).
        if !self.fs.writable {
            return Ok(self.looked_up);
        }
        host::fstat_fd(&self.fd)
            .map(|st| stat_from_host(&st))
            .map_err(host_errno)
    }

    fn set_attr(&self, attr: &SetAttr) -> SysResult<()> {
        self.check_writable()?;
        if self.kind == FileType::Symlink {
            return Err(Errno::EOPNOTSUPP);
        }
        if let Some(size) = attr.size {
            self.with_data(true, |f| f.set_len(size))?;
        }
        if let Some(perm) = attr.perm {
            std::fs::set_permissions(
                self.proc_path(),
                std::fs::Permissions::from_mode(perm & 0o7777),
            )
            .map_err(host_errno)?;
        }
        if attr.uid.is_some() || attr.gid.is_some() {
            std::os::unix::fs::chown(self.proc_path(), attr.uid, attr.gid).map_err(host_errno)?;
        }
        if attr.atime.is_some() || attr.mtime.is_some() {
            let file = File::open(self.proc_path()).map_err(host_errno)?;
            let mut times = std::fs::FileTimes::new();
            if let Some(t) = attr.atime {
                times = times.set_accessed(std::time::UNIX_EPOCH + t);
            }
            if let Some(t) = attr.mtime {
                times = times.set_modified(std::time::UNIX_EPOCH + t);
            }
            file.set_times(times).map_err(host_errno)?;
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        if self.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        check_name(name)?;
        let fd = host::open_path_at(self.fd.as_raw_fd(), name).map_err(host_errno)?;
        Ok(HostInode::from_fd(self.fs.clone(), fd).map_err(host_errno)?)
    }

    fn readdir(&self) -> SysResult<Vec<DirEntry>> {
        if self.kind != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut out = Vec::new();
        for entry in std::fs::read_dir(self.proc_path()).map_err(host_errno)? {
            let entry = entry.map_err(host_errno)?;
            use std::os::unix::ffi::OsStrExt;
            let ft = entry.file_type().map_err(host_errno)?;
            let file_type = if ft.is_dir() {
                FileType::Directory
            } else if ft.is_symlink() {
                FileType::Symlink
            } else if ft.is_file() {
                FileType::Regular
            } else {
                use std::os::unix::fs::FileTypeExt;
                match () {
                    _ if ft.is_fifo() => FileType::Fifo,
                    _ if ft.is_char_device() => FileType::CharDevice,
                    _ if ft.is_block_device() => FileType::BlockDevice,
                    _ => FileType::Socket,
                }
            };
            out.push(DirEntry {
                name: entry.file_name().as_bytes().to_vec(),
                ino: entry.ino(),
                file_type,
            });
        }
        Ok(out)
    }

    fn create(&self, name: &[u8], node: NewNode, owner: Owner) -> SysResult<InodeRef> {
        self.check_writable()?;
        let path = self.child_path(name)?;
        match node {
            NewNode::Regular => {
                OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(owner.perm)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&path)
                    .map_err(host_errno)?;
            }
            NewNode::Directory => {
                std::fs::DirBuilder::new()
                    .mode(owner.perm)
                    .create(&path)
                    .map_err(host_errno)?;
            }
            NewNode::Symlink(target) => {
                use std::os::unix::ffi::OsStrExt;
                std::os::unix::fs::symlink(std::ffi::OsStr::from_bytes(&target), &path)
                    .map_err(host_errno)?;
            }
            NewNode::Fifo => {
                host::mkfifo_at(self.fd.as_raw_fd(), name, owner.perm).map_err(host_errno)?
            }
            // A socket node on the host would need a host socket behind it.
            NewNode::Socket => return Err(Errno::EOPNOTSUPP),
        }
        self.lookup(name)
    }

    fn link(&self, name: &[u8], target: &InodeRef) -> SysResult<()> {
        self.check_writable()?;
        check_name(name)?;
        let target = self.same_fs(target)?;
        host::link_at(&target.fd, self.fd.as_raw_fd(), name).map_err(host_errno)
    }

    fn unlink(&self, name: &[u8], directory: bool) -> SysResult<()> {
        self.check_writable()?;
        let path = self.child_path(name)?;
        let r = if directory {
            std::fs::remove_dir(&path)
        } else {
            std::fs::remove_file(&path)
        };
        r.map_err(host_errno)
    }

    fn rename(&self, old: &[u8], new_dir: &InodeRef, new: &[u8], flags: u32) -> SysResult<()> {
        self.check_writable()?;
        check_name(old)?;
        check_name(new)?;
        let target = self.same_fs(new_dir)?;
        host::rename_at(self.fd.as_raw_fd(), old, target.fd.as_raw_fd(), new, flags)
            .map_err(host_errno)
    }

    fn readlink(&self) -> SysResult<Vec<u8>> {
        if self.kind != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        host::readlink_fd(&self.fd).map_err(host_errno)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> SysResult<usize> {
        self.with_data(false, |f| f.read_at(buf, offset))
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> SysResult<usize> {
        self.with_data(true, |f| f.write_at(buf, offset))
    }

    fn host_file(&self) -> Option<File> {
        self.immutable_key()?;
        self.with_data(false, |f| f.try_clone()).ok()
    }

    fn read_into_frames(
        &self,
        ram: &vmm::GuestRam,
        frames: &[vmm::Frame],
        offset: u64,
    ) -> SysResult<usize> {
        use std::os::fd::AsFd;
        let want = frames.len() * vmm::PAGE_SIZE as usize;
        self.with_data(false, |f| {
            let mut total = 0;
            while total < want {
                let page = total / vmm::PAGE_SIZE as usize;
                let skip = total % vmm::PAGE_SIZE as usize;
                if skip != 0 {
                    // A read stopped mid-page (rare): finish that page through a buffer.
                    let mut rest = vec![0u8; vmm::PAGE_SIZE as usize - skip];
                    let n = f.read_at(&mut rest, offset + total as u64)?;
                    let at = frames[page].addr() + skip as u64;
                    ram.write(at, &rest[..n])
                        .map_err(|_| io::Error::from_raw_os_error(libc::EFAULT))?;
                    if n == 0 {
                        break;
                    }
                    total += n;
                    continue;
                }
                match ram.read_file_into(&frames[page..], f.as_fd(), offset + total as u64)? {
                    0 => break,
                    n => total += n,
                }
            }
            Ok(total)
        })
    }

    fn read_only(&self) -> bool {
        !self.fs.writable
    }

    fn immutable_key(&self) -> Option<(u64, u64)> {
        (!self.fs.writable && self.kind == FileType::Regular)
            .then_some((self.looked_up.dev, self.looked_up.ino))
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
