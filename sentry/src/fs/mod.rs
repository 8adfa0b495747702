//! The virtual filesystem: the sandbox's mount table and the filesystems in it.
//!
//! Layout: `/` is an in-memory overlay over the host directory `--root` (read-only),
//! `/tmp` and `/dev/shm` are tmpfs, `/dev`, `/proc` and `/sys` are synthetic, and each
//! `--bind` exposes one host directory, read-only or read-write.

pub mod devfs;
pub mod epoll;
pub mod eventfd;
pub mod file;
pub mod hostfs;
pub mod inode;
pub mod locks;
pub mod memfs;
pub mod mount;
pub mod path;
pub mod pidfd;
pub mod pipe;
pub mod procfs;
pub mod shared_pages;
pub mod signalfd;
pub mod socket;
pub mod synthetic;
pub mod sysfs;
pub mod timerfd;
pub mod unix;
pub mod unix_dgram;

use std::path::PathBuf;
use std::sync::Arc;

use crate::errno::{Errno, SysResult};
use crate::kernel::fd::FdTable;
use crate::kernel::process::{ProcessRegistry, SystemInfo};
use crate::services::Clock;
use inode::{FileType, InodeRef, NewNode, Owner};
use memfs::{MemFs, SpaceBudget};
use mount::{Mount, MountTable};
use path::{Dentry, Walker};

/// A host directory exposed at a path of the sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub host: PathBuf,
    pub guest: Vec<u8>,
    pub writable: bool,
}

impl std::str::FromStr for Bind {
    type Err = String;

    /// `HOST:GUEST[:ro|rw]` (read-only unless `rw`).
    fn from_str(s: &str) -> Result<Bind, String> {
        let parts: Vec<&str> = s.split(':').collect();
        let (host, guest, mode) = match parts.as_slice() {
            [h, g] => (h, g, "ro"),
            [h, g, m] => (h, g, *m),
            _ => return Err(format!("bad bind '{s}': expected HOST:GUEST[:ro|rw]")),
        };
        let writable = match mode {
            "ro" => false,
            "rw" => true,
            _ => return Err(format!("bad bind mode '{mode}': expected ro or rw")),
        };
        if !guest.starts_with('/') || host.is_empty() {
            return Err(format!("bad bind '{s}': GUEST must be an absolute path"));
        }
        Ok(Bind {
            host: PathBuf::from(host),
            guest: guest.as_bytes().to_vec(),
            writable,
        })
    }
}

/// What the filesystem needs from the rest of the sandbox.
pub struct VfsConfig {
    pub root: PathBuf,
    pub binds: Vec<Bind>,
    pub clock: Clock,
    pub budget: Arc<dyn SpaceBudget>,
    /// Guest memory size: the overlay's and tmpfs' size limit.
    pub memory: u64,
    pub random: devfs::RandomFill,
    pub registry: Arc<ProcessRegistry>,
    pub system: Arc<dyn SystemInfo>,
}

/// The sandbox's filesystem tree.
pub struct Vfs {
    pub mounts: MountTable,
    pub root: Arc<Dentry>,
    /// The root of the internal tmpfs that holds memfd files (mounted nowhere).
    pub memfd_fs: Arc<memfs::MemNode>,
}

/// Anonymous device numbers (major 0) for our filesystems.
const DEV_OVERLAY: u64 = 0x20;
const DEV_TMP: u64 = 0x21;
const DEV_DEV: u64 = 0x22;
const DEV_SHM: u64 = 0x23;
const DEV_PROC: u64 = 0x24;
const DEV_SYS: u64 = 0x25;
const DEV_MEMFD: u64 = 0x26;

impl Vfs {
    /// Builds the mount table.
    pub fn new(config: VfsConfig) -> Result<Vfs, String> {
        let host_root = hostfs::HostFs::mount(&config.root, false)
            .map_err(|e| format!("cannot use {} as the root: {e}", config.root.display()))?;
        let tmpfs = |dev, perm| -> Result<InodeRef, String> {
            let fs = MemFs::new_root(
                dev,
                config.clock.clone(),
                config.budget.clone(),
                config.memory / 2,
                None,
                perm,
            )
            .map_err(|e| format!("tmpfs: {e:?}"))?;
            Ok(fs)
        };
        let overlay = MemFs::new_root(
            DEV_OVERLAY,
            config.clock.clone(),
            config.budget.clone(),
            config.memory,
            Some(host_root),
            0o755,
        )
        .map_err(|e| format!("overlay: {e:?}"))?;
        let memfd_fs = MemFs::new_root(
            DEV_MEMFD,
            config.clock.clone(),
            config.budget.clone(),
            config.memory / 2,
            None,
            0o1777,
        )
        .map_err(|e| format!("memfd tmpfs: {e:?}"))?;
        let mut vfs = Vfs {
            mounts: MountTable::default(),
            root: Dentry::root(overlay.clone()),
            memfd_fs,
        };
        vfs.mounts.add(Mount {
            covers: None,
            root: overlay,
            target: b"/".to_vec(),
            source: "overlay".into(),
            fstype: "overlay",
            read_only: false,
        });
        let random = config.random.clone();
        // The sandbox's boot time: synthetic files carry it as their timestamps.
        let boot = config
            .clock
            .realtime()
            .saturating_sub(config.clock.monotonic());
        vfs.mount_at(
            b"/proc",
            procfs::new_at(
                DEV_PROC,
                config.registry.clone(),
                config.system.clone(),
                boot,
            ),
            "proc",
            "proc",
            false,
        )?;
        vfs.mount_at(
            b"/dev",
            devfs::new_at(DEV_DEV, random, boot),
            "devtmpfs",
            "devtmpfs",
            false,
        )?;
        vfs.mount_at(
            b"/dev/shm",
            tmpfs(DEV_SHM, 0o1777)?,
            "tmpfs",
            "tmpfs",
            false,
        )?;
        vfs.mount_at(
            b"/sys",
            sysfs::new_at(DEV_SYS, config.system.clone(), boot),
            "sysfs",
            "sysfs",
            true,
        )?;
        vfs.mount_at(b"/tmp", tmpfs(DEV_TMP, 0o1777)?, "tmpfs", "tmpfs", false)?;
        for bind in &config.binds {
            let root = hostfs::HostFs::mount(&bind.host, bind.writable)
                .map_err(|e| format!("cannot bind {}: {e}", bind.host.display()))?;
            let source = bind.host.display().to_string();
            vfs.mount_at(&bind.guest, root, &source, "bind", !bind.writable)?;
        }
        Ok(vfs)
    }

    pub fn walker<'a>(&'a self, root: &Arc<Dentry>) -> Walker<'a> {
        Walker {
            root: root.clone(),
            mounts: &self.mounts,
            limits: path::WalkLimits::default(),
            open_files: None,
        }
    }

    /// A walker for a task: its root, and its descriptors for /proc/self/fd/N links.
    pub fn task_walker<'a>(&'a self, root: &Arc<Dentry>, fds: &'a FdTable, pid: i32) -> Walker<'a> {
        Walker {
            open_files: Some((fds, pid)),
            ..self.walker(root)
        }
    }

    /// Mounts `root` over directory `target`, creating it (in memory) if missing.
    fn mount_at(
        &mut self,
        target: &[u8],
        root: InodeRef,
        source: &str,
        fstype: &'static str,
        read_only: bool,
    ) -> Result<(), String> {
        let shown = String::from_utf8_lossy(target).into_owned();
        let dir = self
            .make_dirs(target)
            .map_err(|e| format!("cannot mount on {shown}: {e:?}"))?;
        if dir.inode.file_type() != FileType::Directory {
            return Err(format!("cannot mount on {shown}: not a directory"));
        }
        self.mounts.add(Mount {
            covers: Some(dir.inode.id()),
            root,
            target: target.to_vec(),
            source: source.to_string(),
            fstype,
            read_only,
        });
        Ok(())
    }

    /// Resolves `path`, creating missing directories on the way.
    fn make_dirs(&self, path: &[u8]) -> SysResult<Arc<Dentry>> {
        let walker = self.walker(&self.root);
        let mut cur = self.root.clone();
        for comp in path
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty() && *c != b".")
        {
            if comp == b".." {
                return Err(Errno::EINVAL);
            }
            cur = match walker.resolve(&cur, comp, true) {
                Ok(d) => d,
                Err(Errno::ENOENT) => {
                    cur.inode.create(
                        comp,
                        NewNode::Directory,
                        Owner {
                            uid: 0,
                            gid: 0,
                            perm: 0o755,
                        },
                    )?;
                    walker.resolve(&cur, comp, true)?
                }
                Err(e) => return Err(e),
            };
        }
        Ok(cur)
    }
}

/// Reading an executable through the VFS.
impl crate::loader::elf::ReadAt for InodeRef {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            let n = self
                .read_at(&mut buf[done..], offset + done as u64)
                .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))?;
            if n == 0 {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            done += n;
        }
        Ok(())
    }

    fn len(&self) -> std::io::Result<u64> {
        self.stat()
            .map(|s| s.size)
            .map_err(|e| std::io::Error::from_raw_os_error(e.into_raw()))
    }
}
