//! /proc: the system files (meminfo, cpuinfo, uptime, loadavg, stat, version,
//! filesystems, sys/kernel/*), the `self` and `thread-self` symlinks, and one
//! directory per live process. Every file's text is generated when it is read, from the
//! process registry and `SystemInfo`; nodes hold processes weakly, so a process that
//! exits makes its open files read ESRCH and its lookups ENOENT. Read-only.

mod cpuinfo;
mod pid;
mod pidtext;
mod system;

use std::sync::Arc;
use std::time::Duration;

use super::inode::*;
use super::synthetic::{fixed, ino_of, Attr, Dir, DirSource, Flavor, GenFile, Generator, Symlink};
use crate::errno::{Errno, SysResult};
use crate::kernel::process::{current_pid, ProcessRegistry, SystemInfo};

use crate::kernel::system::{HOSTNAME, RELEASE as OSRELEASE, VERSION as UTS_VERSION};
use crate::mm::MAX_MAP_COUNT;

/// What every procfs node needs.
struct Ctx {
    dev: u64,
    /// Boot time since the epoch: every node's times, and /proc/stat's btime.
    boot: Duration,
    registry: Arc<ProcessRegistry>,
    system: Arc<dyn SystemInfo>,
}

impl Ctx {
    /// Attributes of the node at `path` (relative to /proc), owned by root.
    fn attr(&self, path: &str, perm: u32) -> Attr {
        let ino = if path.is_empty() { 1 } else { ino_of(path) };
        Attr::new(Flavor::Proc, self.dev, ino, perm, self.boot)
    }

    /// A read-only system file whose text `f` generates.
    fn file(self: &Arc<Self>, path: &str, f: fn(&Ctx) -> Vec<u8>) -> InodeRef {
        let ctx = self.clone();
        let generate: Generator = Arc::new(move || Ok(f(&ctx)));
        GenFile::new(self.attr(path, 0o444), generate)
    }
}

/// The /proc root directory of a procfs with device number `dev`, with `boot` (the sandbox's boot, since the epoch) as every node's times
/// and /proc/stat's btime.
pub fn new_at(
    dev: u64,
    registry: Arc<ProcessRegistry>,
    system: Arc<dyn SystemInfo>,
    boot: Duration,
) -> InodeRef {
    let ctx = Arc::new(Ctx {
        dev,
        boot,
        registry,
        system,
    });
    let text = |path: &str, s: String| -> InodeRef {
        GenFile::new(ctx.attr(path, 0o444), fixed(s.into_bytes()))
    };
    let sys_dir = |path: &str, children: Vec<(&str, InodeRef)>| -> InodeRef {
        Dir::new_static(ctx.attr(path, 0o555), children)
    };
    let kernel = sys_dir(
        "sys/kernel",
        vec![
            (
                "hostname",
                text("sys/kernel/hostname", format!("{HOSTNAME}\n")),
            ),
            (
                "osrelease",
                text("sys/kernel/osrelease", format!("{OSRELEASE}\n")),
            ),
            ("ostype", text("sys/kernel/ostype", "Linux\n".into())),
            ("pid_max", text("sys/kernel/pid_max", "4194304\n".into())),
            (
                "version",
                text("sys/kernel/version", format!("{UTS_VERSION}\n")),
            ),
        ],
    );
    let vm = sys_dir(
        "sys/vm",
        vec![
            (
                "max_map_count",
                text("sys/vm/max_map_count", format!("{MAX_MAP_COUNT}\n")),
            ),
            (
                "overcommit_memory",
                text("sys/vm/overcommit_memory", "0\n".into()),
            ),
        ],
    );
    let sys = sys_dir("sys", vec![("kernel", kernel), ("vm", vm)]);
    let link =
        |path: &str, target: Generator| -> InodeRef { Symlink::new(ctx.attr(path, 0o777), target) };
    let self_target: Generator = Arc::new(|| Ok(self_pid()?.to_string().into_bytes()));
    let thread_self_target: Generator =
        Arc::new(|| self_pid().map(|p| format!("{p}/task/{p}").into_bytes()));
    let fixed_children: Vec<(Vec<u8>, InodeRef)> = vec![
        ("cpuinfo", ctx.file("cpuinfo", cpuinfo::cpuinfo)),
        ("filesystems", ctx.file("filesystems", system::filesystems)),
        ("loadavg", ctx.file("loadavg", system::loadavg)),
        ("meminfo", ctx.file("meminfo", system::meminfo)),
        ("mounts", link("mounts", fixed("self/mounts"))),
        ("self", link("self", self_target)),
        ("stat", ctx.file("stat", system::stat)),
        ("sys", sys),
        ("thread-self", link("thread-self", thread_self_target)),
        ("uptime", ctx.file("uptime", system::uptime)),
        ("version", ctx.file("version", system::version)),
    ]
    .into_iter()
    .map(|(n, i)| (n.as_bytes().to_vec(), i))
    .collect();
    let root = ProcRoot {
        ctx: ctx.clone(),
        fixed: fixed_children,
    };
    Dir::new_dynamic(ctx.attr("", 0o555), root)
}

/// The pid /proc/self names: ENOENT outside a task, as Linux outside a pid namespace.
fn self_pid() -> SysResult<i32> {
    match current_pid() {
        p if p > 0 => Ok(p),
        _ => Err(Errno::ENOENT),
    }
}

/// A pid directory name: decimal, no sign, no leading zero (Linux's name_to_int).
fn parse_pid(name: &[u8]) -> Option<i32> {
    if name.is_empty() || name.len() > 10 || (name.len() > 1 && name[0] == b'0') {
        return None;
    }
    if !name.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// The /proc root's children: the fixed entries, then one directory per live process.
struct ProcRoot {
    ctx: Arc<Ctx>,
    fixed: Vec<(Vec<u8>, InodeRef)>,
}

impl DirSource for ProcRoot {
    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>> {
        let mut out = self.fixed.clone();
        for p in self.ctx.registry.pids() {
            if let Some(info) = self.ctx.registry.get(p) {
                out.push((
                    p.to_string().into_bytes(),
                    pid::pid_dir(&self.ctx, &info, false),
                ));
            }
        }
        Ok(out)
    }

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        if let Some(p) = parse_pid(name) {
            let info = self.ctx.registry.get(p).ok_or(Errno::ENOENT)?;
            return Ok(pid::pid_dir(&self.ctx, &info, false));
        }
        self.fixed
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, i)| i.clone())
            .ok_or(Errno::ENOENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::process::{set_current_pid, FdInfo, MapInfo, ProcessInfo, ProcessState};

    /// A system of 2 CPUs, 1 GiB (half free), up 12.345 s, with a scripted CPUID.
    struct FakeSys;

    fn word(s: &[u8]) -> u32 {
        let mut b = [0u8; 4];
        b[..s.len().min(4)].copy_from_slice(&s[..s.len().min(4)]);
        u32::from_le_bytes(b)
    }

    impl SystemInfo for FakeSys {
        fn uptime(&self) -> Duration {
            Duration::from_millis(12_345)
        }
        fn memory(&self) -> (u64, u64) {
            (1 << 30, 1 << 29)
        }
        fn mounts(&self) -> String {
            "none / overlay rw 0 0\n".into()
        }
        fn cpus(&self) -> u32 {
            2
        }
        fn cpuid(&self, f: u32, _i: u32) -> Option<(u32, u32, u32, u32)> {
            let mut name =
                *b"Test CPU @ 2.00GHz\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
            name[18..].fill(0);
            let name_leaf = |k: usize| {
                let w = |j: usize| word(&name[k * 16 + j * 4..k * 16 + j * 4 + 4]);
                Some((w(0), w(1), w(2), w(3)))
            };
            match f {
                0 => Some((0x16, word(b"Genu"), word(b"ntel"), word(b"ineI"))),
                1 => Some((0x50657, 8 << 8, 1 | 1 << 28 | 1 << 31, 1 | 1 << 26)),
                7 => Some((0, 1 << 5 | 1 << 18, 0, 0)),
                0x8000_0000 => Some((0x8000_0008, 0, 0, 0)),
                0x8000_0001 => Some((0, 0, 0, 1 << 11 | 1 << 29)),
                0x8000_0002..=0x8000_0004 => name_leaf((f - 0x8000_0002) as usize),
                0x8000_0008 => Some((46 | 48 << 8, 0, 0, 0)),
                _ => None,
            }
        }
    }

    pub(super) fn ctx() -> (Arc<Ctx>, Arc<ProcessRegistry>) {
        let registry = Arc::new(ProcessRegistry::default());
        let ctx = Ctx {
            dev: 5,
            boot: Duration::from_secs(1_700_000_000),
            registry: registry.clone(),
            system: Arc::new(FakeSys),
        };
        (Arc::new(ctx), registry)
    }

    pub(super) fn sample_state(comm: &[u8]) -> ProcessState {
        let map = |start, end, write, exec, shared, label: &str| MapInfo {
            start,
            end,
            read: true,
            write,
            exec,
            shared,
            label: label.into(),
            offset: 0,
            dev: 0,
            ino: 0,
        };
        let fd = |fd, target: &[u8], flags, pos| FdInfo {
            fd,
            target: target.to_vec(),
            flags,
            pos,
        };
        ProcessState {
            ppid: 1,
            pgid: 7,
            sid: 7,
            comm: comm.to_vec(),
            exe: b"/bin/prog".to_vec(),
            cmdline: b"/bin/prog\0-x\0".to_vec(),
            environ: b"A=1\0".to_vec(),
            cwd: b"/home".to_vec(),
            root: b"/".to_vec(),
            fds: vec![
                fd(64, b"pipe:[3]", 2, 0),
                fd(0, b"/dev/null", 0, 0),
                fd(1, b"/tmp/out", 0o2001, 5),
            ],
            maps: vec![
                map(0x400000, 0x402000, false, true, false, "/bin/prog"),
                map(0x402000, 0x403000, true, false, true, ""),
                map(
                    0x7ffffffde000,
                    0x7ffffffff000,
                    true,
                    false,
                    false,
                    "[stack]",
                ),
            ],
            uid: 1000,
            gid: 100,
            umask: 0o22,
            threads: 1,
            tids: Vec::new(),
            start_time: Duration::from_millis(1500),
            vm_bytes: 8 << 20,
            resident_pages: 100,
        }
    }

    pub(super) fn add_process(reg: &ProcessRegistry, pid: i32, comm: &[u8]) -> Arc<ProcessInfo> {
        let p = ProcessInfo::new(pid, sample_state(comm));
        reg.register(&p);
        p
    }

    pub(super) fn walk(dir: &InodeRef, path: &str) -> InodeRef {
        path.split('/')
            .fold(dir.clone(), |d, n| d.lookup(n.as_bytes()).unwrap())
    }

    pub(super) fn read_all(node: &InodeRef) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 7];
        loop {
            let n = node.read_at(&mut buf, out.len() as u64).unwrap();
            if n == 0 {
                return out;
            }
            out.extend_from_slice(&buf[..n]);
        }
    }

    fn procfs() -> (InodeRef, Arc<ProcessRegistry>) {
        let (c, reg) = ctx();
        (new_at(c.dev, reg.clone(), c.system.clone(), c.boot), reg)
    }

    #[test]
    fn root_listing() {
        let (root, reg) = procfs();
        let _p1 = add_process(&reg, 1, b"init");
        let p7 = add_process(&reg, 7, b"sh");
        let names: Vec<String> = root
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .collect();
        for n in [
            "self",
            "thread-self",
            "1",
            "7",
            "meminfo",
            "cpuinfo",
            "uptime",
            "loadavg",
            "filesystems",
            "mounts",
            "stat",
            "version",
            "sys",
        ] {
            assert!(names.contains(&n.to_string()), "{n}");
        }
        assert!(root.lookup(b"7").is_ok());
        drop(p7);
        assert_eq!(root.lookup(b"7").err(), Some(Errno::ENOENT));
        assert!(!root.readdir().unwrap().iter().any(|e| e.name == b"7"));
        for bad in [&b"2"[..], b"01", b"-1", b"99999999999", b"x"] {
            assert_eq!(root.lookup(bad).err(), Some(Errno::ENOENT));
        }
        let st = root.stat().unwrap();
        assert_eq!(
            (st.mode, st.ino, st.dev, st.atime),
            (0o40555, 1, 5, Duration::from_secs(1_700_000_000))
        );
        let owner = Owner {
            uid: 0,
            gid: 0,
            perm: 0o644,
        };
        assert_eq!(
            root.create(b"foo", NewNode::Regular, owner).err(),
            Some(Errno::ENOENT)
        );
        assert_eq!(root.unlink(b"meminfo", false).err(), Some(Errno::EPERM));
    }

    #[test]
    fn self_links() {
        let (root, reg) = procfs();
        let _p = add_process(&reg, 3, b"x");
        let me = root.lookup(b"self").unwrap();
        let thread = root.lookup(b"thread-self").unwrap();
        set_current_pid(0);
        assert_eq!(me.readlink().err(), Some(Errno::ENOENT));
        set_current_pid(3);
        assert_eq!(me.readlink().unwrap(), b"3");
        assert_eq!(thread.readlink().unwrap(), b"3/task/3");
        let st = me.stat().unwrap();
        assert_eq!((st.mode, st.size), (0o120777, 1));
        assert_eq!(
            root.lookup(b"mounts").unwrap().readlink().unwrap(),
            b"self/mounts"
        );
        // The walk follows "3/task/3" from the root.
        assert_eq!(read_all(&walk(&root, "3/task/3/comm")), b"x\n");
    }

    #[test]
    fn system_files() {
        let (root, _) = procfs();
        let text = |p: &str| String::from_utf8(read_all(&walk(&root, p))).unwrap();
        assert_eq!(text("sys/kernel/ostype"), "Linux\n");
        assert_eq!(text("sys/kernel/osrelease"), "6.1.0-sentry\n");
        assert_eq!(text("sys/kernel/hostname"), "sandbox\n");
        assert_eq!(text("sys/kernel/pid_max"), "4194304\n");
        assert_eq!(text("uptime"), "12.34 0.00\n");
        assert!(text("meminfo").starts_with("MemTotal:        1048576 kB\n"));
        assert!(text("cpuinfo").starts_with("processor\t: 0\n"));
        let f = walk(&root, "meminfo");
        let st = f.stat().unwrap();
        assert_eq!(
            (st.mode, st.size, st.nlink, st.blksize),
            (0o100444, 0, 1, 1024)
        );
        assert_eq!(f.write_at(b"x", 0).err(), Some(Errno::EACCES));
        assert_eq!(f.read_at(&mut [0; 16], u64::MAX).unwrap(), 0);
        assert_eq!(f.read_at(&mut [0; 16], 1 << 40).unwrap(), 0);
        assert_eq!(walk(&root, "sys/kernel").stat().unwrap().mode, 0o40555);
    }
}
