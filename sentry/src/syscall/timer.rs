//! Timers that signal the process: alarm, setitimer/getitimer (ITIMER_REAL) and POSIX
//! timers (timer_create and friends).

use std::sync::Arc;
use std::time::Duration;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::timerfd::TimerFd;
use crate::kernel::signal::SI_KERNEL;
use crate::kernel::timers::TimerSignal;
use crate::kernel::Ctx;
use crate::services::clock;

const ITIMER_REAL: i32 = 0;
const ITIMER_VIRTUAL: i32 = 1;
const ITIMER_PROF: i32 = 2;
/// si_code of a POSIX timer's signal.
const SI_TIMER: i32 = -2;
/// Most POSIX timers a process may hold.
const MAX_TIMERS: usize = 4096;

fn read_pair(
    ctx: &mut Ctx,
    addr: u64,
    sub_unit_ns: u64,
    max_sub: i64,
) -> SysResult<(Duration, Duration)> {
    let mut b = [0u8; 32];
    ctx.task.mm.copy_in(addr, &mut b)?;
    let word = |i: usize| i64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let dur = |secs: i64, sub: i64| -> SysResult<Duration> {
        if secs < 0 || !(0..max_sub).contains(&sub) {
            return Err(Errno::EINVAL);
        }
        Ok(Duration::from_secs(secs as u64) + Duration::from_nanos(sub as u64 * sub_unit_ns))
    };
    Ok((dur(word(0), word(1))?, dur(word(2), word(3))?))
}

fn pair_bytes(interval: Duration, value: Duration, micros: bool) -> [u8; 32] {
    let sub = |d: Duration| {
        if micros {
            u64::from(d.subsec_micros())
        } else {
            u64::from(d.subsec_nanos())
        }
    };
    let mut b = [0u8; 32];
    for (i, w) in [
        interval.as_secs(),
        sub(interval),
        value.as_secs(),
        sub(value),
    ]
    .iter()
    .enumerate()
    {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    b
}

/// The process's ITIMER_REAL, created on first use.
fn real_timer(ctx: &mut Ctx) -> u64 {
    if let Some(id) = ctx.task.group.timers().itimer_real {
        return id;
    }
    let id = ctx.kernel.timers.create(Some(TimerSignal {
        target: Arc::downgrade(&ctx.task.group),
        signo: libc::SIGALRM,
        code: SI_KERNEL,
        value: None,
        timer_id: None,
    }));
    ctx.task.group.timers().itimer_real = Some(id);
    id
}

fn check_which(which: i32) -> SysResult<()> {
    match which {
        ITIMER_REAL => Ok(()),
        ITIMER_VIRTUAL | ITIMER_PROF => {
            log::warn!("ITIMER_VIRTUAL/ITIMER_PROF are not implemented");
            Err(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_setitimer(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (which, new, old) = (a.i32(0), a.u64(1), a.u64(2));
    check_which(which)?;
    let (interval, value) = if new == 0 {
        (Duration::ZERO, Duration::ZERO)
    } else {
        read_pair(ctx, new, 1000, 1_000_000)?
    };
    let id = real_timer(ctx);
    let (left, old_interval) = ctx.kernel.timers.set(id, value, interval);
    if old != 0 {
        ctx.task
            .mm
            .copy_out(old, &pair_bytes(old_interval, left, true))?;
    }
    Ok(0)
}

pub fn sys_getitimer(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_which(a.i32(0))?;
    let itimer = ctx.task.group.timers().itimer_real;
    let (left, interval) = match itimer {
        Some(id) => ctx.kernel.timers.get(id),
        None => (Duration::ZERO, Duration::ZERO),
    };
    ctx.task
        .mm
        .copy_out(a.u64(1), &pair_bytes(interval, left, true))?;
    Ok(0)
}

pub fn sys_alarm(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let id = real_timer(ctx);
    let (left, _) =
        ctx.kernel
            .timers
            .set(id, Duration::from_secs(u64::from(a.u32(0))), Duration::ZERO);
    // Linux rounds the time left to the nearest second, and never reports 0 for a
    // pending alarm.
    let mut secs = left.as_secs();
    if (secs == 0 && left.subsec_micros() > 0) || left.subsec_micros() >= 500_000 {
        secs += 1;
    }
    Ok(secs)
}

fn check_timer_clock(id: i32) -> SysResult<()> {
    match id {
        clock::CLOCK_REALTIME | clock::CLOCK_MONOTONIC | clock::CLOCK_BOOTTIME => Ok(()),
        clock::CLOCK_PROCESS_CPUTIME_ID | clock::CLOCK_THREAD_CPUTIME_ID => {
            log::warn!("CPU-time timers are not implemented");
            Err(Errno::EINVAL)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_timer_create(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const SIGEV_SIGNAL: i32 = 0;
    const SIGEV_NONE: i32 = 1;
    const SIGEV_THREAD_ID: i32 = 4;
    let (clock_id, sevp, out) = (a.i32(0), a.u64(1), a.u64(2));
    check_timer_clock(clock_id)?;
    let timer_id = {
        let timers = ctx.task.group.timers();
        if timers.posix.len() >= MAX_TIMERS {
            return Err(Errno::EAGAIN);
        }
        (0..).find(|i| !timers.posix.contains_key(i)).unwrap_or(0)
    };
    let (value, signo, notify) = if sevp == 0 {
        (timer_id as u64, libc::SIGALRM, SIGEV_SIGNAL)
    } else {
        let mut b = [0u8; 20];
        ctx.task.mm.copy_in(sevp, &mut b)?;
        let value = u64::from_le_bytes(b[0..8].try_into().unwrap_or_default());
        let signo = i32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
        let notify = i32::from_le_bytes(b[12..16].try_into().unwrap_or_default());
        let tid = i32::from_le_bytes(b[16..20].try_into().unwrap_or_default());
        if notify == SIGEV_THREAD_ID && tid != ctx.task.tid {
            return Err(Errno::EINVAL);
        }
        (value, signo, notify)
    };
    let signal = match notify {
        SIGEV_NONE => None,
        SIGEV_SIGNAL | SIGEV_THREAD_ID => {
            if !(1..=64).contains(&signo) {
                return Err(Errno::EINVAL);
            }
            Some(TimerSignal {
                target: Arc::downgrade(&ctx.task.group),
                signo,
                code: SI_TIMER,
                value: Some(value),
                timer_id: Some(timer_id),
            })
        }
        _ => return Err(Errno::EINVAL),
    };
    ctx.task.mm.write_u32(out, timer_id as u32)?;
    let id = ctx.kernel.timers.create(signal);
    ctx.task
        .group
        .timers()
        .posix
        .insert(timer_id, (id, clock_id));
    Ok(0)
}

fn posix_timer(ctx: &Ctx, timer_id: i32) -> SysResult<(u64, i32)> {
    ctx.task
        .group
        .timers()
        .posix
        .get(&timer_id)
        .copied()
        .ok_or(Errno::EINVAL)
}

pub fn sys_timer_settime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const TIMER_ABSTIME: u64 = 1;
    let (timer_id, flags, new, old) = (a.i32(0), a.u64(1) as u32 as u64, a.u64(2), a.u64(3));
    let (id, clock_id) = posix_timer(ctx, timer_id)?;
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let (interval, mut value) = read_pair(ctx, new, 1, 1_000_000_000)?;
    if flags & TIMER_ABSTIME != 0 && !value.is_zero() {
        let now = ctx.kernel.clock.now(clock_id, ctx.task.cpu_time)?;
        // A time already past fires at once.
        value = value.saturating_sub(now).max(Duration::from_nanos(1));
    }
    let (left, old_interval) = ctx.kernel.timers.set(id, value, interval);
    if old != 0 {
        ctx.task
            .mm
            .copy_out(old, &pair_bytes(old_interval, left, false))?;
    }
    Ok(0)
}

pub fn sys_timer_gettime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (id, _) = posix_timer(ctx, a.i32(0))?;
    let (left, interval) = ctx.kernel.timers.get(id);
    ctx.task
        .mm
        .copy_out(a.u64(1), &pair_bytes(interval, left, false))?;
    Ok(0)
}

pub fn sys_timer_getoverrun(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (id, _) = posix_timer(ctx, a.i32(0))?;
    Ok(ctx.kernel.timers.overrun(id).max(0) as u64)
}

pub fn sys_timer_delete(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (id, _) = posix_timer(ctx, a.i32(0))?;
    ctx.task.group.timers().posix.remove(&a.i32(0));
    ctx.kernel.timers.delete(id);
    Ok(0)
}

/// Runs `f` on the timerfd behind `fd`: EBADF for no descriptor, EINVAL for another
/// kind of file.
fn with_timerfd<R>(ctx: &Ctx, fd: i32, f: impl FnOnce(&TimerFd) -> R) -> SysResult<R> {
    let file = ctx.task.fds.get(fd)?;
    let timer = file.inode_as::<TimerFd>().ok_or(Errno::EINVAL)?;
    Ok(f(timer))
}

pub fn sys_timerfd_create(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const CLOCK_REALTIME_ALARM: i32 = 8;
    const CLOCK_BOOTTIME_ALARM: i32 = 9;
    const TFD_CLOEXEC: u32 = 0o2_000_000;
    const TFD_NONBLOCK: u32 = 0o4000;
    let (clock_id, flags) = (a.i32(0), a.u32(1));
    match clock_id {
        clock::CLOCK_REALTIME | clock::CLOCK_MONOTONIC | clock::CLOCK_BOOTTIME => {}
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM if ctx.task.creds.euid == 0 => {}
        CLOCK_REALTIME_ALARM | CLOCK_BOOTTIME_ALARM => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    }
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    // The alarm clocks would also wake a suspended machine: here they are the others.
    let base_clock = match clock_id {
        CLOCK_REALTIME_ALARM => clock::CLOCK_REALTIME,
        CLOCK_BOOTTIME_ALARM => clock::CLOCK_BOOTTIME,
        id => id,
    };
    let inode = TimerFd::new(&ctx.kernel.timers, base_clock);
    let dentry = crate::fs::eventfd::anon_dentry(inode, "timerfd");
    let file = crate::fs::file::OpenFile::new(
        crate::fs::file::FileKind::Node(dentry),
        crate::fs::file::O_RDWR | (flags & TFD_NONBLOCK),
    );
    let fd = ctx.task.fds.install(file, 0, flags & TFD_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

pub fn sys_timerfd_settime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const TFD_TIMER_ABSTIME: u32 = 1;
    const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
    let (fd, flags, new, old) = (a.i32(0), a.u32(1), a.u64(2), a.u64(3));
    let (interval, mut value) = read_pair(ctx, new, 1, 1_000_000_000)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let clock_id = with_timerfd(ctx, fd, |timer| timer.clock())?;
    if flags & TFD_TIMER_ABSTIME != 0 && !value.is_zero() {
        let now = ctx.kernel.clock.now(clock_id, ctx.task.cpu_time)?;
        // A time already past fires at once.
        value = value.saturating_sub(now).max(Duration::from_nanos(1));
    }
    let (left, old_interval) = with_timerfd(ctx, fd, |timer| timer.set(value, interval))?;
    if old != 0 {
        ctx.task
            .mm
            .copy_out(old, &pair_bytes(old_interval, left, false))?;
    }
    Ok(0)
}

pub fn sys_timerfd_gettime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (left, interval) = with_timerfd(ctx, a.i32(0), |timer| timer.get())?;
    ctx.task
        .mm
        .copy_out(a.u64(1), &pair_bytes(interval, left, false))?;
    Ok(0)
}
