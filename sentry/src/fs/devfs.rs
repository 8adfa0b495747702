//! /dev: the memory character devices (null, zero, full, random, urandom), tty, the
//! standard-stream symlinks into /proc/self/fd, and the empty mount points shm and
//! pts. Read-only: nothing can be created, removed or renamed here.

use std::any::Any;
use std::sync::Arc;
use std::time::Duration;

use super::inode::*;
use super::synthetic::{fixed, ino_of, makedev, set_attr_readonly, Attr, Dir, Flavor, Symlink};
use crate::errno::{Errno, SysResult};

/// Fills a buffer with random bytes (the sandbox's random service).
pub type RandomFill = Arc<dyn Fn(&mut [u8]) + Send + Sync>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Null,
    Zero,
    Full,
    Random,
    Tty,
}

/// A character device of /dev.
struct Device {
    attr: Attr,
    rdev: u64,
    kind: Kind,
    random: RandomFill,
}

impl Inode for Device {
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }

    fn stat(&self) -> SysResult<Stat> {
        Ok(self.attr.stat(FileType::CharDevice, 1, 0, self.rdev))
    }

    fn id(&self) -> (u64, u64) {
        (self.attr.dev, self.attr.ino)
    }

    fn set_attr(&self, attr: &SetAttr) -> SysResult<()> {
        // O_TRUNC on a device is ignored, as on Linux.
        set_attr_readonly(attr)
    }

    fn read_at(&self, buf: &mut [u8], _offset: u64) -> SysResult<usize> {
        match self.kind {
            Kind::Null => Ok(0),
            Kind::Zero | Kind::Full => {
                buf.fill(0);
                Ok(buf.len())
            }
            Kind::Random => {
                (self.random)(buf);
                Ok(buf.len())
            }
            // No controlling terminal in the sandbox.
            Kind::Tty => Err(Errno::ENXIO),
        }
    }

    fn write_at(&self, buf: &[u8], _offset: u64) -> SysResult<usize> {
        match self.kind {
            Kind::Null | Kind::Zero | Kind::Random => Ok(buf.len()),
            Kind::Full => Err(Errno::ENOSPC),
            Kind::Tty => Err(Errno::ENXIO),
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The /dev root directory of a devfs with device number `dev`; `random` serves reads
/// of /dev/random and /dev/urandom. Times are the epoch (see `new_at`).
#[cfg(test)]
pub fn new(dev: u64, random: RandomFill) -> InodeRef {
    new_at(dev, random, Duration::ZERO)
}

/// As `new`, with `time` (since the epoch, e.g. the sandbox's boot) as every node's
/// atime, mtime and ctime.
pub fn new_at(dev: u64, random: RandomFill, time: Duration) -> InodeRef {
    let attr = |name: &str, perm: u32| {
        let ino = if name.is_empty() { 1 } else { ino_of(name) };
        Attr::new(Flavor::Dev, dev, ino, perm, time).with_blksize(4096)
    };
    let device = |name: &str, major: u64, minor: u64, kind: Kind| -> InodeRef {
        Arc::new(Device {
            attr: attr(name, 0o666),
            rdev: makedev(major, minor),
            kind,
            random: random.clone(),
        })
    };
    let link = |name: &str, target: &str| -> InodeRef {
        Symlink::new(attr(name, 0o777), fixed(target.as_bytes()))
    };
    let dir = |name: &str, perm: u32| -> InodeRef { Dir::new_static(attr(name, perm), vec![]) };
    let children = vec![
        ("fd", link("fd", "/proc/self/fd")),
        ("full", device("full", 1, 7, Kind::Full)),
        ("null", device("null", 1, 3, Kind::Null)),
        ("pts", dir("pts", 0o755)),
        ("random", device("random", 1, 8, Kind::Random)),
        ("shm", dir("shm", 0o1777)),
        ("stderr", link("stderr", "/proc/self/fd/2")),
        ("stdin", link("stdin", "/proc/self/fd/0")),
        ("stdout", link("stdout", "/proc/self/fd/1")),
        ("tty", device("tty", 5, 0, Kind::Tty)),
        ("urandom", device("urandom", 1, 9, Kind::Random)),
        ("zero", device("zero", 1, 5, Kind::Zero)),
    ];
    Dir::new_static(attr("", 0o755), children)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn devfs() -> InodeRef {
        new(42, Arc::new(|b: &mut [u8]| b.fill(0xab)))
    }

    #[test]
    fn listing_and_stat() {
        let root = devfs();
        let names: Vec<Vec<u8>> = root
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        for n in [
            "null", "zero", "full", "random", "urandom", "tty", "stdin", "stdout", "stderr", "fd",
            "shm", "pts",
        ] {
            assert!(names.contains(&n.as_bytes().to_vec()), "{n}");
        }
        let st = root.stat().unwrap();
        assert_eq!((st.mode, st.dev, st.ino), (0o40755, 42, 1));
        assert_eq!(st.nlink, 4);
        for (n, rdev) in [
            ("null", 0x103),
            ("zero", 0x105),
            ("full", 0x107),
            ("random", 0x108),
            ("urandom", 0x109),
            ("tty", 0x500),
        ] {
            let st = root.lookup(n.as_bytes()).unwrap().stat().unwrap();
            assert_eq!(
                (st.mode, st.rdev, st.uid, st.gid, st.dev),
                (0o20666, rdev, 0, 0, 42),
                "{n}"
            );
        }
        let a = root.lookup(b"null").unwrap().stat().unwrap().ino;
        assert_eq!(a, root.lookup(b"null").unwrap().stat().unwrap().ino);
        assert_ne!(a, root.lookup(b"zero").unwrap().stat().unwrap().ino);
        assert_eq!(root.lookup(b"shm").unwrap().stat().unwrap().mode, 0o41777);
        assert_eq!(root.lookup(b"pts").unwrap().stat().unwrap().mode, 0o40755);
        assert!(root.lookup(b"shm").unwrap().readdir().unwrap().is_empty());
        let ids: Vec<_> = root.readdir().unwrap().into_iter().map(|e| e.ino).collect();
        let mut dedup = ids.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(ids.len(), dedup.len());
    }

    #[test]
    fn symlinks() {
        let root = devfs();
        for (n, t) in [
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
            ("fd", "/proc/self/fd"),
        ] {
            let l = root.lookup(n.as_bytes()).unwrap();
            assert_eq!(l.file_type(), FileType::Symlink);
            assert_eq!(l.readlink().unwrap(), t.as_bytes());
            assert_eq!(l.stat().unwrap().size, t.len() as u64);
        }
    }

    #[test]
    fn device_io() {
        let root = devfs();
        let mut buf = [7u8; 16];
        let null = root.lookup(b"null").unwrap();
        assert_eq!(null.read_at(&mut buf, 0).unwrap(), 0);
        assert_eq!(null.write_at(b"abc", 99).unwrap(), 3);
        assert!(!null.seekable());
        let zero = root.lookup(b"zero").unwrap();
        assert_eq!(zero.read_at(&mut buf, u64::MAX).unwrap(), 16);
        assert_eq!(buf, [0; 16]);
        assert_eq!(zero.write_at(b"abc", 0).unwrap(), 3);
        let full = root.lookup(b"full").unwrap();
        buf = [7; 16];
        assert_eq!(full.read_at(&mut buf, 5).unwrap(), 16);
        assert_eq!(buf, [0; 16]);
        assert_eq!(full.write_at(b"abc", 0).err(), Some(Errno::ENOSPC));
        for n in ["random", "urandom"] {
            let r = root.lookup(n.as_bytes()).unwrap();
            assert_eq!(r.read_at(&mut buf, 0).unwrap(), 16);
            assert_eq!(buf, [0xab; 16]);
            assert_eq!(r.write_at(b"seed", 0).unwrap(), 4);
        }
        let tty = root.lookup(b"tty").unwrap();
        assert_eq!(tty.read_at(&mut buf, 0).err(), Some(Errno::ENXIO));
        assert_eq!(tty.write_at(b"x", 0).err(), Some(Errno::ENXIO));
        assert!(null.truncate(0).is_ok());
    }

    #[test]
    fn read_only_directory() {
        let root = devfs();
        let owner = Owner {
            uid: 0,
            gid: 0,
            perm: 0o644,
        };
        assert_eq!(
            root.create(b"x", NewNode::Regular, owner).err(),
            Some(Errno::EPERM)
        );
        assert_eq!(
            root.create(b"d", NewNode::Directory, owner).err(),
            Some(Errno::EPERM)
        );
        assert_eq!(
            root.create(b"null", NewNode::Regular, owner).err(),
            Some(Errno::EEXIST)
        );
        assert_eq!(root.unlink(b"null", false).err(), Some(Errno::EPERM));
        let r = root.clone();
        assert_eq!(root.rename(b"null", &r, b"x", 0).err(), Some(Errno::EPERM));
        let shm = root.lookup(b"shm").unwrap();
        assert_eq!(
            shm.create(b"x", NewNode::Regular, owner).err(),
            Some(Errno::EPERM)
        );
        assert!(root.as_any().is::<Dir>());
    }
}
