//! /proc/[pid]: a process's directory (and its task/[tid] twin), fd/ and fdinfo/.
//! Nodes hold the process weakly and read its state at each access: once it is gone,
//! files read ESRCH, symlinks and lookups give ENOENT.

use std::sync::{Arc, Weak};

use super::super::inode::*;
use super::super::synthetic::{Attr, Dir, DirSource, GenFile, Generator, OwnerFn, Symlink};
use super::{pidtext, Ctx};
use crate::errno::{Errno, SysResult};
use crate::kernel::process::{ProcessInfo, ProcessState};

type Proc = Weak<ProcessInfo>;

/// The owner of a process's nodes: the process's user, root once it is gone.
fn owner(proc: &Proc) -> OwnerFn {
    let proc = proc.clone();
    Arc::new(move || {
        proc.upgrade().map_or((0, 0), |p| {
            let st = p.state();
            (st.uid, st.gid)
        })
    })
}

/// The directory of `info` (`task` for /proc/[pid]/task/[tid], which has no task/).
pub(super) fn pid_dir(ctx: &Arc<Ctx>, info: &Arc<ProcessInfo>, task: bool) -> InodeRef {
    let pid = info.pid;
    let base = if task {
        format!("{pid}/task/{pid}")
    } else {
        pid.to_string()
    };
    let node = PidNode {
        ctx: ctx.clone(),
        proc: Arc::downgrade(info),
        base,
    };
    Dir::new_dynamic(node.attr("", 0o555), PidDir { node, task })
}

/// What every node of one process's directory needs.
#[derive(Clone)]
struct PidNode {
    ctx: Arc<Ctx>,
    proc: Proc,
    /// Path of the directory relative to /proc, for inode numbers.
    base: String,
}

impl PidNode {
    fn attr(&self, name: &str, perm: u32) -> Attr {
        let path = if name.is_empty() {
            self.base.clone()
        } else {
            format!("{}/{name}", self.base)
        };
        self.ctx.attr(&path, perm).with_owner(owner(&self.proc))
    }

    fn live(&self) -> SysResult<Arc<ProcessInfo>> {
        self.proc.upgrade().ok_or(Errno::ENOENT)
    }

    /// A file whose text `f` makes from the process (ESRCH once it is gone).
    fn file(&self, name: &str, perm: u32, f: fn(&Ctx, &ProcessInfo) -> Vec<u8>) -> InodeRef {
        let (ctx, proc) = (self.ctx.clone(), self.proc.clone());
        let generate: Generator =
            Arc::new(move || proc.upgrade().map(|p| f(&ctx, &p)).ok_or(Errno::ESRCH));
        GenFile::new(self.attr(name, perm), generate)
    }

    /// A symlink to the path `f` takes from the state (ENOENT if gone or empty).
    fn link(&self, name: &str, f: fn(&ProcessState) -> Vec<u8>) -> InodeRef {
        let proc = self.proc.clone();
        let target: Generator = Arc::new(move || {
            let p = proc.upgrade().ok_or(Errno::ENOENT)?;
            let target = f(&p.state());
            if target.is_empty() {
                Err(Errno::ENOENT)
            } else {
                Ok(target)
            }
        });
        Symlink::new(self.attr(name, 0o777), target)
    }

    fn subdir(&self, name: &str, perm: u32, source: impl DirSource + 'static) -> InodeRef {
        Dir::new_dynamic(self.attr(name, perm), source)
    }
}

fn stat_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    let st = p.state();
    pidtext::stat(p.pid, &st, p.run_state(st.threads).0)
}

fn status_text(ctx: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    let (cpus, (mem_total, _)) = (ctx.system.cpus(), ctx.system.memory());
    let st = p.state();
    pidtext::status(p.pid, &st, p.run_state(st.threads), cpus, mem_total)
}

fn statm_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    pidtext::statm(&p.state())
}

fn maps_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    pidtext::maps(&p.state())
}

fn cmdline_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    p.state().cmdline.clone()
}

fn environ_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    p.state().environ.clone()
}

fn comm_text(_: &Ctx, p: &ProcessInfo) -> Vec<u8> {
    let mut comm = p.state().comm.clone();
    comm.push(b'\n');
    comm
}

fn mounts_text(ctx: &Ctx, _: &ProcessInfo) -> Vec<u8> {
    ctx.system.mounts().into_bytes()
}

/// The children of /proc/[pid] (or task/[tid]).
struct PidDir {
    node: PidNode,
    task: bool,
}

impl DirSource for PidDir {
    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>> {
        let n = &self.node;
        n.live()?;
        let mut out: Vec<(&str, InodeRef)> = Vec::new();
        if !self.task {
            out.push(("task", n.subdir("task", 0o555, TaskDir { node: n.clone() })));
        }
        let fd = FdDir {
            node: n.clone(),
            info: false,
        };
        let fdinfo = FdDir {
            node: n.clone(),
            info: true,
        };
        out.extend([
            ("fd", n.subdir("fd", 0o500, fd)),
            ("fdinfo", n.subdir("fdinfo", 0o500, fdinfo)),
            ("environ", n.file("environ", 0o400, environ_text)),
            ("status", n.file("status", 0o444, status_text)),
            ("comm", n.file("comm", 0o444, comm_text)),
            ("cmdline", n.file("cmdline", 0o444, cmdline_text)),
            ("stat", n.file("stat", 0o444, stat_text)),
            ("statm", n.file("statm", 0o444, statm_text)),
            ("maps", n.file("maps", 0o444, maps_text)),
            ("cwd", n.link("cwd", |s| s.cwd.clone())),
            ("root", n.link("root", |s| s.root.clone())),
            ("exe", n.link("exe", |s| s.exe.clone())),
            ("mounts", n.file("mounts", 0o444, mounts_text)),
        ]);
        Ok(out
            .into_iter()
            .map(|(name, i)| (name.as_bytes().to_vec(), i))
            .collect())
    }
}

/// /proc/[pid]/task: one entry per thread (each shows the process's facts).
struct TaskDir {
    node: PidNode,
}

impl DirSource for TaskDir {
    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>> {
        let info = self.node.live()?;
        let mut tids = info.state().tids.clone();
        tids.push(info.pid);
        tids.sort_unstable();
        tids.dedup();
        Ok(tids
            .into_iter()
            .map(|tid| {
                (
                    tid.to_string().into_bytes(),
                    pid_dir(&self.node.ctx, &info, true),
                )
            })
            .collect())
    }
}

/// A descriptor number as a name: decimal without sign or leading zero.
fn parse_fd(name: &[u8]) -> Option<i32> {
    if name.is_empty()
        || (name.len() > 1 && name[0] == b'0')
        || !name.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    std::str::from_utf8(name).ok()?.parse().ok()
}

/// /proc/[pid]/fd (symlinks) or /proc/[pid]/fdinfo (files).
struct FdDir {
    node: PidNode,
    info: bool,
}

impl FdDir {
    fn entry(&self, fd: i32, flags: u32) -> InodeRef {
        let n = &self.node;
        let dir = if self.info { "fdinfo" } else { "fd" };
        let name = format!("{dir}/{fd}");
        let proc = n.proc.clone();
        let pid = proc.upgrade().map_or(0, |p| p.pid);
        if self.info {
            let generate: Generator = Arc::new(move || {
                let p = proc.upgrade().ok_or(Errno::ESRCH)?;
                let st = p.state();
                st.fds
                    .iter()
                    .find(|f| f.fd == fd)
                    .map(pidtext::fdinfo)
                    .ok_or(Errno::ENOENT)
            });
            return GenFile::new(n.attr(&name, 0o444), generate);
        }
        let target: Generator = Arc::new(move || {
            let p = proc.upgrade().ok_or(Errno::ENOENT)?;
            let st = p.state();
            st.fds
                .iter()
                .find(|f| f.fd == fd)
                .map(|f| f.target.clone())
                .ok_or(Errno::ENOENT)
        });
        // The link's permissions show the open mode, as on Linux.
        let perm = match flags & 0o3 {
            0 => 0o500,
            1 => 0o300,
            _ => 0o700,
        };
        Symlink::to_open_file(n.attr(&name, perm), target, pid, fd)
    }
}

impl DirSource for FdDir {
    fn list(&self) -> SysResult<Vec<(Vec<u8>, InodeRef)>> {
        let info = self.node.live()?;
        let mut fds: Vec<(i32, u32)> = info.state().fds.iter().map(|f| (f.fd, f.flags)).collect();
        fds.sort_unstable();
        Ok(fds
            .into_iter()
            .map(|(fd, fl)| (fd.to_string().into_bytes(), self.entry(fd, fl)))
            .collect())
    }

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        let info = self.node.live()?;
        let fd = parse_fd(name).ok_or(Errno::ENOENT)?;
        let flags = info
            .state()
            .fds
            .iter()
            .find(|f| f.fd == fd)
            .map(|f| f.flags);
        flags.map(|fl| self.entry(fd, fl)).ok_or(Errno::ENOENT)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{add_process, ctx, read_all, walk};
    use super::*;

    #[test]
    fn listing_and_files() {
        let (c, reg) = ctx();
        let p = add_process(&reg, 42, b"prog");
        let dir = pid_dir(&c, &p, false);
        let names: Vec<String> = dir
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| String::from_utf8(e.name).unwrap())
            .collect();
        for n in [
            "task", "fd", "fdinfo", "environ", "status", "comm", "cmdline", "stat", "statm",
            "maps", "cwd", "root", "exe", "mounts",
        ] {
            assert!(names.contains(&n.to_string()), "{n}");
        }
        let st = dir.stat().unwrap();
        assert_eq!((st.mode, st.uid, st.gid), (0o40555, 1000, 100));
        assert_eq!(read_all(&walk(&dir, "comm")), b"prog\n");
        assert_eq!(read_all(&walk(&dir, "cmdline")), b"/bin/prog\0-x\0");
        assert_eq!(read_all(&walk(&dir, "environ")), b"A=1\0");
        assert_eq!(read_all(&walk(&dir, "mounts")), b"none / overlay rw 0 0\n");
        assert_eq!(walk(&dir, "environ").stat().unwrap().mode, 0o100400);
        assert_eq!(walk(&dir, "exe").readlink().unwrap(), b"/bin/prog");
        assert_eq!(walk(&dir, "cwd").readlink().unwrap(), b"/home");
        assert_eq!(walk(&dir, "root").readlink().unwrap(), b"/");
        assert_eq!(walk(&dir, "exe").stat().unwrap().size, 9);
        let file = walk(&dir, "status");
        assert_eq!(file.write_at(b"x", 0).err(), Some(Errno::EACCES));
        assert_eq!(
            walk(&dir, "stat").stat().unwrap().ino,
            walk(&dir, "stat").stat().unwrap().ino
        );
        assert_ne!(
            walk(&dir, "stat").stat().unwrap().ino,
            walk(&dir, "statm").stat().unwrap().ino
        );
    }

    #[test]
    fn task_and_fds() {
        let (c, reg) = ctx();
        let p = add_process(&reg, 42, b"prog");
        let dir = pid_dir(&c, &p, false);
        let task = walk(&dir, "task/42");
        assert!(task.lookup(b"task").is_err());
        assert_eq!(read_all(&walk(&task, "comm")), b"prog\n");
        assert_ne!(task.stat().unwrap().ino, dir.stat().unwrap().ino);
        let fd = walk(&dir, "fd");
        let names: Vec<_> = fd
            .readdir()
            .unwrap()
            .into_iter()
            .map(|e| (e.name, e.file_type))
            .collect();
        assert_eq!(names[0], (b"0".to_vec(), FileType::Symlink));
        assert_eq!(names.len(), 3);
        assert_eq!(walk(&fd, "0").readlink().unwrap(), b"/dev/null");
        assert_eq!(walk(&fd, "64").readlink().unwrap(), b"pipe:[3]");
        assert_eq!(walk(&fd, "1").stat().unwrap().mode, 0o120300);
        assert_eq!(fd.lookup(b"2").err(), Some(Errno::ENOENT));
        assert_eq!(fd.lookup(b"01").err(), Some(Errno::ENOENT));
        assert_eq!(fd.lookup(b"x").err(), Some(Errno::ENOENT));
        assert_eq!(fd.stat().unwrap().mode, 0o40500);
        let info = walk(&dir, "fdinfo/1");
        assert_eq!(
            read_all(&info),
            b"pos:\t5\nflags:\t02001\nmnt_id:\t0\nino:\t0\n"
        );
        // A descriptor closed after lookup.
        p.state().fds.retain(|f| f.fd != 1);
        assert_eq!(info.read_at(&mut [0; 8], 0).err(), Some(Errno::ENOENT));
    }

    #[test]
    fn exited_process() {
        let (c, reg) = ctx();
        let p = add_process(&reg, 42, b"prog");
        let dir = pid_dir(&c, &p, false);
        let stat = walk(&dir, "stat");
        let exe = walk(&dir, "exe");
        let fd0 = walk(&dir, "fd/0");
        drop(p);
        assert_eq!(stat.read_at(&mut [0; 8], 0).err(), Some(Errno::ESRCH));
        assert_eq!(exe.readlink().err(), Some(Errno::ENOENT));
        assert_eq!(fd0.readlink().err(), Some(Errno::ENOENT));
        assert_eq!(dir.lookup(b"stat").err(), Some(Errno::ENOENT));
        assert_eq!(dir.readdir().err(), Some(Errno::ENOENT));
        assert_eq!(stat.stat().unwrap().uid, 0);
        assert!(reg.get(42).is_none());
    }
}
