//! Syscall dispatch: the table of what we implement (data, printable with
//! `sentry syscalls`), argument access, and the one place results become `-errno`.

mod attr;
mod creds;
mod epoll;
pub mod fast_path;
mod fd;
mod futex;
mod io;
mod lifecycle;
mod memfd;
mod memory;
mod msg;
mod path;
mod poll;
mod process;
mod sem;
mod shm;
mod signal;
mod socket;
mod stat;
mod table;
mod time;
mod timer;

use crate::errno::{Errno, SysResult};
use crate::kernel::Ctx;
use crate::strace;
pub use table::{lookup, Support};

/// The six syscall argument registers (rdi, rsi, rdx, r10, r8, r9).
#[derive(Clone, Copy, Debug)]
pub struct Args(pub [u64; 6]);

impl Args {
    pub fn u64(&self, i: usize) -> u64 {
        self.0[i]
    }

    /// An `int` argument (the kernel looks only at the low 32 bits).
    pub fn i32(&self, i: usize) -> i32 {
        self.0[i] as u32 as i32
    }

    /// An `unsigned int` argument.
    pub fn u32(&self, i: usize) -> u32 {
        self.0[i] as u32
    }

    /// A size argument as a host `usize`.
    pub fn usize(&self, i: usize) -> usize {
        usize::try_from(self.0[i]).unwrap_or(usize::MAX)
    }
}

/// A handler: the typed body of one syscall.
pub type Handler = fn(&mut Ctx, &Args) -> SysResult<u64>;

/// Serves the syscall the task just made on its vCPU and writes its result to RAX.
pub fn dispatch(ctx: &mut Ctx) {
    let Some(vcpu) = ctx.vcpu.as_deref_mut() else {
        return;
    };
    let regs = *vcpu.regs();
    let nr = regs.rax;
    let args = Args([regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9]);
    let ret = serve(ctx, nr, &args);
    finish(ctx, nr, ret);
}

/// The end of syscall `nr` on the task's vCPU, once served (here, or by the syscall
/// server): `ret` goes to RAX, then pending signals are delivered, or an interrupted
/// call is restarted.
pub fn finish(ctx: &mut Ctx, nr: u64, ret: i64) {
    let keep_registers = std::mem::take(&mut ctx.task.keep_registers);
    let Some(vcpu) = ctx.vcpu.as_deref_mut() else {
        return;
    };
    if ctx.task.exit.is_none() && !keep_registers {
        vcpu.regs_mut().rax = ret as u64;
    }
    let interrupted = (ret == -i64::from(Errno::ERESTARTSYS.into_raw())).then_some(nr);
    if ctx.task.exit.is_none() && ctx.task.pending_signals() & !ctx.task.signals.blocked != 0 {
        crate::kernel::deliver_pending(ctx.kernel, ctx.task, vcpu, interrupted);
    } else if interrupted.is_some() {
        crate::kernel::restart_syscall(vcpu, nr);
    }
}

/// Runs syscall `nr` for the task, traces it, and returns what goes in RAX (`-errno`
/// on failure). On the syscall server (no vCPU) a handler may decline with
/// `NEEDS_VCPU`, which is returned untraced.
pub fn serve(ctx: &mut Ctx, nr: u64, args: &Args) -> i64 {
    log::trace!("syscall {nr} {:x?}", args.0);
    // Refreshing /proc/self/maps costs O(mappings): do it lazily, before a syscall that
    // is not itself a mapping change (so a loop of mmaps pays once).
    if ctx.task.mm.maps_changed() && !table::changes_mappings(nr) {
        ctx.task.publish_memory();
    }
    // execve replaces the memory its arguments live in: remember what the trace of
    // its arguments reads, before the call.
    let replaces_memory = ctx.kernel.options.strace
        && (nr == syscalls::Sysno::execve as u64 || nr == syscalls::Sysno::execveat as u64);
    let recorded = replaces_memory.then(|| {
        let recorder = Recorder {
            mm: &ctx.task.mm,
            reads: Default::default(),
        };
        let event = strace::SyscallEvent {
            nr,
            args: args.0,
            ret: Some(0),
        };
        let _ = strace::format_syscall(&event, &recorder);
        recorder.reads.into_inner()
    });
    let result = match lookup(nr) {
        Some(def) => (def.handler)(ctx, args),
        None => {
            let name = syscalls::Sysno::new(nr as usize).map_or("unknown", |s| s.name());
            ctx.kernel.note_unsupported(nr, name);
            Err(Errno::ENOSYS)
        }
    };
    if let Err(e) = result {
        let errno = strace::errno_name(e.into_raw()).unwrap_or("?");
        log::debug!("task {}: syscall {nr} -> {errno}", ctx.task.tid);
    }
    let ret = match result {
        Ok(v) => v as i64,
        Err(e) => -i64::from(e.into_raw()),
    };
    if ctx.task.would_have_slept.take() {
        return -i64::from(crate::errno::NEEDS_VCPU.into_raw());
    }
    if result == Err(crate::errno::NEEDS_VCPU) && ctx.vcpu.is_none() {
        return ret;
    }
    if ctx.kernel.options.strace {
        let event = strace::SyscallEvent {
            nr,
            args: args.0,
            ret: ctx.task.exit.is_none().then_some(ret),
        };
        let line = match &recorded {
            Some(reads) if result.is_ok() => strace::format_syscall(&event, &Replay(reads)),
            _ => strace::format_syscall(&event, &TaskMemory(&ctx.task.mm)),
        };
        ctx.kernel.trace(&line);
    }
    ret
}

/// Traces the first program's execve, as strace shows the one it made itself: from
/// the initial stack at `sp` (argc, argv, envp, then the auxiliary vector with
/// AT_EXECFN, the path executed).
pub fn trace_first_execve(kernel: &crate::kernel::Kernel, mm: &crate::mm::Mm, sp: u64) {
    const AT_NULL: u64 = 0;
    const AT_EXECFN: u64 = 31;
    let word = |addr: u64| mm.read_u64(addr).ok();
    let Some(argc) = word(sp) else { return };
    let argv = sp + 8;
    let envp = argv + 8 * (argc + 1);
    let mut at = envp;
    while word(at).is_some_and(|p| p != 0) {
        at += 8;
    }
    at += 8;
    let mut execfn = 0;
    while let (Some(key), Some(value)) = (word(at), word(at + 8)) {
        if key == AT_NULL {
            break;
        }
        if key == AT_EXECFN {
            execfn = value;
        }
        at += 16;
    }
    let event = strace::SyscallEvent {
        nr: syscalls::Sysno::execve as u64,
        args: [execfn, argv, envp, 0, 0, 0],
        ret: Some(0),
    };
    kernel.trace(&strace::format_syscall(&event, &TaskMemory(mm)));
}

/// The traced task's memory as the strace formatter sees it.
struct TaskMemory<'a>(&'a crate::mm::Mm);

impl strace::TraceMemory for TaskMemory<'_> {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.0.peek(addr, len)
    }
}

/// Reads of the traced task's memory, recorded (for a syscall that replaces it).
struct Recorder<'a> {
    mm: &'a crate::mm::Mm,
    reads: std::cell::RefCell<Vec<RecordedRead>>,
}

impl strace::TraceMemory for Recorder<'_> {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let bytes = self.mm.peek(addr, len);
        self.reads.borrow_mut().push(((addr, len), bytes.clone()));
        bytes
    }
}

/// Recorded reads, replayed.
struct Replay<'a>(&'a [RecordedRead]);

/// (address, length) and what reading them gave.
type RecordedRead = ((u64, usize), Option<Vec<u8>>);

impl strace::TraceMemory for Replay<'_> {
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.0
            .iter()
            .find(|(key, _)| *key == (addr, len))
            .and_then(|(_, bytes)| bytes.clone())
    }
}
