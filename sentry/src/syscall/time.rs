//! Time syscalls, all served from the kernel's clock service.

use std::time::Duration;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::Ctx;
use crate::services::clock;

fn timespec_bytes(d: Duration) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&d.as_secs().to_le_bytes());
    b[8..].copy_from_slice(&u64::from(d.subsec_nanos()).to_le_bytes());
    b
}

/// Reads a `struct timespec` and validates it as a duration (EINVAL when out of range).
/// A `struct timespec` from the guest; EINVAL when negative or not normalized.
pub fn read_timespec(ctx: &mut Ctx, addr: u64) -> SysResult<Duration> {
    let mut b = [0u8; 16];
    ctx.task.mm.copy_in(addr, &mut b)?;
    let secs = i64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
    let nanos = i64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
    if secs < 0 || !(0..1_000_000_000).contains(&nanos) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(secs as u64, nanos as u32))
}

pub fn sys_clock_gettime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let now = ctx.kernel.clock.now(a.i32(0), ctx.task.cpu_time)?;
    ctx.task.mm.copy_out(a.u64(1), &timespec_bytes(now))?;
    Ok(0)
}

pub fn sys_clock_getres(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let res = ctx.kernel.clock.resolution(a.i32(0))?;
    if a.u64(1) != 0 {
        ctx.task.mm.copy_out(a.u64(1), &timespec_bytes(res))?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (tv, tz) = (a.u64(0), a.u64(1));
    if tv != 0 {
        let now = ctx.kernel.clock.realtime();
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&now.as_secs().to_le_bytes());
        b[8..].copy_from_slice(&u64::from(now.subsec_micros()).to_le_bytes());
        ctx.task.mm.copy_out(tv, &b)?;
    }
    if tz != 0 {
        // The sandbox runs in UTC: minuteswest 0, dsttime 0.
        ctx.task.mm.copy_out(tz, &[0u8; 8])?;
    }
    Ok(0)
}

pub fn sys_time(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let secs = ctx.kernel.clock.realtime().as_secs();
    if a.u64(0) != 0 {
        ctx.task.mm.write_u64(a.u64(0), secs)?;
    }
    Ok(secs)
}

/// Sleeps for `d` unless a signal comes first: then EINTR, and the time left is
/// written to `remaining` (if not 0).
fn sleep_interruptibly(ctx: &mut Ctx, d: Duration, remaining: u64) -> SysResult<u64> {
    let deadline = std::time::Instant::now() + d.min(Duration::from_secs(1 << 32));
    match ctx.task.block_on(&[], Some(deadline), true, || None::<()>) {
        Err(crate::kernel::wait::Interrupted::Signal) => {
            if remaining != 0 {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                ctx.task.mm.copy_out(remaining, &timespec_bytes(left))?;
            }
            Err(Errno::EINTR)
        }
        _ => Ok(0),
    }
}

pub fn sys_nanosleep(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let d = read_timespec(ctx, a.u64(0))?;
    sleep_interruptibly(ctx, d, a.u64(1))
}

pub fn sys_clock_nanosleep(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const TIMER_ABSTIME: u64 = 1;
    let (id, flags) = (a.i32(0), a.u64(1) as u32 as u64);
    match id {
        clock::CLOCK_REALTIME
        | clock::CLOCK_MONOTONIC
        | clock::CLOCK_BOOTTIME
        | clock::CLOCK_TAI => {}
        clock::CLOCK_THREAD_CPUTIME_ID => return Err(Errno::EINVAL),
        clock::CLOCK_PROCESS_CPUTIME_ID
        | clock::CLOCK_MONOTONIC_RAW
        | clock::CLOCK_REALTIME_COARSE
        | clock::CLOCK_MONOTONIC_COARSE => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EINVAL),
    }
    if flags & !TIMER_ABSTIME != 0 {
        return Err(Errno::EINVAL);
    }
    let request = read_timespec(ctx, a.u64(2))?;
    let d = if flags & TIMER_ABSTIME != 0 {
        request.saturating_sub(ctx.kernel.clock.now(id, ctx.task.cpu_time)?)
    } else {
        request
    };
    let remaining = if flags & TIMER_ABSTIME != 0 {
        0
    } else {
        a.u64(3)
    };
    sleep_interruptibly(ctx, d, remaining)
}
