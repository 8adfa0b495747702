//! AF_UNIX socket calls: socketpair, and socket, bind, listen, connect, accept for
//! named stream and seqpacket sockets; sendto, recvfrom, sendmsg, recvmsg, shutdown,
//! getsockopt, setsockopt, getsockname, getpeername on them. The endpoints live in
//! `fs::socket` (connections) and `fs::unix` (sockets before they connect); this is
//! argument checking in Linux's order, guest memory, blocking (MSG_DONTWAIT,
//! O_NONBLOCK, SO_RCVTIMEO/SO_SNDTIMEO) and SIGPIPE.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::io::{file, MAX_RW_COUNT};
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{FileKind, OpenFile, O_NONBLOCK, O_RDWR};
use crate::fs::path::Dentry;
use crate::fs::socket::{
    socket_pair, Cred, Message, Received, SockType, SocketEnd, RCV_SHUTDOWN, RMEM_DEFAULT,
    RMEM_MAX, SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF, WMEM_DEFAULT, WMEM_MAX,
};
use crate::fs::unix::{Address, UnixSocket};
use crate::fs::unix_dgram::DgramSocket;
use crate::kernel::wait::WaitQueue;
use crate::kernel::Ctx;
use crate::mm::Mm;

const AF_UNIX: i32 = 1;
const AF_INET: i32 = 2;
const AF_INET6: i32 = 10;
const AF_NETLINK: i32 = 16;
const AF_PACKET: i32 = 17;
/// Address families Linux knows (AF_MAX).
const AF_MAX: i32 = 46;
/// Socket types Linux knows (SOCK_MAX).
const SOCK_MAX: i32 = 11;
const SOCK_TYPE_MASK: i32 = 0xf;
const SOCK_NONBLOCK: i32 = 0o4000;
const SOCK_CLOEXEC: i32 = 0o2000000;

const MSG_OOB: u32 = 0x1;
const MSG_PEEK: u32 = 0x2;
const MSG_TRUNC: u32 = 0x20;
const MSG_CTRUNC: u32 = 0x8;
const MSG_DONTWAIT: u32 = 0x40;
const MSG_WAITALL: u32 = 0x100;
const MSG_NOSIGNAL: u32 = 0x4000;
const MSG_CMSG_CLOEXEC: u32 = 0x4000_0000;
const MSG_CMSG_COMPAT: u32 = 0x8000_0000;

const SOL_SOCKET: i32 = 1;
const SO_DEBUG: i32 = 1;
const SO_REUSEADDR: i32 = 2;
const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_DONTROUTE: i32 = 5;
const SO_BROADCAST: i32 = 6;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_KEEPALIVE: i32 = 9;
const SO_OOBINLINE: i32 = 10;
const SO_NO_CHECK: i32 = 11;
const SO_PRIORITY: i32 = 12;
const SO_LINGER: i32 = 13;
const SO_BSDCOMPAT: i32 = 14;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_RCVLOWAT: i32 = 18;
const SO_SNDLOWAT: i32 = 19;
const SO_RCVTIMEO_OLD: i32 = 20;
const SO_SNDTIMEO_OLD: i32 = 21;
const SO_ACCEPTCONN: i32 = 30;
const SO_SNDBUFFORCE: i32 = 32;
const SO_RCVBUFFORCE: i32 = 33;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;
const SO_PEEK_OFF: i32 = 42;
const SO_RCVTIMEO_NEW: i32 = 66;
const SO_SNDTIMEO_NEW: i32 = 67;

const SCM_RIGHTS: i32 = 1;
const SCM_CREDENTIALS: i32 = 2;

/// Most iovecs a message may have (UIO_MAXIOV).
const UIO_MAXIOV: u64 = 1024;
/// sizeof(struct sockaddr_storage), sizeof(struct sockaddr_un).
const SOCKADDR_STORAGE: usize = 128;
const SOCKADDR_UN: usize = 110;
/// net.core.optmem_max: the largest control buffer a sendmsg may pass is one less.
const OPTMEM_MAX: u64 = 131_072;
/// sizeof(struct cmsghdr).
const CMSG_HDR: usize = 16;
/// sizeof(struct user_msghdr).
const MSGHDR_SIZE: usize = 56;

/// A socket as the calls see it: the end of a connection (a socketpair end, an
/// accepted one, or a socket(2)-made one once connected), or a socket(2)-made one
/// that is not connected (unbound, bound or listening).
enum Sock {
    End(Arc<SocketEnd>),
    Unconnected(Arc<UnixSocket>),
    Dgram(Arc<DgramSocket>),
}

impl Sock {
    fn options(&self) -> std::sync::MutexGuard<'_, crate::fs::socket::Options> {
        match self {
            Sock::End(end) => end.options(),
            Sock::Unconnected(u) => u.options(),
            Sock::Dgram(d) => d.options(),
        }
    }
}

/// The socket of an open file (ENOTSOCK for any other file).
fn sock_of(f: &OpenFile) -> SysResult<Sock> {
    let inode = f.dentry().ok_or(Errno::ENOTSOCK)?.inode.clone();
    let any: Arc<dyn std::any::Any + Send + Sync> = inode;
    let any = match any.downcast::<UnixSocket>() {
        Ok(socket) => {
            return Ok(match socket.connection() {
                Some(end) => Sock::End(end),
                None => Sock::Unconnected(socket),
            })
        }
        Err(any) => any,
    };
    let any = match any.downcast::<DgramSocket>() {
        Ok(socket) => return Ok(Sock::Dgram(socket)),
        Err(any) => any,
    };
    any.downcast::<SocketEnd>()
        .map(Sock::End)
        .map_err(|_| Errno::ENOTSOCK)
}

/// The connection of an open socket (ENOTCONN before it connects).
fn end_of(f: &OpenFile) -> SysResult<Arc<SocketEnd>> {
    match sock_of(f)? {
        Sock::End(end) => Ok(end),
        Sock::Unconnected(_) | Sock::Dgram(_) => Err(Errno::ENOTCONN),
    }
}

/// The open socket at descriptor `fd`.
fn socket_file(ctx: &Ctx, fd: i32) -> SysResult<Arc<OpenFile>> {
    let f = file(ctx, fd)?;
    sock_of(&f)?;
    Ok(f)
}

fn read_i32(ctx: &mut Ctx, addr: u64) -> SysResult<i32> {
    let mut b = [0u8; 4];
    ctx.task.mm.copy_in(addr, &mut b)?;
    Ok(i32::from_le_bytes(b))
}

fn read_i64_pair(ctx: &mut Ctx, addr: u64) -> SysResult<(i64, i64)> {
    let mut b = [0u8; 16];
    ctx.task.mm.copy_in(addr, &mut b)?;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        i64::from_le_bytes(w)
    };
    Ok((word(0), word(8)))
}

/// How an operation that finds no data or no room waits: not at all (MSG_DONTWAIT,
/// O_NONBLOCK, a zero timeout), until a deadline (SO_RCVTIMEO/SO_SNDTIMEO), or until
/// it can go on. A signal ends the wait: ERESTARTSYS, or EINTR with a timeout set.
struct Blocking {
    wait: bool,
    timeout: Option<Duration>,
    deadline: Option<Instant>,
}

impl Blocking {
    fn new(nonblocking: bool, timeout: Option<Duration>) -> Blocking {
        Blocking {
            wait: !nonblocking && timeout != Some(Duration::ZERO),
            timeout,
            deadline: timeout.and_then(|t| Instant::now().checked_add(t)),
        }
    }

    /// Sleeps on `queue` until `ready`; the errno to give up with otherwise.
    fn sleep(&self, ctx: &Ctx, queue: &WaitQueue, ready: impl Fn() -> bool) -> SysResult<()> {
        ctx.task
            .block_on(&[queue], self.deadline, true, || ready().then_some(()))
            .map_err(|why| super::io::wait_error(why, self.timeout))
    }
}

/// A count already transferred wins over a later error.
fn partial(done: usize, e: Errno) -> SysResult<u64> {
    if done > 0 {
        Ok(done as u64)
    } else {
        Err(e)
    }
}

/// Reads an iovec array: the pieces (bounded so their sum is at most MAX_RW_COUNT, as
/// Linux shortens them) and their total.
fn read_iovecs(ctx: &mut Ctx, addr: u64, count: u64) -> SysResult<(Vec<(u64, usize)>, usize)> {
    let count = usize::try_from(count).map_err(|_| Errno::EMSGSIZE)?;
    let mut raw = vec![0u8; count * 16];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    let mut total = 0usize;
    let mut iovs = Vec::with_capacity(count);
    for chunk in raw.chunks_exact(16) {
        let mut word = [0u8; 8];
        word.copy_from_slice(&chunk[..8]);
        let base = u64::from_le_bytes(word);
        word.copy_from_slice(&chunk[8..]);
        let len = i64::from_le_bytes(word);
        if len < 0 {
            return Err(Errno::EINVAL);
        }
        let len = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(MAX_RW_COUNT - total);
        total += len;
        iovs.push((base, len));
    }
    Ok((iovs, total))
}

/// Copies `len` bytes starting `offset` bytes into the iovecs out of guest memory.
fn gather(mm: &Mm, iovs: &[(u64, usize)], mut offset: usize, len: usize) -> SysResult<Vec<u8>> {
    let mut out = vec![0u8; len];
    let mut done = 0;
    for &(base, l) in iovs {
        if done == len {
            break;
        }
        if offset >= l {
            offset -= l;
            continue;
        }
        let n = (l - offset).min(len - done);
        let at = base.checked_add(offset as u64).ok_or(Errno::EFAULT)?;
        mm.copy_in(at, &mut out[done..done + n])?;
        done += n;
        offset = 0;
    }
    out.truncate(done);
    Ok(out)
}

/// Copies `data` into the iovecs, starting `offset` bytes in.
fn scatter(mm: &Mm, iovs: &[(u64, usize)], mut offset: usize, mut data: &[u8]) -> SysResult<()> {
    for &(base, l) in iovs {
        if data.is_empty() {
            break;
        }
        if offset >= l {
            offset -= l;
            continue;
        }
        let n = (l - offset).min(data.len());
        let at = base.checked_add(offset as u64).ok_or(Errno::EFAULT)?;
        mm.copy_out(at, &data[..n])?;
        data = &data[n..];
        offset = 0;
    }
    Ok(())
}

// ---- socketpair ----

/// The socket type for socketpair's arguments, or Linux's error.
fn pair_kind(family: i32, ty: i32, protocol: i32) -> SysResult<SockType> {
    if !(0..AF_MAX).contains(&family) {
        return Err(Errno::EAFNOSUPPORT);
    }
    if !(0..SOCK_MAX).contains(&ty) {
        return Err(Errno::EINVAL);
    }
    match family {
        AF_UNIX => {
            if protocol != 0 && protocol != AF_UNIX {
                return Err(Errno::EPROTONOSUPPORT);
            }
            match ty {
                1 => Ok(SockType::Stream),
                // SOCK_RAW is taken as SOCK_DGRAM.
                2 | 3 => Ok(SockType::Dgram),
                5 => Ok(SockType::Seqpacket),
                _ => Err(Errno::ESOCKTNOSUPPORT),
            }
        }
        // Families whose sockets exist but cannot be made in pairs.
        AF_INET | AF_INET6 | AF_NETLINK | AF_PACKET => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

pub fn sys_socketpair(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (family, ty, protocol, sv) = (a.i32(0), a.i32(1), a.i32(2), a.u64(3));
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux stores the two descriptors before it makes the sockets.
    ctx.task.mm.check_writable(sv, 8)?;
    let kind = pair_kind(family, ty & SOCK_TYPE_MASK, protocol)?;
    let creds = ctx.task.creds;
    let (first, second) = socket_pair(
        kind,
        Cred {
            pid: ctx.task.pid,
            uid: creds.euid,
            gid: creds.egid,
        },
        (creds.fsuid, creds.fsgid),
    );
    let status = if flags & SOCK_NONBLOCK != 0 {
        O_NONBLOCK
    } else {
        0
    };
    let open = |end: Arc<SocketEnd>| {
        let name = end.link_name();
        let dentry = Arc::new(Dentry {
            inode: end,
            parent: None,
            name,
        });
        OpenFile::new(FileKind::Node(dentry), O_RDWR | status)
    };
    let (f0, f1) = (open(first), open(second));
    let cloexec = flags & SOCK_CLOEXEC != 0;
    let fd0 = ctx.task.fds.install(f0, 0, cloexec)?;
    let fd1 = match ctx.task.fds.install(f1, 0, cloexec) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = ctx.task.fds.close(fd0);
            return Err(e);
        }
    };
    let mut pair = [0u8; 8];
    pair[..4].copy_from_slice(&fd0.to_le_bytes());
    pair[4..].copy_from_slice(&fd1.to_le_bytes());
    if let Err(e) = ctx.task.mm.copy_out(sv, &pair) {
        let _ = ctx.task.fds.close(fd0);
        let _ = ctx.task.fds.close(fd1);
        return Err(e);
    }
    ctx.task.publish_files();
    Ok(0)
}

// ---- sending ----

/// A send, its arguments read.
struct Outgoing {
    iovs: Vec<(u64, usize)>,
    total: usize,
    flags: u32,
    /// The destination's address (a name was given).
    addr: Option<Vec<u8>>,
    /// The control messages.
    control: Vec<u8>,
}

/// Reads a destination address (sendto): none when `len` is 0.
fn read_sockaddr(ctx: &mut Ctx, addr: u64, len: i32) -> SysResult<Option<Vec<u8>>> {
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if len > SOCKADDR_STORAGE {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(None);
    }
    let mut b = vec![0u8; len];
    ctx.task.mm.copy_in(addr, &mut b)?;
    Ok(Some(b))
}

/// Most descriptors one message may pass (SCM_MAX_FD).
const SCM_MAX_FD: usize = 253;

/// Checks control messages as Linux's __scm_send: malformed headers give EINVAL, and
/// credentials must be the sender's own (or it privileged); the open files of the
/// descriptors passed (SCM_RIGHTS: EBADF for a bad one). Valid credentials are
/// dropped.
fn check_control(ctx: &Ctx, control: &[u8]) -> SysResult<Vec<Arc<OpenFile>>> {
    let mut files = Vec::new();
    let mut off = 0usize;
    while off + CMSG_HDR <= control.len() {
        let field = |at: usize, n: usize| control.get(off + at..off + at + n);
        let word = |at: usize| {
            field(at, 8).map_or(0, |b| {
                let mut w = [0u8; 8];
                w.copy_from_slice(b);
                u64::from_le_bytes(w)
            })
        };
        let int = |at: usize| {
            field(at, 4).map_or(0, |b| {
                let mut w = [0u8; 4];
                w.copy_from_slice(b);
                i32::from_le_bytes(w)
            })
        };
        let len = word(0);
        if len < CMSG_HDR as u64 || len > (control.len() - off) as u64 {
            return Err(Errno::EINVAL);
        }
        let len = len as usize;
        if int(8) == SOL_SOCKET {
            match int(12) {
                SCM_RIGHTS => {
                    let count = (len - CMSG_HDR) / 4;
                    if files.len() + count > SCM_MAX_FD {
                        return Err(Errno::EINVAL);
                    }
                    for i in 0..count {
                        files.push(ctx.task.fds.get(int(CMSG_HDR + 4 * i))?);
                    }
                }
                SCM_CREDENTIALS => {
                    if len != CMSG_HDR + 12 {
                        return Err(Errno::EINVAL);
                    }
                    let (pid, uid, gid) = (int(16), int(20) as u32, int(24) as u32);
                    let c = ctx.task.creds;
                    // A privileged sender may claim anything.
                    let ok = c.euid == 0
                        || (pid == ctx.task.pid
                            && [c.uid, c.euid, c.suid].contains(&uid)
                            && [c.gid, c.egid, c.sgid].contains(&gid));
                    if !ok {
                        return Err(Errno::EPERM);
                    }
                }
                _ => return Err(Errno::EINVAL),
            }
        }
        off += len.next_multiple_of(8);
    }
    Ok(files)
}

fn do_send(ctx: &mut Ctx, f: &OpenFile, out: Outgoing) -> SysResult<u64> {
    if let Sock::Dgram(d) = sock_of(f)? {
        return dgram_send(ctx, f, &d, out);
    }
    let end = end_of(f)?;
    let end = &*end;
    let files = check_control(ctx, &out.control)?;
    if out.flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let nonblocking = out.flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let block = Blocking::new(nonblocking, end.options().sndtimeo);
    match end.kind() {
        SockType::Stream => {
            if out.addr.is_some() {
                return Err(Errno::EISCONN);
            }
            send_stream(ctx, end, &out, &block, files)
        }
        SockType::Dgram if out.addr.is_some() => send_to_name(ctx, end, &out, &block, files),
        // A sequenced-packet socket ignores the name.
        _ => send_message(ctx, end, &out, &block, files),
    }
}

/// A datagram end of a socketpair sending to a name: the message goes to the datagram
/// socket bound there, from an unnamed sender, as Linux's unix_dgram_sendmsg does
/// whether or not the end is connected. Errors come in Linux's order: the name's
/// form, the size, the end's pending error or shutdown, the buffer, then the lookup.
fn send_to_name(
    ctx: &mut Ctx,
    end: &SocketEnd,
    out: &Outgoing,
    block: &Blocking,
    files: Vec<Arc<OpenFile>>,
) -> SysResult<u64> {
    let raw = out.addr.as_deref().unwrap_or_default();
    let name = match parse_unix_name(raw)? {
        UnixName::Auto => return Err(Errno::EINVAL),
        name => name,
    };
    if out.total > end.max_datagram() {
        return Err(Errno::EMSGSIZE);
    }
    end.check_named_send()?;
    let data = gather(&ctx.task.mm, &out.iovs, 0, out.total)?;
    let to = unix_address(ctx, name)?;
    let charge = &end.sent_by_name;
    loop {
        match DgramSocket::send_unnamed(&to, &data, files.clone(), charge) {
            Err(Errno::EAGAIN) if block.wait => {
                let receiver = DgramSocket::receiver_queue(&to).ok_or(Errno::ECONNREFUSED)?;
                block.sleep(ctx, receiver.queue(), || receiver.has_room_for(charge))?;
            }
            r => return r.map(|n| n as u64),
        }
    }
}

/// A stream send: segment by segment, each copied from the guest when there is room
/// for it; blocking sends wait for room until all is sent.
fn send_stream(
    ctx: &mut Ctx,
    end: &SocketEnd,
    out: &Outgoing,
    block: &Blocking,
    files: Vec<Arc<OpenFile>>,
) -> SysResult<u64> {
    let mut sent = 0usize;
    let mut waited = false;
    loop {
        let size = (out.total - sent).min(end.segment_size());
        let data = gather(&ctx.task.mm, &out.iovs, sent, size);
        let r = end.send(&Message {
            data: data.as_deref().map_err(|e| *e),
            len: size,
            continuing: sent > 0 || waited,
            // Passed files go with the first bytes queued.
            files: if sent == 0 { files.clone() } else { Vec::new() },
        });
        match r {
            Ok(n) => {
                sent += n;
                if sent >= out.total || n == 0 {
                    return Ok(sent as u64);
                }
            }
            Err(e) if e.errno == Errno::EAGAIN && block.wait => {
                if let Err(e) = block.sleep(ctx, end.queue(), || end.can_send()) {
                    return partial(sent, e);
                }
                waited = true;
            }
            Err(e) => {
                if sent == 0 && e.sigpipe && out.flags & MSG_NOSIGNAL == 0 {
                    const SIGPIPE: i32 = 13;
                    crate::kernel::send_signal(ctx.task, SIGPIPE, crate::kernel::signal::SI_USER);
                }
                return partial(sent, e.errno);
            }
        }
    }
}

/// A datagram or sequenced-packet send: the whole message or nothing.
fn send_message(
    ctx: &mut Ctx,
    end: &SocketEnd,
    out: &Outgoing,
    block: &Blocking,
    files: Vec<Arc<OpenFile>>,
) -> SysResult<u64> {
    let mut waited = false;
    loop {
        // A message longer than the send buffer is refused before it is copied.
        let data = if out.total <= end.max_datagram() {
            gather(&ctx.task.mm, &out.iovs, 0, out.total)
        } else {
            Err(Errno::EMSGSIZE)
        };
        let r = end.send(&Message {
            data: data.as_deref().map_err(|e| *e),
            len: out.total,
            continuing: waited,
            files: files.clone(),
        });
        match r {
            Ok(n) => return Ok(n as u64),
            Err(e) if e.errno == Errno::EAGAIN && block.wait => {
                block.sleep(ctx, end.queue(), || end.can_send())?;
                waited = true;
            }
            Err(e) => return Err(e.errno),
        }
    }
}

pub fn sys_sendto(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let len = a.usize(2).min(i32::MAX as usize).min(MAX_RW_COUNT);
    let addr = match a.u64(4) {
        0 => None,
        p => read_sockaddr(ctx, p, a.i32(5))?,
    };
    let out = Outgoing {
        iovs: vec![(a.u64(1), len)],
        total: len,
        flags: a.u32(3),
        addr,
        control: Vec::new(),
    };
    do_send(ctx, &f, out)
}

/// The fields of a `struct user_msghdr`.
struct MsgHdr {
    name: u64,
    namelen: i32,
    iov: u64,
    iovlen: u64,
    control: u64,
    controllen: u64,
}

/// Reads a msghdr with Linux's checks of the name length and iovec count.
fn read_msghdr(ctx: &mut Ctx, addr: u64) -> SysResult<MsgHdr> {
    let mut b = [0u8; MSGHDR_SIZE];
    ctx.task.mm.copy_in(addr, &mut b)?;
    let word = |i: usize| {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(w)
    };
    let mut int = [0u8; 4];
    int.copy_from_slice(&b[8..12]);
    let h = MsgHdr {
        name: word(0),
        namelen: i32::from_le_bytes(int),
        iov: word(16),
        iovlen: word(24),
        control: word(32),
        controllen: word(40),
    };
    if h.name != 0 && h.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    if h.iovlen > UIO_MAXIOV {
        return Err(Errno::EMSGSIZE);
    }
    Ok(h)
}

pub fn sys_sendmsg(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let flags = a.u32(2);
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let f = socket_file(ctx, a.i32(0))?;
    let h = read_msghdr(ctx, a.u64(1))?;
    let addr = if h.name != 0 && h.namelen > 0 {
        let mut b = vec![0u8; (h.namelen as usize).min(SOCKADDR_STORAGE)];
        ctx.task.mm.copy_in(h.name, &mut b)?;
        Some(b)
    } else {
        None
    };
    let (iovs, total) = read_iovecs(ctx, h.iov, h.iovlen)?;
    if h.controllen > i32::MAX as u64 || h.controllen >= OPTMEM_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut control = vec![0u8; h.controllen as usize];
    ctx.task.mm.copy_in(h.control, &mut control)?;
    let out = Outgoing {
        iovs,
        total,
        flags,
        addr,
        control,
    };
    do_send(ctx, &f, out)
}

// ---- receiving ----

/// A receive into the iovecs: the count (a message's full length with MSG_TRUNC) and
/// the msghdr flags it earns (MSG_TRUNC when a message was cut short).
fn do_recv(
    ctx: &mut Ctx,
    f: &OpenFile,
    iovs: &[(u64, usize)],
    total: usize,
    flags: u32,
    files: &mut Vec<Arc<OpenFile>>,
) -> SysResult<(u64, u32, Vec<u8>)> {
    // As Linux: a stream socket that never connected cannot receive.
    let end = match sock_of(f)? {
        Sock::End(end) => end,
        Sock::Unconnected(_) => return Err(Errno::EINVAL),
        Sock::Dgram(d) => return dgram_recv(ctx, f, &d, iovs, total, flags, files),
    };
    let from = end.peer_name().to_vec();
    stream_or_pair_recv(ctx, f, &end, iovs, total, flags, files).map(|(n, fl)| (n, fl, from))
}

/// A receive on a connection end: see `do_recv`.
fn stream_or_pair_recv(
    ctx: &mut Ctx,
    f: &OpenFile,
    end: &SocketEnd,
    iovs: &[(u64, usize)],
    total: usize,
    flags: u32,
    files: &mut Vec<Arc<OpenFile>>,
) -> SysResult<(u64, u32)> {
    let kind = end.kind();
    if flags & MSG_OOB != 0 {
        // A stream has no urgent data to give; messages have none at all.
        return Err(if kind == SockType::Stream {
            Errno::EINVAL
        } else {
            Errno::EOPNOTSUPP
        });
    }
    let nonblocking = flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let (timeout, lowat) = {
        let o = end.options();
        (o.rcvtimeo, o.int(SO_RCVLOWAT).unwrap_or(1))
    };
    let block = Blocking::new(nonblocking, timeout);
    let peek = flags & MSG_PEEK != 0;
    if kind == SockType::Stream {
        // Wait for MSG_WAITALL's whole buffer, or SO_RCVLOWAT bytes (1 by default).
        let target = if flags & MSG_WAITALL != 0 {
            total
        } else {
            usize::try_from(lowat).unwrap_or(1).min(total)
        }
        .max(1);
        let mut copied = 0usize;
        loop {
            let base = copied;
            let mm = &ctx.task.mm;
            let r = end.recv(
                total - copied,
                peek,
                block.wait,
                &mut |off, bytes| scatter(mm, iovs, base + off, bytes),
                files,
            );
            match r {
                Ok(Received::Data { len, .. }) => {
                    copied += len;
                    // Bytes that came with descriptors end the read, as in Linux.
                    if peek || copied >= target || copied >= total || !files.is_empty() {
                        return Ok((copied as u64, 0));
                    }
                }
                Ok(Received::Eof) => return Ok((copied as u64, 0)),
                Err(Errno::EAGAIN) if block.wait => {
                    if let Err(e) = block.sleep(ctx, end.queue(), || end.can_recv()) {
                        return partial(copied, e).map(|n| (n, 0));
                    }
                }
                Err(e) => return partial(copied, e).map(|n| (n, 0)),
            }
        }
    }
    loop {
        let mm = &ctx.task.mm;
        let r = end.recv(
            total,
            peek,
            block.wait,
            &mut |off, bytes| scatter(mm, iovs, off, bytes),
            files,
        );
        match r {
            Ok(Received::Data { len, full }) => {
                let n = if flags & MSG_TRUNC != 0 { full } else { len };
                let truncated = if full > len { MSG_TRUNC } else { 0 };
                return Ok((n as u64, truncated));
            }
            Ok(Received::Eof) => return Ok((0, 0)),
            Err(Errno::EAGAIN) if block.wait => block.sleep(ctx, end.queue(), || end.can_recv())?,
            Err(e) => return Err(e),
        }
    }
}

/// Installs received descriptors (SCM_RIGHTS) as an SCM_RIGHTS control message in the
/// caller's control buffer, as Linux's scm_detach_fds: as many as fit (the others'
/// files are dropped and MSG_CTRUNC is set). The control bytes used, and whether
/// something did not fit.
fn deliver_files(
    ctx: &mut Ctx,
    h: &MsgHdr,
    files: Vec<Arc<OpenFile>>,
    cloexec: bool,
) -> SysResult<(usize, bool)> {
    if files.is_empty() {
        return Ok((0, false));
    }
    let room = usize::try_from(h.controllen).unwrap_or(0);
    let fit = if h.control == 0 {
        0
    } else {
        room.saturating_sub(CMSG_HDR) / 4
    };
    let mut fds = Vec::new();
    for file in files.iter().take(fit) {
        match ctx.task.fds.install(file.clone(), 0, cloexec) {
            Ok(fd) => fds.push(fd),
            Err(_) => break,
        }
    }
    let truncated = fds.len() < files.len();
    if fds.is_empty() {
        return Ok((0, truncated));
    }
    let cmsg_len = CMSG_HDR + 4 * fds.len();
    let mut cmsg = (cmsg_len as u64).to_le_bytes().to_vec();
    cmsg.extend_from_slice(&SOL_SOCKET.to_le_bytes());
    cmsg.extend_from_slice(&SCM_RIGHTS.to_le_bytes());
    for fd in &fds {
        cmsg.extend_from_slice(&fd.to_le_bytes());
    }
    if let Err(e) = ctx.task.mm.copy_out(h.control, &cmsg) {
        for fd in fds {
            let _ = ctx.task.fds.close(fd);
        }
        return Err(e);
    }
    ctx.task.publish_files();
    Ok((cmsg_len.next_multiple_of(8).min(room), truncated))
}

/// Reports the sender's address after a receive: its name when it has one (a
/// listener's, or a bound datagram socket's), else only the length 0 (after Linux's
/// check of the caller's length).
fn put_sender(ctx: &mut Ctx, name: &[u8], addr: u64, len_addr: u64) -> SysResult<()> {
    if name.is_empty() {
        if read_i32(ctx, len_addr)? < 0 {
            return Err(Errno::EINVAL);
        }
        return ctx.task.mm.write_u32(len_addr, 0);
    }
    put_name(ctx, addr, len_addr, name).map(|_| ())
}

pub fn sys_recvfrom(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let len = a.usize(2).min(i32::MAX as usize).min(MAX_RW_COUNT);
    // No room for passed descriptors: their files are dropped.
    let (n, _, from) = do_recv(ctx, &f, &[(a.u64(1), len)], len, a.u32(3), &mut Vec::new())?;
    if a.u64(4) != 0 {
        put_sender(ctx, &from, a.u64(4), a.u64(5))?;
    }
    Ok(n)
}

pub fn sys_recvmsg(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (addr, flags) = (a.u64(1), a.u32(2));
    if flags & MSG_CMSG_COMPAT != 0 {
        return Err(Errno::EINVAL);
    }
    let f = socket_file(ctx, a.i32(0))?;
    let h = read_msghdr(ctx, addr)?;
    let (iovs, total) = read_iovecs(ctx, h.iov, h.iovlen)?;
    let mut files = Vec::new();
    let (n, mut msg_flags, from) = do_recv(ctx, &f, &iovs, total, flags, &mut files)?;
    let field = |off: u64| addr.checked_add(off).ok_or(Errno::EFAULT);
    if h.name != 0 {
        put_sender(ctx, &from, h.name, field(8)?)?;
    }
    let (used, truncated) = deliver_files(ctx, &h, files, flags & MSG_CMSG_CLOEXEC != 0)?;
    if truncated {
        msg_flags |= MSG_CTRUNC;
    }
    ctx.task
        .mm
        .write_u32(field(48)?, (flags & MSG_CMSG_CLOEXEC) | msg_flags)?;
    ctx.task.mm.write_u64(field(40)?, used as u64)?;
    Ok(n)
}

// ---- shutdown, names ----

pub fn sys_shutdown(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let how = a.i32(1);
    if !(0..=2).contains(&how) {
        return Err(Errno::EINVAL);
    }
    match sock_of(&f)? {
        // SHUT_RD, SHUT_WR, SHUT_RDWR as Linux's RCV_SHUTDOWN/SEND_SHUTDOWN bits.
        Sock::Dgram(d) => d.shutdown(how as u8 + RCV_SHUTDOWN),
        _ => end_of(&f)?.shutdown(how as u8 + RCV_SHUTDOWN),
    }
    Ok(0)
}

/// Writes an AF_UNIX address (`name`: `sun_path` bytes as bound, empty when
/// unnamed) as getsockname does: truncated to the caller's length, which is set to
/// the whole address's.
fn put_name(ctx: &mut Ctx, addr: u64, len_addr: u64, name: &[u8]) -> SysResult<u64> {
    let mut whole = (AF_UNIX as u16).to_le_bytes().to_vec();
    whole.extend_from_slice(name);
    let len = read_i32(ctx, len_addr)?;
    let len = usize::try_from(len)
        .map_err(|_| Errno::EINVAL)?
        .min(whole.len());
    if len > 0 {
        ctx.task.mm.copy_out(addr, &whole[..len])?;
    }
    ctx.task.mm.write_u32(len_addr, whole.len() as u32)?;
    Ok(0)
}

pub fn sys_getsockname(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let name = match sock_of(&f)? {
        Sock::End(end) => end.name().to_vec(),
        Sock::Unconnected(u) => u.name(),
        Sock::Dgram(d) => d.name(),
    };
    put_name(ctx, a.u64(1), a.u64(2), &name)
}

pub fn sys_getpeername(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    if let Sock::Dgram(d) = sock_of(&f)? {
        let peer = d.peer_name().ok_or(Errno::ENOTCONN)?;
        return put_name(ctx, a.u64(1), a.u64(2), &peer);
    }
    let end = end_of(&f)?;
    if !end.connected() {
        return Err(Errno::ENOTCONN);
    }
    put_name(ctx, a.u64(1), a.u64(2), end.peer_name())
}

// ---- socket(2) sockets: socket, bind, listen, connect, accept ----

/// offsetof(struct sockaddr_un, sun_path).
const SUN_PATH_OFFSET: usize = 2;

/// An AF_UNIX address as bind and connect take it.
enum UnixName {
    /// A filesystem path (without its NUL).
    Path(Vec<u8>),
    /// An abstract name: `sun_path` bytes, the leading NUL included.
    Abstract(Vec<u8>),
    /// Only the family: bind picks an abstract name (autobind).
    Auto,
}

/// Reads a `struct sockaddr_un` of `len` bytes, with Linux's checks.
fn read_unix_name(ctx: &mut Ctx, addr: u64, len: i32) -> SysResult<UnixName> {
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    if !(SUN_PATH_OFFSET..=SOCKADDR_UN).contains(&len) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; len];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    parse_unix_name(&raw)
}

/// A `struct sockaddr_un` already read, with Linux's checks.
fn parse_unix_name(raw: &[u8]) -> SysResult<UnixName> {
    if !(SUN_PATH_OFFSET..=SOCKADDR_UN).contains(&raw.len()) {
        return Err(Errno::EINVAL);
    }
    if i32::from(u16::from_le_bytes([raw[0], raw[1]])) != AF_UNIX {
        return Err(Errno::EINVAL);
    }
    let path = &raw[SUN_PATH_OFFSET..];
    Ok(match path.first() {
        None => UnixName::Auto,
        Some(0) => UnixName::Abstract(path.to_vec()),
        Some(_) => {
            let end = path.iter().position(|b| *b == 0).unwrap_or(path.len());
            UnixName::Path(path[..end].to_vec())
        }
    })
}

/// The socket(2)-made socket at `fd` that is not connected (EINVAL once connected,
/// ENOTSOCK for other files and socketpair ends... which are connected: EINVAL).
fn unconnected(ctx: &Ctx, fd: i32) -> SysResult<(Arc<OpenFile>, Arc<UnixSocket>)> {
    let f = socket_file(ctx, fd)?;
    match sock_of(&f)? {
        Sock::Unconnected(u) => Ok((f, u)),
        Sock::End(_) => Err(Errno::EINVAL),
        // A datagram socket neither listens nor accepts.
        Sock::Dgram(_) => Err(Errno::EOPNOTSUPP),
    }
}

/// A socket bind can name.
enum Bindable {
    Stream(Arc<UnixSocket>),
    Dgram(Arc<DgramSocket>),
}

impl Bindable {
    fn unbound(&self) -> bool {
        match self {
            Bindable::Stream(u) => u.unbound(),
            Bindable::Dgram(d) => d.name().is_empty(),
        }
    }

    fn bind(
        &self,
        address: Option<Address>,
        name: Vec<u8>,
        create_node: impl FnOnce() -> SysResult<Address>,
    ) -> SysResult<()> {
        match self {
            Bindable::Stream(u) => u.bind(address, name, create_node),
            Bindable::Dgram(d) => d.bind(address, name, create_node),
        }
    }
}

pub fn sys_socket(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (family, ty, protocol) = (a.i32(0), a.i32(1), a.i32(2));
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let kind = match pair_kind(family, ty & SOCK_TYPE_MASK, protocol) {
        Ok(kind) => kind,
        // No network: as a kernel built without these families.
        Err(Errno::EOPNOTSUPP) => return Err(Errno::EAFNOSUPPORT),
        Err(e) => return Err(e),
    };
    let creds = ctx.task.creds;
    let owner = (creds.fsuid, creds.fsgid);
    let fd = if kind == SockType::Dgram {
        let socket = DgramSocket::new(owner);
        let name = socket.link_name();
        install_socket(ctx, socket, name, flags)?
    } else {
        let socket = UnixSocket::new(kind, owner);
        let name = socket.link_name();
        install_socket(ctx, socket, name, flags)?
    };
    Ok(fd as u64)
}

/// Opens socket inode `inode` (shown as `name` in /proc/self/fd) at the lowest free
/// descriptor, with socket(2)'s SOCK_NONBLOCK and SOCK_CLOEXEC `flags`.
fn install_socket(
    ctx: &mut Ctx,
    inode: crate::fs::inode::InodeRef,
    name: Vec<u8>,
    flags: i32,
) -> SysResult<i32> {
    let dentry = Arc::new(Dentry {
        inode,
        parent: None,
        name,
    });
    let status = if flags & SOCK_NONBLOCK != 0 {
        O_NONBLOCK
    } else {
        0
    };
    let file = OpenFile::new(FileKind::Node(dentry), O_RDWR | status);
    let fd = ctx.task.fds.install(file, 0, flags & SOCK_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd)
}

/// A short random abstract name for autobind: NUL and five hex digits, as Linux.
fn autobind_name(ctx: &Ctx, taken: impl Fn(&[u8]) -> bool) -> Vec<u8> {
    loop {
        let mut r = [0u8; 4];
        ctx.kernel.random.fill(&mut r);
        let n = u32::from_le_bytes(r) & 0xfffff;
        let name = [&[0u8][..], format!("{n:05x}").as_bytes()].concat();
        if !taken(&name) {
            return name;
        }
    }
}

pub fn sys_bind(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let socket = match sock_of(&f)? {
        Sock::Unconnected(u) => Bindable::Stream(u),
        Sock::Dgram(d) => Bindable::Dgram(d),
        Sock::End(_) => return Err(Errno::EINVAL),
    };
    let name = read_unix_name(ctx, a.u64(1), a.i32(2))?;
    match name {
        UnixName::Abstract(bytes) => {
            socket.bind(Some(Address::Abstract(bytes.clone())), bytes, || {
                Err(Errno::EINVAL)
            })?;
        }
        UnixName::Auto => {
            let bytes = autobind_name(ctx, |n| {
                UnixSocket::is_bound(&Address::Abstract(n.to_vec()))
            });
            socket.bind(Some(Address::Abstract(bytes.clone())), bytes, || {
                Err(Errno::EINVAL)
            })?;
        }
        UnixName::Path(path) => {
            let start = super::path::start_dir(ctx, super::path::AT_FDCWD, &path)?;
            let walker = super::path::walker(ctx);
            let owner = crate::fs::inode::Owner {
                uid: ctx.task.creds.fsuid,
                gid: ctx.task.creds.fsgid,
                perm: 0o777 & !ctx.task.fs.umask(),
            };
            // As Linux, the node is made first: an existing path is EADDRINUSE even
            // for a socket bound already (EINVAL otherwise).
            if !socket.unbound() {
                return Err(match walker.resolve(&start, &path, false) {
                    Ok(_) => Errno::EADDRINUSE,
                    Err(_) => Errno::EINVAL,
                });
            }
            let mut stored = path.clone();
            stored.push(0);
            socket.bind(None, stored, || {
                let (dir, last, _) = walker.resolve_parent(&start, &path)?;
                let node = dir
                    .inode
                    .create(&last, crate::fs::inode::NewNode::Socket, owner)
                    .map_err(|e| {
                        if e == Errno::EEXIST {
                            Errno::EADDRINUSE
                        } else {
                            e
                        }
                    })?;
                Ok(Address::Node(node.id()))
            })?;
        }
    }
    Ok(0)
}

pub fn sys_listen(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (_, socket) = unconnected(ctx, a.i32(0))?;
    let creds = ctx.task.creds;
    socket.listen(
        a.i32(1),
        Cred {
            pid: ctx.task.pid,
            uid: creds.euid,
            gid: creds.egid,
        },
    )?;
    Ok(0)
}

/// Where a connect goes: the bound address `name` stands for.
fn unix_address(ctx: &Ctx, name: UnixName) -> SysResult<Address> {
    match name {
        UnixName::Abstract(bytes) => Ok(Address::Abstract(bytes)),
        UnixName::Auto => Err(Errno::EINVAL),
        UnixName::Path(path) => {
            let start = super::path::start_dir(ctx, super::path::AT_FDCWD, &path)?;
            let node = super::path::walker(ctx).resolve(&start, &path, true)?;
            if node.inode.file_type() != crate::fs::inode::FileType::Socket {
                return Err(Errno::ECONNREFUSED);
            }
            Ok(Address::Node(node.inode.id()))
        }
    }
}

pub fn sys_connect(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    if let Sock::Dgram(d) = sock_of(&f)? {
        return dgram_connect(ctx, &d, a.u64(1), a.i32(2));
    }
    // As Linux, the address is looked up before the socket's state is checked.
    let name = read_unix_name(ctx, a.u64(1), a.i32(2))?;
    let address = unix_address(ctx, name)?;
    let socket = match sock_of(&f)? {
        Sock::Unconnected(u) => u,
        Sock::Dgram(_) => return Err(Errno::EINVAL),
        Sock::End(_) if !UnixSocket::is_bound(&address) => return Err(Errno::ECONNREFUSED),
        Sock::End(_) => return Err(Errno::EISCONN),
    };
    let creds = ctx.task.creds;
    let cred = Cred {
        pid: ctx.task.pid,
        uid: creds.euid,
        gid: creds.egid,
    };
    match socket.connect(&address, cred) {
        Err(Errno::EAGAIN) if f.flags() & O_NONBLOCK == 0 => {}
        other => return other.map(|_| 0),
    }
    // The listener's queue is full: wait for room.
    let queue = UnixSocket::listener_queue(&address).ok_or(Errno::ECONNREFUSED)?;
    ctx.task
        .block_on(&[&queue], None, true, || {
            match socket.connect(&address, cred) {
                Err(Errno::EAGAIN) => None,
                other => Some(other),
            }
        })
        .unwrap_or(Err(Errno::ERESTARTSYS))
        .map(|_| 0)
}

fn do_accept(ctx: &mut Ctx, fd: i32, addr: u64, len_addr: u64, flags: i32) -> SysResult<u64> {
    if flags & !(SOCK_CLOEXEC | SOCK_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let (f, socket) = unconnected(ctx, fd)?;
    let end = match socket.take_pending()? {
        Some(end) => end,
        None if f.flags() & O_NONBLOCK != 0 => return Err(Errno::EAGAIN),
        None => ctx
            .task
            .block_on(&[socket.queue()], None, true, || {
                socket.take_pending().transpose()
            })
            .unwrap_or(Err(Errno::ERESTARTSYS))?,
    };
    let peer = end.peer_name().to_vec();
    let name = end.link_name();
    let new_fd = install_socket(ctx, end, name, flags)?;
    if addr != 0 {
        if let Err(e) = put_name(ctx, addr, len_addr, &peer) {
            let _ = ctx.task.fds.close(new_fd);
            return Err(e);
        }
    }
    Ok(new_fd as u64)
}

pub fn sys_accept(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_accept(ctx, a.i32(0), a.u64(1), a.u64(2), 0)
}

pub fn sys_accept4(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_accept(ctx, a.i32(0), a.u64(1), a.u64(2), a.i32(3))
}

// ---- options ----

/// A timeout as getsockopt gives it (`struct timeval`): zero for none.
fn timeval_bytes(t: Option<Duration>) -> Vec<u8> {
    let t = t.unwrap_or_default();
    let mut v = (t.as_secs() as i64).to_le_bytes().to_vec();
    v.extend_from_slice(&i64::from(t.subsec_micros()).to_le_bytes());
    v
}

/// The value of SOL_SOCKET option `name`.
fn option_value(sock: &Sock, name: i32) -> SysResult<Vec<u8>> {
    let int = |v: i32| v.to_le_bytes().to_vec();
    let (kind, o) = match sock {
        Sock::End(end) => (end.kind(), end.options().clone()),
        Sock::Unconnected(u) => (u.kind(), u.options().clone()),
        Sock::Dgram(d) => (SockType::Dgram, d.options().clone()),
    };
    let buffer = |size: usize, default: usize| {
        let size = match sock {
            Sock::End(_) => size,
            // Recorded only (see setsockopt).
            Sock::Unconnected(_) | Sock::Dgram(_) => o.int(name).map_or(default, |v| v as usize),
        };
        int(size.min(i32::MAX as usize) as i32)
    };
    Ok(match name {
        SO_TYPE => int(kind.raw()),
        SO_DOMAIN => int(AF_UNIX),
        SO_PROTOCOL | SO_BSDCOMPAT => int(0),
        SO_ACCEPTCONN => int(matches!(sock, Sock::Unconnected(u) if u.listening()) as i32),
        SO_ERROR => int(match sock {
            Sock::End(end) => end.take_error().map_or(0, |e| e.into_raw()),
            Sock::Unconnected(_) | Sock::Dgram(_) => 0,
        }),
        SO_SNDBUF => match sock {
            Sock::End(end) => buffer(end.sndbuf(), 0),
            Sock::Unconnected(_) | Sock::Dgram(_) => buffer(0, WMEM_DEFAULT),
        },
        SO_RCVBUF => match sock {
            Sock::End(end) => buffer(end.rcvbuf(), 0),
            Sock::Unconnected(_) | Sock::Dgram(_) => buffer(0, RMEM_DEFAULT),
        },
        SO_SNDLOWAT => int(1),
        SO_PEEK_OFF => int(-1),
        SO_RCVLOWAT => int(o.int(SO_RCVLOWAT).unwrap_or(1)),
        SO_DEBUG | SO_REUSEADDR | SO_DONTROUTE | SO_BROADCAST | SO_KEEPALIVE | SO_OOBINLINE
        | SO_NO_CHECK | SO_PRIORITY | SO_PASSCRED => int(o.int(name).unwrap_or(0)),
        SO_LINGER => {
            let mut v = int(i32::from(o.linger.0));
            v.extend_from_slice(&o.linger.1.to_le_bytes());
            v
        }
        SO_PEERCRED => {
            // Linux reports no process and the overflow ids before a connection.
            let c = match sock {
                Sock::End(end) => end.peer_cred(),
                Sock::Unconnected(_) | Sock::Dgram(_) => Cred {
                    pid: 0,
                    uid: 65534,
                    gid: 65534,
                },
            };
            let mut v = int(c.pid);
            v.extend_from_slice(&c.uid.to_le_bytes());
            v.extend_from_slice(&c.gid.to_le_bytes());
            v
        }
        SO_RCVTIMEO_OLD | SO_RCVTIMEO_NEW => timeval_bytes(o.rcvtimeo),
        SO_SNDTIMEO_OLD | SO_SNDTIMEO_NEW => timeval_bytes(o.sndtimeo),
        _ => return Err(Errno::ENOPROTOOPT),
    })
}

pub fn sys_getsockopt(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let (level, name, optval, optlen) = (a.i32(1), a.i32(2), a.u64(3), a.u64(4));
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    let len = read_i32(ctx, optlen)?;
    let len = usize::try_from(len).map_err(|_| Errno::EINVAL)?;
    let value = option_value(&sock_of(&f)?, name)?;
    let len = len.min(value.len());
    if len > 0 {
        ctx.task.mm.copy_out(optval, &value[..len])?;
    }
    ctx.task.mm.write_u32(optlen, len as u32)?;
    Ok(0)
}

/// SO_RCVTIMEO/SO_SNDTIMEO from a `struct timeval`: zero means none, a negative time
/// means never wait, and one too long for Linux's jiffies is none as well.
fn read_timeout(ctx: &mut Ctx, optval: u64, optlen: usize) -> SysResult<Option<Duration>> {
    if optlen < 16 {
        return Err(Errno::EINVAL);
    }
    let (secs, usecs) = read_i64_pair(ctx, optval)?;
    if !(0..1_000_000).contains(&usecs) {
        return Err(Errno::EDOM);
    }
    if secs < 0 {
        return Ok(Some(Duration::ZERO));
    }
    if (secs == 0 && usecs == 0) || secs >= i64::MAX / 1000 - 1 {
        return Ok(None);
    }
    Ok(Some(Duration::new(secs as u64, usecs as u32 * 1000)))
}

pub fn sys_setsockopt(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = socket_file(ctx, a.i32(0))?;
    let sock = sock_of(&f)?;
    let (level, name, optval) = (a.i32(1), a.i32(2), a.u64(3));
    let optlen = usize::try_from(a.i32(4)).map_err(|_| Errno::EINVAL)?;
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if optlen < 4 {
        return Err(Errno::EINVAL);
    }
    let val = read_i32(ctx, optval)?;
    let privileged = ctx.task.creds.euid == 0;
    match name {
        // The buffers are bounded by wmem_max/rmem_max, the FORCE variants too.
        SO_SNDBUF | SO_SNDBUFFORCE | SO_RCVBUF | SO_RCVBUFFORCE => {
            let force = matches!(name, SO_SNDBUFFORCE | SO_RCVBUFFORCE);
            if force && !privileged {
                return Err(Errno::EPERM);
            }
            let val = if force { val.max(0) } else { val };
            let send = matches!(name, SO_SNDBUF | SO_SNDBUFFORCE);
            let (max, min) = if send {
                (WMEM_MAX, SOCK_MIN_SNDBUF)
            } else {
                (RMEM_MAX, SOCK_MIN_RCVBUF)
            };
            let size = ((val as u32 as usize).min(max) * 2).max(min);
            match &sock {
                Sock::End(end) if send => end.set_sndbuf(size),
                Sock::End(end) => end.set_rcvbuf(size),
                // Recorded only: a connection starts with the default buffers.
                Sock::Unconnected(_) | Sock::Dgram(_) => sock.options().set_int(
                    if send { SO_SNDBUF } else { SO_RCVBUF },
                    size.min(i32::MAX as usize) as i32,
                ),
            }
        }
        SO_DEBUG if val != 0 && !privileged => return Err(Errno::EACCES),
        SO_DEBUG | SO_REUSEADDR | SO_DONTROUTE | SO_BROADCAST | SO_KEEPALIVE | SO_OOBINLINE
        | SO_NO_CHECK | SO_PASSCRED => sock.options().set_int(name, i32::from(val != 0)),
        SO_PRIORITY => {
            if !(0..=6).contains(&val) && !privileged {
                return Err(Errno::EPERM);
            }
            sock.options().set_int(name, val);
        }
        SO_RCVLOWAT => {
            let v = if val < 0 { i32::MAX } else { val.max(1) };
            sock.options().set_int(name, v);
        }
        SO_BSDCOMPAT => {}
        SO_LINGER => {
            if optlen < 8 {
                return Err(Errno::EINVAL);
            }
            let mut b = [0u8; 8];
            ctx.task.mm.copy_in(optval, &mut b)?;
            let mut secs = [0u8; 4];
            secs.copy_from_slice(&b[4..]);
            let mut o = sock.options();
            if val == 0 {
                o.linger.0 = false;
            } else {
                o.linger = (true, u32::from_le_bytes(secs));
            }
        }
        SO_RCVTIMEO_OLD | SO_RCVTIMEO_NEW => {
            let t = read_timeout(ctx, optval, optlen)?;
            sock.options().rcvtimeo = t;
        }
        SO_SNDTIMEO_OLD | SO_SNDTIMEO_NEW => {
            let t = read_timeout(ctx, optval, optlen)?;
            sock.options().sndtimeo = t;
        }
        // Peeking at an offset is not supported; turning it off is a no-op.
        SO_PEEK_OFF if val == -1 => {}
        SO_PEEK_OFF => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

// ---- socket(2) datagram sockets ----

const AF_UNSPEC: u16 = 0;

/// connect(2) of a datagram socket: its default destination, or none (AF_UNSPEC).
fn dgram_connect(ctx: &mut Ctx, d: &DgramSocket, addr: u64, len: i32) -> SysResult<u64> {
    let mut family = [0u8; 2];
    if len >= 2 {
        ctx.task.mm.copy_in(addr, &mut family)?;
        if u16::from_le_bytes(family) == AF_UNSPEC {
            d.connect(None)?;
            return Ok(0);
        }
    }
    let name = read_unix_name(ctx, addr, len)?;
    let shown = stored_name(&name);
    let address = unix_address(ctx, name)?;
    d.connect(Some((address, shown)))?;
    Ok(0)
}

/// The `sun_path` bytes a name is reported as (a path with its NUL).
fn stored_name(name: &UnixName) -> Vec<u8> {
    match name {
        UnixName::Path(p) => [p.as_slice(), &[0]].concat(),
        UnixName::Abstract(b) => b.clone(),
        UnixName::Auto => Vec::new(),
    }
}

/// A send on a datagram socket: to `out.addr` or its peer, the whole message, waiting
/// (unless non-blocking) while the receiver's queue is full.
fn dgram_send(ctx: &mut Ctx, f: &OpenFile, d: &DgramSocket, out: Outgoing) -> SysResult<u64> {
    let files = check_control(ctx, &out.control)?;
    if out.flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let to = match &out.addr {
        Some(raw) => {
            let name = parse_unix_name(raw)?;
            unix_address(ctx, name)?
        }
        None => d.peer()?,
    };
    let data = gather(&ctx.task.mm, &out.iovs, 0, out.total)?;
    let nonblocking = out.flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let block = Blocking::new(nonblocking, d.options().sndtimeo);
    loop {
        match d.send_to(&to, &data, files.clone()) {
            Err(Errno::EAGAIN) if block.wait => {
                let receiver = DgramSocket::receiver_queue(&to).ok_or(Errno::ECONNREFUSED)?;
                block.sleep(ctx, receiver.queue(), || d.can_send_to(&receiver))?;
            }
            r => return r.map(|n| n as u64),
        }
    }
}

/// A receive on a datagram socket into the iovecs: the count (the message's whole
/// length with MSG_TRUNC), the flags it earns, and the sender's name.
fn dgram_recv(
    ctx: &mut Ctx,
    f: &OpenFile,
    d: &DgramSocket,
    iovs: &[(u64, usize)],
    total: usize,
    flags: u32,
    files: &mut Vec<Arc<OpenFile>>,
) -> SysResult<(u64, u32, Vec<u8>)> {
    if flags & MSG_OOB != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    let peek = flags & MSG_PEEK != 0;
    let nonblocking = flags & MSG_DONTWAIT != 0 || f.flags() & O_NONBLOCK != 0;
    let block = Blocking::new(nonblocking, d.options().rcvtimeo);
    let mut buf = vec![0u8; total.min(WMEM_DEFAULT)];
    let got = loop {
        match d.recv(&mut buf, peek, files) {
            Err(Errno::EAGAIN) if block.wait => {
                block.sleep(ctx, d.queue(), || d.can_recv())?;
            }
            r => break r?,
        }
    };
    let Some(got) = got else {
        return Ok((0, 0, Vec::new()));
    };
    scatter(&ctx.task.mm, iovs, 0, &buf[..got.len])?;
    let n = if flags & MSG_TRUNC != 0 {
        got.full
    } else {
        got.len
    };
    let truncated = if got.full > got.len { MSG_TRUNC } else { 0 };
    Ok((n as u64, truncated, got.from))
}
