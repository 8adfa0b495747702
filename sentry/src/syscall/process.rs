//! Process and identity syscalls: exit, ids, arch_prctl, thread bookkeeping, uname,
//! resource limits, affinity, getrandom.

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::task::{ExitStatus, Rlimit, COMM_LEN, RLIMIT_COUNT, RLIMIT_NOFILE};
use crate::kernel::Ctx;

/// Ends the calling thread; the process ends with its last thread.
pub fn sys_exit(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.exit = Some(ExitStatus::Exited(a.u64(0) as u8));
    Ok(0)
}

/// Ends every thread of the process.
pub fn sys_exit_group(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let status = ctx
        .task
        .group
        .exit_all(ExitStatus::Exited(a.u64(0) as u8), ctx.task.tid);
    ctx.task.exit = Some(status);
    Ok(0)
}

pub fn sys_getpid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(ctx.task.pid as u64)
}

pub fn sys_gettid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(ctx.task.tid as u64)
}

pub fn sys_getuid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(u64::from(ctx.task.creds.uid))
}

pub fn sys_geteuid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(u64::from(ctx.task.creds.euid))
}

pub fn sys_getgid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(u64::from(ctx.task.creds.gid))
}

pub fn sys_getegid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(u64::from(ctx.task.creds.egid))
}

pub fn sys_arch_prctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    const ARCH_GET_CPUID: u64 = 0x1011;
    const ARCH_SET_CPUID: u64 = 0x1012;
    let (code, addr) = (a.u64(0), a.u64(1));
    let vcpu_err = |e: vmm::VcpuError| {
        log::error!("arch_prctl: {e}");
        Errno::EIO
    };
    match code {
        ARCH_SET_FS | ARCH_SET_GS => {
            if addr >= crate::mm::USER_VIRT_END {
                return Err(Errno::EPERM);
            }
            if code == ARCH_SET_FS {
                ctx.vcpu()?.set_fs_base(addr).map_err(vcpu_err)?;
            } else {
                ctx.vcpu()?.set_gs_base(addr).map_err(vcpu_err)?;
            }
            Ok(0)
        }
        ARCH_GET_FS | ARCH_GET_GS => {
            let (fs, gs) = ctx.vcpu()?.segment_bases().map_err(vcpu_err)?;
            ctx.task
                .mm
                .write_u64(addr, if code == ARCH_GET_FS { fs } else { gs })?;
            Ok(0)
        }
        ARCH_GET_CPUID => Ok(1),
        // CPUID faulting is not offered; Linux says ENODEV where the CPU lacks it.
        ARCH_SET_CPUID => Err(Errno::ENODEV),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_set_tid_address(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.clear_child_tid = a.u64(0);
    Ok(ctx.task.tid as u64)
}

pub fn sys_set_robust_list(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const ROBUST_LIST_HEAD_SIZE: u64 = 24;
    if a.u64(1) != ROBUST_LIST_HEAD_SIZE {
        return Err(Errno::EINVAL);
    }
    ctx.task.robust_list = Some((a.u64(0), a.u64(1)));
    Ok(0)
}

/// get_robust_list(2): the list head set_robust_list registered (NULL if none), and
/// its size. Only the caller's own (or its tid's).
pub fn sys_get_robust_list(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const ROBUST_LIST_HEAD_SIZE: u64 = 24;
    let (tid, head_ptr, len_ptr) = (a.i32(0), a.u64(1), a.u64(2));
    if tid != 0 && tid != ctx.task.tid {
        return Err(Errno::ESRCH);
    }
    let head = ctx.task.robust_list.map_or(0, |(head, _)| head);
    ctx.task.mm.write_u64(len_ptr, ROBUST_LIST_HEAD_SIZE)?;
    ctx.task.mm.write_u64(head_ptr, head)?;
    Ok(0)
}

/// The name fields of `struct utsname` (65 bytes each).
const UTS_FIELDS: [&str; 6] = {
    use crate::kernel::system::*;
    [SYSNAME, HOSTNAME, RELEASE, VERSION, MACHINE, DOMAINNAME]
};

pub fn sys_uname(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let mut buf = [0u8; 65 * 6];
    for (i, field) in UTS_FIELDS.iter().enumerate() {
        buf[i * 65..i * 65 + field.len()].copy_from_slice(field.as_bytes());
    }
    ctx.task.mm.copy_out(a.u64(0), &buf)?;
    Ok(0)
}

pub fn sys_getrandom(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const GRND_NONBLOCK: u32 = 1;
    const GRND_RANDOM: u32 = 2;
    const GRND_INSECURE: u32 = 4;
    /// Bytes returned per call at most; callers loop, as the man page tells them to.
    const MAX_PER_CALL: usize = 1 << 20;
    let (buf, len, flags) = (a.u64(0), a.usize(1), a.u32(2));
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(MAX_PER_CALL);
    if len == 0 {
        return Ok(0);
    }
    ctx.task.mm.check_writable(buf, len)?;
    let mut bytes = vec![0u8; len];
    ctx.kernel.random.fill(&mut bytes);
    ctx.task.mm.copy_out(buf, &bytes)?;
    Ok(len as u64)
}

fn check_own_pid(ctx: &Ctx, pid: i32) -> SysResult<()> {
    if pid == 0 || pid == ctx.task.pid {
        Ok(())
    } else if pid < 0 {
        Err(Errno::EINVAL)
    } else {
        Err(Errno::ESRCH)
    }
}

fn rlimit_index(resource: u32) -> SysResult<usize> {
    let i = resource as usize;
    if i < RLIMIT_COUNT {
        Ok(i)
    } else {
        Err(Errno::EINVAL)
    }
}

fn read_rlimit(ctx: &mut Ctx, addr: u64) -> SysResult<Rlimit> {
    let mut b = [0u8; 16];
    ctx.task.mm.copy_in(addr, &mut b)?;
    let cur = u64::from_le_bytes(b[..8].try_into().map_err(|_| Errno::EFAULT)?);
    let max = u64::from_le_bytes(b[8..].try_into().map_err(|_| Errno::EFAULT)?);
    Ok(Rlimit { cur, max })
}

fn write_rlimit(ctx: &mut Ctx, addr: u64, r: Rlimit) -> SysResult<()> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&r.cur.to_le_bytes());
    b[8..].copy_from_slice(&r.max.to_le_bytes());
    ctx.task.mm.copy_out(addr, &b)
}

/// Applies a new limit with Linux's checks.
fn set_rlimit(ctx: &mut Ctx, i: usize, new: Rlimit) -> SysResult<()> {
    let old = ctx.task.rlimits[i];
    if new.cur > new.max {
        return Err(Errno::EINVAL);
    }
    let privileged = ctx.task.creds.euid == 0;
    // The descriptor limit never rises above the one the sandbox started with (the
    // host's), whoever asks: as for a root without CAP_SYS_RESOURCE in a container.
    if new.max > old.max && (!privileged || i == RLIMIT_NOFILE) {
        return Err(Errno::EPERM);
    }
    if i == RLIMIT_NOFILE {
        ctx.task.fds.set_limit(new.cur as usize);
    }
    ctx.task.rlimits[i] = new;
    Ok(())
}

pub fn sys_prlimit64(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_own_pid(ctx, a.i32(0))?;
    let i = rlimit_index(a.u32(1))?;
    let new = if a.u64(2) != 0 {
        Some(read_rlimit(ctx, a.u64(2))?)
    } else {
        None
    };
    let old = ctx.task.rlimits[i];
    if let Some(new) = new {
        set_rlimit(ctx, i, new)?;
    }
    if a.u64(3) != 0 {
        write_rlimit(ctx, a.u64(3), old)?;
    }
    Ok(0)
}

pub fn sys_getrlimit(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let i = rlimit_index(a.u32(0))?;
    let r = ctx.task.rlimits[i];
    write_rlimit(ctx, a.u64(1), r)?;
    Ok(0)
}

pub fn sys_setrlimit(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let i = rlimit_index(a.u32(0))?;
    let new = read_rlimit(ctx, a.u64(1))?;
    set_rlimit(ctx, i, new).map(|()| 0)
}

/// The kernel's cpumask size for our CPU count: one long.
const MASK_BYTES: usize = 8;

/// Every online CPU, as an affinity mask.
fn all_cpus() -> u64 {
    u64::MAX >> (64 - crate::kernel::system::online_cpus())
}

/// A pid or tid that sched_*affinity may name: 0, or any live task's.
fn check_task_exists(ctx: &Ctx, pid: i32) -> SysResult<()> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || pid == ctx.task.tid || ctx.kernel.tree.thread_inbox(None, pid).is_some() {
        return Ok(());
    }
    Err(Errno::ESRCH)
}

pub fn sys_sched_getaffinity(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_task_exists(ctx, a.i32(0))?;
    let len = a.usize(1);
    if len < MASK_BYTES || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    ctx.task.mm.copy_out(a.u64(2), &all_cpus().to_le_bytes())?;
    Ok(MASK_BYTES as u64)
}

/// Accepted when the mask names an online CPU; tasks are not pinned (the host
/// schedules the vCPU threads).
pub fn sys_sched_setaffinity(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_task_exists(ctx, a.i32(0))?;
    let len = a.usize(1).min(MASK_BYTES);
    let mut mask = [0u8; MASK_BYTES];
    ctx.task.mm.copy_in(a.u64(2), &mut mask[..len])?;
    if u64::from_le_bytes(mask) & all_cpus() == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// membarrier(2): QUERY and the private-expedited commands. Every other thread of
/// the process is kicked out of guest code (a VM exit serializes its CPU).
pub fn sys_membarrier(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const QUERY: u32 = 0;
    const GLOBAL: u32 = 1;
    const PRIVATE_EXPEDITED: u32 = 8;
    const REGISTER_PRIVATE_EXPEDITED: u32 = 16;
    if a.u32(1) != 0 {
        return Err(Errno::EINVAL);
    }
    match a.u32(0) {
        QUERY => Ok(u64::from(
            GLOBAL | PRIVATE_EXPEDITED | REGISTER_PRIVATE_EXPEDITED,
        )),
        REGISTER_PRIVATE_EXPEDITED => Ok(0),
        GLOBAL | PRIVATE_EXPEDITED => {
            ctx.task.group.poke_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_yield(_: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(0)
}

pub fn sys_prctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const PR_SET_PDEATHSIG: u32 = 1;
    const PR_GET_PDEATHSIG: u32 = 2;
    const PR_GET_DUMPABLE: u32 = 3;
    const PR_SET_DUMPABLE: u32 = 4;
    const PR_SET_NAME: u32 = 15;
    const PR_GET_NAME: u32 = 16;
    const PR_SET_CHILD_SUBREAPER: u32 = 36;
    const PR_GET_CHILD_SUBREAPER: u32 = 37;
    let arg = a.u64(1);
    match a.u32(0) {
        PR_SET_NAME => {
            let mut name = [0u8; COMM_LEN + 1];
            // The name is read up to 16 bytes; it need not be NUL-terminated.
            let mut got = 0;
            while got < COMM_LEN {
                let mut b = [0u8; 1];
                ctx.task.mm.copy_in(arg + got as u64, &mut b)?;
                if b[0] == 0 {
                    break;
                }
                name[got] = b[0];
                got += 1;
            }
            ctx.task.comm = name[..got].to_vec();
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; COMM_LEN + 1];
            name[..ctx.task.comm.len()].copy_from_slice(&ctx.task.comm);
            ctx.task.mm.copy_out(arg, &name)?;
            Ok(0)
        }
        PR_SET_PDEATHSIG => {
            let signo = i32::try_from(arg)
                .ok()
                .filter(|s| (0..=64).contains(s))
                .ok_or(Errno::EINVAL)?;
            ctx.kernel.tree.set_death_signal(ctx.task.pid, signo);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let signo = ctx.kernel.tree.death_signal(ctx.task.pid) as u32;
            ctx.task.mm.write_u32(arg, signo)?;
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            ctx.kernel.tree.set_child_subreaper(ctx.task.pid, arg != 0);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let on = ctx.kernel.tree.child_subreaper(ctx.task.pid);
            ctx.task.mm.write_u32(arg, u32::from(on))?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(u64::from(ctx.task.dumpable)),
        PR_SET_DUMPABLE => match arg {
            0 | 1 => {
                ctx.task.dumpable = arg == 1;
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        },
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sysinfo(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (total, free) = ctx.task.mm.memory();
    let mut b = [0u8; 112];
    let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
    put(0, &ctx.kernel.clock.monotonic().as_secs().to_le_bytes());
    put(32, &total.to_le_bytes());
    put(40, &free.to_le_bytes());
    put(80, &(ctx.kernel.registry.pids().len() as u16).to_le_bytes());
    put(104, &1u32.to_le_bytes()); // mem_unit
    ctx.task.mm.copy_out(a.u64(0), &b)?;
    Ok(0)
}

fn timeval_bytes(d: std::time::Duration) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&d.as_secs().to_le_bytes());
    b[8..].copy_from_slice(&u64::from(d.subsec_micros()).to_le_bytes());
    b
}

pub fn sys_getrusage(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const RUSAGE_SELF: i32 = 0;
    const RUSAGE_CHILDREN: i32 = -1;
    const RUSAGE_THREAD: i32 = 1;
    let who = a.i32(0);
    let user = match who {
        RUSAGE_SELF | RUSAGE_THREAD => ctx.task.cpu_time,
        RUSAGE_CHILDREN => ctx.kernel.tree.children_time(ctx.task.pid),
        _ => return Err(Errno::EINVAL),
    };
    let mut b = [0u8; 144];
    b[..16].copy_from_slice(&timeval_bytes(user));
    if who != RUSAGE_CHILDREN {
        // ru_maxrss in KiB.
        let rss_kib = ctx.task.mm.stats().pages_realized * 4;
        b[32..40].copy_from_slice(&rss_kib.to_le_bytes());
    }
    ctx.task.mm.copy_out(a.u64(1), &b)?;
    Ok(0)
}

pub fn sys_times(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let ticks = |d: std::time::Duration| (d.as_millis() / 10) as u64;
    if a.u64(0) != 0 {
        let mut b = [0u8; 32];
        b[..8].copy_from_slice(&ticks(ctx.task.cpu_time).to_le_bytes());
        let children = ctx.kernel.tree.children_time(ctx.task.pid);
        b[16..24].copy_from_slice(&ticks(children).to_le_bytes());
        ctx.task.mm.copy_out(a.u64(0), &b)?;
    }
    Ok(ticks(ctx.kernel.clock.monotonic()))
}

fn check_priority_target(ctx: &Ctx, which: i32, who: i32) -> SysResult<()> {
    const PRIO_PROCESS: i32 = 0;
    const PRIO_PGRP: i32 = 1;
    const PRIO_USER: i32 = 2;
    let me = match which {
        PRIO_PROCESS | PRIO_PGRP => who == 0 || who == ctx.task.pid,
        PRIO_USER => who == 0 || who as u32 == ctx.task.creds.uid,
        _ => return Err(Errno::EINVAL),
    };
    if me {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

pub fn sys_getpriority(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_priority_target(ctx, a.i32(0), a.i32(1))?;
    // The kernel returns 20 - nice, so that the value is never negative.
    Ok((20 - ctx.task.nice) as u64)
}

pub fn sys_setpriority(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_priority_target(ctx, a.i32(0), a.i32(1))?;
    let nice = a.i32(2).clamp(-20, 19);
    if nice < ctx.task.nice && ctx.task.creds.euid != 0 {
        return Err(Errno::EACCES);
    }
    ctx.task.nice = nice;
    Ok(0)
}

/// ioprio_get/ioprio_set's target: IOPRIO_WHO_PROCESS (a thread), _PGRP or _USER;
/// only the caller's own can be reached (others: ESRCH, as for getpriority).
fn check_ioprio_target(ctx: &Ctx, which: i32, who: i32) -> SysResult<()> {
    const IOPRIO_WHO_PROCESS: i32 = 1;
    const IOPRIO_WHO_PGRP: i32 = 2;
    const IOPRIO_WHO_USER: i32 = 3;
    let me = match which {
        IOPRIO_WHO_PROCESS => who == 0 || who == ctx.task.tid,
        IOPRIO_WHO_PGRP => who == 0 || who == ctx.task.pid,
        IOPRIO_WHO_USER => who == 0 || who as u32 == ctx.task.creds.uid,
        _ => return Err(Errno::EINVAL),
    };
    if me {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

pub fn sys_ioprio_get(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_ioprio_target(ctx, a.i32(0), a.i32(1))?;
    Ok(u64::from(ctx.task.ioprio))
}

/// ioprio_set(2): recorded, checked as Linux checks it; the sandbox has no block
/// I/O for it to order.
pub fn sys_ioprio_set(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const CLASS_NONE: u32 = 0;
    const CLASS_RT: u32 = 1;
    const CLASS_BE: u32 = 2;
    const CLASS_IDLE: u32 = 3;
    let ioprio = a.u32(2);
    let (class, level) = ((ioprio >> 13) & 0x7, ioprio & 0x7);
    let valid = match class {
        CLASS_RT if ctx.task.creds.euid != 0 => return Err(Errno::EPERM),
        CLASS_RT | CLASS_BE => true,
        CLASS_IDLE => true,
        CLASS_NONE => level == 0,
        _ => false,
    };
    if !valid || ioprio > 0xffff {
        return Err(Errno::EINVAL);
    }
    check_ioprio_target(ctx, a.i32(0), a.i32(1))?;
    ctx.task.ioprio = ioprio as u16;
    Ok(0)
}

pub fn sys_personality(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let old = ctx.task.personality;
    let new = a.u32(0);
    if new != u32::MAX {
        ctx.task.personality = new;
    }
    Ok(u64::from(old))
}

pub fn sys_getcpu(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    for addr in [a.u64(0), a.u64(1)] {
        if addr != 0 {
            ctx.task.mm.write_u32(addr, 0)?;
        }
    }
    Ok(0)
}

/// The sandbox's processes have no supplementary groups.
pub fn sys_getgroups(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let _ = ctx;
    if a.i32(0) < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

pub fn sys_setgroups(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const NGROUPS_MAX: i32 = 65536;
    let size = a.i32(0);
    if !(0..=NGROUPS_MAX).contains(&size) {
        return Err(Errno::EINVAL);
    }
    if ctx.task.creds.euid != 0 {
        return Err(Errno::EPERM);
    }
    if size > 0 {
        // Only the empty set is kept: groups have no meaning inside the sandbox yet.
        return Err(Errno::EINVAL);
    }
    Ok(0)
}

/// The scheduling policies a task may have; every task runs under SCHED_OTHER (the
/// host schedules vCPU threads), and the calls report and check as Linux does.
const SCHED_OTHER: i32 = 0;
const SCHED_FIFO: i32 = 1;
const SCHED_RR: i32 = 2;
const SCHED_BATCH: i32 = 3;
const SCHED_IDLE: i32 = 5;
const SCHED_DEADLINE: i32 = 6;

/// A task a sched_* call names: 0 or any live thread.
fn check_sched_target(ctx: &Ctx, pid: i32) -> SysResult<()> {
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    if pid == 0 || pid == ctx.task.tid || ctx.kernel.tree.thread_inbox(None, pid).is_some() {
        Ok(())
    } else {
        Err(Errno::ESRCH)
    }
}

pub fn sys_sched_getscheduler(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_sched_target(ctx, a.i32(0))?;
    Ok(SCHED_OTHER as u64)
}

/// Only SCHED_OTHER (and BATCH/IDLE, treated alike) with priority 0 is accepted:
/// real-time policies would promise scheduling the sentry does not give (EPERM, as
/// for an unprivileged process).
pub fn sys_sched_setscheduler(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_sched_target(ctx, a.i32(0))?;
    let policy = a.i32(1) & !0x4000_0000; // SCHED_RESET_ON_FORK
    let priority = sched_param(ctx, a.u64(2))?;
    match policy {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE if priority == 0 => Ok(0),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE => Err(Errno::EINVAL),
        SCHED_FIFO | SCHED_RR if (1..=99).contains(&priority) => Err(Errno::EPERM),
        SCHED_FIFO | SCHED_RR | SCHED_DEADLINE => Err(Errno::EINVAL),
        _ => Err(Errno::EINVAL),
    }
}

fn sched_param(ctx: &mut Ctx, addr: u64) -> SysResult<i32> {
    if addr == 0 {
        return Err(Errno::EINVAL);
    }
    let mut b = [0u8; 4];
    ctx.task.mm.copy_in(addr, &mut b)?;
    Ok(i32::from_le_bytes(b))
}

pub fn sys_sched_getparam(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_sched_target(ctx, a.i32(0))?;
    if a.u64(1) == 0 {
        return Err(Errno::EINVAL);
    }
    ctx.task.mm.write_u32(a.u64(1), 0)?;
    Ok(0)
}

pub fn sys_sched_setparam(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_sched_target(ctx, a.i32(0))?;
    match sched_param(ctx, a.u64(1))? {
        0 => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_get_priority_max(_: &mut Ctx, a: &Args) -> SysResult<u64> {
    match a.i32(0) {
        SCHED_FIFO | SCHED_RR => Ok(99),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_get_priority_min(_: &mut Ctx, a: &Args) -> SysResult<u64> {
    match a.i32(0) {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// sched_rr_get_interval: the time slice of SCHED_RR (Linux reports 100 ms; for other
/// policies 0 is as good as any, since the host decides).
pub fn sys_sched_rr_get_interval(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    check_sched_target(ctx, a.i32(0))?;
    ctx.task.mm.copy_out(a.u64(1), &[0u8; 16])?;
    Ok(0)
}
