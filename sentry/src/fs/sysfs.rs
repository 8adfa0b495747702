//! /sys, as far as programs read it: `devices/system/cpu/{online,possible,present}`
//! (what glibc's sysconf(_SC_NPROCESSORS_*) parses) and one empty `cpuN` directory per
//! CPU. Read-only.

use std::sync::Arc;
use std::time::Duration;

use super::inode::*;
use super::synthetic::{ino_of, Attr, Dir, Flavor, GenFile, Generator};
use crate::kernel::process::SystemInfo;

/// sysfs attribute files report a page as their size.
const ATTR_SIZE: u64 = 4096;

/// The CPU list text: "0\n" for one CPU, "0-N\n" for N+1.
fn cpu_list(cpus: u32) -> Vec<u8> {
    match cpus {
        0 | 1 => b"0\n".to_vec(),
        n => format!("0-{}\n", n - 1).into_bytes(),
    }
}

/// The /sys root directory of a sysfs with device number `dev`. Times are the epoch
/// (see `new_at`).
#[cfg(test)]
pub fn new(dev: u64, system: Arc<dyn SystemInfo>) -> InodeRef {
    new_at(dev, system, Duration::ZERO)
}

/// As `new`, with `time` (since the epoch) as every node's times.
pub fn new_at(dev: u64, system: Arc<dyn SystemInfo>, time: Duration) -> InodeRef {
    let attr = |path: &str, perm: u32| {
        let ino = if path.is_empty() { 1 } else { ino_of(path) };
        Attr::new(Flavor::Sys, dev, ino, perm, time).with_blksize(4096)
    };
    let dir = |path: &str, children: Vec<(&str, InodeRef)>| -> InodeRef {
        Dir::new_static(attr(path, 0o755), children)
    };
    let list_file = |path: &str| -> InodeRef {
        let system = system.clone();
        let generate: Generator = Arc::new(move || Ok(cpu_list(system.cpus())));
        GenFile::with_size(attr(path, 0o444), generate, ATTR_SIZE)
    };
    let names: Vec<String> = (0..system.cpus().max(1))
        .map(|i| format!("cpu{i}"))
        .collect();
    let mut cpu_children: Vec<(&str, InodeRef)> = names
        .iter()
        .map(|n| (n.as_str(), dir(&format!("devices/system/cpu/{n}"), vec![])))
        .collect();
    for f in ["online", "possible", "present"] {
        cpu_children.push((f, list_file(&format!("devices/system/cpu/{f}"))));
    }
    let cpu = dir("devices/system/cpu", cpu_children);
    let system_dir = dir("devices/system", vec![("cpu", cpu)]);
    let devices = dir("devices", vec![("system", system_dir)]);
    dir("", vec![("devices", devices)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno::Errno;

    struct Sys(u32);
    impl SystemInfo for Sys {
        fn uptime(&self) -> Duration {
            Duration::ZERO
        }
        fn memory(&self) -> (u64, u64) {
            (0, 0)
        }
        fn mounts(&self) -> String {
            String::new()
        }
        fn cpus(&self) -> u32 {
            self.0
        }
        fn cpuid(&self, _f: u32, _i: u32) -> Option<(u32, u32, u32, u32)> {
            None
        }
    }

    fn walk(root: &InodeRef, path: &str) -> InodeRef {
        path.split('/')
            .fold(root.clone(), |d, n| d.lookup(n.as_bytes()).unwrap())
    }

    fn read(node: &InodeRef) -> Vec<u8> {
        let mut buf = vec![0u8; 64];
        let n = node.read_at(&mut buf, 0).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn cpu_files() {
        let root = new(9, Arc::new(Sys(1)));
        for f in ["online", "possible", "present"] {
            let node = walk(&root, &format!("devices/system/cpu/{f}"));
            assert_eq!(read(&node), b"0\n");
            let st = node.stat().unwrap();
            assert_eq!((st.mode, st.size, st.dev), (0o100444, 4096, 9));
            assert_eq!(node.write_at(b"1", 0).err(), Some(Errno::EACCES));
        }
        let root = new(9, Arc::new(Sys(4)));
        assert_eq!(read(&walk(&root, "devices/system/cpu/online")), b"0-3\n");
        let cpu = walk(&root, "devices/system/cpu");
        let names: Vec<_> = cpu.readdir().unwrap().into_iter().map(|e| e.name).collect();
        assert!(names.contains(&b"cpu3".to_vec()) && !names.contains(&b"cpu4".to_vec()));
        assert_eq!(
            walk(&root, "devices/system/cpu/cpu0").stat().unwrap().mode,
            0o40755
        );
        assert_eq!(root.stat().unwrap().ino, 1);
        let owner = Owner {
            uid: 0,
            gid: 0,
            perm: 0o644,
        };
        assert_eq!(
            cpu.create(b"x", NewNode::Regular, owner).err(),
            Some(Errno::EACCES)
        );
        assert_eq!(
            cpu.create(b"x", NewNode::Directory, owner).err(),
            Some(Errno::EPERM)
        );
        assert_eq!(cpu.unlink(b"online", false).err(), Some(Errno::EPERM));
        let mut buf = [0u8; 4];
        assert_eq!(
            walk(&root, "devices/system/cpu/online")
                .read_at(&mut buf, 1 << 62)
                .unwrap(),
            0
        );
    }
}
