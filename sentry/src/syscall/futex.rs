//! futex(2): WAIT/WAKE (with bitsets), REQUEUE, CMP_REQUEUE and WAKE_OP over the
//! kernel's futex queues (`kernel::futex`). Priority-inheritance operations give
//! ENOSYS (glibc then falls back to ordinary mutexes).

use std::time::{Duration, Instant};

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::Ctx;

const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;
const FUTEX_REQUEUE: u32 = 3;
const FUTEX_CMP_REQUEUE: u32 = 4;
const FUTEX_WAKE_OP: u32 = 5;
const FUTEX_WAIT_BITSET: u32 = 9;
const FUTEX_WAKE_BITSET: u32 = 10;
const FUTEX_PRIVATE_FLAG: u32 = 128;
const FUTEX_CLOCK_REALTIME: u32 = 256;

fn read_u32(ctx: &mut Ctx, addr: u64) -> SysResult<u32> {
    if !addr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 4];
    ctx.task.mm.copy_in(addr, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// FUTEX_WAKE_OP's operation on the second word; returns whether its comparison held.
fn wake_op(ctx: &mut Ctx, addr: u64, encoded: u32) -> SysResult<bool> {
    let op = (encoded >> 28) & 0x7;
    let shift_arg = encoded & (8 << 28) != 0;
    let cmp = (encoded >> 24) & 0xf;
    let mut oparg = (encoded >> 12) & 0xfff;
    let cmparg = encoded & 0xfff;
    if shift_arg {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let old = read_u32(ctx, addr)?;
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return Err(Errno::ENOSYS),
    };
    ctx.task.mm.write_u32(addr, new)?;
    let (old, cmparg) = (old as i32, cmparg as i32);
    Ok(match cmp {
        0 => old == cmparg,
        1 => old != cmparg,
        2 => old < cmparg,
        3 => old <= cmparg,
        4 => old > cmparg,
        5 => old >= cmparg,
        _ => return Err(Errno::ENOSYS),
    })
}

pub fn sys_futex(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (uaddr, op, val, timeout, uaddr2, val3) =
        (a.u64(0), a.u32(1), a.u32(2), a.u64(3), a.u64(4), a.u32(5));
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    if op & FUTEX_CLOCK_REALTIME != 0 && !matches!(cmd, FUTEX_WAIT | FUTEX_WAIT_BITSET) {
        return Err(Errno::ENOSYS);
    }
    let kernel = ctx.kernel;
    let futexes = &kernel.futexes;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let deadline = if timeout == 0 {
                None
            } else {
                let t = super::time::read_timespec(ctx, timeout)?;
                // FUTEX_WAIT's timeout is relative; the bitset variant's is absolute.
                let relative = if cmd == FUTEX_WAIT {
                    t
                } else {
                    let clock = if op & FUTEX_CLOCK_REALTIME != 0 { 0 } else { 1 };
                    t.saturating_sub(ctx.kernel.clock.now(clock, ctx.task.cpu_time)?)
                };
                Some(Instant::now() + relative.min(Duration::from_secs(1 << 32)))
            };
            let key = ctx.task.mm.futex_key(uaddr, private)?;
            let ticket = {
                let mut queues = futexes.lock();
                if read_u32(ctx, uaddr)? != val {
                    return Err(Errno::EAGAIN);
                }
                queues.enqueue(key, bitset, ctx.task.inbox.waiter.clone())
            };
            let woken = ticket.woken.clone();
            let waited = ctx.task.block_on(&[], deadline, true, || {
                woken
                    .load(std::sync::atomic::Ordering::Acquire)
                    .then_some(())
            });
            match waited {
                Ok(()) => Ok(0),
                Err(why) => {
                    if futexes.cancel(&ticket) {
                        return Ok(0);
                    }
                    Err(match why {
                        crate::kernel::wait::Interrupted::TimedOut => Errno::ETIMEDOUT,
                        crate::kernel::wait::Interrupted::Signal => Errno::EINTR,
                    })
                }
            }
        }
        FUTEX_WAKE | FUTEX_WAKE_BITSET => {
            let bitset = if cmd == FUTEX_WAKE { u32::MAX } else { val3 };
            if bitset == 0 {
                return Err(Errno::EINVAL);
            }
            let key = ctx.task.mm.futex_key(uaddr, private)?;
            Ok(futexes.lock().wake(key, bitset, val as usize) as u64)
        }
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            // The requeue count travels in the timeout argument.
            let requeue = (timeout as u32 as i32).max(0) as usize;
            if (val as i32) < 0 || (timeout as u32 as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            let from = ctx.task.mm.futex_key(uaddr, private)?;
            let to = ctx.task.mm.futex_key(uaddr2, private)?;
            let mut queues = futexes.lock();
            if cmd == FUTEX_CMP_REQUEUE && read_u32(ctx, uaddr)? != val3 {
                return Err(Errno::EAGAIN);
            }
            Ok(queues.requeue(from, to, val as usize, requeue) as u64)
        }
        FUTEX_WAKE_OP => {
            let first = ctx.task.mm.futex_key(uaddr, private)?;
            let second = ctx.task.mm.futex_key(uaddr2, private)?;
            let mut queues = futexes.lock();
            let hit = wake_op(ctx, uaddr2, val3)?;
            let mut woken = queues.wake(first, u32::MAX, val as usize);
            if hit {
                let count = (timeout as u32 as i32).max(0) as usize;
                woken += queues.wake(second, u32::MAX, count);
            }
            Ok(woken as u64)
        }
        // Priority-inheritance locks and FUTEX_WAIT_REQUEUE_PI are not implemented.
        _ => Err(Errno::ENOSYS),
    }
}
