//! Descriptor syscalls: close, dup, fcntl, ioctl, getdents64, sync, size changes.

use super::io::file;
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{FileKind, O_ACCMODE, O_RDONLY};
use crate::fs::inode::{FileType, SetAttr};
use crate::kernel::fd::FD_LIMIT;
use crate::kernel::Ctx;

const O_CLOEXEC: u64 = 0o2000000;

pub fn sys_close(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.fds.close(a.i32(0))?;
    ctx.task.publish_files();
    Ok(0)
}

pub fn sys_close_range(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const CLOSE_RANGE_UNSHARE: u32 = 2;
    const CLOSE_RANGE_CLOEXEC: u32 = 4;
    let (first, last, flags) = (a.u32(0), a.u32(1), a.u32(2));
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    ctx.task.fds.close_range(
        first as usize,
        last as usize,
        flags & CLOSE_RANGE_CLOEXEC != 0,
    );
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

pub fn sys_dup2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new) = (a.i32(0), a.i32(1));
    if old == new {
        ctx.task.fds.get(old)?;
        return Ok(new as u64);
    }
    let r = ctx.task.fds.duplicate_to(old, new, false);
    installed(ctx, r)
}

pub fn sys_dup3(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new, flags) = (a.i32(0), a.i32(1), a.u64(2));
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    let r = ctx.task.fds.duplicate_to(old, new, flags & O_CLOEXEC != 0);
    installed(ctx, r)
}

pub fn sys_fcntl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    const FD_CLOEXEC: u64 = 1;
    let fd = a.i32(0);
    match a.u32(1) {
        cmd @ (F_DUPFD | F_DUPFD_CLOEXEC) => {
            let f = file(ctx, fd)?;
            let min = usize::try_from(a.i32(2)).map_err(|_| Errno::EINVAL)?;
            if min >= FD_LIMIT {
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
        _ => {
            file(ctx, fd)?;
            Err(Errno::EINVAL)
        }
    }
}

pub fn sys_ioctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const TCGETS: u32 = 0x5401;
    const TIOCGWINSZ: u32 = 0x5413;
    const FIONREAD: u32 = 0x541b;
    let f = file(ctx, a.i32(0))?;
    let arg = a.u64(2);
    match (&f.kind, a.u32(1)) {
        (FileKind::HostStream { host_fd }, TCGETS) => {
            let raw = crate::host::tcgets(*host_fd).map_err(crate::fs::hostfs::host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        (FileKind::HostStream { host_fd }, TIOCGWINSZ) => {
            let raw = crate::host::window_size(*host_fd).map_err(crate::fs::hostfs::host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        (FileKind::HostStream { host_fd }, FIONREAD) => {
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
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

pub fn sys_getdents64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let max = a.usize(2).min(super::io::CHUNK);
    let bytes = f.getdents(max)?;
    ctx.task.mm.copy_out(a.u64(1), &bytes)?;
    Ok(bytes.len() as u64)
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
