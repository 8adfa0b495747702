//! Data transfer: read/write and their vector, positional and in-kernel-copy variants.
//! One rule for partial transfers: bytes done win over a later fault or error.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{FileKind, OpenFile};
use crate::fs::socket::{SockType, SocketEnd};

const O_NONBLOCK: u32 = 0o4000;
use crate::kernel::task::Task;
use crate::kernel::wait::Interrupted;
use crate::kernel::Ctx;

/// Largest single transfer Linux performs (MAX_RW_COUNT).
pub const MAX_RW_COUNT: usize = 0x7fff_f000;
/// Bytes moved per step, bounding the sentry's buffers.
pub const CHUNK: usize = 1 << 20;
/// Most iovecs one call may pass (UIO_MAXIOV).
const IOV_MAX: usize = 1024;

pub fn file(ctx: &Ctx, fd: i32) -> SysResult<Arc<OpenFile>> {
    ctx.task.fds.get(fd)
}

/// Copies the readable prefix of `[addr, addr+len)`; EFAULT only if nothing is readable.
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

/// Where a transfer happens: the file offset, or an explicit position.
#[derive(Clone, Copy)]
enum At {
    FileOffset,
    Position(u64),
}

/// Reads once; a blocking file with nothing to read sleeps until it has something
/// (or a signal interrupts: ERESTARTSYS).
fn read_file(task: &Task, f: &OpenFile, buf: &mut [u8], at: At) -> SysResult<usize> {
    if let FileKind::HostStream { host_fd, .. } = &f.kind {
        // A write-only stream never becomes readable: EBADF, not a wait.
        f.check_readable()?;
        if !buf.is_empty() && f.flags() & O_NONBLOCK == 0 {
            wait_host_readable(task, *host_fd)?;
        }
    }
    let mut attempt = || match at {
        At::FileOffset => f.read(buf),
        At::Position(p) => f.pread(buf, p),
    };
    let Some(queue) = f.blocking_queue() else {
        return attempt();
    };
    let timeout = socket_timeout(f, Direction::Receive);
    let deadline = timeout.map(|t| Instant::now() + t);
    match task.block_on(&[queue], deadline, true, || match attempt() {
        Err(Errno::EAGAIN) => None,
        other => Some(other),
    }) {
        Ok(r) => r,
        Err(why) => Err(wait_error(why, timeout)),
    }
}

enum Direction {
    Receive,
    Send,
}

/// A socket's SO_RCVTIMEO or SO_SNDTIMEO: how long read and write wait on it (None:
/// forever, and for any other file).
fn socket_timeout(f: &OpenFile, direction: Direction) -> Option<Duration> {
    let end = f.inode_as::<SocketEnd>()?;
    let options = end.options();
    match direction {
        Direction::Receive => options.rcvtimeo,
        Direction::Send => options.sndtimeo,
    }
}

/// The error of a wait that ended early: EAGAIN when a socket timeout ran out; for a
/// signal, EINTR with a timeout (such calls are never restarted), else ERESTARTSYS.
pub(super) fn wait_error(why: Interrupted, timeout: Option<Duration>) -> Errno {
    match why {
        Interrupted::TimedOut => Errno::EAGAIN,
        Interrupted::Signal if timeout.is_some() => Errno::EINTR,
        Interrupted::Signal => Errno::ERESTARTSYS,
    }
}

/// Waits until a host stream (the terminal, a pipe from the host) has input, in slices,
/// so that a signal (Ctrl-C forwarded to the guest) interrupts a blocked read.
fn wait_host_readable(task: &Task, host_fd: i32) -> SysResult<()> {
    const POLLIN: i16 = 0x1;
    const SLICE_MS: i32 = 20;
    let _asleep = task.info.asleep();
    loop {
        match crate::host::poll(&[(host_fd, POLLIN)], SLICE_MS) {
            Ok(revents) if revents.first().is_some_and(|r| *r != 0) => return Ok(()),
            Ok(_) => {}
            // Not pollable: let the read itself decide.
            Err(_) => return Ok(()),
        }
        if task.interrupted() {
            return Err(Errno::ERESTARTSYS);
        }
    }
}

/// Writes all of `buf` to a blocking file (sleeping while it is full), or what fits
/// to a non-blocking one. A signal ends the wait: the bytes written so far, or
/// ERESTARTSYS if none.
fn write_file(task: &Task, f: &OpenFile, buf: &[u8], at: At) -> SysResult<usize> {
    let attempt = |from: usize| match at {
        At::FileOffset => f.write(&buf[from..]),
        At::Position(p) => f.pwrite(&buf[from..], p + from as u64),
    };
    let Some(queue) = f.blocking_queue() else {
        return attempt(0);
    };
    let mut done = 0;
    let timeout = socket_timeout(f, Direction::Send);
    let deadline = timeout.map(|t| Instant::now() + t);
    let waited = task.block_on(&[queue], deadline, true, || loop {
        match attempt(done) {
            Ok(n) => {
                done += n;
                if done == buf.len() || n == 0 {
                    return Some(Ok(done));
                }
            }
            Err(Errno::EAGAIN) => return None,
            Err(e) if done == 0 => return Some(Err(e)),
            Err(_) => return Some(Ok(done)),
        }
    });
    match waited {
        Ok(r) => r,
        Err(_) if done > 0 => Ok(done),
        Err(why) => Err(wait_error(why, timeout)),
    }
}

/// Reads into the iovecs (one file read per chunk, scattered after).
fn read_vectored(ctx: &mut Ctx, f: &OpenFile, iovs: &[(u64, usize)], at: At) -> SysResult<u64> {
    // The descriptor's mode is checked before the buffer, as in Linux.
    read_file(ctx.task, f, &mut [], at)?;
    let total = iovs
        .iter()
        .map(|v| v.1)
        .fold(0usize, usize::saturating_add)
        .min(MAX_RW_COUNT);
    if total == 0 {
        return Ok(0);
    }
    let want = total.min(CHUNK);
    let mut room = want;
    for (base, len) in iovs {
        if room == 0 {
            break;
        }
        let n = (*len).min(room);
        ctx.task.mm.check_writable(*base, n)?;
        room -= n;
    }
    let mut data = vec![0u8; want];
    let n = read_file(ctx.task, f, &mut data, at)?;
    let mut done = 0;
    for (base, len) in iovs {
        if done == n {
            break;
        }
        let m = (*len).min(n - done);
        ctx.task.mm.copy_out(*base, &data[done..done + m])?;
        done += m;
    }
    Ok(n as u64)
}

/// Gathers the iovecs and writes them, chunk by chunk.
fn write_vectored(ctx: &mut Ctx, f: &OpenFile, iovs: &[(u64, usize)], at: At) -> SysResult<u64> {
    // The descriptor's mode is checked before the buffer, as in Linux.
    write_file(ctx.task, f, &[], at)?;
    let mut done: u64 = 0;
    let mut pending = Vec::new();
    let mut faulted = false;
    let flush = |task: &Task, pending: &mut Vec<u8>, done: &mut u64| -> SysResult<bool> {
        if pending.is_empty() {
            return Ok(true);
        }
        let here = match at {
            At::FileOffset => At::FileOffset,
            At::Position(p) => At::Position(p + *done),
        };
        let n = match write_file(task, f, pending, here) {
            Ok(n) => n,
            Err(e) if *done == 0 => return Err(e),
            Err(_) => return Ok(false),
        };
        let complete = n == pending.len();
        *done += n as u64;
        pending.clear();
        Ok(complete)
    };
    for (base, len) in iovs {
        let mut off = 0usize;
        while off < *len {
            let n = (*len - off).min(CHUNK - pending.len());
            match copy_in_prefix(ctx, base + off as u64, n) {
                Ok(part) => {
                    let short = part.len() < n;
                    pending.extend_from_slice(&part);
                    off += part.len();
                    if short {
                        faulted = true;
                        break;
                    }
                }
                Err(e) if done == 0 && pending.is_empty() => return Err(e),
                Err(_) => {
                    faulted = true;
                    break;
                }
            }
            if pending.len() == CHUNK && !flush(ctx.task, &mut pending, &mut done)? {
                return Ok(done);
            }
        }
        if faulted {
            break;
        }
    }
    flush(ctx.task, &mut pending, &mut done)?;
    Ok(done)
}

/// Reads an iovec array with Linux's checks.
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
        let word = |i: usize| u64::from_le_bytes(chunk[i..i + 8].try_into().unwrap_or_default());
        let (base, len) = (word(0), word(8));
        total = total
            .checked_add(len)
            .filter(|t| *t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
        iovs.push((base, len as usize));
    }
    Ok(iovs)
}

fn position(a: &Args, i: usize) -> SysResult<u64> {
    let p = a.u64(i) as i64;
    if p < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(p as u64)
}

pub fn sys_read(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    read_vectored(ctx, &f, &[(a.u64(1), a.usize(2))], At::FileOffset)
}

/// EPIPE from a write also raises SIGPIPE, as Linux does for pipes and stream
/// sockets (not datagram or seqpacket ones).
fn with_sigpipe(ctx: &mut Ctx, f: &OpenFile, r: SysResult<u64>) -> SysResult<u64> {
    let message_socket = f
        .inode_as::<SocketEnd>()
        .is_some_and(|s| s.kind() != SockType::Stream);
    if r == Err(Errno::EPIPE) && !message_socket {
        const SIGPIPE: i32 = 13;
        crate::kernel::send_signal(ctx.task, SIGPIPE, crate::kernel::signal::SI_USER);
    }
    r
}

pub fn sys_write(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let iov = [(a.u64(1), a.usize(2).min(MAX_RW_COUNT))];
    let r = write_vectored(ctx, &f, &iov, At::FileOffset);
    with_sigpipe(ctx, &f, r)
}

pub fn sys_pread64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let at = At::Position(position(a, 3)?);
    read_vectored(ctx, &f, &[(a.u64(1), a.usize(2))], at)
}

pub fn sys_pwrite64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let at = At::Position(position(a, 3)?);
    write_vectored(ctx, &f, &[(a.u64(1), a.usize(2).min(MAX_RW_COUNT))], at)
}

pub fn sys_readv(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    read_vectored(ctx, &f, &iovs, At::FileOffset)
}

pub fn sys_writev(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    let r = write_vectored(ctx, &f, &iovs, At::FileOffset);
    with_sigpipe(ctx, &f, r)
}

pub fn sys_preadv(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    read_vectored(ctx, &f, &iovs, At::Position(position(a, 3)?))
}

pub fn sys_pwritev(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    write_vectored(ctx, &f, &iovs, At::Position(position(a, 3)?))
}

/// preadv2/pwritev2 flags we accept (RWF_HIPRI, DSYNC, SYNC are hints for us; NOWAIT
/// and APPEND change semantics and are refused).
const RWF_HINTS: u64 = 0x1 | 0x2 | 0x4;

fn v2_position(a: &Args) -> SysResult<At> {
    if a.u64(5) & !RWF_HINTS != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(match a.u64(3) as i64 {
        -1 => At::FileOffset,
        p if p < 0 => return Err(Errno::EINVAL),
        p => At::Position(p as u64),
    })
}

pub fn sys_preadv2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let at = v2_position(a)?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    read_vectored(ctx, &f, &iovs, at)
}

pub fn sys_pwritev2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    let at = v2_position(a)?;
    let iovs = read_iovecs(ctx, a.u64(1), a.u64(2))?;
    write_vectored(ctx, &f, &iovs, at)
}

pub fn sys_lseek(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = file(ctx, a.i32(0))?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    f.seek(a.u64(1) as i64, a.i32(2))
}

/// Copies up to `count` bytes between two files through a bounded buffer.
fn copy_between(
    task: &Task,
    input: &OpenFile,
    mut in_at: At,
    output: &OpenFile,
    mut out_at: At,
    count: usize,
) -> SysResult<(u64, At, At)> {
    let mut done = 0u64;
    let mut buf = vec![0u8; count.min(CHUNK)];
    while (done as usize) < count {
        let want = (count - done as usize).min(buf.len());
        let n = match read_file(task, input, &mut buf[..want], in_at) {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        if n == 0 {
            break;
        }
        let w = match write_file(task, output, &buf[..n], out_at) {
            Ok(w) => w,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += w as u64;
        if let At::Position(p) = &mut in_at {
            *p += w as u64;
        }
        if let At::Position(p) = &mut out_at {
            *p += w as u64;
        }
        if w < n {
            break;
        }
    }
    Ok((done, in_at, out_at))
}

pub fn sys_sendfile(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (out, input) = (file(ctx, a.i32(0))?, file(ctx, a.i32(1))?);
    // As Linux: the input must be open for reading and the output for writing.
    input.check_readable()?;
    out.check_writable()?;
    if input.dentry().is_some_and(|d| d.is_dir()) {
        return Err(Errno::EINVAL);
    }
    let offset_ptr = a.u64(2);
    let in_at = if offset_ptr != 0 {
        let off = ctx.task.mm.read_u64(offset_ptr)? as i64;
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        At::Position(off as u64)
    } else {
        At::FileOffset
    };
    if out.flags() & crate::fs::file::O_APPEND != 0 {
        return Err(Errno::EINVAL);
    }
    let count = a.usize(3).min(MAX_RW_COUNT);
    let (done, in_at, _) = copy_between(ctx.task, &input, in_at, &out, At::FileOffset, count)?;
    if let At::Position(p) = in_at {
        ctx.task.mm.write_u64(offset_ptr, p)?;
    }
    Ok(done)
}

pub fn sys_copy_file_range(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (input, output) = (file(ctx, a.i32(0))?, file(ctx, a.i32(2))?);
    if a.u32(5) != 0 {
        return Err(Errno::EINVAL);
    }
    if output.flags() & crate::fs::file::O_APPEND != 0 {
        return Err(Errno::EBADF);
    }
    for f in [&input, &output] {
        match f.dentry() {
            Some(d) if d.is_dir() => return Err(Errno::EISDIR),
            Some(d) if d.inode.file_type() == crate::fs::inode::FileType::Regular => {}
            _ => return Err(Errno::EINVAL),
        }
    }
    let at = |ctx: &mut Ctx, ptr: u64| -> SysResult<At> {
        if ptr == 0 {
            return Ok(At::FileOffset);
        }
        let off = ctx.task.mm.read_u64(ptr)? as i64;
        if off < 0 {
            return Err(Errno::EINVAL);
        }
        Ok(At::Position(off as u64))
    };
    let (in_ptr, out_ptr) = (a.u64(1), a.u64(3));
    let (in_at, out_at) = (at(ctx, in_ptr)?, at(ctx, out_ptr)?);
    let count = a.usize(4).min(MAX_RW_COUNT);
    let (done, in_at, out_at) = copy_between(ctx.task, &input, in_at, &output, out_at, count)?;
    if let At::Position(p) = in_at {
        ctx.task.mm.write_u64(in_ptr, p)?;
    }
    if let At::Position(p) = out_at {
        ctx.task.mm.write_u64(out_ptr, p)?;
    }
    Ok(done)
}
