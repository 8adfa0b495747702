//! Signal syscalls: dispositions and the blocked mask are recorded; delivery to
//! handlers arrives with processes.

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::signal::{SigAction, SI_TKILL, SI_USER};
use crate::kernel::{self, Ctx};

const SIGSET_SIZE: u64 = 8;

pub fn sys_rt_sigaction(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (signo, act, oldact) = (a.u64(0) as u32 as u64, a.u64(1), a.u64(2));
    if a.u64(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = ctx.task.signals.action(signo)?;
    if act != 0 {
        let mut raw = [0u8; SigAction::SIZE];
        ctx.task.mm.copy_in(act, &mut raw)?;
        ctx.task
            .signals
            .set_action(signo, SigAction::from_bytes(&raw))?;
    }
    if oldact != 0 {
        ctx.task.mm.copy_out(oldact, &old.to_bytes())?;
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (how, set, oldset) = (a.u64(0) as u32 as u64, a.u64(1), a.u64(2));
    if a.u64(3) != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let old = ctx.task.signals.blocked;
    if set != 0 {
        let new = ctx.task.mm.read_u64(set)?;
        ctx.task.signals.change_mask(how, new)?;
    }
    if oldset != 0 {
        ctx.task.mm.write_u64(oldset, old)?;
    }
    Ok(0)
}

fn check_signal(signo: i32) -> SysResult<()> {
    if (0..=64).contains(&signo) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

pub fn sys_kill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (pid, signo) = (a.i32(0), a.i32(1));
    check_signal(signo)?;
    // The sandbox holds one process, pid 1, alone in process group 1. kill(-1) spares
    // the caller, so it reaches nobody.
    if pid != 0 && pid != ctx.task.pid && pid != -ctx.task.pid {
        return Err(Errno::ESRCH);
    }
    kernel::send_signal(ctx.task, signo, SI_USER);
    Ok(0)
}

pub fn sys_tkill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (tid, signo) = (a.i32(0), a.i32(1));
    if tid <= 0 {
        return Err(Errno::EINVAL);
    }
    check_signal(signo)?;
    if tid != ctx.task.tid {
        return Err(Errno::ESRCH);
    }
    kernel::send_signal(ctx.task, signo, SI_TKILL);
    Ok(0)
}

pub fn sys_tgkill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (tgid, tid, signo) = (a.i32(0), a.i32(1), a.i32(2));
    if tgid <= 0 || tid <= 0 {
        return Err(Errno::EINVAL);
    }
    check_signal(signo)?;
    if tgid != ctx.task.pid || tid != ctx.task.tid {
        return Err(Errno::ESRCH);
    }
    kernel::send_signal(ctx.task, signo, SI_TKILL);
    Ok(0)
}

pub fn sys_sigaltstack(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const SS_ONSTACK: u32 = 1;
    const SS_DISABLE: u32 = 2;
    const SS_AUTODISARM: u32 = 1 << 31;
    const MINSIGSTKSZ: u64 = 2048;
    let (new, old) = (a.u64(0), a.u64(1));
    let current = ctx.task.signals.alt_stack;
    if new != 0 {
        let mut b = [0u8; 24];
        ctx.task.mm.copy_in(new, &mut b)?;
        let sp = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
        let flags = u32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
        let size = u64::from_le_bytes(b[16..].try_into().unwrap_or_default());
        if flags & !(SS_DISABLE | SS_AUTODISARM | SS_ONSTACK) != 0 {
            return Err(Errno::EINVAL);
        }
        ctx.task.signals.alt_stack = if flags & SS_DISABLE != 0 {
            None
        } else {
            if size < MINSIGSTKSZ {
                return Err(Errno::ENOMEM);
            }
            Some((sp, size, flags & SS_AUTODISARM))
        };
    }
    if old != 0 {
        let mut b = [0u8; 24];
        match current {
            Some((sp, size, flags)) => {
                b[..8].copy_from_slice(&sp.to_le_bytes());
                b[8..12].copy_from_slice(&flags.to_le_bytes());
                b[16..].copy_from_slice(&size.to_le_bytes());
            }
            None => b[8..12].copy_from_slice(&SS_DISABLE.to_le_bytes()),
        }
        ctx.task.mm.copy_out(old, &b)?;
    }
    Ok(0)
}

pub fn sys_rt_sigreturn(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    let size = ctx.kernel.fpu_state_size;
    if kernel::signal_frame::sigreturn(ctx.task, ctx.vcpu, size).is_err() {
        // A corrupt frame: Linux kills with SIGSEGV.
        kernel::send_signal(ctx.task, 11, crate::kernel::signal::SI_KERNEL);
        let _ = ctx.task.signals.set_action(11, SigAction::default());
    }
    ctx.task.keep_registers = true;
    Ok(0)
}
