//! Building blocks of the synthetic filesystems (procfs, devfs, sysfs): directories
//! whose children are fixed or computed when asked, read-only files whose bytes a
//! closure generates at each read, and symlinks whose target is computed likewise.
//! Nothing here can be changed through the `Inode` interface.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use super::inode::*;
use crate::errno::{Errno, SysResult};

/// Produces a file's bytes or a symlink's target when it is read.
pub type Generator = Arc<dyn Fn() -> SysResult<Vec<u8>> + Send + Sync>;

/// Produces an inode's owner (uid, gid) when it is stat'ed.
pub type OwnerFn = Arc<dyn Fn() -> (u32, u32) + Send + Sync>;

/// A generator that always returns `bytes`.
pub fn fixed(bytes: impl Into<Vec<u8>>) -> Generator {
    let bytes: Vec<u8> = bytes.into();
    Arc::new(move || Ok(bytes.clone()))
}

/// A stable inode number from a path inside one filesystem (FNV-1a), never 0 or 1
/// (1 is each filesystem's root).
pub fn ino_of(path: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in path.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h.max(2)
}

/// The device number stat(2) shows for `major`:`minor` (glibc's `makedev`).
pub fn makedev(major: u64, minor: u64) -> u64 {
    ((major & 0xfff) << 8) | ((major & !0xfff) << 32) | (minor & 0xff) | ((minor & !0xff) << 12)
}

/// Copies `data[offset..]` into `buf`; 0 at or past the end, whatever the offset.
pub fn read_slice(data: &[u8], buf: &mut [u8], offset: u64) -> usize {
    let Ok(start) = usize::try_from(offset) else {
        return 0;
    };
    let Some(rest) = data.get(start..) else {
        return 0;
    };
    let n = rest.len().min(buf.len());
    buf[..n].copy_from_slice(&rest[..n]);
    n
}

/// Which filesystem a node belongs to: decides the errors of refused changes, as
/// Linux's procfs, sysfs and (our read-only) devtmpfs give them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Proc,
    Sys,
    Dev,
}

impl Flavor {
    fn create_error(self, node: &NewNode) -> Errno {
        match (self, node) {
            // procfs has no create operation and a negative lookup: ENOENT.
            (Flavor::Proc, _) => Errno::ENOENT,
            (Flavor::Sys, NewNode::Regular) => Errno::EACCES,
            _ => Errno::EPERM,
        }
    }

    fn link_error(self) -> Errno {
        match self {
            Flavor::Proc => Errno::ENOENT,
            _ => Errno::EPERM,
        }
    }
}

/// Who owns a node.
#[derive(Clone)]
pub enum OwnerSource {
    Fixed(u32, u32),
    /// Computed at each stat (a process's files belong to the process's user).
    Dynamic(OwnerFn),
}

/// The attributes every synthetic node has.
#[derive(Clone)]
pub struct Attr {
    pub dev: u64,
    pub ino: u64,
    /// Permission bits (with set-id and sticky bits), no type bits.
    pub perm: u32,
    pub owner: OwnerSource,
    /// atime, mtime and ctime.
    pub time: Duration,
    pub blksize: u64,
    pub flavor: Flavor,
}

impl Attr {
    /// Owned by root, block size 1024 (procfs's), unless changed.
    pub fn new(flavor: Flavor, dev: u64, ino: u64, perm: u32, time: Duration) -> Attr {
        Attr {
            dev,
            ino,
            perm,
            owner: OwnerSource::Fixed(0, 0),
            time,
            blksize: 1024,
            flavor,
        }
    }

    pub fn with_owner(mut self, owner: OwnerFn) -> Attr {
        self.owner = OwnerSource::Dynamic(owner);
        self
    }

    pub fn with_blksize(mut self, blksize: u64) -> Attr {
        self.blksize = blksize;
        self
    }

    /// The stat of a node of type `ft` with these attributes.
    pub fn stat(&self, ft: FileType, nlink: u64, size: u64, rdev: u64) -> Stat {
        let (uid, gid) = match &self.owner {
            OwnerSource::Fixed(u, g) => (*u, *g),
            OwnerSource::Dynamic(f) => f(),
        };
        Stat {
            dev: self.dev,
            ino: self.ino,
            mode: ft.mode_bits() | (self.perm & 0o7777),
            nlink,
            uid,
            gid,
            rdev,
            size,
            blksize: self.blksize,
            blocks: 0,
            atime: self.time,
            mtime: self.time,
            ctime: self.time,
        }
    }
}

/// Accepts a size-only change as a no-op (O_TRUNC, truncate(2) on a generated file
/// succeed without effect on Linux) and refuses the rest.
pub fn set_attr_readonly(attr: &SetAttr) -> SysResult<()> {
    let size_only = SetAttr {
        size: attr.size,
        ..SetAttr::default()
    };
    if attr.size.is_some() && *attr == size_only {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// The children of a directory computed when asked (processes, descriptors).
pub trait DirSource: Send + Sync {
    /// Every child, in readdir order.
    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>>;

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        self.list()?
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| i)
            .ok_or(Errno::ENOENT)
    }
}

enum Children {
    Static(Vec<(Vec<u8>, InodeRef)>),
    Dynamic(Box<dyn DirSource>),
}

/// A read-only directory.
pub struct Dir {
    attr: Attr,
    children: Children,
}

impl Dir {
    /// A directory of fixed children (kept in the given order).
    pub fn new_static(attr: Attr, children: Vec<(&str, InodeRef)>) -> Arc<Dir> {
        let children = children
            .into_iter()
            .map(|(n, i)| (n.as_bytes().to_vec(), i))
            .collect();
        Arc::new(Dir {
            attr,
            children: Children::Static(children),
        })
    }

    /// A directory whose children `source` computes at each lookup and readdir.
    pub fn new_dynamic(attr: Attr, source: impl DirSource + 'static) -> Arc<Dir> {
        Arc::new(Dir {
            attr,
            children: Children::Dynamic(Box::new(source)),
        })
    }

    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>> {
        match &self.children {
            Children::Static(c) => Ok(c.clone()),
            Children::Dynamic(s) => s.list(),
        }
    }
}

impl Inode for Dir {
    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn stat(&self) -> SysResult<Stat> {
        let subdirs = match &self.children {
            Children::Static(c) => c
                .iter()
                .filter(|(_, i)| i.file_type() == FileType::Directory)
                .count(),
            Children::Dynamic(s) => s.list().map_or(0, |c| {
                c.iter()
                    .filter(|(_, i)| i.file_type() == FileType::Directory)
                    .count()
            }),
        };
        Ok(self
            .attr
            .stat(FileType::Directory, 2 + subdirs as u64, 0, 0))
    }

    fn id(&self) -> (u64, u64) {
        (self.attr.dev, self.attr.ino)
    }

    fn set_attr(&self, _attr: &SetAttr) -> SysResult<()> {
        Err(Errno::EPERM)
    }

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        match &self.children {
            Children::Static(c) => c
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, i)| i.clone())
                .ok_or(Errno::ENOENT),
            Children::Dynamic(s) => s.lookup(name),
        }
    }

    fn readdir(&self) -> SysResult<Vec<DirEntry>> {
        Ok(self
            .list()?
            .into_iter()
            .map(|(name, i)| DirEntry {
                name,
                ino: i.id().1,
                file_type: i.file_type(),
            })
            .collect())
    }

    fn create(&self, name: &[u8], node: NewNode, _owner: Owner) -> SysResult<InodeRef> {
        if self.lookup(name).is_ok() {
            return Err(Errno::EEXIST);
        }
        Err(self.attr.flavor.create_error(&node))
    }

    fn link(&self, name: &[u8], _target: &InodeRef) -> SysResult<()> {
        if self.lookup(name).is_ok() {
            return Err(Errno::EEXIST);
        }
        Err(self.attr.flavor.link_error())
    }

    fn unlink(&self, name: &[u8], _directory: bool) -> SysResult<()> {
        self.lookup(name)?;
        Err(Errno::EPERM)
    }

    fn rename(&self, old: &[u8], _new_dir: &InodeRef, _new: &[u8], _flags: u32) -> SysResult<()> {
        self.lookup(old)?;
        Err(Errno::EPERM)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A read-only file whose bytes are generated at each read.
pub struct GenFile {
    attr: Attr,
    generate: Generator,
    /// What stat reports: 0 for procfs (like Linux), 4096 for sysfs.
    size: u64,
}

impl GenFile {
    pub fn new(attr: Attr, generate: Generator) -> Arc<GenFile> {
        Arc::new(GenFile {
            attr,
            generate,
            size: 0,
        })
    }

    pub fn with_size(attr: Attr, generate: Generator, size: u64) -> Arc<GenFile> {
        Arc::new(GenFile {
            attr,
            generate,
            size,
        })
    }
}

impl Inode for GenFile {
    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(self.attr.stat(FileType::Regular, 1, self.size, 0))
    }

    fn id(&self) -> (u64, u64) {
        (self.attr.dev, self.attr.ino)
    }

    fn set_attr(&self, attr: &SetAttr) -> SysResult<()> {
        set_attr_readonly(attr)
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> SysResult<usize> {
        let data = (self.generate)()?;
        Ok(read_slice(&data, buf, offset))
    }

    fn write_at(&self, _buf: &[u8], _offset: u64) -> SysResult<usize> {
        Err(Errno::EACCES)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A symlink whose target is computed at each readlink.
pub struct Symlink {
    attr: Attr,
    target: Generator,
    fd_link: Option<(i32, i32)>,
}

impl Symlink {
    pub fn new(attr: Attr, target: Generator) -> Arc<Symlink> {
        Arc::new(Symlink {
            attr,
            target,
            fd_link: None,
        })
    }

    /// /proc/[pid]/fd/N: a link that leads to the open file itself.
    pub fn to_open_file(attr: Attr, target: Generator, pid: i32, fd: i32) -> Arc<Symlink> {
        Arc::new(Symlink {
            attr,
            target,
            fd_link: Some((pid, fd)),
        })
    }
}

impl Inode for Symlink {
    fn file_type(&self) -> FileType {
        FileType::Symlink
    }

    fn fd_link(&self) -> Option<(i32, i32)> {
        self.fd_link
    }

    fn stat(&self) -> SysResult<Stat> {
        let size = (self.target)().map_or(0, |t| t.len() as u64);
        Ok(self.attr.stat(FileType::Symlink, 1, size, 0))
    }

    fn id(&self) -> (u64, u64) {
        (self.attr.dev, self.attr.ino)
    }

    fn set_attr(&self, _attr: &SetAttr) -> SysResult<()> {
        Err(Errno::EPERM)
    }

    fn readlink(&self) -> SysResult<Vec<u8>> {
        (self.target)()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(ino: u64, perm: u32) -> Attr {
        Attr::new(Flavor::Proc, 7, ino, perm, Duration::ZERO)
    }

    #[test]
    fn read_slice_bounds() {
        let mut buf = [0u8; 4];
        assert_eq!(read_slice(b"hello", &mut buf, 0), 4);
        assert_eq!(&buf, b"hell");
        assert_eq!(read_slice(b"hello", &mut buf, 3), 2);
        assert_eq!(&buf[..2], b"lo");
        assert_eq!(read_slice(b"hello", &mut buf, 5), 0);
        assert_eq!(read_slice(b"hello", &mut buf, u64::MAX), 0);
        assert_eq!(read_slice(b"hello", &mut [], 0), 0);
    }

    #[test]
    fn makedev_matches_glibc() {
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(5, 0), 0x500);
        assert_eq!(makedev(0x1234, 0x56789), 0x1000_5672_3489);
    }

    #[test]
    fn ino_stable_and_not_root() {
        assert_eq!(ino_of("a/b"), ino_of("a/b"));
        assert_ne!(ino_of("a/b"), ino_of("a/c"));
        assert!(ino_of("") > 1);
    }

    #[test]
    fn static_dir_and_refusals() {
        let f: InodeRef = GenFile::new(attr(5, 0o444), fixed("x\n"));
        let sub: InodeRef = Dir::new_static(attr(6, 0o555), vec![]);
        let d = Dir::new_static(attr(1, 0o555), vec![("f", f), ("sub", sub)]);
        let st = d.stat().unwrap();
        assert_eq!(st.mode, 0o40555);
        assert_eq!(st.nlink, 3);
        let names: Vec<_> = d
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.ino))
            .collect();
        assert_eq!(names, vec![(b"f".to_vec(), 5), (b"sub".to_vec(), 6)]);
        assert_eq!(d.lookup(b"nope").err(), Some(Errno::ENOENT));
        let owner = Owner {
            uid: 0,
            gid: 0,
            perm: 0o644,
        };
        assert_eq!(
            d.create(b"new", NewNode::Regular, owner).err(),
            Some(Errno::ENOENT)
        );
        assert_eq!(
            d.create(b"f", NewNode::Regular, owner).err(),
            Some(Errno::EEXIST)
        );
        assert_eq!(d.unlink(b"f", false).err(), Some(Errno::EPERM));
        assert_eq!(d.unlink(b"zz", false).err(), Some(Errno::ENOENT));
        let dr: InodeRef = d.clone();
        assert_eq!(d.rename(b"f", &dr, b"g", 0).err(), Some(Errno::EPERM));
        assert_eq!(d.read_at(&mut [0; 4], 0).err(), Some(Errno::EISDIR));
    }

    #[test]
    fn genfile_and_symlink() {
        let f = GenFile::new(attr(5, 0o444), fixed("abc"));
        let mut buf = [0u8; 8];
        assert_eq!(f.read_at(&mut buf, 1).unwrap(), 2);
        assert_eq!(&buf[..2], b"bc");
        assert_eq!(f.write_at(b"x", 0).err(), Some(Errno::EACCES));
        assert_eq!(f.stat().unwrap().size, 0);
        assert_eq!(f.stat().unwrap().mode, 0o100444);
        assert!(f.truncate(0).is_ok());
        assert_eq!(
            f.set_attr(&SetAttr {
                perm: Some(0o777),
                ..SetAttr::default()
            })
            .err(),
            Some(Errno::EPERM)
        );
        let s = Symlink::new(attr(9, 0o777), fixed("target"));
        assert_eq!(s.readlink().unwrap(), b"target");
        let st = s.stat().unwrap();
        assert_eq!((st.mode, st.size, st.ino), (0o120777, 6, 9));
        let gone = Symlink::new(attr(9, 0o777), Arc::new(|| Err(Errno::ENOENT)));
        assert_eq!(gone.readlink().err(), Some(Errno::ENOENT));
        assert_eq!(gone.stat().unwrap().size, 0);
    }
}
