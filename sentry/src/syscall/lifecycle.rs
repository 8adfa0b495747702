//! Process lifecycle: fork/vfork/clone, execve, wait4/waitid, process groups and
//! sessions.

use std::sync::Arc;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::process::ProcessInfo;
use crate::kernel::process_tree::{
    ExitRecord, WaitEvent, WaitFor, WaitWants, CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED,
};
use crate::kernel::task::{ExitStatus, VforkDone};
use crate::kernel::wait::Interrupted;
use crate::kernel::{self, exec, Ctx};

const CSIGNAL: u64 = 0xff;
const CLONE_VM: u64 = 0x100;
const CLONE_FS: u64 = 0x200;
const CLONE_FILES: u64 = 0x400;
const CLONE_SIGHAND: u64 = 0x800;
const CLONE_PIDFD: u64 = 0x1000;
const CLONE_PTRACE: u64 = 0x2000;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_PARENT: u64 = 0x8000;
const CLONE_THREAD: u64 = 0x10000;
const CLONE_SYSVSEM: u64 = 0x40000;
const CLONE_SETTLS: u64 = 0x80000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_DETACHED: u64 = 0x40_0000;
const CLONE_UNTRACED: u64 = 0x80_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;

/// Flags a process-creating clone may carry. CLONE_VM is only accepted with
/// CLONE_VFORK (posix_spawn): the child runs on a copy of the parent's memory while
/// the parent waits, which only differs if the child writes memory the parent reads.
const PROCESS_FLAGS: u64 = CSIGNAL
    | CLONE_VM
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_PTRACE
    | CLONE_SYSVSEM;

/// What a new process starts from (clone's and clone3's arguments).
struct CloneArgs {
    flags: u64,
    exit_signal: i32,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
}

pub fn sys_fork(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    clone_process(ctx, CloneArgs::plain(0, libc::SIGCHLD))
}

pub fn sys_vfork(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    clone_process(ctx, CloneArgs::plain(CLONE_VM | CLONE_VFORK, libc::SIGCHLD))
}

impl CloneArgs {
    fn plain(flags: u64, exit_signal: i32) -> Self {
        CloneArgs {
            flags,
            exit_signal,
            stack: 0,
            parent_tid: 0,
            child_tid: 0,
            tls: 0,
        }
    }
}

pub fn sys_clone(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let flags = a.u64(0);
    clone_process(
        ctx,
        CloneArgs {
            flags: flags & !CSIGNAL,
            exit_signal: (flags & CSIGNAL) as i32,
            stack: a.u64(1),
            parent_tid: a.u64(2),
            child_tid: a.u64(3),
            tls: a.u64(4),
        },
    )
}

pub fn sys_clone3(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const CLONE_ARGS_SIZE_VER0: usize = 64;
    let (addr, size) = (a.u64(0), a.usize(1));
    if !(CLONE_ARGS_SIZE_VER0..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; size];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    let word = |i: usize| {
        raw.get(i * 8..i * 8 + 8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    // Fields past the ones we know must be zero (set_tid, cgroup, ...).
    if raw[CLONE_ARGS_SIZE_VER0..].iter().any(|b| *b != 0) {
        return Err(Errno::EINVAL);
    }
    let (flags, exit_signal, stack, stack_size) = (word(0), word(4), word(5), word(6));
    if flags & CSIGNAL != 0 || exit_signal > 64 {
        return Err(Errno::EINVAL);
    }
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    clone_process(
        ctx,
        CloneArgs {
            flags,
            exit_signal: exit_signal as i32,
            stack: stack.wrapping_add(stack_size),
            parent_tid: word(3),
            child_tid: word(2),
            tls: word(7),
        },
    )
}

/// Flags a thread-creating clone may carry.
const THREAD_FLAGS: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_PTRACE;

/// A vCPU for a clone child: the caller's registers (RAX 0, the new stack if given),
/// FS/GS bases (FS the new TLS with CLONE_SETTLS) and FPU state, in the address space
/// rooted at `cr3`. EAGAIN when no vCPU can be had.
fn child_vcpu(ctx: &mut Ctx, args: &CloneArgs, cr3: u64) -> SysResult<vmm::Vcpu> {
    let kernel = ctx.kernel;
    let parent = ctx.vcpu()?;
    let mut regs = *parent.regs();
    regs.rax = 0;
    if args.stack != 0 {
        regs.rsp = args.stack;
    }
    let (fs_base, gs_base) = parent.segment_bases().map_err(|_| Errno::EAGAIN)?;
    let fpu = parent
        .fpu_state(kernel.fpu_state_size)
        .map_err(|_| Errno::EAGAIN)?;
    let mut vcpu = kernel.cpus.acquire(cr3, regs).map_err(|e| {
        log::warn!("clone: no vCPU for the child: {e}");
        Errno::EAGAIN
    })?;
    let fs_base = if args.flags & CLONE_SETTLS != 0 {
        args.tls
    } else {
        fs_base
    };
    let state_set = vcpu
        .set_fs_base(fs_base)
        .and_then(|_| vcpu.set_gs_base(gs_base))
        .and_then(|_| vcpu.set_fpu_state(&fpu));
    if state_set.is_err() {
        kernel.cpus.release(vcpu);
        return Err(Errno::EAGAIN);
    }
    Ok(vcpu)
}

/// A new thread in the caller's process.
fn clone_thread(ctx: &mut Ctx, args: CloneArgs) -> SysResult<u64> {
    let flags = args.flags;
    // CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM (as Linux checks).
    if flags & !THREAD_FLAGS != 0 || flags & (CLONE_SIGHAND | CLONE_VM) != CLONE_SIGHAND | CLONE_VM
    {
        return Err(Errno::EINVAL);
    }
    let kernel = ctx.kernel;
    let tid = kernel.allocate_id();
    let fds = if flags & CLONE_FILES != 0 {
        ctx.task.fds.share()
    } else {
        ctx.task.fds.fork()
    };
    let fs = if flags & CLONE_FS != 0 {
        ctx.task.fs.share()
    } else {
        ctx.task.fs.copy()
    };
    let mut thread = ctx.task.new_thread(tid, fds, fs);
    let vcpu = child_vcpu(ctx, &args, thread.mm.page_table_root())?;
    if !ctx.task.group.add(tid, thread.inbox.clone()) {
        kernel.cpus.release(vcpu);
        return Err(Errno::EAGAIN);
    }
    thread.inbox.set_ignored(ctx.task.signals.ignored(), 0);
    {
        let mut state = ctx.task.info.state();
        state.threads = ctx.task.group.count() as u32;
        state.tids.push(tid);
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = thread.mm.write_u32(args.child_tid, tid as u32);
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        thread.clear_child_tid = args.child_tid;
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = ctx.task.mm.write_u32(args.parent_tid, tid as u32);
    }
    kernel.note_fork();
    if let Err(e) = kernel::spawn(kernel, thread, vcpu) {
        log::error!("cannot start a host thread for a new thread: {e}");
        ctx.task
            .group
            .remove(tid, ExitStatus::Killed(libc::SIGKILL));
        return Err(Errno::EAGAIN);
    }
    Ok(tid as u64)
}

fn clone_process(ctx: &mut Ctx, args: CloneArgs) -> SysResult<u64> {
    let flags = args.flags;
    if flags & CLONE_THREAD != 0 {
        return clone_thread(ctx, args);
    }
    if flags & (CLONE_SIGHAND | CLONE_FILES | CLONE_FS) != 0 {
        log::warn!("clone of a process sharing state ({flags:#x}) is not supported");
        return Err(Errno::EINVAL);
    }
    if flags & !PROCESS_FLAGS != 0 || flags & CLONE_PIDFD != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        return Err(Errno::EINVAL);
    }
    let kernel = ctx.kernel;
    let pid = kernel.allocate_id();
    kernel.note_fork();
    let space = kernel
        .cpus
        .vm()
        .new_address_space()
        .map_err(|_| Errno::ENOMEM)?;
    let vfork = flags & CLONE_VFORK != 0;
    // A vfork child shares the parent's memory until it execs or exits (the parent
    // sleeps meanwhile); others get a copy-on-write copy.
    let child_mm = if vfork {
        drop(space);
        ctx.task.mm.clone()
    } else {
        ctx.task.mm.fork(space)?
    };
    let parent_pid = if flags & CLONE_PARENT != 0 {
        kernel.tree.parent(ctx.task.pid)
    } else {
        ctx.task.pid
    };
    let info = ProcessInfo::new(pid, {
        let mut state = ctx.task.info.state().clone();
        state.ppid = parent_pid;
        state.start_time = kernel.clock.monotonic();
        state
    });
    let mut child = ctx.task.fork(pid, child_mm, info.clone());

    let vcpu = match child_vcpu(ctx, &args, child.mm.page_table_root()) {
        Ok(vcpu) => vcpu,
        Err(e) => {
            child.mm.release();
            return Err(e);
        }
    };
    if let Err(e) = kernel.tree.insert_child(
        parent_pid,
        pid,
        child.group.clone(),
        &info,
        args.exit_signal,
    ) {
        kernel.cpus.release(vcpu);
        child.mm.release();
        return Err(e);
    }
    kernel.registry.register(&info);
    if flags & CLONE_CHILD_SETTID != 0 {
        let _ = child.mm.write_u32(args.child_tid, pid as u32);
    }
    if flags & CLONE_CHILD_CLEARTID != 0 {
        child.clear_child_tid = args.child_tid;
    }
    if flags & CLONE_PARENT_SETTID != 0 {
        let _ = ctx.task.mm.write_u32(args.parent_tid, pid as u32);
    }
    child.publish_memory();
    let vfork_done = vfork.then(|| Arc::new(VforkDone::default()));
    child.vfork_done = vfork_done.clone();
    if let Err(e) = kernel::spawn(kernel, child, vcpu) {
        log::error!("cannot start a host thread for a new process: {e}");
        kernel.tree.exit(
            pid,
            ExitRecord {
                status: ExitStatus::Killed(libc::SIGKILL),
                user_time: Default::default(),
            },
        );
        return Err(Errno::EAGAIN);
    }
    if let Some(done) = vfork_done {
        // The parent sleeps until the child has exec'd or exited (killable only).
        let task = &*ctx.task;
        let _ = task.block_on(&[&done.queue], None, false, || {
            let killed = task.pending_signals() & crate::kernel::signal::bit(libc::SIGKILL) != 0;
            (killed || done.is_done()).then_some(())
        });
    }
    Ok(pid as u64)
}

/// Longest argv or envp string (MAX_ARG_STRLEN) and their combined bound (a quarter
/// of the default 8 MiB stack limit, as Linux).
const MAX_ARG_STRLEN: usize = 32 * 4096;
const MAX_ARG_BYTES: usize = 2 << 20;

/// Reads a NULL-terminated array of string pointers.
fn read_string_array(ctx: &mut Ctx, addr: u64, budget: &mut usize) -> SysResult<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for i in 0u64.. {
        let ptr = ctx
            .task
            .mm
            .read_u64(addr.checked_add(i * 8).ok_or(Errno::EFAULT)?)?;
        if ptr == 0 {
            break;
        }
        let s = ctx
            .task
            .mm
            .read_c_string(ptr, MAX_ARG_STRLEN)
            .map_err(|e| if e == Errno::E2BIG { Errno::E2BIG } else { e })?;
        *budget = budget.checked_sub(s.len() + 1 + 8).ok_or(Errno::E2BIG)?;
        out.push(s);
    }
    Ok(out)
}

pub fn sys_execve(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    exec_at(ctx, libc::AT_FDCWD, a.u64(0), a.u64(1), a.u64(2), 0)
}

pub fn sys_execveat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    exec_at(ctx, a.i32(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
}

fn exec_at(
    ctx: &mut Ctx,
    dirfd: i32,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u64,
) -> SysResult<u64> {
    const AT_EMPTY_PATH: u64 = 0x1000;
    const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let path_bytes = super::path::read_path(ctx, path)?;
    let mut budget = MAX_ARG_BYTES;
    let argv = read_string_array(ctx, argv, &mut budget)?;
    let envp = read_string_array(ctx, envp, &mut budget)?;
    let program = if path_bytes.is_empty() && flags & AT_EMPTY_PATH != 0 {
        match ctx.task.fds.get(dirfd)?.dentry() {
            Some(d) => d.clone(),
            None => return Err(Errno::EACCES),
        }
    } else {
        super::path::node_at(ctx, dirfd, path, flags & AT_SYMLINK_NOFOLLOW == 0)?
    };
    if flags & AT_SYMLINK_NOFOLLOW != 0
        && program.inode.file_type() == crate::fs::inode::FileType::Symlink
    {
        return Err(Errno::ELOOP);
    }
    exec::check_executable(&program).map_err(|e| e.errno())?;
    let image = exec::load(
        ctx.kernel,
        &ctx.task.fs.get(),
        program,
        argv,
        envp.clone(),
        ctx.task.creds,
    )
    .map_err(|e| {
        log::debug!("execve failed: {e}");
        e.errno()
    })?;

    // The point of no return: the other threads go, then the old image.
    if ctx.task.group.count() > 1 {
        let group = ctx.task.group.clone();
        group.kill_others(ctx.task.tid);
        let _ = ctx.task.block_on(&[&group.left], None, false, || {
            (group.count() == 1).then_some(())
        });
        group.exec_done();
        if ctx.task.tid != ctx.task.pid {
            group.rename(ctx.task.tid, ctx.task.pid);
            ctx.task.tid = ctx.task.pid;
        }
        ctx.task.fds.unshare();
        let mut state = ctx.task.info.state();
        state.threads = 1;
        state.tids.clear();
    }
    let task = &mut *ctx.task;
    let old = std::mem::replace(&mut task.mm, crate::mm::Mm::new(image.mm));
    if let Some(done) = task.vfork_done.take() {
        done.complete();
    }
    old.release();
    let vcpu = ctx.vcpu.as_deref_mut().ok_or(crate::errno::NEEDS_VCPU)?;
    vcpu.set_address_space(task.mm.page_table_root())
        .and_then(|_| vcpu.set_fs_base(0))
        .and_then(|_| vcpu.set_gs_base(0))
        .and_then(|_| vcpu.set_fpu_state(&crate::kernel::signal_frame::initial_fpu_state()))
        .map_err(|_| Errno::ENOMEM)?;
    *vcpu.regs_mut() = vmm::UserRegs {
        rip: image.entry,
        rsp: image.stack_pointer,
        rflags: 0x202,
        ..Default::default()
    };
    task.keep_registers = true;
    let closed = task.fds.close_for_exec();
    crate::syscall::fd::descriptors_closed(task.pid, closed.into_iter());
    task.group.delete_timers(&ctx.kernel.timers, false);
    task.signals.reset_for_exec();
    task.group.set_ignored(task.signals.ignored(), 0);
    task.robust_list = None;
    task.clear_child_tid = 0;
    let name = path_bytes.rsplit(|b| *b == b'/').next().unwrap_or_default();
    task.comm = name[..name.len().min(crate::kernel::task::COMM_LEN)].to_vec();
    {
        let nul_joined = |v: &[Vec<u8>]| {
            v.iter()
                .flat_map(|a| a.iter().copied().chain([0]))
                .collect::<Vec<u8>>()
        };
        let mut state = task.info.state();
        state.comm = task.comm.clone();
        state.exe = image.exe_path;
        state.cmdline = nul_joined(&image.argv);
        state.environ = nul_joined(&envp);
    }
    task.publish_files();
    task.publish_memory();
    ctx.kernel.tree.mark_execed(task.pid);
    Ok(0)
}

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// Waits for a child matching `which` to change as `wants` says: its pid and the
/// change, or None with WNOHANG when none has changed yet.
fn wait_child(
    ctx: &mut Ctx,
    which: WaitFor,
    nohang: bool,
    wants: WaitWants,
) -> SysResult<Option<(i32, WaitEvent)>> {
    let tree = &ctx.kernel.tree;
    let pid = ctx.task.pid;
    let first = tree.reap(pid, which, wants)?;
    if first.is_some() || nohang {
        return Ok(first);
    }
    let events = tree.child_events(pid).ok_or(Errno::ECHILD)?;
    let waited = ctx.task.block_on(&[&events], None, true, || {
        match tree.reap(pid, which, wants) {
            Ok(None) => None,
            other => Some(other),
        }
    });
    match waited {
        Ok(result) => result,
        Err(Interrupted::Signal) | Err(Interrupted::TimedOut) => Err(Errno::ERESTARTSYS),
    }
}

fn wait_target(ctx: &Ctx, pid: i32) -> SysResult<WaitFor> {
    Ok(match pid {
        -1 => WaitFor::Any,
        0 => WaitFor::Group(ctx.kernel.tree.pgid(ctx.task.pid)?),
        p if p < -1 => WaitFor::Group(p.checked_neg().ok_or(Errno::ESRCH)?),
        p => WaitFor::Pid(p),
    })
}

/// The wait status word: exit code in bits 8..16, or the killing signal; 0x7f
/// under the stopping signal; 0xffff for continued.
fn status_word(event: WaitEvent) -> u32 {
    match event {
        WaitEvent::Exited(r) => match r.status {
            ExitStatus::Exited(code) => u32::from(code) << 8,
            ExitStatus::Killed(signo) => signo as u32 & 0x7f,
        },
        WaitEvent::Stopped(signo) => ((signo as u32) << 8) | 0x7f,
        WaitEvent::Continued => 0xffff,
    }
}

/// si_code and si_status of a child's change (waitid, SIGCHLD).
fn child_code(event: WaitEvent) -> (i32, i32) {
    match event {
        WaitEvent::Exited(r) => match r.status {
            ExitStatus::Exited(c) => (CLD_EXITED, i32::from(c)),
            ExitStatus::Killed(s) => (CLD_KILLED, s),
        },
        WaitEvent::Stopped(s) => (CLD_STOPPED, s),
        WaitEvent::Continued => (CLD_CONTINUED, libc::SIGCONT),
    }
}

fn exit_record(event: &WaitEvent) -> Option<&ExitRecord> {
    match event {
        WaitEvent::Exited(r) => Some(r),
        _ => None,
    }
}

fn write_rusage(ctx: &mut Ctx, addr: u64, record: Option<&ExitRecord>) -> SysResult<()> {
    if addr == 0 {
        return Ok(());
    }
    let mut b = [0u8; 144];
    if let Some(r) = record {
        b[0..8].copy_from_slice(&r.user_time.as_secs().to_le_bytes());
        b[8..16].copy_from_slice(&u64::from(r.user_time.subsec_micros()).to_le_bytes());
    }
    ctx.task.mm.copy_out(addr, &b)
}

pub fn sys_wait4(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (pid, status_addr, options, rusage) = (a.i32(0), a.u64(1), a.u64(2), a.u64(3));
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    if pid == i32::MIN {
        return Err(Errno::ESRCH);
    }
    let which = wait_target(ctx, pid)?;
    let wants = WaitWants {
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        keep: false,
    };
    let Some((child, event)) = wait_child(ctx, which, options & WNOHANG != 0, wants)? else {
        return Ok(0);
    };
    if status_addr != 0 {
        ctx.task.mm.write_u32(status_addr, status_word(event))?;
    }
    write_rusage(ctx, rusage, exit_record(&event))?;
    Ok(child as u64)
}

pub fn sys_waitid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const P_ALL: u32 = 0;
    const P_PID: u32 = 1;
    const P_PGID: u32 = 2;
    const P_PIDFD: u32 = 3;
    let (idtype, id, infop, options, rusage) = (a.u32(0), a.i32(1), a.u64(2), a.u64(3), a.u64(4));
    if options & !(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE)
        != 0
        || options & (WUNTRACED | WEXITED | WCONTINUED) == 0
    {
        return Err(Errno::EINVAL);
    }
    let which = match idtype {
        P_ALL => WaitFor::Any,
        P_PID if id > 0 => WaitFor::Pid(id),
        P_PGID if id > 0 => WaitFor::Group(id),
        P_PGID if id == 0 => WaitFor::Group(ctx.kernel.tree.pgid(ctx.task.pid)?),
        P_PIDFD => WaitFor::Pid(super::signal::pidfd_target(ctx, id)?.0),
        _ => return Err(Errno::EINVAL),
    };
    let wants = WaitWants {
        exited: options & WEXITED != 0,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        keep: options & WNOWAIT != 0,
    };
    let found = wait_child(ctx, which, options & WNOHANG != 0, wants)?;
    if infop != 0 {
        let mut info = [0u8; 128];
        if let Some((child, event)) = &found {
            let (code, status) = child_code(*event);
            info[0..4].copy_from_slice(&libc::SIGCHLD.to_le_bytes());
            info[8..12].copy_from_slice(&code.to_le_bytes());
            info[16..20].copy_from_slice(&child.to_le_bytes());
            info[20..24].copy_from_slice(&ctx.task.creds.uid.to_le_bytes());
            info[24..28].copy_from_slice(&status.to_le_bytes());
        }
        ctx.task.mm.copy_out(infop, &info)?;
    }
    write_rusage(ctx, rusage, found.as_ref().and_then(|f| exit_record(&f.1)))?;
    Ok(0)
}

pub fn sys_getppid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(ctx.kernel.tree.parent(ctx.task.pid) as u64)
}

pub fn sys_setpgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.kernel
        .tree
        .set_pgid(ctx.task.pid, a.i32(0), a.i32(1))
        .map(|_| 0)
}

fn pid_or_self(ctx: &Ctx, pid: i32) -> SysResult<i32> {
    match pid {
        0 => Ok(ctx.task.pid),
        p if p < 0 => Err(Errno::ESRCH),
        p => Ok(p),
    }
}

pub fn sys_getpgid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let pid = pid_or_self(ctx, a.i32(0))?;
    ctx.kernel.tree.pgid(pid).map(|g| g as u64)
}

pub fn sys_getpgrp(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    ctx.kernel.tree.pgid(ctx.task.pid).map(|g| g as u64)
}

pub fn sys_setsid(ctx: &mut Ctx, _: &Args) -> SysResult<u64> {
    ctx.kernel.tree.set_sid(ctx.task.pid).map(|s| s as u64)
}

pub fn sys_getsid(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let pid = pid_or_self(ctx, a.i32(0))?;
    ctx.kernel.tree.sid(pid).map(|s| s as u64)
}
