//! Descriptor syscalls: close, dup, fcntl, ioctl, getdents64, sync, size changes.

use std::sync::Arc;

use super::io::file;
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{DirentLayout, FileKind, OpenFile, O_ACCMODE, O_RDONLY};
use crate::fs::inode::{FileType, SetAttr};
use crate::fs::locks::{Kind as LockKind, Lock, LockWait, Owner, LOCKS};
use crate::kernel::Ctx;

const O_CLOEXEC: u64 = 0o2000000;

pub fn sys_close(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let file = ctx.task.fds.get(a.i32(0));
    ctx.task.fds.close(a.i32(0))?;
    descriptors_closed(ctx.task.pid, file.into_iter());
    ctx.task.publish_files();
    Ok(0)
}

/// Closing any descriptor of a file, explicitly or not (dup2 over it, close_range,
/// close-on-exec), drops the process's record locks on the file.
pub fn descriptors_closed(pid: i32, files: impl Iterator<Item = Arc<OpenFile>>) {
    for file in files {
        if let Some(d) = file.dentry() {
            LOCKS.release(Owner::Process(pid), Some(d.inode.id()));
        }
    }
}

pub fn sys_close_range(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u32(2));
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    let closed = ctx.task.fds.close_range(
        first as usize,
        last as usize,
        flags & CLOSE_RANGE_CLOEXEC != 0,
    );
    descriptors_closed(ctx.task.pid, closed.into_iter());
    ctx.task.publish_files();
    Ok(0)
}

fn installed(ctx: &mut Ctx, r: SysResult<i32>) -> SysResult<u64> {
    let fd = r?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

pub fn sys_dup(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let r = ctx.task.fds.install(f, 0, false);
    installed(ctx, r)
}

/// dup2/dup3's common part: `new` becomes `old`, what it held is closed.
fn duplicate(ctx: &mut Ctx, old: i32, new: i32, close_on_exec: bool) -> SysResult<i32> {
    let replaced = ctx.task.fds.duplicate_to(old, new, close_on_exec)?;
    descriptors_closed(ctx.task.pid, replaced.into_iter());
    Ok(new)
}

pub fn sys_dup2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new) = (a.i32(0), a.i32(1));
    if old == new {
        ctx.task.fds.get(old)?;
        return Ok(new as u64);
    }
    let r = duplicate(ctx, old, new, false);
    installed(ctx, r)
}

pub fn sys_dup3(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new, flags) = (a.i32(0), a.i32(1), a.u64(2));
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let r = duplicate(ctx, old, new, flags & O_CLOEXEC != 0);
    installed(ctx, r)
}

pub fn sys_fcntl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    const F_SETPIPE_SZ: u32 = 1031;
    const F_GETPIPE_SZ: u32 = 1032;
    const F_ADD_SEALS: u32 = 1033;
    const F_GET_SEALS: u32 = 1034;
    const FD_CLOEXEC: u64 = 1;
    let fd = a.i32(0);
    match a.u32(1) {
        cmd @ (F_DUPFD | F_DUPFD_CLOEXEC) => {
            let f = file(ctx, fd)?;
            let min = usize::try_from(a.i32(2)).map_err(|_| Errno::EINVAL)?;
            if min >= ctx.task.fds.limit() {
                return Err(Errno::EINVAL);
            }
            let r = ctx.task.fds.install(f, min, cmd == F_DUPFD_CLOEXEC);
            installed(ctx, r)
        }
        F_GETFD => ctx.task.fds.close_on_exec(fd).map(u64::from),
        F_SETFD => ctx
            .task
            .fds
            .set_close_on_exec(fd, a.u64(2) & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => file(ctx, fd).map(|f| u64::from(f.flags())),
        F_SETFL => {
            let f = file(ctx, fd)?;
            f.set_status_flags(a.u32(2))?;
            ctx.task.publish_files();
            Ok(0)
        }
        cmd @ (F_SETPIPE_SZ | F_GETPIPE_SZ) => {
            let f = file(ctx, fd)?;
            let end = f
                .inode_as::<crate::fs::pipe::PipeEnd>()
                .ok_or(Errno::EBADF)?;
            if cmd == F_GETPIPE_SZ {
                Ok(end.capacity() as u64)
            } else {
                end.set_capacity(a.u64(2) & 0xffff_ffff).map(|n| n as u64)
            }
        }
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => {
            record_lock(ctx, fd, a.u32(1), a.u64(2))
        }
        F_ADD_SEALS => super::memfd::add_seals(&*file(ctx, fd)?, a.u64(2)),
        F_GET_SEALS => super::memfd::get_seals(&*file(ctx, fd)?),
        _ => {
            file(ctx, fd)?;
            Err(Errno::EINVAL)
        }
    }
}

const F_GETLK: u32 = 5;
const F_SETLK: u32 = 6;
const F_SETLKW: u32 = 7;
const F_OFD_GETLK: u32 = 36;
const F_OFD_SETLK: u32 = 37;
const F_OFD_SETLKW: u32 = 38;

/// POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW) and their open-file-description
/// variants, held in the sandbox-wide lock table.
fn record_lock(ctx: &mut Ctx, fd: i32, cmd: u32, arg: u64) -> SysResult<u64> {
    const F_RDLCK: i16 = 0;
    const F_WRLCK: i16 = 1;
    const F_UNLCK: i16 = 2;
    let f = file(ctx, fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let mut raw = [0u8; 32];
    ctx.task.mm.copy_in(arg, &mut raw)?;
    let kind = i16::from_le_bytes([raw[0], raw[1]]);
    let whence = i16::from_le_bytes([raw[2], raw[3]]);
    let l_start = i64::from_le_bytes(raw[8..16].try_into().unwrap_or_default());
    let l_len = i64::from_le_bytes(raw[16..24].try_into().unwrap_or_default());
    let pid = i32::from_le_bytes(raw[24..28].try_into().unwrap_or_default());
    if !(0..=2).contains(&whence) || !matches!(kind, F_RDLCK | F_WRLCK | F_UNLCK) {
        return Err(Errno::EINVAL);
    }
    let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
    if ofd && pid != 0 {
        return Err(Errno::EINVAL);
    }
    let base: i64 = match whence {
        0 => 0,
        1 => f.offset() as i64,
        _ => f.stat()?.size as i64,
    };
    let start = base.checked_add(l_start).ok_or(Errno::EOVERFLOW)?;
    let (start, end) = match l_len {
        0 => (start, u64::MAX as i128),
        len if len > 0 => (start, i128::from(start) + i128::from(len)),
        len => (
            start.checked_add(len).ok_or(Errno::EINVAL)?,
            i128::from(start),
        ),
    };
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    if end != u64::MAX as i128 && end - 1 > i128::from(i64::MAX) {
        return Err(Errno::EOVERFLOW);
    }
    let (start, end) = (start as u64, end as u64);
    let owner = if ofd {
        f.lock_owner()
    } else {
        Owner::Process(ctx.task.pid)
    };
    // Host streams (the standard streams) are nobody else's: nothing to coordinate.
    let Some(key) = f.dentry().map(|d| d.inode.id()) else {
        return Ok(0);
    };
    let wanted = Lock {
        owner,
        kind: if kind == F_WRLCK {
            LockKind::Write
        } else {
            LockKind::Read
        },
        start,
        end,
    };
    if matches!(cmd, F_GETLK | F_OFD_GETLK) {
        if kind == F_UNLCK {
            return Err(Errno::EINVAL);
        }
        match LOCKS.conflict(key, &wanted) {
            None => raw[..2].copy_from_slice(&F_UNLCK.to_le_bytes()),
            Some(c) => {
                let ty = if c.kind == LockKind::Write {
                    F_WRLCK
                } else {
                    F_RDLCK
                };
                raw[..2].copy_from_slice(&ty.to_le_bytes());
                raw[2..4].copy_from_slice(&0i16.to_le_bytes());
                raw[8..16].copy_from_slice(&(c.start as i64).to_le_bytes());
                let len = if c.end == u64::MAX {
                    0
                } else {
                    c.end - c.start
                };
                raw[16..24].copy_from_slice(&(len as i64).to_le_bytes());
                let holder = match c.owner {
                    Owner::Process(p) => p,
                    Owner::File(_) => -1,
                };
                raw[24..28].copy_from_slice(&holder.to_le_bytes());
            }
        }
        ctx.task.mm.copy_out(arg, &raw)?;
        return Ok(0);
    }
    let mode = f.flags() & O_ACCMODE;
    if (kind == F_RDLCK && mode == crate::fs::file::O_WRONLY)
        || (kind == F_WRLCK && mode == O_RDONLY)
    {
        return Err(Errno::EBADF);
    }
    if ofd {
        f.note_locks();
    }
    if kind == F_UNLCK {
        LOCKS.unlock(key, owner, start, end);
        return Ok(0);
    }
    if !matches!(cmd, F_SETLKW | F_OFD_SETLKW) {
        return LOCKS.set(key, wanted).map(|_| 0).map_err(|_| Errno::EAGAIN);
    }
    let Owner::Process(pid) = owner else {
        // OFD locks have no deadlock detection, as on Linux.
        return ctx
            .task
            .block_on(&[&LOCKS.changed], None, true, || {
                LOCKS.set(key, wanted).ok()
            })
            .map(|_| 0)
            .map_err(|_| Errno::ERESTARTSYS);
    };
    let outcome = ctx
        .task
        .block_on(&[&LOCKS.changed], None, true, || {
            match LOCKS.set_or_wait(key, pid, wanted) {
                LockWait::Taken => Some(Ok(0)),
                LockWait::Deadlock => Some(Err(Errno::EDEADLK)),
                LockWait::Wait => None,
            }
        })
        .unwrap_or(Err(Errno::ERESTARTSYS));
    if outcome == Err(Errno::ERESTARTSYS) {
        LOCKS.stop_waiting(pid);
    }
    outcome
}

/// flock(2): whole-file locks owned by the open file description.
pub fn sys_flock(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const LOCK_SH: u32 = 1;
    const LOCK_EX: u32 = 2;
    const LOCK_NB: u32 = 4;
    const LOCK_UN: u32 = 8;
    let f = file(ctx, a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    let kind = match a.u32(1) & !LOCK_NB {
        LOCK_SH => Some(LockKind::Read),
        LOCK_EX => Some(LockKind::Write),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let Some(key) = f.dentry().map(|d| d.inode.id()) else {
        return Ok(0);
    };
    f.note_locks();
    let owner = f.lock_owner();
    if LOCKS.flock(key, owner, kind).is_ok() {
        return Ok(0);
    }
    if a.u32(1) & LOCK_NB != 0 {
        return Err(Errno::EWOULDBLOCK);
    }
    ctx.task
        .block_on(&[&LOCKS.changed], None, true, || {
            LOCKS.flock(key, owner, kind).ok()
        })
        .map(|_| 0)
        .map_err(|_| Errno::ERESTARTSYS)
}

pub fn sys_ioctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const TCGETS: u32 = 0x5401;
    const TIOCGWINSZ: u32 = 0x5413;
    const FIONREAD: u32 = 0x541b;
    const FIONBIO: u32 = 0x5421;
    const FIONCLEX: u32 = 0x5450;
    const FIOCLEX: u32 = 0x5451;
    let f = file(ctx, a.i32(0))?;
    let arg = a.u64(2);
    match (&f.kind, a.u32(1)) {
        (FileKind::HostStream { host_fd, .. }, TCGETS) => {
            let raw = crate::host::tcgets(*host_fd).map_err(crate::fs::hostfs::host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        (FileKind::HostStream { host_fd, .. }, TIOCGWINSZ) => {
            let raw = crate::host::window_size(*host_fd).map_err(crate::fs::hostfs::host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        (FileKind::HostStream { host_fd, .. }, FIONREAD) => {
            let n = crate::host::bytes_readable(*host_fd).map_err(crate::fs::hostfs::host_errno)?;
            ctx.task.mm.write_u32(arg, n)?;
        }
        (FileKind::Node(d), FIONREAD) if d.inode.file_type() == FileType::Regular => {
            let n = d
                .inode
                .stat()?
                .size
                .saturating_sub(f.offset())
                .min(i32::MAX as u64);
            ctx.task.mm.write_u32(arg, n as u32)?;
        }
        (FileKind::Node(d), FIONREAD) if d.is_dir() => return Err(Errno::EINVAL),
        (FileKind::Node(d), FIONREAD) if d.inode.as_any().is::<crate::fs::pipe::PipeEnd>() => {
            let end = d.inode.as_any().downcast_ref::<crate::fs::pipe::PipeEnd>();
            let n = end.map_or(0, |e| e.available()) as u32;
            ctx.task.mm.write_u32(arg, n)?;
        }
        (_, FIONBIO) => {
            const O_NONBLOCK: u32 = 0o4000;
            let mut b = [0u8; 4];
            ctx.task.mm.copy_in(arg, &mut b)?;
            let flags = f.flags();
            let new = if i32::from_le_bytes(b) != 0 {
                flags | O_NONBLOCK
            } else {
                flags & !O_NONBLOCK
            };
            f.set_status_flags(new)?;
            ctx.task.publish_files();
        }
        (_, cmd @ (FIOCLEX | FIONCLEX)) => {
            ctx.task.fds.set_close_on_exec(a.i32(0), cmd == FIOCLEX)?;
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

fn getdents(ctx: &mut Ctx, a: &Args, layout: DirentLayout) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let max = a.usize(2).min(super::io::CHUNK);
    let bytes = f.getdents(max, layout)?;
    ctx.task.mm.copy_out(a.u64(1), &bytes)?;
    Ok(bytes.len() as u64)
}

pub fn sys_getdents64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    getdents(ctx, a, DirentLayout::Dirent64)
}

pub fn sys_getdents(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    getdents(ctx, a, DirentLayout::Dirent)
}

/// readahead(2): a hint for a readable file (EINVAL for anything else); files are
/// read when asked, so there is nothing to start.
pub fn sys_readahead(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    if f.is_path_only() || f.flags() & O_ACCMODE == crate::fs::file::O_WRONLY {
        return Err(Errno::EBADF);
    }
    match f.dentry() {
        Some(d) if d.inode.file_type() == FileType::Regular => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// sync_file_range(2): checked as Linux checks it; written data is already where
/// it goes, as for fsync.
pub fn sys_sync_file_range(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const VALID_FLAGS: u32 = 0x7;
    let (fd, offset, nbytes, flags) = (a.i32(0), a.u64(1) as i64, a.u64(2) as i64, a.u32(3));
    let f = file(ctx, fd)?;
    if flags & !VALID_FLAGS != 0 || offset < 0 || nbytes < 0 || offset.checked_add(nbytes).is_none()
    {
        return Err(Errno::EINVAL);
    }
    let seekable = f.dentry().is_some_and(|d| {
        matches!(
            d.inode.file_type(),
            FileType::Regular | FileType::Directory | FileType::BlockDevice | FileType::Symlink
        )
    });
    if !seekable {
        return Err(Errno::ESPIPE);
    }
    Ok(0)
}

/// fsync, fdatasync, syncfs: everything is already as durable as it will be.
pub fn sys_fsync(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    file(ctx, a.i32(0)).map(|_| 0)
}

pub fn sys_sync(_: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(0)
}

pub fn sys_ftruncate(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let len = a.u64(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let d = f.dentry().ok_or(Errno::EINVAL)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    if d.inode.file_type() != FileType::Regular || f.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EINVAL);
    }
    d.inode.set_attr(&SetAttr {
        size: Some(len as u64),
        ..SetAttr::default()
    })?;
    Ok(0)
}

pub fn sys_fallocate(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let (mode, offset, len) = (a.u32(1), a.u64(2) as i64, a.u64(3) as i64);
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    if f.is_path_only() || f.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EBADF);
    }
    let d = f.dentry().ok_or(Errno::ESPIPE)?;
    match d.inode.file_type() {
        FileType::Regular => {}
        FileType::Directory => return Err(Errno::EISDIR),
        FileType::Fifo => return Err(Errno::ESPIPE),
        _ => return Err(Errno::ENODEV),
    }
    const FALLOC_FL_KEEP_SIZE: u32 = 1;
    if mode & !FALLOC_FL_KEEP_SIZE != 0 {
        // Hole punching, zeroing and range collapsing are not supported.
        return Err(Errno::EOPNOTSUPP);
    }
    let end = offset.checked_add(len).ok_or(Errno::EFBIG)? as u64;
    // Memory needs no preallocation; only the size can change.
    if mode & FALLOC_FL_KEEP_SIZE == 0 && end > d.inode.stat()?.size {
        d.inode.set_attr(&SetAttr {
            size: Some(end),
            ..SetAttr::default()
        })?;
    }
    Ok(0)
}

fn do_pipe(ctx: &mut Ctx, fds_addr: u64, flags: u32) -> SysResult<u64> {
    const O_NONBLOCK: u32 = 0o4000;
    const O_DIRECT: u32 = 0o40000;
    const O_CLOEXEC: u32 = 0o2000000;
    if flags & !(O_NONBLOCK | O_DIRECT | O_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (read_end, write_end) = crate::fs::pipe::Pipe::create();
    let status = flags & O_NONBLOCK;
    let open = |inode, mode| {
        let dentry = crate::fs::path::Dentry::root(inode);
        crate::fs::file::OpenFile::new(FileKind::Node(dentry), status | mode)
    };
    let (r, w) = (
        open(read_end, O_RDONLY),
        open(write_end, crate::fs::file::O_WRONLY),
    );
    let cloexec = flags & O_CLOEXEC != 0;
    let rfd = ctx.task.fds.install(r, 0, cloexec)?;
    let wfd = match ctx.task.fds.install(w, 0, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = ctx.task.fds.close(rfd);
            return Err(e);
        }
    };
    let mut pair = [0u8; 8];
    pair[..4].copy_from_slice(&rfd.to_le_bytes());
    pair[4..].copy_from_slice(&wfd.to_le_bytes());
    if let Err(e) = ctx.task.mm.copy_out(fds_addr, &pair) {
        let _ = ctx.task.fds.close(rfd);
        let _ = ctx.task.fds.close(wfd);
        return Err(e);
    }
    ctx.task.publish_files();
    Ok(0)
}

pub fn sys_pipe(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_pipe(ctx, a.u64(0), 0)
}

pub fn sys_pipe2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_pipe(ctx, a.u64(0), a.u32(1))
}

/// fadvise64: advice is only a hint; the arguments are still checked.
pub fn sys_fadvise64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    if (a.u64(2) as i64) < 0 || !(0..=5).contains(&a.i32(3)) {
        return Err(Errno::EINVAL);
    }
    match f.dentry() {
        Some(d) if d.inode.file_type() == FileType::Fifo => Err(Errno::ESPIPE),
        None => Err(Errno::ESPIPE),
        Some(_) => Ok(0),
    }
}
