//! The kernel proper: sandbox-wide state (`Kernel`), tasks, and the loop that runs a
//! task on a vCPU, serving its syscalls and faults until it exits.

pub mod cpus;
pub mod exec;
pub mod fd;
pub mod futex;
pub mod process;
pub mod process_tree;
pub mod signal;
pub mod signal_frame;
pub mod syscall_server;
pub mod system;
pub mod sysv_ipc;
pub mod sysv_msg;
pub mod sysv_sem;
pub mod sysv_shm;
pub mod task;
pub mod thread_group;
pub mod timers;
pub mod wait;

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex};

use vmm::arch::x86_64::paging::fault_code;
use vmm::{Exit, Vcpu, VcpuError};

use crate::fs::Vfs;
use crate::mm::{Access, FaultError};
use crate::services::{Clock, IdAllocator, RandomSource};
use crate::strace;
use signal::{DefaultAction, FaultSignal, SEGV_ACCERR, SEGV_MAPERR, SIGKILL, SIGSEGV};
use task::{ExitStatus, Task};

/// How the user asked the kernel to behave.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelOptions {
    /// Print every syscall in strace(1)'s format on stderr.
    pub strace: bool,
}

/// Counters for `--stats`.
#[derive(Debug, Default)]
pub struct KernelStats {
    pub syscalls: BTreeMap<u64, u64>,
}

/// Sandbox-wide kernel state.
pub struct Kernel {
    pub options: KernelOptions,
    pub clock: Clock,
    pub random: RandomSource,
    /// Process and thread ids.
    pub ids: Mutex<IdAllocator>,
    /// The mount table (one mount namespace per sandbox).
    pub vfs: Vfs,
    /// Every live process, for procfs.
    pub registry: std::sync::Arc<process::ProcessRegistry>,
    /// Bytes of the XSAVE area a signal frame carries (CPUID 0xD.0 EBX).
    pub fpu_state_size: usize,
    /// CPUID leaf 1 EDX, reported as AT_HWCAP.
    pub hwcap: u64,
    pub stats: Mutex<KernelStats>,
    unsupported_seen: Mutex<HashSet<u64>>,
    /// The VM's vCPUs.
    pub cpus: cpus::Cpus,
    /// Parents, children, groups, sessions, zombies.
    pub tree: process_tree::ProcessTree,
    /// Pages of immutable files, shared by every address space.
    pub page_cache: Arc<crate::mm::page_cache::PageCache>,
    /// alarm, itimers and POSIX timers.
    pub timers: Arc<timers::Timers>,
    /// A process has forked: trace lines carry pids.
    forked: std::sync::atomic::AtomicBool,
    /// Tasks waiting on futexes.
    pub futexes: futex::Futexes,
    /// System V shared memory segments.
    pub shm: sysv_shm::ShmTable,
    /// System V semaphore sets.
    pub sem: sysv_sem::SemTable,
    /// System V message queues.
    pub msg: sysv_msg::MsgTable,
    /// Serves syscalls from the guests' mailboxes without VM exits.
    pub syscall_server: syscall_server::SyscallServer,
}

/// Everything `Kernel::new` needs.
pub struct KernelParts {
    pub options: KernelOptions,
    pub hwcap: u64,
    pub fpu_state_size: usize,
    pub clock: Clock,
    pub vfs: Vfs,
    pub registry: Arc<process::ProcessRegistry>,
    pub vm: Arc<vmm::Vm>,
    /// Most processes alive at once.
    pub pid_limit: usize,
}

impl Kernel {
    pub fn new(parts: KernelParts) -> Self {
        Kernel {
            options: parts.options,
            fpu_state_size: parts.fpu_state_size,
            vfs: parts.vfs,
            registry: parts.registry,
            clock: parts.clock,
            random: RandomSource,
            ids: Mutex::new(IdAllocator::new()),
            hwcap: parts.hwcap,
            stats: Mutex::new(KernelStats::default()),
            unsupported_seen: Mutex::new(HashSet::new()),
            page_cache: Arc::new(crate::mm::page_cache::PageCache::new(
                parts.vm.ram().clone(),
            )),
            cpus: cpus::Cpus::new(parts.vm),
            tree: process_tree::ProcessTree::new(parts.pid_limit),
            timers: Arc::default(),
            forked: Default::default(),
            futexes: Default::default(),
            shm: Default::default(),
            sem: Default::default(),
            msg: Default::default(),
            syscall_server: Default::default(),
        }
    }

    /// A new process or thread id.
    pub fn allocate_id(&self) -> i32 {
        self.ids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .allocate()
    }

    /// Logs an unimplemented syscall the first time the guest uses it.
    pub fn note_unsupported(&self, nr: u64, name: &str) {
        let mut seen = self
            .unsupported_seen
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if seen.insert(nr) {
            log::warn!("unsupported syscall {name} ({nr}): returning ENOSYS");
        }
    }

    /// Writes one `--strace` line to stderr; once the sandbox has more than one
    /// process, prefixed with the process's pid as `strace -f` does.
    pub fn trace(&self, line: &str) {
        let mut err = std::io::stderr().lock();
        if self.forked.load(std::sync::atomic::Ordering::Relaxed) {
            let _ = writeln!(err, "[pid {:>5}] {line}", process::current_pid());
        } else {
            let _ = writeln!(err, "{line}");
        }
    }

    /// Notes that the sandbox now has several processes (for `trace`).
    pub fn note_fork(&self) {
        self.forked
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn count_syscall(&self, nr: u64) {
        let mut stats = self.stats.lock().unwrap_or_else(|e| e.into_inner());
        *stats.syscalls.entry(nr).or_default() += 1;
    }
}

/// Everything a syscall handler may touch.
pub struct Ctx<'a> {
    pub kernel: &'a Arc<Kernel>,
    pub task: &'a mut Task,
    /// The task's vCPU; `None` while the syscall server serves the call from the
    /// mailbox (only calls that never need it: `syscall::fast_path`).
    pub vcpu: Option<&'a mut Vcpu>,
}

impl Ctx<'_> {
    /// The task's vCPU, or `NEEDS_VCPU` on the syscall server.
    pub fn vcpu(&mut self) -> crate::errno::SysResult<&mut Vcpu> {
        self.vcpu.as_deref_mut().ok_or(crate::errno::NEEDS_VCPU)
    }
}

/// Runs a forked task on its own host thread until it exits; then its resources go
/// and its parent hears of it.
pub fn spawn(kernel: &Arc<Kernel>, task: Task, mut vcpu: Vcpu) -> std::io::Result<()> {
    let kernel = kernel.clone();
    std::thread::Builder::new()
        .name(format!("task-{}", task.tid))
        .spawn(move || {
            process::set_current_pid(task.pid);
            let (task, status) = run(&kernel, task, &mut vcpu);
            let status = status.unwrap_or_else(|e| {
                // The whole process goes, as if SIGKILLed: its other threads could
                // wait forever for this one.
                log::error!("task {}: the vCPU failed: {e}", task.tid);
                task.group.exit_all(ExitStatus::Killed(SIGKILL), task.tid)
            });
            exit_task(&kernel, task, status);
            kernel.cpus.release(vcpu);
        })
        .map(|_| ())
}

/// Releases what an exited task holds; the process's last thread reports the
/// process's status to its parent.
pub fn exit_task(kernel: &Kernel, mut task: Task, status: ExitStatus) {
    task.inbox.set_kicker(None);
    release_robust_futexes(kernel, &task);
    let remaining = task.group.remove(task.tid, status);
    {
        let mut state = task.info.state();
        state.threads = remaining as u32;
        state.tids.retain(|t| *t != task.tid);
    }
    if task.clear_child_tid != 0 && remaining > 0 {
        // CLONE_CHILD_CLEARTID: the thread's id word is zeroed and one waiter woken
        // (pthread_join).
        if task.mm.write_u32(task.clear_child_tid, 0).is_ok() {
            if let Ok(key) = task.mm.futex_key(task.clear_child_tid, false) {
                kernel.futexes.lock().wake(key, u32::MAX, 1);
            }
        }
    }
    task.fds.close_all();
    if let Some(done) = task.vfork_done.take() {
        done.complete();
    }
    if remaining > 0 {
        return;
    }
    let status = task.group.final_status().unwrap_or(status);
    task.group.delete_timers(&kernel.timers, true);
    crate::fs::locks::LOCKS.release(crate::fs::locks::Owner::Process(task.pid), None);
    task.mm.release();
    kernel.tree.exit(
        task.pid,
        process_tree::ExitRecord {
            status,
            user_time: task.cpu_time,
        },
    );
}

/// Marks the robust futexes the dying thread still holds (its set_robust_list list)
/// FUTEX_OWNER_DIED and wakes a waiter of each, as Linux does at thread exit.
fn release_robust_futexes(kernel: &Kernel, task: &Task) {
    const FUTEX_WAITERS: u32 = 0x8000_0000;
    const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
    const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
    /// Entries walked at most (ROBUST_LIST_LIMIT), against a corrupt or cyclic list.
    const LIMIT: usize = 2048;
    let Some((head, _)) = task.robust_list else {
        return;
    };
    let mm = &task.mm;
    let (Ok(mut entry), Ok(offset), Ok(pending)) = (
        mm.read_u64(head),
        mm.read_u64(head.wrapping_add(8)),
        mm.read_u64(head.wrapping_add(16)),
    ) else {
        return;
    };
    let release = |entry: u64| {
        // The low bit of an entry marks a PI futex; the word sits at entry + offset.
        let word_addr = (entry & !1).wrapping_add(offset);
        let mut b = [0u8; 4];
        if mm.copy_in(word_addr, &mut b).is_err() {
            return;
        }
        let word = u32::from_le_bytes(b);
        if word & FUTEX_TID_MASK != task.tid as u32 {
            return;
        }
        let new = (word & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if mm.write_u32(word_addr, new).is_ok() && word & FUTEX_WAITERS != 0 {
            if let Ok(key) = mm.futex_key(word_addr, false) {
                kernel.futexes.lock().wake(key, u32::MAX, 1);
            }
        }
    };
    for _ in 0..LIMIT {
        if entry == head || entry == 0 {
            break;
        }
        if entry != pending {
            release(entry);
        }
        match mm.read_u64(entry & !1) {
            Ok(next) => entry = next,
            Err(_) => break,
        }
    }
    if pending != 0 {
        release(pending);
    }
}

/// The sandbox's first process: once its main thread has ended, waits for its other
/// threads, and returns the process's exit status.
pub fn finish_first_process(task: &Task, status: ExitStatus) -> ExitStatus {
    task.inbox.set_kicker(None);
    let group = &task.group;
    if group.remove(task.tid, status) > 0 {
        let waiter = Arc::new(wait::Waiter::default());
        let _subscription = group.left.subscribe(&waiter);
        loop {
            let seen = waiter.generation();
            if group.count() == 0 {
                break;
            }
            waiter.wait(seen, None);
        }
    }
    group.final_status().unwrap_or(status)
}

/// Runs `task` on `vcpu` until it exits; the task comes back with the outcome.
pub fn run(
    kernel: &Arc<Kernel>,
    task: Task,
    vcpu: &mut Vcpu,
) -> (Task, Result<ExitStatus, VcpuError>) {
    task.inbox.set_kicker(Some(vcpu.kicker()));
    let server = &kernel.syscall_server;
    let seat = server.available().then(|| server.take_seat());
    let (task, status) = run_until_exit(kernel, task, vcpu, seat.as_deref());
    if let Some(seat) = &seat {
        server.leave(seat);
    }
    task.inbox.set_kicker(None);
    (task, status)
}

/// What became of a task's lending to the syscall server during one guest run.
#[derive(Default)]
struct Lending {
    /// What the mailbox says of the syscall the guest exited with (when it did).
    outcome: Option<vmm::mailbox::Outcome>,
    /// The server served some of the task's calls.
    served: bool,
}

/// Runs the guest until its next exit. When the syscall server can take the task's
/// calls meanwhile (the stub runs at CPL3, and the server is polling, or is woken
/// because `wake` says the last exit was a call it could have served), the task is
/// lent to it for that time. Comes back with what the mailbox says of the syscall the
/// guest exited with, if it was lent.
fn enter_guest(
    kernel: &Kernel,
    task: Task,
    vcpu: &mut Vcpu,
    seat: Option<&syscall_server::Seat>,
    wake: bool,
) -> (Task, Lending, Result<Exit, VcpuError>) {
    // The vCPU's syscall entry reads its mailbox in this address space: it must exist.
    let Some(mailbox) = task.mm.mailbox(vcpu.id()) else {
        let error = VcpuError::Unexpected("no memory for a syscall mailbox".into());
        return (task, Lending::default(), Err(error));
    };
    let seat =
        seat.filter(|_| vcpu.syscall_return() == Some(vmm::SyscallReturn::LoadUserRegisters));
    let Some(seat) = seat else {
        mailbox.set_enabled(false);
        let exit = vcpu.run();
        return (task, Lending::default(), exit);
    };
    let server = &kernel.syscall_server;
    let posting = server.polling() || (wake && server.wake());
    mailbox.set_enabled(posting);
    if !posting {
        let exit = vcpu.run();
        return (task, Lending::default(), exit);
    }
    seat.lend(task, mailbox.clone());
    let exit = vcpu.run();
    // Only this thread takes the task out of its seat.
    let (task, served) = seat.reclaim().expect("a lent task stays in its seat");
    let outcome = (exit.as_ref().ok() == Some(&Exit::Syscall)).then(|| mailbox.take_outcome());
    (task, Lending { outcome, served }, exit)
}

fn run_until_exit(
    kernel: &Arc<Kernel>,
    mut task: Task,
    vcpu: &mut Vcpu,
    seat: Option<&syscall_server::Seat>,
) -> (Task, Result<ExitStatus, VcpuError>) {
    let mut wake = true;
    loop {
        let (returned, lending, exit) = enter_guest(kernel, task, vcpu, seat, wake);
        task = returned;
        let outcome = lending.outcome;
        let exit = match exit {
            Ok(exit) => exit,
            Err(e) => return (task, Err(e)),
        };
        let posted = outcome.is_some();
        let outcome = outcome.unwrap_or(vmm::mailbox::Outcome::NotServed);
        if exit == Exit::Syscall && seat.is_some() {
            // A call the server could have taken exited: it should be polling, and
            // if it was already, it is not getting a core of its own.
            let regs = vcpu.regs();
            let args =
                crate::syscall::Args([regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9]);
            let missed = outcome == vmm::mailbox::Outcome::NotServed
                && crate::syscall::fast_path::servable(&task, regs.rax, &args);
            if missed && posted {
                kernel.syscall_server.missed_here();
            }
            wake = missed;
        }
        // A task whose calls the server has been serving wants it polling next time
        // too, even if it parked meanwhile (while this exit was handled).
        wake |= lending.served;
        if let Some(status) = handle_exit(kernel, &mut task, vcpu, exit, outcome) {
            return (task, Ok(status));
        }
    }
}

/// Serves what made the guest exit; the task's exit status once it has ended.
fn handle_exit(
    kernel: &Arc<Kernel>,
    task: &mut Task,
    vcpu: &mut Vcpu,
    exit: Exit,
    outcome: vmm::mailbox::Outcome,
) -> Option<ExitStatus> {
    task.cpu_time = vcpu.stats().time_in_guest;
    let was_syscall = exit == Exit::Syscall;
    match exit {
        Exit::Syscall => {
            process::set_current_pid(task.pid);
            let nr = vcpu.regs().rax;
            let mut ctx = Ctx {
                kernel,
                task,
                vcpu: Some(vcpu),
            };
            match outcome {
                vmm::mailbox::Outcome::Served { result } => {
                    crate::syscall::finish(&mut ctx, nr, result as i64)
                }
                vmm::mailbox::Outcome::NotServed | vmm::mailbox::Outcome::Declined => {
                    kernel.count_syscall(nr);
                    crate::syscall::dispatch(&mut ctx);
                }
            }
        }
        Exit::Exception {
            vector,
            error_code,
            fault_addr,
        } => {
            if let Some(signal) = handle_exception(task, vcpu, vector, error_code, fault_addr) {
                deliver_fault(kernel, task, vcpu, signal, (u64::from(vector), error_code));
            }
        }
        Exit::Interrupted => {}
    }
    // After a syscall, dispatch has delivered (it decides about restarting).
    if !was_syscall && task.exit.is_none() && task.pending_signals() & !task.signals.blocked != 0 {
        deliver_pending(kernel, task, vcpu, None);
    }
    if let Some(status) = task.exit {
        if kernel.options.strace {
            kernel.trace(&match status {
                ExitStatus::Exited(code) => strace::format_exited(i32::from(code)),
                ExitStatus::Killed(signo) => strace::format_killed(signo, false),
            });
        }
        return Some(status);
    }
    None
}

/// Resolves a CPU exception; returns the signal to deliver when it cannot be resolved.
fn handle_exception(
    task: &mut Task,
    vcpu: &Vcpu,
    vector: u8,
    error_code: u64,
    fault_addr: u64,
) -> Option<FaultSignal> {
    const PAGE_FAULT: u8 = 14;
    log::debug!(
        "task {}: exception {vector} error {error_code:#x} addr {fault_addr:#x} at rip {:#x}",
        task.tid,
        vcpu.regs().rip
    );
    if vector != PAGE_FAULT {
        return Some(signal::signal_for_exception(vector, vcpu.regs().rip));
    }
    let access = if error_code & fault_code::INSTRUCTION != 0 {
        Access::Execute
    } else if error_code & fault_code::WRITE != 0 {
        Access::Write
    } else {
        Access::Read
    };
    let code = match task.mm.handle_fault(fault_addr, access) {
        Ok(()) => return None,
        Err(FaultError::Unmapped) => SEGV_MAPERR,
        Err(FaultError::Forbidden) => SEGV_ACCERR,
        Err(FaultError::BeyondFile) => {
            const BUS_ADRERR: i32 = 2;
            return Some(FaultSignal {
                signo: signal::SIGBUS,
                code: BUS_ADRERR,
                addr: Some(fault_addr),
            });
        }
        Err(FaultError::OutOfMemory) => {
            log::error!(
                "guest memory exhausted at a page fault; killing the task (raise --memory)"
            );
            return Some(FaultSignal {
                signo: SIGKILL,
                code: 0,
                addr: None,
            });
        }
    };
    Some(FaultSignal {
        signo: SIGSEGV,
        code,
        addr: Some(fault_addr),
    })
}

/// Sends `signo` to `task` (kill, tgkill, raise, SIGPIPE): it becomes pending, and is
/// delivered when the current syscall returns (`deliver_pending`). Ignored signals
/// are discarded at once, as Linux does.
pub fn send_signal(task: &mut Task, signo: i32, code: i32) {
    if signo == 0 || task.exit.is_some() {
        return;
    }
    task.inbox.post(
        signo,
        signal::Posted {
            code,
            sender: Some((task.pid, task.creds.uid)),
            status: 0,
            value: None,
        },
    );
}

/// Delivers pending signals that are not blocked: runs the handler of the first one
/// that has one (the others wait for the next return to user mode), or takes the
/// default action.
///
/// `interrupted` names a syscall a signal interrupted (it returned ERESTARTSYS): it
/// restarts, unless a handler without SA_RESTART runs, when it fails with EINTR.
pub fn deliver_pending(
    kernel: &Kernel,
    task: &mut Task,
    vcpu: &mut Vcpu,
    interrupted: Option<u64>,
) {
    const SA_RESTART: u64 = 0x1000_0000;
    while task.exit.is_none() {
        // Signals sent to this thread first, then those sent to the process.
        let taken = task
            .inbox
            .take(task.signals.blocked)
            .or_else(|| task.group.inbox.take(task.signals.blocked));
        let Some((signo, posted)) = taken else {
            break;
        };
        let Ok(action) = task.signals.action(signo as u64) else {
            continue;
        };
        let info = signal_frame::SigInfo {
            signo,
            code: posted.code,
            addr: None,
            sender: posted.sender,
            trap: None,
            status: posted.status,
            value: posted.value,
        };
        match action.handler {
            signal::SIG_IGN => {}
            signal::SIG_DFL => take_default_action(kernel, task, signo, posted.code),
            _ => {
                if let Some(nr) = interrupted {
                    if action.flags & SA_RESTART != 0 {
                        restart_syscall(vcpu, nr);
                    } else {
                        vcpu.regs_mut().rax = -i64::from(libc::EINTR) as u64;
                    }
                }
                run_handler(kernel, task, vcpu, action, info);
                return;
            }
        }
    }
    if let Some(nr) = interrupted {
        restart_syscall(vcpu, nr);
    }
    if let Some(mask) = task.saved_mask.take() {
        task.signals.blocked = mask;
    }
}

/// Makes the task execute syscall `nr` again when it resumes (`syscall` is 2 bytes).
pub fn restart_syscall(vcpu: &mut Vcpu, nr: u64) {
    let regs = vcpu.regs_mut();
    regs.rax = nr;
    regs.rip = regs.rip.wrapping_sub(2);
}

fn take_default_action(kernel: &Kernel, task: &mut Task, signo: i32, code: i32) {
    match signal::default_action(signo) {
        DefaultAction::Terminate | DefaultAction::CoreDump => {
            kill(
                kernel,
                task,
                FaultSignal {
                    signo,
                    code,
                    addr: None,
                },
            );
        }
        DefaultAction::Stop => {
            // Stopped until SIGCONT (the sender resumes us) or SIGKILL.
            let (tree, pid) = (&kernel.tree, task.pid);
            tree.stop(pid, signo);
            let _ = task.block_on(&[], None, false, || {
                let killed = task.pending_signals() & signal::bit(SIGKILL) != 0;
                (killed || !tree.is_stopped(pid)).then_some(())
            });
        }
        DefaultAction::Ignore | DefaultAction::Continue => {}
    }
}

/// A fault's signal runs its handler if one is installed and the signal is not
/// blocked; otherwise it kills (Linux forces the default action on a blocked or
/// ignored synchronous fault).
fn deliver_fault(
    kernel: &Kernel,
    task: &mut Task,
    vcpu: &mut Vcpu,
    signal: FaultSignal,
    trap: (u64, u64),
) {
    let action = task.signals.action(signal.signo as u64).unwrap_or_default();
    let catchable = signal.signo != SIGKILL
        && task.signals.blocked & signal::bit(signal.signo) == 0
        && !matches!(action.handler, signal::SIG_DFL | signal::SIG_IGN);
    if catchable {
        run_handler(
            kernel,
            task,
            vcpu,
            action,
            signal_frame::SigInfo::from_fault(&signal, trap),
        );
    } else {
        kill(kernel, task, signal);
    }
}

/// Enters the handler for `info`; a frame that cannot be written kills with SIGSEGV.
fn run_handler(
    kernel: &Kernel,
    task: &mut Task,
    vcpu: &mut Vcpu,
    action: signal::SigAction,
    info: signal_frame::SigInfo,
) {
    if kernel.options.strace {
        kernel.trace(&strace::format_signal(&strace::SignalEvent {
            signo: info.signo,
            code: info.code,
            addr: info.addr,
        }));
    }
    if signal_frame::enter_handler(task, vcpu, action, info, kernel.fpu_state_size).is_err() {
        kill(
            kernel,
            task,
            FaultSignal {
                signo: SIGSEGV,
                code: signal::SI_KERNEL,
                addr: None,
            },
        );
    }
}

/// Terminates the process with `signal`, whatever its disposition (a fault, or a
/// signal whose default action is to terminate): every thread goes.
fn kill(kernel: &Kernel, task: &mut Task, signal: FaultSignal) {
    if kernel.options.strace && signal.signo != SIGKILL {
        kernel.trace(&strace::format_signal(&strace::SignalEvent {
            signo: signal.signo,
            code: signal.code,
            addr: signal.addr,
        }));
    }
    let status = if task.group.killed_by_exec(task.tid) {
        ExitStatus::Killed(signal.signo)
    } else {
        task.group
            .exit_all(ExitStatus::Killed(signal.signo), task.tid)
    };
    task.exit = Some(status);
}
