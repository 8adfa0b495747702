//! Descriptor syscalls: read/write families, close, dup, fstat, ioctl.

use std::io;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::host;
use crate::kernel::fd::OpenFile;
use crate::kernel::Ctx;

/// Largest single transfer Linux performs (MAX_RW_COUNT).
const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Bytes moved per host call, bounding the sentry's buffer.
const CHUNK: usize = 1 << 20;
/// Most iovecs one call may pass (UIO_MAXIOV).
const IOV_MAX: usize = 1024;

const O_CLOEXEC: u64 = 0o2000000;
const TCGETS: u64 = 0x5401;
const TIOCGWINSZ: u64 = 0x5413;

/// The errno for a failed host call on a passed-through descriptor.
fn host_errno(e: io::Error) -> Errno {
    e.raw_os_error().map_or(Errno::EIO, Errno::new)
}

fn host_fd(ctx: &Ctx, fd: i32) -> SysResult<i32> {
    match *ctx.task.fds.get(fd)? {
        OpenFile::HostStream { host_fd } => Ok(host_fd),
    }
}

/// Reads up to `len` bytes from `fd` into user memory at `buf`.
fn read_into(ctx: &mut Ctx, fd: i32, buf: u64, len: usize) -> SysResult<usize> {
    let hfd = host_fd(ctx, fd)?;
    let len = len.min(MAX_RW_COUNT).min(CHUNK);
    if len == 0 {
        return Ok(0);
    }
    ctx.task.mm.check_writable(buf, len)?;
    let mut data = vec![0u8; len];
    let n = host::read(hfd, &mut data).map_err(host_errno)?;
    ctx.task.mm.copy_out(buf, &data[..n])?;
    Ok(n)
}

/// Writes `data` to `fd` in one host call.
fn write_from(ctx: &Ctx, fd: i32, data: &[u8]) -> SysResult<usize> {
    let hfd = host_fd(ctx, fd)?;
    host::write(hfd, data).map_err(host_errno)
}

/// Copies the readable prefix of `[addr, addr+len)`; EFAULT only if nothing is readable
/// (bytes done win over a later fault, as in Linux).
fn copy_in_prefix(ctx: &mut Ctx, addr: u64, len: usize) -> SysResult<Vec<u8>> {
    const PAGE: u64 = vmm::PAGE_SIZE;
    let mut data = vec![0u8; len];
    let mut good = 0usize;
    while good < len {
        let Some(at) = addr.checked_add(good as u64) else {
            break;
        };
        let n = ((PAGE - at % PAGE) as usize).min(len - good);
        if ctx.task.mm.copy_in(at, &mut data[good..good + n]).is_err() {
            break;
        }
        good += n;
    }
    if good == 0 && len > 0 {
        return Err(Errno::EFAULT);
    }
    data.truncate(good);
    Ok(data)
}

pub fn sys_read(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    read_into(ctx, a.i32(0), a.u64(1), a.usize(2)).map(|n| n as u64)
}

pub fn sys_write(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (fd, buf, len) = (a.i32(0), a.u64(1), a.usize(2).min(MAX_RW_COUNT));
    host_fd(ctx, fd)?;
    let mut done = 0usize;
    while done < len {
        let want = (len - done).min(CHUNK);
        let data = match copy_in_prefix(ctx, buf + done as u64, want) {
            Ok(d) => d,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let n = match write_from(ctx, fd, &data) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < want {
            break;
        }
    }
    Ok(done as u64)
}

/// Reads an iovec array: (base, len) pairs, with Linux's checks.
fn read_iovecs(ctx: &mut Ctx, addr: u64, count: u64) -> SysResult<Vec<(u64, usize)>> {
    let count = usize::try_from(count)
        .ok()
        .filter(|c| *c <= IOV_MAX)
        .ok_or(Errno::EINVAL)?;
    let mut raw = vec![0u8; count * 16];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    let mut total: u64 = 0;
    let mut iovs = Vec::with_capacity(count);
    for chunk in raw.chunks_exact(16) {
        let base = u64::from_le_bytes(chunk[..8].try_into().map_err(|_| Errno::EFAULT)?);
        let len = u64::from_le_bytes(chunk[8..].try_into().map_err(|_| Errno::EFAULT)?);
        if len > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        total = total
            .checked_add(len)
            .filter(|t| *t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
        iovs.push((base, len as usize));
    }
    Ok(iovs)
}

pub fn sys_readv(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let fd = a.i32(0);
    host_fd(ctx, fd)?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    // One host read for the whole vector, scattered afterwards (a read from a pipe
    // or terminal must not be split into several).
    let total = iovs
        .iter()
        .map(|v| v.1)
        .fold(0usize, usize::saturating_add)
        .min(CHUNK);
    if total == 0 {
        return Ok(0);
    }
    for (base, len) in &iovs {
        ctx.task.mm.check_writable(*base, *len.min(&CHUNK))?;
    }
    let mut data = vec![0u8; total];
    let n = host::read(host_fd(ctx, fd)?, &mut data).map_err(host_errno)?;
    let mut done = 0;
    for (base, len) in iovs {
        if done == n {
            break;
        }
        let m = len.min(n - done);
        ctx.task.mm.copy_out(base, &data[done..done + m])?;
        done += m;
    }
    Ok(n as u64)
}

pub fn sys_writev(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let fd = a.i32(0);
    host_fd(ctx, fd)?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    let mut data = Vec::new();
    for (base, len) in iovs {
        let room = CHUNK - data.len();
        if room == 0 {
            break;
        }
        let part = match copy_in_prefix(ctx, base, len.min(room)) {
            Ok(p) => p,
            Err(e) if data.is_empty() && len > 0 => return Err(e),
            Err(_) => break,
        };
        let short = part.len() < len.min(room);
        data.extend_from_slice(&part);
        if short {
            break;
        }
    }
    if data.is_empty() {
        return Ok(0);
    }
    write_from(ctx, fd, &data).map(|n| n as u64)
}

pub fn sys_close(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.fds.close(a.i32(0)).map(|()| 0)
}

pub fn sys_dup(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let file = ctx.task.fds.get(a.i32(0))?;
    ctx.task.fds.install(file, 0, false).map(|fd| fd as u64)
}

pub fn sys_dup2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new) = (a.i32(0), a.i32(1));
    if old == new {
        ctx.task.fds.get(old)?;
        return Ok(new as u64);
    }
    ctx.task
        .fds
        .duplicate_to(old, new, false)
        .map(|fd| fd as u64)
}

pub fn sys_dup3(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (old, new, flags) = (a.i32(0), a.i32(1), a.u64(2));
    if flags & !O_CLOEXEC != 0 || old == new {
        return Err(Errno::EINVAL);
    }
    ctx.task
        .fds
        .duplicate_to(old, new, flags & O_CLOEXEC != 0)
        .map(|fd| fd as u64)
}

/// The x86-64 kernel `struct stat` (144 bytes) for a host stat result.
fn stat_bytes(st: &libc::stat) -> [u8; 144] {
    let words: [u64; 18] = [
        st.st_dev,
        st.st_ino,
        st.st_nlink,
        u64::from(st.st_mode) | (u64::from(st.st_uid) << 32),
        u64::from(st.st_gid),
        st.st_rdev,
        st.st_size as u64,
        st.st_blksize as u64,
        st.st_blocks as u64,
        st.st_atime as u64,
        st.st_atime_nsec as u64,
        st.st_mtime as u64,
        st.st_mtime_nsec as u64,
        st.st_ctime as u64,
        st.st_ctime_nsec as u64,
        0,
        0,
        0,
    ];
    let mut out = [0u8; 144];
    for (i, w) in words.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn fstat_into(ctx: &mut Ctx, fd: i32, buf: u64) -> SysResult<u64> {
    let hfd = host_fd(ctx, fd)?;
    let st = host::fstat(hfd).map_err(host_errno)?;
    ctx.task.mm.copy_out(buf, &stat_bytes(&st))?;
    Ok(0)
}

pub fn sys_fstat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    fstat_into(ctx, a.i32(0), a.u64(1))
}

/// newfstatat: descriptors only (`AT_EMPTY_PATH` with ""): the sandbox has no
/// filesystem yet, so every path is absent.
pub fn sys_newfstatat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
    const AT_NO_AUTOMOUNT: u64 = 0x800;
    const AT_EMPTY_PATH: u64 = 0x1000;
    let (dirfd, path, buf, flags) = (a.i32(0), a.u64(1), a.u64(2), a.u64(3) as u32 as u64);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = ctx.task.mm.read_c_string(path, 4096).map_err(|e| {
        if e == Errno::E2BIG {
            Errno::ENAMETOOLONG
        } else {
            e
        }
    })?;
    if name.is_empty() {
        if flags & AT_EMPTY_PATH == 0 {
            return Err(Errno::ENOENT);
        }
        return fstat_into(ctx, dirfd, buf);
    }
    Err(Errno::ENOENT)
}

pub fn sys_ioctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let hfd = host_fd(ctx, a.i32(0))?;
    let arg = a.u64(2);
    match a.u32(1) as u64 {
        TCGETS => {
            let raw = host::tcgets(hfd).map_err(host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        TIOCGWINSZ => {
            let raw = host::window_size(hfd).map_err(host_errno)?;
            ctx.task.mm.copy_out(arg, &raw)?;
        }
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

pub fn sys_pread64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (hfd, buf, offset) = (host_fd(ctx, a.i32(0))?, a.u64(1), a.u64(3) as i64);
    if offset < 0 {
        return Err(Errno::EINVAL);
    }
    let len = a.usize(2).min(CHUNK);
    if len == 0 {
        return Ok(0);
    }
    ctx.task.mm.check_writable(buf, len)?;
    let mut data = vec![0u8; len];
    let n = host::pread(hfd, &mut data, offset).map_err(host_errno)?;
    ctx.task.mm.copy_out(buf, &data[..n])?;
    Ok(n as u64)
}

pub fn sys_lseek(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let hfd = host_fd(ctx, a.i32(0))?;
    let whence = a.i32(2);
    // SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE.
    if !(0..=4).contains(&whence) {
        return Err(Errno::EINVAL);
    }
    host::lseek(hfd, a.u64(1) as i64, whence).map_err(host_errno)
}

pub fn sys_fcntl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const F_DUPFD: u32 = 0;
    const F_GETFD: u32 = 1;
    const F_SETFD: u32 = 2;
    const F_GETFL: u32 = 3;
    const F_SETFL: u32 = 4;
    const F_DUPFD_CLOEXEC: u32 = 1030;
    const FD_CLOEXEC: u64 = 1;
    /// Status flags F_SETFL may change (O_APPEND, O_NONBLOCK, O_DIRECT, O_NOATIME, O_ASYNC).
    const SETTABLE: u32 = 0o2000 | 0o4000 | 0o40000 | 0o1000000 | 0o20000;
    let fd = a.i32(0);
    match a.u32(1) {
        cmd @ (F_DUPFD | F_DUPFD_CLOEXEC) => {
            let file = ctx.task.fds.get(fd)?;
            let min = usize::try_from(a.i32(2)).map_err(|_| Errno::EINVAL)?;
            if min >= crate::kernel::fd::FD_LIMIT {
                return Err(Errno::EINVAL);
            }
            ctx.task
                .fds
                .install(file, min, cmd == F_DUPFD_CLOEXEC)
                .map(|n| n as u64)
        }
        F_GETFD => ctx.task.fds.close_on_exec(fd).map(u64::from),
        F_SETFD => ctx
            .task
            .fds
            .set_close_on_exec(fd, a.u64(2) & FD_CLOEXEC != 0)
            .map(|()| 0),
        F_GETFL => host::status_flags(host_fd(ctx, fd)?)
            .map(u64::from)
            .map_err(host_errno),
        F_SETFL => {
            let hfd = host_fd(ctx, fd)?;
            let current = host::status_flags(hfd).map_err(host_errno)?;
            let wanted = (current & !SETTABLE) | (a.u32(2) & SETTABLE);
            host::set_status_flags(hfd, wanted)
                .map(|()| 0)
                .map_err(host_errno)
        }
        _ => Err(Errno::EINVAL),
    }
}
