//! Signal syscalls: dispositions, masks, sending (kill, tkill, tgkill, sigqueue),
//! waiting (sigsuspend, pause, sigtimedwait), pending sets, the alternate stack and
//! rt_sigreturn.

use std::sync::Arc;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::eventfd::anon_dentry;
use crate::fs::file::{FileKind, OpenFile, O_RDWR};
use crate::fs::pidfd::PidFd;
use crate::fs::signalfd::SignalFd;
use crate::kernel::signal::{
    bit, AltStack, Posted, SigAction, SigSet, SIGKILL, SIGSTOP, SI_TKILL, SI_USER,
};
use crate::kernel::thread_group::ThreadGroup;
use crate::kernel::wait::Interrupted;
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
        ctx.task
            .group
            .set_ignored(ctx.task.signals.ignored(), bit(signo as i32));
        if signo == libc::SIGCHLD as u64 {
            // SIGCHLD set to SIG_IGN, or SA_NOCLDWAIT: children are not kept as zombies.
            const SA_NOCLDSTOP: u64 = 1;
            const SA_NOCLDWAIT: u64 = 2;
            let action = ctx.task.signals.action(signo)?;
            let auto = action.handler == crate::kernel::signal::SIG_IGN
                || action.flags & SA_NOCLDWAIT != 0;
            ctx.kernel.tree.set_child_signal_flags(
                ctx.task.pid,
                auto,
                action.flags & SA_NOCLDSTOP != 0,
            );
        }
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

/// What kill(2) and its kin record of the sender (SI_USER, its pid and uid).
fn sent_by_user(ctx: &Ctx) -> Posted {
    Posted {
        code: SI_USER,
        sender: Some((ctx.task.pid, ctx.task.creds.uid)),
        status: 0,
        value: None,
    }
}

pub fn sys_kill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (pid, signo) = (a.i32(0), a.i32(1));
    check_signal(signo)?;
    if pid == i32::MIN {
        return Err(Errno::ESRCH);
    }
    let targets = ctx.kernel.tree.kill_targets(ctx.task.pid, pid)?;
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    if signo != 0 {
        let posted = sent_by_user(ctx);
        for (pid, group) in targets {
            deliver_to(ctx, pid, &group, signo, posted);
        }
    }
    Ok(0)
}

/// Posts `signo` to process `pid`; SIGCONT also resumes it at once (even if it
/// blocks or ignores SIGCONT) and discards its pending stop signals; a stop signal
/// discards a pending SIGCONT.
fn deliver_to(ctx: &Ctx, pid: i32, group: &ThreadGroup, signo: i32, posted: Posted) {
    const STOP_SIGNALS: SigSet = bit(SIGSTOP) | bit(20) | bit(21) | bit(22);
    if signo == libc::SIGCONT {
        group.inbox.discard(STOP_SIGNALS);
        ctx.kernel.tree.resume(pid);
    } else if STOP_SIGNALS & bit(signo) != 0 {
        group.inbox.discard(bit(libc::SIGCONT));
    }
    group.post(signo, posted);
}

/// Sends `signo` to thread `tid` (of process `tgid` if given). Threads are processes
/// today: a thread id is a process id.
fn kill_thread(ctx: &mut Ctx, tgid: Option<i32>, tid: i32, signo: i32) -> SysResult<u64> {
    if tid <= 0 || tgid.is_some_and(|g| g <= 0) {
        return Err(Errno::EINVAL);
    }
    check_signal(signo)?;
    let inbox = ctx
        .kernel
        .tree
        .thread_inbox(tgid, tid)
        .ok_or(Errno::ESRCH)?;
    if signo != 0 {
        if signo == libc::SIGCONT {
            ctx.kernel.tree.resume(tgid.unwrap_or(tid));
        }
        inbox.post(
            signo,
            Posted {
                code: SI_TKILL,
                sender: Some((ctx.task.pid, ctx.task.creds.uid)),
                status: 0,
                value: None,
            },
        );
    }
    Ok(0)
}

pub fn sys_tkill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    kill_thread(ctx, None, a.i32(0), a.i32(1))
}

pub fn sys_tgkill(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    kill_thread(ctx, Some(a.i32(0)), a.i32(1), a.i32(2))
}

/// rt_sigqueueinfo / rt_tgsigqueueinfo: a signal with the caller's siginfo (its
/// si_code must be negative, as for any process but oneself on Linux).
fn queue_info(ctx: &mut Ctx, pid: i32, tid: Option<i32>, signo: i32, info: u64) -> SysResult<u64> {
    check_signal(signo)?;
    let mut raw = [0u8; 128];
    ctx.task.mm.copy_in(info, &mut raw)?;
    let field = |at: usize| i32::from_le_bytes(raw[at..at + 4].try_into().unwrap_or_default());
    let code = field(8);
    if (code >= 0 || code == SI_TKILL) && pid != ctx.task.pid {
        return Err(Errno::EPERM);
    }
    if pid <= 0 || tid.is_some_and(|t| t <= 0) {
        return Err(Errno::EINVAL);
    }
    if tid.is_some_and(|t| t != pid) {
        return Err(Errno::ESRCH);
    }
    let targets = ctx.kernel.tree.kill_targets(ctx.task.pid, pid)?;
    if signo == 0 {
        return Ok(0);
    }
    let posted = Posted {
        code,
        sender: Some((field(16), field(20) as u32)),
        status: 0,
        value: Some(u64::from_le_bytes(
            raw[24..32].try_into().unwrap_or_default(),
        )),
    };
    for (_, group) in targets {
        if !group.post(signo, posted) {
            return Err(Errno::EAGAIN);
        }
    }
    Ok(0)
}

pub fn sys_rt_sigqueueinfo(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    queue_info(ctx, a.i32(0), None, a.i32(1), a.u64(2))
}

pub fn sys_rt_tgsigqueueinfo(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    queue_info(ctx, a.i32(0), Some(a.i32(1)), a.i32(2), a.u64(3))
}

fn read_sigset(ctx: &mut Ctx, addr: u64, size: u64) -> SysResult<SigSet> {
    if size != SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    ctx.task.mm.read_u64(addr)
}

pub fn sys_rt_sigsuspend(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let mask = read_sigset(ctx, a.u64(0), a.u64(1))?;
    let old = ctx.task.signals.blocked;
    ctx.task.signals.set_blocked(mask);
    ctx.task.saved_mask = Some(old);
    let _ = ctx.task.block_on(&[], None, true, || None::<()>);
    Err(Errno::EINTR)
}

pub fn sys_pause(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    let _ = ctx.task.block_on(&[], None, true, || None::<()>);
    Err(Errno::EINTR)
}

pub fn sys_rt_sigpending(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    if a.u64(1) > SIGSET_SIZE {
        return Err(Errno::EINVAL);
    }
    let pending = ctx.task.pending_signals() & ctx.task.signals.blocked;
    let bytes = pending.to_le_bytes();
    ctx.task.mm.copy_out(a.u64(0), &bytes[..a.usize(1)])?;
    Ok(0)
}

pub fn sys_rt_sigtimedwait(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (set_addr, info_addr, timeout_addr) = (a.u64(0), a.u64(1), a.u64(2));
    let set = read_sigset(ctx, set_addr, a.u64(3))? & !(bit(SIGKILL) | bit(SIGSTOP));
    let deadline = if timeout_addr == 0 {
        None
    } else {
        let d = super::time::read_timespec(ctx, timeout_addr)?;
        Some(std::time::Instant::now() + d.min(std::time::Duration::from_secs(1 << 32)))
    };
    let (inbox, group) = (ctx.task.inbox.clone(), ctx.task.group.clone());
    let take = || {
        let ready = (inbox.pending() | group.inbox.pending()) & set;
        (ready != 0).then(|| {
            let signo = ready.trailing_zeros() as i32 + 1;
            let posted = inbox
                .take_signal(signo)
                .or_else(|| group.inbox.take_signal(signo));
            (signo, posted.unwrap_or_default())
        })
    };
    // The waited-for signals are normally blocked; others interrupt the wait.
    let (signo, posted) = match ctx.task.block_on(&[], deadline, true, take) {
        Ok(found) => found,
        Err(Interrupted::TimedOut) => return Err(Errno::EAGAIN),
        Err(Interrupted::Signal) => return Err(Errno::EINTR),
    };
    if info_addr != 0 {
        let mut info = [0u8; 128];
        info[0..4].copy_from_slice(&signo.to_le_bytes());
        info[8..12].copy_from_slice(&posted.code.to_le_bytes());
        if let Some((pid, uid)) = posted.sender {
            info[16..20].copy_from_slice(&pid.to_le_bytes());
            info[20..24].copy_from_slice(&uid.to_le_bytes());
        }
        if let Some(value) = posted.value {
            info[24..32].copy_from_slice(&value.to_le_bytes());
        } else if signo == libc::SIGCHLD {
            info[24..28].copy_from_slice(&posted.status.to_le_bytes());
        }
        ctx.task.mm.copy_out(info_addr, &info)?;
    }
    Ok(signo as u64)
}

pub fn sys_sigaltstack(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (new, old) = (a.u64(0), a.u64(1));
    let sp = ctx.vcpu()?.regs().rsp;
    let current = ctx.task.signals.alt_stack;
    if new != 0 {
        let mut b = [0u8; 24];
        ctx.task.mm.copy_in(new, &mut b)?;
        let word = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default());
        let wanted = AltStack {
            sp: word(0),
            flags: word(8) as u32,
            size: word(16),
        };
        ctx.task.signals.alt_stack.replace(wanted, sp)?;
    }
    if old != 0 {
        let mut b = [0u8; 24];
        b[..8].copy_from_slice(&current.sp.to_le_bytes());
        b[8..12].copy_from_slice(&current.reported_flags(sp).to_le_bytes());
        b[16..].copy_from_slice(&current.size.to_le_bytes());
        ctx.task.mm.copy_out(old, &b)?;
    }
    Ok(0)
}

pub fn sys_rt_sigreturn(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    let size = ctx.kernel.fpu_state_size;
    let vcpu = ctx.vcpu.as_deref_mut().ok_or(crate::errno::NEEDS_VCPU)?;
    if kernel::signal_frame::sigreturn(ctx.task, vcpu, size).is_err() {
        // A corrupt frame: Linux kills with SIGSEGV.
        kernel::send_signal(ctx.task, 11, crate::kernel::signal::SI_KERNEL);
        let _ = ctx.task.signals.set_action(11, SigAction::default());
    }
    ctx.task.keep_registers = true;
    Ok(0)
}

/// signalfd4(2): a descriptor that reads the blocked signals of `mask`, or a new mask
/// for an existing one.
pub fn sys_signalfd4(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const SFD_CLOEXEC: u32 = 0o2_000_000;
    const SFD_NONBLOCK: u32 = 0o4000;
    let (fd, flags) = (a.i32(0), a.u32(3));
    let mask = read_sigset(ctx, a.u64(1), a.u64(2))?;
    if flags & !(SFD_CLOEXEC | SFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    if fd != -1 {
        let file = ctx.task.fds.get(fd)?;
        let signalfd = file.inode_as::<SignalFd>().ok_or(Errno::EINVAL)?;
        signalfd.set_mask(mask);
        return Ok(fd as u64);
    }
    let inode = Arc::new(SignalFd::new(
        mask,
        ctx.task.inbox.clone(),
        ctx.task.group.inbox.clone(),
    ));
    let file = OpenFile::new(
        FileKind::Node(anon_dentry(inode, "signalfd")),
        O_RDWR | (flags & SFD_NONBLOCK),
    );
    let fd = ctx.task.fds.install(file, 0, flags & SFD_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

pub fn sys_signalfd(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    sys_signalfd4(ctx, &Args([a.u64(0), a.u64(1), a.u64(2), 0, 0, 0]))
}

/// The process behind pidfd `fd` (EBADF for anything else), if it still exists:
/// its pid and thread group.
pub fn pidfd_target(ctx: &Ctx, fd: i32) -> SysResult<(i32, Arc<ThreadGroup>)> {
    let file = ctx.task.fds.get(fd)?;
    let pidfd = file.inode_as::<PidFd>().ok_or(Errno::EBADF)?;
    Ok((pidfd.pid, pidfd.group.clone()))
}

/// pidfd_open(2). The descriptor is always close-on-exec.
pub fn sys_pidfd_open(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const PIDFD_NONBLOCK: u32 = 0o4000;
    let (pid, flags) = (a.i32(0), a.u32(1));
    if pid <= 0 || flags & !PIDFD_NONBLOCK != 0 {
        return Err(Errno::EINVAL);
    }
    let (pid, group) = ctx
        .kernel
        .tree
        .kill_targets(ctx.task.pid, pid)?
        .into_iter()
        .next()
        .ok_or(Errno::ESRCH)?;
    let inode = Arc::new(PidFd { pid, group });
    let file = OpenFile::new(
        FileKind::Node(anon_dentry(inode, "pidfd")),
        O_RDWR | (flags & PIDFD_NONBLOCK),
    );
    let fd = ctx.task.fds.install(file, 0, true)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

/// pidfd_send_signal(2): as kill(2) (a NULL `info`), to the process the pidfd names
/// (ESRCH once it is reaped), its thread or its process group.
pub fn sys_pidfd_send_signal(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const PIDFD_SIGNAL_THREAD: u32 = 1;
    const PIDFD_SIGNAL_THREAD_GROUP: u32 = 2;
    const PIDFD_SIGNAL_PROCESS_GROUP: u32 = 4;
    let (fd, signo, info, flags) = (a.i32(0), a.i32(1), a.u64(2), a.u32(3));
    let known = PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP;
    if flags & !known != 0 || flags.count_ones() > 1 {
        return Err(Errno::EINVAL);
    }
    let (pid, group) = pidfd_target(ctx, fd)?;
    check_signal(signo)?;
    if info != 0 {
        // A caller-made siginfo (its si_code must say it is not the kernel's).
        log::warn!("pidfd_send_signal with a siginfo is not implemented");
        return Err(Errno::EINVAL);
    }
    let alive = ctx
        .kernel
        .tree
        .kill_targets(ctx.task.pid, pid)
        .is_ok_and(|t| t.iter().any(|(_, g)| Arc::ptr_eq(g, &group)));
    if !alive {
        return Err(Errno::ESRCH);
    }
    if flags & PIDFD_SIGNAL_PROCESS_GROUP != 0 {
        let pgid = ctx.kernel.tree.pgid(pid)?;
        return sys_kill(ctx, &Args([(-pgid) as u64, signo as u64, 0, 0, 0, 0]));
    }
    if signo != 0 {
        let posted = sent_by_user(ctx);
        match group.thread(pid) {
            Some(leader) if flags & PIDFD_SIGNAL_THREAD != 0 => {
                leader.post(signo, posted);
            }
            _ => deliver_to(ctx, pid, &group, signo, posted),
        }
    }
    Ok(0)
}
