//! poll, ppoll, select, pselect6. Filesystem files are always ready; pipes wake
//! the poller through their wait queues; the host's standard streams are polled on
//! the host. A signal ends the wait with EINTR.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::epoll::as_epoll;
use crate::fs::file::{FileKind, OpenFile};
use crate::kernel::wait::{Interrupted, WaitQueue};
use crate::kernel::Ctx;

const POLLIN: i16 = 0x1;
const POLLPRI: i16 = 0x2;
const POLLOUT: i16 = 0x4;
const POLLERR: i16 = 0x8;
const POLLHUP: i16 = 0x10;
const POLLNVAL: i16 = 0x20;
const POLLRDNORM: i16 = 0x40;
const POLLWRNORM: i16 = 0x100;

/// Readiness of one sentry file (not a host stream) for `events`: POLLERR and
/// POLLHUP are reported whether asked for or not.
fn readiness(f: &OpenFile, events: i16) -> i16 {
    let FileKind::Node(d) = &f.kind else {
        return 0;
    };
    match d.inode.poll_mask() {
        Some(mask) => (mask as i16) & (events | POLLERR | POLLHUP),
        None => events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM),
    }
}

/// How long one host poll may last when sentry files are polled too: their changes
/// cannot wake a host poll, so it is done in slices.
const HOST_SLICE: Duration = Duration::from_millis(10);

/// Readiness of each `(fd, events)`, waiting up to `timeout` (None: forever) until
/// one is ready; EINTR when a signal arrives first.
fn poll_fds(ctx: &Ctx, fds: &[(i32, i16)], timeout: Option<Duration>) -> SysResult<Vec<i16>> {
    let files: Vec<Option<Arc<OpenFile>>> = fds
        .iter()
        .map(|(fd, _)| {
            if *fd < 0 {
                None
            } else {
                ctx.task.fds.get(*fd).ok()
            }
        })
        .collect();
    let host: Vec<(usize, i32, i16)> = files
        .iter()
        .enumerate()
        .filter_map(|(i, f)| match f.as_deref().map(|f| &f.kind) {
            Some(FileKind::HostStream { host_fd, .. }) => Some((i, *host_fd, fds[i].1)),
            _ => None,
        })
        .collect();
    let check = |host_wait: Duration| -> Option<Vec<i16>> {
        let mut revents: Vec<i16> = fds
            .iter()
            .zip(&files)
            .map(|((fd, events), f)| match f {
                _ if *fd < 0 => 0,
                None => POLLNVAL,
                Some(f) => readiness(f, *events),
            })
            .collect();
        if !host.is_empty() {
            let wait = if revents.iter().any(|r| *r != 0) {
                0
            } else {
                host_wait.as_millis().min(i32::MAX as u128) as i32
            };
            let request: Vec<(i32, i16)> = host.iter().map(|(_, fd, ev)| (*fd, *ev)).collect();
            if let Ok(got) = crate::host::poll(&request, wait) {
                for ((i, _, events), r) in host.iter().zip(got) {
                    revents[*i] = r & (events | POLLERR | POLLHUP | POLLNVAL);
                }
            }
        }
        revents.iter().any(|r| *r != 0).then_some(revents)
    };
    let none_ready = || vec![0i16; fds.len()];
    if let Some(r) = check(Duration::ZERO) {
        return Ok(r);
    }
    if timeout == Some(Duration::ZERO) {
        return Ok(none_ready());
    }
    let deadline = timeout.map(|t| Instant::now() + t.min(Duration::from_secs(1 << 32)));
    // An epoll instance's own queue only hears of epoll_ctl changes: readiness of
    // what it watches comes through the watched files' queues.
    let mut watched = Vec::new();
    let mut watches_host = false;
    for f in files.iter().flatten() {
        if let Some(e) = f.dentry().and_then(|d| as_epoll(d.inode.as_ref())) {
            e.sleep_targets(&mut watched, &mut watches_host, 0);
        }
    }
    let queues: Vec<&WaitQueue> = files
        .iter()
        .flatten()
        .filter_map(|f| f.wait_queue())
        .chain(watched.iter().filter_map(|inode| inode.wait_queue()))
        .collect();
    let sliced = !host.is_empty() || watches_host;
    let slice = |deadline: Option<Instant>| {
        let left = deadline.map_or(HOST_SLICE, |d| d.saturating_duration_since(Instant::now()));
        if queues.is_empty() {
            left.min(Duration::from_secs(3600))
        } else {
            left.min(HOST_SLICE)
        }
    };
    let host_deadline = |deadline: Option<Instant>| {
        // With host streams, sleep between host polls in slices.
        if !sliced {
            deadline
        } else {
            Some(Instant::now() + slice(deadline))
        }
    };
    loop {
        match ctx
            .task
            .block_on(&queues, host_deadline(deadline), true, || {
                check(if host.is_empty() {
                    Duration::ZERO
                } else {
                    slice(deadline)
                })
            }) {
            Ok(r) => return Ok(r),
            Err(Interrupted::Signal) => return Err(Errno::EINTR),
            Err(Interrupted::TimedOut) => {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Ok(none_ready());
                }
            }
        }
    }
}

fn read_timespec(ctx: &mut Ctx, addr: u64) -> SysResult<Option<Duration>> {
    if addr == 0 {
        return Ok(None);
    }
    super::time::read_timespec(ctx, addr).map(Some)
}

fn do_poll(ctx: &mut Ctx, addr: u64, nfds: u64, timeout: Option<Duration>) -> SysResult<u64> {
    if nfds > ctx.task.fds.limit() as u64 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; nfds as usize * 8];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    let fds: Vec<(i32, i16)> = raw
        .chunks_exact(8)
        .map(|c| {
            (
                i32::from_le_bytes([c[0], c[1], c[2], c[3]]),
                i16::from_le_bytes([c[4], c[5]]),
            )
        })
        .collect();
    let revents = poll_fds(ctx, &fds, timeout)?;
    for (i, r) in revents.iter().enumerate() {
        raw[i * 8 + 6..i * 8 + 8].copy_from_slice(&r.to_le_bytes());
    }
    ctx.task.mm.copy_out(addr, &raw)?;
    Ok(revents.iter().filter(|r| **r != 0).count() as u64)
}

pub fn sys_poll(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let ms = a.i32(2);
    let timeout = (ms >= 0).then(|| Duration::from_millis(ms as u64));
    do_poll(ctx, a.u64(0), a.u64(1), timeout)
}

pub fn sys_ppoll(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let timeout = read_timespec(ctx, a.u64(2))?;
    let mask = read_mask(ctx, a.u64(3), a.u64(4))?;
    with_mask(ctx, mask, |ctx| do_poll(ctx, a.u64(0), a.u64(1), timeout))
}

/// The optional signal mask of ppoll/pselect6/epoll_pwait.
pub fn read_mask(ctx: &mut Ctx, addr: u64, size: u64) -> SysResult<Option<u64>> {
    if addr == 0 {
        return Ok(None);
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    ctx.task.mm.read_u64(addr).map(Some)
}

/// Runs a wait with `mask` as the blocked set, as sigsuspend does: on EINTR the old
/// mask comes back once the signal has been handled; otherwise at once.
pub fn with_mask(
    ctx: &mut Ctx,
    mask: Option<u64>,
    wait: impl FnOnce(&mut Ctx) -> SysResult<u64>,
) -> SysResult<u64> {
    let Some(mask) = mask else {
        return wait(ctx);
    };
    let old = ctx.task.signals.blocked;
    ctx.task.signals.set_blocked(mask);
    let result = wait(ctx);
    if result == Err(Errno::EINTR) {
        ctx.task.saved_mask = Some(old);
    } else {
        ctx.task.signals.blocked = old;
    }
    result
}

/// select's three fd_sets over `nfds` descriptors.
fn do_select(ctx: &mut Ctx, a: &Args, timeout: Option<Duration>) -> SysResult<u64> {
    let nfds = a.i32(0);
    if nfds < 0 {
        return Err(Errno::EINVAL);
    }
    // As Linux, descriptors beyond the table's current size are not looked at.
    let nfds = (nfds as usize)
        .min(ctx.task.fds.limit())
        .min(ctx.task.fds.capacity());
    let bytes = nfds.div_ceil(64) * 8;
    let mut sets = [Vec::new(), Vec::new(), Vec::new()];
    for (k, set) in sets.iter_mut().enumerate() {
        let addr = a.u64(1 + k);
        *set = vec![0u8; bytes];
        if addr != 0 {
            ctx.task.mm.copy_in(addr, set)?;
        }
    }
    let bit = |set: &[u8], fd: usize| set[fd / 8] & (1 << (fd % 8)) != 0;
    let mut request = Vec::new();
    for fd in 0..nfds {
        let mut events = 0;
        if bit(&sets[0], fd) {
            events |= POLLIN;
        }
        if bit(&sets[1], fd) {
            events |= POLLOUT;
        }
        if bit(&sets[2], fd) {
            events |= POLLPRI;
        }
        if events != 0 {
            ctx.task.fds.get(fd as i32)?;
            request.push((fd as i32, events));
        }
    }
    let revents = poll_fds(ctx, &request, timeout)?;
    let mut out = [vec![0u8; bytes], vec![0u8; bytes], vec![0u8; bytes]];
    let mut count = 0;
    for ((fd, events), r) in request.iter().zip(revents) {
        let fd = *fd as usize;
        for (k, mask) in [
            (0, POLLIN | POLLHUP | POLLERR),
            (1, POLLOUT | POLLERR),
            (2, POLLPRI),
        ] {
            let wanted = [POLLIN, POLLOUT, POLLPRI][k];
            if events & wanted != 0 && r & mask != 0 {
                out[k][fd / 8] |= 1 << (fd % 8);
                count += 1;
            }
        }
    }
    for (k, set) in out.iter().enumerate() {
        let addr = a.u64(1 + k);
        if addr != 0 {
            ctx.task.mm.copy_out(addr, set)?;
        }
    }
    Ok(count)
}

pub fn sys_select(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let timeout = if a.u64(4) == 0 {
        None
    } else {
        let mut b = [0u8; 16];
        ctx.task.mm.copy_in(a.u64(4), &mut b)?;
        let secs = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let micros = i64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        if secs < 0 || !(0..1_000_000).contains(&micros) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::new(secs as u64, micros as u32 * 1000))
    };
    do_select(ctx, a, timeout)
}

pub fn sys_pselect6(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let timeout = read_timespec(ctx, a.u64(4))?;
    // The sixth argument points at { const sigset_t *ss; size_t ss_len; }.
    let mask = if a.u64(5) == 0 {
        None
    } else {
        let mut b = [0u8; 16];
        ctx.task.mm.copy_in(a.u64(5), &mut b)?;
        let addr = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        read_mask(ctx, addr, len)?
    };
    with_mask(ctx, mask, |ctx| do_select(ctx, a, timeout))
}
