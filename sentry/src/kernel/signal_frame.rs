//! Running a signal handler: the x86-64 `rt_sigframe` Linux builds on the user stack
//! (return address, ucontext with the interrupted registers and mask, siginfo, then
//! the XSAVE area), and `rt_sigreturn`, which restores everything from it.

use vmm::Vcpu;

use super::signal::{self, FaultSignal, SigAction, SigSet};
use super::task::Task;
use crate::errno::{Errno, SysResult};

pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// Offsets inside the frame (Linux's layout, which handlers and unwinders read).
const UCONTEXT: u64 = 8;
const MCONTEXT: u64 = UCONTEXT + 40;
const SIGMASK: u64 = UCONTEXT + 296;
const SIGINFO: u64 = UCONTEXT + 304;
const FRAME_SIZE: u64 = SIGINFO + 128;
/// The red zone below the interrupted stack pointer that the frame must not touch.
const RED_ZONE: u64 = 128;
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const UC_FP_XSTATE: u64 = 1;
const UC_SIGCONTEXT_SS: u64 = 2;
const UC_STRICT_RESTORE_SS: u64 = 4;
/// RFLAGS bits a handler's context may change on sigreturn (Linux's FIX_EFLAGS).
const FIX_EFLAGS: u64 =
    0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x1_0000 | 0x4_0000;
/// RFLAGS bits cleared for the handler: TF, DF, RF, AC.
const HANDLER_CLEARS: u64 = 0x100 | 0x400 | 0x1_0000 | 0x4_0000;

/// What siginfo says about one signal.
#[derive(Clone, Copy, Debug, Default)]
pub struct SigInfo {
    pub signo: i32,
    pub code: i32,
    /// si_addr for faults.
    pub addr: Option<u64>,
    /// si_pid/si_uid for signals sent by a process.
    pub sender: Option<(i32, u32)>,
    /// The CPU exception (trap number, error code) for faults.
    pub trap: Option<(u64, u64)>,
    /// SIGCHLD's si_status: the child's exit code or signal.
    pub status: i32,
    /// si_value (sigqueue, timers).
    pub value: Option<u64>,
}

impl SigInfo {
    pub fn from_fault(f: &FaultSignal, trap: (u64, u64)) -> Self {
        SigInfo {
            signo: f.signo,
            code: f.code,
            addr: f.addr,
            sender: None,
            trap: Some(trap),
            status: 0,
            value: None,
        }
    }

    fn to_bytes(self) -> [u8; 128] {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&self.signo.to_le_bytes());
        b[8..12].copy_from_slice(&self.code.to_le_bytes());
        if let Some(addr) = self.addr {
            b[16..24].copy_from_slice(&addr.to_le_bytes());
        } else if let Some((pid, uid)) = self.sender {
            b[16..20].copy_from_slice(&pid.to_le_bytes());
            b[20..24].copy_from_slice(&uid.to_le_bytes());
            if self.signo == libc::SIGCHLD {
                b[24..28].copy_from_slice(&self.status.to_le_bytes());
            }
        }
        if let Some(value) = self.value {
            b[24..32].copy_from_slice(&value.to_le_bytes());
        }
        b
    }
}

fn put(buf: &mut [u8], at: u64, bytes: &[u8]) {
    let at = at as usize;
    buf[at..at + bytes.len()].copy_from_slice(bytes);
}

fn get(buf: &[u8], at: u64) -> u64 {
    let at = at as usize;
    u64::from_le_bytes(buf[at..at + 8].try_into().unwrap_or_default())
}

/// The XSAVE image of a freshly initialized FPU (what a handler starts with).
pub fn initial_fpu_state() -> Vec<u8> {
    let mut b = vec![0u8; 576];
    b[0..2].copy_from_slice(&0x37fu16.to_le_bytes()); // FCW
    b[24..28].copy_from_slice(&0x1f80u32.to_le_bytes()); // MXCSR
    b
}

/// Builds the frame for `info` on the task's stack and points the vCPU at the
/// handler of `action`. EFAULT when the stack cannot hold it (the caller then kills
/// the task with SIGSEGV, as Linux does).
pub fn enter_handler(
    task: &mut Task,
    vcpu: &mut Vcpu,
    action: SigAction,
    info: SigInfo,
    fpu_size: usize,
) -> SysResult<()> {
    if action.flags & SA_RESTORER == 0 {
        // x86-64 has no default return path: Linux refuses the frame.
        return Err(Errno::EFAULT);
    }
    let regs = *vcpu.regs();
    // sigsuspend's caller gets its own mask back at sigreturn, not the temporary one.
    let old_mask = task.saved_mask.take().unwrap_or(task.signals.blocked);
    let alt = task.signals.alt_stack;
    let sp = match alt.frame_top(regs.rsp) {
        Some(top) if action.flags & SA_ONSTACK != 0 => top,
        _ => regs.rsp.wrapping_sub(RED_ZONE),
    };
    // The XSAVE area (64-byte aligned, with its trailing magic), then the frame, so
    // that the handler starts with rsp + 8 16-byte aligned, like after a call.
    let fpu_size = fpu_size.max(576) as u64;
    let fp_addr = sp.checked_sub(fpu_size + 4).ok_or(Errno::EFAULT)? & !63;
    let frame = (fp_addr.checked_sub(FRAME_SIZE).ok_or(Errno::EFAULT)? & !15).wrapping_sub(8);

    let mut fpu = vcpu
        .fpu_state(fpu_size as usize)
        .map_err(|_| Errno::EFAULT)?;
    fpu.resize(fpu_size as usize + 4, 0);
    // The software-reserved bytes tell readers the area is in XSAVE format.
    let xfeatures = get(&fpu, 512);
    put(&mut fpu, 464, &FP_XSTATE_MAGIC1.to_le_bytes());
    put(&mut fpu, 468, &((fpu_size + 4) as u32).to_le_bytes());
    put(&mut fpu, 472, &xfeatures.to_le_bytes());
    put(&mut fpu, 480, &(fpu_size as u32).to_le_bytes());
    put(&mut fpu, fpu_size, &FP_XSTATE_MAGIC2.to_le_bytes());

    let mut f = vec![0u8; FRAME_SIZE as usize];
    put(&mut f, 0, &action.restorer.to_le_bytes());
    put(
        &mut f,
        UCONTEXT,
        &(UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS).to_le_bytes(),
    );
    // uc_stack: the alternate stack as the thread set it (restored at sigreturn).
    put(&mut f, UCONTEXT + 16, &alt.sp.to_le_bytes());
    put(&mut f, UCONTEXT + 24, &alt.flags.to_le_bytes());
    put(&mut f, UCONTEXT + 32, &alt.size.to_le_bytes());
    let gprs = [
        regs.r8,
        regs.r9,
        regs.r10,
        regs.r11,
        regs.r12,
        regs.r13,
        regs.r14,
        regs.r15,
        regs.rdi,
        regs.rsi,
        regs.rbp,
        regs.rbx,
        regs.rdx,
        regs.rax,
        regs.rcx,
        regs.rsp,
        regs.rip,
        regs.rflags,
    ];
    for (i, v) in gprs.iter().enumerate() {
        put(&mut f, MCONTEXT + i as u64 * 8, &v.to_le_bytes());
    }
    // cs, gs, fs, ss (16 bits each), then err, trapno, oldmask, cr2, fpstate.
    put(&mut f, MCONTEXT + 144, &0x33u16.to_le_bytes());
    put(&mut f, MCONTEXT + 150, &0x2bu16.to_le_bytes());
    let (trapno, err) = info.trap.unwrap_or((0, 0));
    put(&mut f, MCONTEXT + 152, &err.to_le_bytes());
    put(&mut f, MCONTEXT + 160, &trapno.to_le_bytes());
    put(&mut f, MCONTEXT + 168, &old_mask.to_le_bytes());
    put(
        &mut f,
        MCONTEXT + 176,
        &info
            .addr
            .filter(|_| info.trap.is_some_and(|t| t.0 == 14))
            .unwrap_or(0)
            .to_le_bytes(),
    );
    put(&mut f, MCONTEXT + 184, &fp_addr.to_le_bytes());
    put(&mut f, SIGMASK, &old_mask.to_le_bytes());
    put(&mut f, SIGINFO, &info.to_bytes());

    task.mm.copy_out(fp_addr, &fpu)?;
    task.mm.copy_out(frame, &f)?;

    let signo = info.signo;
    let mut block = action.mask;
    if action.flags & SA_NODEFER == 0 {
        block |= signal::bit(signo);
    }
    task.signals.block(block);
    if action.flags & SA_RESETHAND != 0 {
        let _ = task.signals.set_action(signo as u64, SigAction::default());
    }
    if alt.flags & signal::SS_AUTODISARM != 0 {
        task.signals.alt_stack = signal::AltStack::DISABLED;
    }
    let r = vcpu.regs_mut();
    r.rdi = signo as u64;
    r.rsi = frame + SIGINFO;
    r.rdx = frame + UCONTEXT;
    r.rax = 0;
    r.rsp = frame;
    r.rip = action.handler;
    r.rflags &= !HANDLER_CLEARS;
    vcpu.set_fpu_state(&initial_fpu_state())
        .map_err(|_| Errno::EFAULT)?;
    Ok(())
}

/// rt_sigreturn: restores the registers, signal mask and FPU state the frame at the
/// stack pointer holds (the handler's `ret` has popped the return address).
pub fn sigreturn(task: &mut Task, vcpu: &mut Vcpu, fpu_size: usize) -> SysResult<()> {
    let frame = vcpu.regs().rsp.wrapping_sub(8);
    let mut f = vec![0u8; FRAME_SIZE as usize];
    task.mm.copy_in(frame, &mut f)?;
    let word = |i: u64| get(&f, MCONTEXT + i * 8);
    let mask: SigSet = get(&f, SIGMASK);
    let fp_addr = word(23);
    let fpu = if fp_addr != 0 {
        let mut b = vec![0u8; fpu_size.max(576)];
        task.mm.copy_in(fp_addr, &mut b)?;
        b
    } else {
        initial_fpu_state()
    };
    vcpu.set_fpu_state(&fpu).map_err(|_| Errno::EFAULT)?;
    let r = vcpu.regs_mut();
    (r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15) = (
        word(0),
        word(1),
        word(2),
        word(3),
        word(4),
        word(5),
        word(6),
        word(7),
    );
    (
        r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip,
    ) = (
        word(8),
        word(9),
        word(10),
        word(11),
        word(12),
        word(13),
        word(14),
        word(15),
        word(16),
    );
    r.rflags = (r.rflags & !FIX_EFLAGS) | (word(17) & FIX_EFLAGS);
    task.signals.set_blocked(mask);
    // The alternate stack the frame holds, as sigaltstack would set it from the
    // handler's stack pointer; like Linux, a refusal (still on the stack) is ignored.
    let saved = signal::AltStack {
        sp: get(&f, UCONTEXT + 16),
        flags: get(&f, UCONTEXT + 24) as u32,
        size: get(&f, UCONTEXT + 32),
    };
    let _ = task.signals.alt_stack.replace(saved, frame + 8);
    Ok(())
}
