//! eventfd, eventfd2, epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
//! epoll_pwait2. The objects live in `fs::eventfd` and `fs::epoll`; this is argument
//! checking in Linux's order, the descriptor table, and the blocking wait.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::poll::{read_mask, with_mask};
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::epoll::{
    can_poll, file_epoll, Epoll, Ready, EPOLLERR, EPOLLEXCLUSIVE, EPOLLHUP, EXCLUSIVE_OK,
};
use crate::fs::eventfd::{anon_dentry, EventFd};
use crate::fs::file::{FileKind, OpenFile, O_NONBLOCK, O_RDWR};
use crate::fs::inode::InodeRef;
use crate::kernel::wait::{Interrupted, WaitQueue};
use crate::kernel::Ctx;

const O_CLOEXEC: u32 = 0o2000000;

/// Bytes of a `struct epoll_event` on x86-64 (packed: u32 events, u64 data).
const EVENT_SIZE: u64 = 12;
/// Most events one epoll_wait may ask for (EP_MAX_EVENTS).
const MAX_EVENTS: i32 = i32::MAX / EVENT_SIZE as i32;
/// The end of user address space (TASK_SIZE), for the buffer's access_ok check.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// How long an epoll_wait watching host streams sleeps between host polls: their
/// changes cannot wake the task.
const HOST_SLICE: Duration = Duration::from_millis(10);

/// Installs a new anonymous file ("anon_inode:[kind]") opened read-write.
fn install(
    ctx: &mut Ctx,
    inode: InodeRef,
    kind: &str,
    status: u32,
    cloexec: bool,
) -> SysResult<u64> {
    let file = OpenFile::new(FileKind::Node(anon_dentry(inode, kind)), O_RDWR | status);
    let fd = ctx.task.fds.install(file, 0, cloexec)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

fn do_eventfd(ctx: &mut Ctx, initial: u32, flags: u32) -> SysResult<u64> {
    const EFD_SEMAPHORE: u32 = 1;
    if flags & !(EFD_SEMAPHORE | O_CLOEXEC | O_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let inode = Arc::new(EventFd::new(u64::from(initial), flags & EFD_SEMAPHORE != 0));
    install(
        ctx,
        inode,
        "eventfd",
        flags & O_NONBLOCK,
        flags & O_CLOEXEC != 0,
    )
}

pub fn sys_eventfd(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_eventfd(ctx, a.u32(0), 0)
}

pub fn sys_eventfd2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_eventfd(ctx, a.u32(0), a.u32(1))
}

fn do_epoll_create(ctx: &mut Ctx, cloexec: bool) -> SysResult<u64> {
    install(ctx, Arc::new(Epoll::new()), "eventpoll", 0, cloexec)
}

pub fn sys_epoll_create(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    if a.i32(0) <= 0 {
        return Err(Errno::EINVAL);
    }
    do_epoll_create(ctx, false)
}

pub fn sys_epoll_create1(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let flags = a.u32(0);
    if flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    do_epoll_create(ctx, flags & O_CLOEXEC != 0)
}

/// The open file behind `fd`, as `fdget` finds it (O_PATH descriptors do not count).
fn usable(ctx: &Ctx, fd: i32) -> SysResult<Arc<OpenFile>> {
    let f = ctx.task.fds.get(fd)?;
    if f.is_path_only() {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

pub fn sys_epoll_ctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const EPOLL_CTL_ADD: i32 = 1;
    const EPOLL_CTL_DEL: i32 = 2;
    const EPOLL_CTL_MOD: i32 = 3;
    let (epfd, op, fd, addr) = (a.i32(0), a.i32(1), a.i32(2), a.u64(3));
    let (events, data) = if op != EPOLL_CTL_DEL {
        let mut raw = [0u8; EVENT_SIZE as usize];
        ctx.task.mm.copy_in(addr, &mut raw)?;
        let mut events = [0u8; 4];
        let mut data = [0u8; 8];
        events.copy_from_slice(&raw[..4]);
        data.copy_from_slice(&raw[4..]);
        (u32::from_le_bytes(events), u64::from_le_bytes(data))
    } else {
        (0, 0)
    };
    let ep_file = usable(ctx, epfd)?;
    let target = usable(ctx, fd)?;
    if !can_poll(&target) {
        return Err(Errno::EPERM);
    }
    if Arc::ptr_eq(&ep_file, &target) {
        return Err(Errno::EINVAL);
    }
    let ep = file_epoll(&ep_file).ok_or(Errno::EINVAL)?;
    let inner = file_epoll(&target);
    // EPOLLEXCLUSIVE: only with ADD, not on an epoll file, and with few other flags.
    let exclusive = op != EPOLL_CTL_DEL && events & EPOLLEXCLUSIVE != 0;
    if exclusive
        && (op == EPOLL_CTL_MOD
            || (op == EPOLL_CTL_ADD && (inner.is_some() || events & !EXCLUSIVE_OK != 0)))
    {
        return Err(Errno::EINVAL);
    }
    if inner.is_some_and(|inner| std::ptr::eq(inner, ep)) {
        // The instance itself, reopened through /proc/self/fd.
        return Err(Errno::EINVAL);
    }
    // Adding an instance to another is checked and done under one lock, so that two
    // concurrent additions cannot close a loop that neither saw (epnested_mutex).
    static NESTING: Mutex<()> = Mutex::new(());
    let _nesting = (op == EPOLL_CTL_ADD && inner.is_some())
        .then(|| NESTING.lock().unwrap_or_else(|e| e.into_inner()));
    if op == EPOLL_CTL_ADD && inner.is_some_and(|inner| inner.would_loop(ep)) {
        return Err(Errno::ELOOP);
    }
    let events = events | EPOLLERR | EPOLLHUP;
    match op {
        EPOLL_CTL_ADD => ep.add(fd, &target, events, data)?,
        EPOLL_CTL_MOD => ep.modify(fd, &target, events, data)?,
        EPOLL_CTL_DEL => ep.remove(fd, &target)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// Copies the events out; those that do not fit are taken back. EFAULT if none fit.
fn deliver(ctx: &mut Ctx, ep: &Epoll, addr: u64, ready: Vec<Ready>) -> SysResult<u64> {
    let encode = |r: &Ready| {
        let mut b = [0u8; EVENT_SIZE as usize];
        b[..4].copy_from_slice(&r.events.to_le_bytes());
        b[4..].copy_from_slice(&r.data.to_le_bytes());
        b
    };
    let all: Vec<u8> = ready.iter().flat_map(encode).collect();
    if ctx.task.mm.copy_out(addr, &all).is_ok() {
        return Ok(ready.len() as u64);
    }
    let mut done = 0;
    for r in &ready {
        let at = addr + done as u64 * EVENT_SIZE;
        if ctx.task.mm.copy_out(at, &encode(r)).is_err() {
            break;
        }
        done += 1;
    }
    ep.undo(&ready[done..]);
    if done == 0 {
        return Err(Errno::EFAULT);
    }
    Ok(done as u64)
}

/// epoll_wait's body: up to `max_events` events into `addr`, waiting up to `timeout`
/// (None: forever); EINTR when a signal arrives first.
fn do_wait(
    ctx: &mut Ctx,
    epfd: i32,
    addr: u64,
    max_events: i32,
    timeout: Option<Duration>,
) -> SysResult<u64> {
    if max_events <= 0 || max_events > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let size = max_events as u64 * EVENT_SIZE;
    if addr > TASK_SIZE - size {
        return Err(Errno::EFAULT);
    }
    let file = usable(ctx, epfd)?;
    let ep = file_epoll(&file).ok_or(Errno::EINVAL)?;
    let own_queue = file.wait_queue().ok_or(Errno::EINVAL)?;
    // The events found are bounded by the interests, whatever `max_events` says.
    let max = max_events as usize;
    if timeout == Some(Duration::ZERO) {
        let ready = ep.collect(max);
        return deliver(ctx, ep, addr, ready);
    }
    let deadline = timeout.map(|t| Instant::now() + t.min(Duration::from_secs(1 << 32)));
    let ready = loop {
        // What to sleep on; taken again whenever an interest list changes.
        let mut inodes = Vec::new();
        let mut host = false;
        let listed = ep.list_changes(0);
        ep.sleep_targets(&mut inodes, &mut host, 0);
        let mut queues: Vec<&WaitQueue> = inodes.iter().filter_map(|i| i.wait_queue()).collect();
        queues.push(own_queue);
        let until = if host {
            let slice = Instant::now() + HOST_SLICE;
            Some(deadline.map_or(slice, |d| d.min(slice)))
        } else {
            deadline
        };
        let waited = ctx.task.block_on(&queues, until, true, || {
            let ready = ep.collect(max);
            if !ready.is_empty() {
                return Some(Some(ready));
            }
            (ep.list_changes(0) != listed).then_some(None)
        });
        match waited {
            Ok(Some(ready)) => break ready,
            Ok(None) => continue,
            Err(Interrupted::Signal) => return Err(Errno::EINTR),
            Err(Interrupted::TimedOut) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    break Vec::new();
                }
            }
        }
    };
    deliver(ctx, ep, addr, ready)
}

/// A millisecond timeout: negative waits forever.
fn ms_timeout(ms: i32) -> Option<Duration> {
    u64::try_from(ms).ok().map(Duration::from_millis)
}

pub fn sys_epoll_wait(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_wait(ctx, a.i32(0), a.u64(1), a.i32(2), ms_timeout(a.i32(3)))
}

pub fn sys_epoll_pwait(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (epfd, addr, max, timeout) = (a.i32(0), a.u64(1), a.i32(2), ms_timeout(a.i32(3)));
    let mask = read_mask(ctx, a.u64(4), a.u64(5))?;
    with_mask(ctx, mask, |ctx| do_wait(ctx, epfd, addr, max, timeout))
}

pub fn sys_epoll_pwait2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let timeout = if a.u64(3) == 0 {
        None
    } else {
        let mut b = [0u8; 16];
        ctx.task.mm.copy_in(a.u64(3), &mut b)?;
        let mut secs = [0u8; 8];
        let mut nanos = [0u8; 8];
        secs.copy_from_slice(&b[..8]);
        nanos.copy_from_slice(&b[8..]);
        let (secs, nanos) = (i64::from_le_bytes(secs), i64::from_le_bytes(nanos));
        if secs < 0 || !(0..1_000_000_000).contains(&nanos) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::new(secs as u64, nanos as u32))
    };
    let (epfd, addr, max) = (a.i32(0), a.u64(1), a.i32(2));
    let mask = read_mask(ctx, a.u64(4), a.u64(5))?;
    with_mask(ctx, mask, |ctx| do_wait(ctx, epfd, addr, max, timeout))
}
