//! A virtual CPU running user code: `run` enters the guest and comes back with the
//! next syscall or exception, decoded into the user's register state; the next `run`
//! resumes with whatever the sentry left in `regs()`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use kvm_bindings::{kvm_regs, kvm_sregs};
use kvm_ioctls::{SyncReg, VcpuExit, VcpuFd};

use crate::arch::x86_64::gdt::{USER_CS, USER_DS};
use crate::arch::x86_64::layout::*;
use crate::arch::x86_64::stub::IRET_TRAMPOLINE_OFFSET;
use crate::memory::GuestRam;
use crate::platform::SyscallReturn;

/// The user-visible general purpose registers, RIP and RFLAGS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserRegs {
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub rbp: u64,
    pub rsp: u64,
    pub r8: u64,
    pub r9: u64,
    pub r10: u64,
    pub r11: u64,
    pub r12: u64,
    pub r13: u64,
    pub r14: u64,
    pub r15: u64,
    pub rip: u64,
    pub rflags: u64,
}

impl UserRegs {
    fn from_kvm(r: &kvm_regs) -> Self {
        UserRegs {
            rax: r.rax,
            rbx: r.rbx,
            rcx: r.rcx,
            rdx: r.rdx,
            rsi: r.rsi,
            rdi: r.rdi,
            rbp: r.rbp,
            rsp: r.rsp,
            r8: r.r8,
            r9: r.r9,
            r10: r.r10,
            r11: r.r11,
            r12: r.r12,
            r13: r.r13,
            r14: r.r14,
            r15: r.r15,
            rip: r.rip,
            rflags: r.rflags,
        }
    }

    fn to_kvm(self) -> kvm_regs {
        kvm_regs {
            rax: self.rax,
            rbx: self.rbx,
            rcx: self.rcx,
            rdx: self.rdx,
            rsi: self.rsi,
            rdi: self.rdi,
            rbp: self.rbp,
            rsp: self.rsp,
            r8: self.r8,
            r9: self.r9,
            r10: self.r10,
            r11: self.r11,
            r12: self.r12,
            r13: self.r13,
            r14: self.r14,
            r15: self.r15,
            rip: self.rip,
            rflags: self.rflags,
        }
    }
}

/// Why the guest stopped running user code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// The program executed `syscall`; `regs().rax` is the number, `regs().rip` the return address.
    Syscall,
    /// A CPU exception in user mode; `regs()` is the state at the faulting instruction.
    Exception {
        vector: u8,
        error_code: u64,
        /// CR2 for a page fault, 0 otherwise.
        fault_addr: u64,
    },
    /// `KVM_RUN` was interrupted by a host signal (a kick); nothing happened in the guest.
    Interrupted,
}

/// Errors that end the vCPU: the VM is unusable afterwards.
#[derive(Debug, thiserror::Error)]
pub enum VcpuError {
    #[error("KVM ioctl {what} failed: {source}")]
    Ioctl {
        what: &'static str,
        source: kvm_ioctls::Error,
    },
    #[error("the guest stopped unexpectedly: {0}")]
    Unexpected(String),
    #[error("guest memory: {0}")]
    Memory(#[from] crate::memory::MemoryError),
}

fn ioctl<T>(what: &'static str, r: Result<T, kvm_ioctls::Error>) -> Result<T, VcpuError> {
    r.map_err(|source| VcpuError::Ioctl { what, source })
}

/// How the registers in `regs` get back into the CPU at the next `run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Resume {
    /// The CPU is at CPL3 (initial state, or a PVM syscall stub): load the registers.
    LoadRegisters,
    /// The CPU is at CPL0 in the stub: build an `iretq` frame and go through the trampoline.
    Iret,
    /// Nothing was taken out of the CPU (an interrupted `KVM_RUN`).
    Untouched,
}

/// Counters for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct VcpuStats {
    pub syscall_exits: u64,
    pub exception_exits: u64,
    pub interrupted_exits: u64,
    /// Wall time spent inside `KVM_RUN` (guest code plus exit overhead).
    pub time_in_guest: Duration,
}

/// Number of 8-byte slots the exception entry leaves on the stack:
/// vector, error code, rip, cs, rflags, rsp, ss.
const EXCEPTION_FRAME_SLOTS: u64 = 7;
const IRET_FRAME_SLOTS: u64 = 5;

/// One vCPU of the VM.
pub struct Vcpu {
    fd: VcpuFd,
    id: u64,
    /// Where this vCPU's exception entries leave their frame (its own stack).
    exception_stack_top: u64,
    ram: Arc<GuestRam>,
    slots: Arc<crate::slots::MemorySlots>,
    regs: UserRegs,
    resume: Resume,
    syscall_return: Option<SyscallReturn>,
    stats: VcpuStats,
    /// Set by a `Kicker`: leave (or do not enter) the guest.
    kick_requested: Arc<std::sync::atomic::AtomicBool>,
}

impl Vcpu {
    /// Wraps a configured vCPU. Registers travel through the `kvm_run` page
    /// (KVM_CAP_SYNC_REGS) instead of an ioctl each way: an exit is costly enough.
    pub(crate) fn new(
        mut fd: VcpuFd,
        id: u64,
        ram: Arc<GuestRam>,
        slots: Arc<crate::slots::MemorySlots>,
        regs: UserRegs,
    ) -> Result<Self, VcpuError> {
        let kregs = ioctl("KVM_GET_REGS", fd.get_regs())?;
        let sregs = ioctl("KVM_GET_SREGS", fd.get_sregs())?;
        fd.set_sync_valid_reg(SyncReg::Register);
        fd.set_sync_valid_reg(SyncReg::SystemRegister);
        let sync = fd.sync_regs_mut();
        sync.regs = kregs;
        sync.sregs = sregs;
        Ok(Vcpu {
            fd,
            id,
            exception_stack_top: exception_stack_top_phys(id),
            ram,
            slots,
            regs,
            resume: Resume::LoadRegisters,
            syscall_return: None,
            stats: VcpuStats::default(),
            kick_requested: Arc::default(),
        })
    }

    /// The vCPU's number (which mailbox its syscall entry uses).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The user register state as of the last exit; changes are applied at the next `run`.
    pub fn regs(&self) -> &UserRegs {
        &self.regs
    }

    /// Mutable user register state (syscall results, signal frames, exec).
    pub fn regs_mut(&mut self) -> &mut UserRegs {
        if self.resume == Resume::Untouched {
            self.resume = Resume::LoadRegisters;
        }
        &mut self.regs
    }

    /// Exit counters and time inside the guest.
    pub fn stats(&self) -> VcpuStats {
        self.stats
    }

    /// The syscall return path once detected (after the first syscall exit).
    pub fn syscall_return(&self) -> Option<SyscallReturn> {
        self.syscall_return
    }

    /// Changes system registers; KVM loads them at the next entry.
    fn update_sregs(&mut self, f: impl FnOnce(&mut kvm_sregs)) -> Result<(), VcpuError> {
        f(&mut self.fd.sync_regs_mut().sregs);
        self.fd.set_sync_dirty_reg(SyncReg::SystemRegister);
        Ok(())
    }

    fn load_regs(&mut self, regs: kvm_regs) {
        self.fd.sync_regs_mut().regs = regs;
        self.fd.set_sync_dirty_reg(SyncReg::Register);
    }

    /// The FPU/SSE/AVX state in XSAVE layout (the first `len` bytes, at most 4096).
    pub fn fpu_state(&self, len: usize) -> Result<Vec<u8>, VcpuError> {
        let xsave = ioctl("KVM_GET_XSAVE", self.fd.get_xsave())?;
        let bytes: Vec<u8> = xsave.region.iter().flat_map(|w| w.to_le_bytes()).collect();
        Ok(bytes[..len.min(bytes.len())].to_vec())
    }

    /// Loads FPU/SSE/AVX state from XSAVE layout bytes (missing bytes are zero).
    pub fn set_fpu_state(&mut self, bytes: &[u8]) -> Result<(), VcpuError> {
        let mut xsave = kvm_bindings::kvm_xsave::default();
        for (i, word) in xsave.region.iter_mut().enumerate() {
            let mut w = [0u8; 4];
            for (j, b) in w.iter_mut().enumerate() {
                *b = bytes.get(i * 4 + j).copied().unwrap_or(0);
            }
            *word = u32::from_le_bytes(w);
        }
        // SAFETY: `xsave` is a fully initialized region of the size KVM_SET_XSAVE reads;
        // KVM validates its contents (an invalid header gives EINVAL, not corruption).
        ioctl("KVM_SET_XSAVE", unsafe { self.fd.set_xsave(&xsave) })
    }

    /// The vCPU's TSC frequency in kHz.
    pub fn tsc_khz(&self) -> Result<u32, VcpuError> {
        ioctl("KVM_GET_TSC_KHZ", self.fd.get_tsc_khz())
    }

    /// The guest's TSC minus the host's, measured now (for a vDSO clock).
    pub fn tsc_offset(&self) -> Result<u64, VcpuError> {
        const MSR_IA32_TSC: u32 = 0x10;
        let mut msrs = kvm_bindings::Msrs::from_entries(&[kvm_bindings::kvm_msr_entry {
            index: MSR_IA32_TSC,
            ..Default::default()
        }])
        .map_err(|_| VcpuError::Unexpected("MSR list".into()))?;
        // SAFETY: rdtsc reads a counter and has no memory effects.
        let host = unsafe { core::arch::x86_64::_rdtsc() };
        ioctl("KVM_GET_MSRS", self.fd.get_msrs(&mut msrs))?;
        let guest = msrs.as_slice().first().map_or(0, |m| m.data);
        Ok(guest.wrapping_sub(host))
    }

    /// Sets the FS segment base (the thread pointer, `arch_prctl(ARCH_SET_FS)`).
    pub fn set_fs_base(&mut self, base: u64) -> Result<(), VcpuError> {
        self.update_sregs(|s| s.fs.base = base)
    }

    /// Sets the GS segment base (`arch_prctl(ARCH_SET_GS)`).
    pub fn set_gs_base(&mut self, base: u64) -> Result<(), VcpuError> {
        self.update_sregs(|s| s.gs.base = base)
    }

    /// The FS and GS segment bases.
    pub fn segment_bases(&self) -> Result<(u64, u64), VcpuError> {
        let s = self.fd.sync_regs().sregs;
        Ok((s.fs.base, s.gs.base))
    }

    /// Switches the vCPU to the page table rooted at `cr3`.
    pub fn set_address_space(&mut self, cr3: u64) -> Result<(), VcpuError> {
        self.update_sregs(|s| s.cr3 = cr3)
    }

    fn load_for_resume(&mut self) -> Result<(), VcpuError> {
        match self.resume {
            Resume::Untouched => Ok(()),
            Resume::LoadRegisters => {
                self.load_regs(self.regs.to_kvm());
                Ok(())
            }
            Resume::Iret => {
                let frame_phys = self.exception_stack_top - IRET_FRAME_SLOTS * 8;
                let frame = [
                    self.regs.rip,
                    u64::from(USER_CS),
                    self.regs.rflags,
                    self.regs.rsp,
                    u64::from(USER_DS),
                ];
                for (i, v) in frame.iter().enumerate() {
                    self.ram.write_u64(frame_phys + i as u64 * 8, *v)?;
                }
                let mut k = self.regs.to_kvm();
                k.rsp = kernel_virt(frame_phys);
                k.rip = kernel_virt(KERNEL_STUB_PHYS) + IRET_TRAMPOLINE_OFFSET;
                k.rflags = 0x2;
                self.load_regs(k);
                Ok(())
            }
        }
    }

    /// A handle other threads use to interrupt this vCPU while the calling thread
    /// runs it (get a new one whenever another thread takes the vCPU over).
    pub fn kicker(&self) -> crate::kick::Kicker {
        crate::kick::install_handler();
        crate::kick::Kicker::for_current_thread(self.kick_requested.clone())
    }

    /// Runs user code until the next syscall or exception, or until kicked
    /// (`Exit::Interrupted`, with `regs()` the user state where it stopped).
    pub fn run(&mut self) -> Result<Exit, VcpuError> {
        use std::sync::atomic::Ordering;
        loop {
            self.load_for_resume()?;
            ioctl("KVM_SET_USER_MEMORY_REGION", self.slots.ensure())?;
            let immediate_exit: *mut u8 = &mut self.fd.get_kvm_run().immediate_exit;
            let published = crate::kick::Published::new(immediate_exit);
            if self.kick_requested.swap(false, Ordering::AcqRel) {
                // Not entered: `regs` is still exactly the user state.
                drop(published);
                self.stats.interrupted_exits += 1;
                return Ok(Exit::Interrupted);
            }
            let started = Instant::now();
            let outcome = match self.fd.run() {
                Ok(VcpuExit::IoOut(port, _)) => Ok(Some(port)),
                Ok(other) => Err(VcpuError::Unexpected(format!("{other:?}"))),
                Err(e) if e.errno() == libc::EINTR || e.errno() == libc::EAGAIN => Ok(None),
                Err(source) => Err(VcpuError::Ioctl {
                    what: "KVM_RUN",
                    source,
                }),
            };
            if outcome.is_err() {
                let sync = self.fd.sync_regs();
                let (r, s) = (sync.regs, sync.sregs);
                log::error!(
                    "unexpected exit at rip {:#x} rsp {:#x} cs {:#x} cr3 {:#x} rflags {:#x}",
                    r.rip,
                    r.rsp,
                    s.cs.selector,
                    s.cr3,
                    r.rflags
                );
            }
            self.stats.time_in_guest += started.elapsed();
            drop(published);
            self.fd.set_kvm_immediate_exit(0);
            self.kick_requested.store(false, Ordering::Release);
            let Some(port) = outcome? else {
                self.stats.interrupted_exits += 1;
                let sync = self.fd.sync_regs();
                let in_user_code = sync.sregs.cs.selector & 3 == 3 && sync.regs.rip < USER_VIRT_END;
                if in_user_code {
                    self.regs = UserRegs::from_kvm(&sync.regs);
                    self.resume = Resume::LoadRegisters;
                    return Ok(Exit::Interrupted);
                }
                if let Some(exit) = self.stopped_in_syscall_entry()? {
                    return Ok(exit);
                }
                // Stopped inside an exception entry: let it finish; its exit comes next.
                self.resume = Resume::Untouched;
                continue;
            };
            let kregs = self.fd.sync_regs().regs;
            return match port {
                SYSCALL_PORT => self.decode_syscall(&kregs),
                EXCEPTION_PORT => self.decode_exception(&kregs),
                _ => Err(VcpuError::Unexpected(format!(
                    "write to I/O port {port:#x}"
                ))),
            };
        }
    }

    /// A kick stopped the vCPU inside the syscall entry. Letting it run on would lose
    /// the kick when the entry returns to the program without an exit (a call served
    /// from the mailbox), so the stop becomes the exit it stands for: the syscall, as
    /// `syscall` left the registers (the mailbox then tells whether it was served), or,
    /// once the served result is committed, the program's state after the call.
    fn stopped_in_syscall_entry(&mut self) -> Result<Option<Exit>, VcpuError> {
        use crate::mailbox::{mailbox_virt, offset};
        let sync = self.fd.sync_regs();
        let (mut kregs, cr3) = (sync.regs, sync.sregs.cr3);
        let base = kernel_virt(syscall_entry_phys(self.id));
        let marks = crate::arch::x86_64::stub::syscall_entry_marks();
        let Some(at) = kregs.rip.checked_sub(base).filter(|at| *at < marks.end) else {
            return Ok(None);
        };
        if at < marks.posting || (marks.exit..marks.done).contains(&at) {
            return self.decode_syscall(&kregs).map(Some);
        }
        let page = crate::address_space::walk(&self.ram, cr3, mailbox_virt(self.id))
            .ok_or_else(|| VcpuError::Unexpected("no syscall mailbox".into()))?;
        let field = |offset: u8| self.ram.read_u64(page + u64::from(offset));
        kregs.rcx = field(offset::RIP)?;
        kregs.r11 = field(offset::RFLAGS)?;
        if at < marks.committed {
            // Posted (RAX still holds the number): served or not, the mailbox says.
            return self.decode_syscall(&kregs).map(Some);
        }
        if at >= marks.rsp_saved {
            kregs.rsp = field(offset::RETURN_STACK + 8)?;
        }
        kregs.rax = field(offset::RESULT)?;
        kregs.rip = kregs.rcx;
        kregs.rflags = kregs.r11;
        self.regs = UserRegs::from_kvm(&kregs);
        self.resume = Resume::LoadRegisters;
        Ok(Some(Exit::Interrupted))
    }

    fn decode_syscall(&mut self, kregs: &kvm_regs) -> Result<Exit, VcpuError> {
        self.stats.syscall_exits += 1;
        let path = match self.syscall_return {
            Some(path) => path,
            None => {
                let sregs = self.fd.sync_regs().sregs;
                let path = SyscallReturn::for_stub_cs(sregs.cs.selector);
                log::debug!(
                    "syscall stub runs with CS {:#x}: returning by {path:?}",
                    sregs.cs.selector
                );
                self.syscall_return = Some(path);
                path
            }
        };
        let mut regs = UserRegs::from_kvm(kregs);
        // `syscall` saved the return address in RCX and the flags in R11.
        regs.rip = kregs.rcx;
        regs.rflags = kregs.r11;
        self.regs = regs;
        self.resume = match path {
            SyscallReturn::LoadUserRegisters => Resume::LoadRegisters,
            SyscallReturn::IretFromSupervisor => Resume::Iret,
        };
        Ok(Exit::Syscall)
    }

    fn decode_exception(&mut self, kregs: &kvm_regs) -> Result<Exit, VcpuError> {
        self.stats.exception_exits += 1;
        let frame_phys = self.exception_stack_top - EXCEPTION_FRAME_SLOTS * 8;
        if kregs.rsp != kernel_virt(frame_phys) {
            return Err(VcpuError::Unexpected(format!(
                "exception entry with stack {:#x} (nested fault in the stub?)",
                kregs.rsp
            )));
        }
        let mut slot = [0u64; EXCEPTION_FRAME_SLOTS as usize];
        for (i, v) in slot.iter_mut().enumerate() {
            *v = self.ram.read_u64(frame_phys + i as u64 * 8)?;
        }
        let [vector, error_code, rip, cs, rflags, rsp, _ss] = slot;
        if cs & 3 != 3 {
            return Err(VcpuError::Unexpected(format!(
                "exception {vector} in supervisor mode at {rip:#x}"
            )));
        }
        let sregs = self.fd.sync_regs().sregs;
        if sregs.cs.selector & 3 != 0
            || vector >= u64::from(crate::arch::x86_64::stub::EXCEPTION_VECTORS)
        {
            // User code wrote the exception port itself: not an exception.
            return Err(VcpuError::Unexpected(
                "exception port written from user mode".into(),
            ));
        }
        let fault_addr = if vector == 14 { sregs.cr2 } else { 0 };
        let mut regs = UserRegs::from_kvm(kregs);
        regs.rip = rip;
        regs.rflags = rflags;
        regs.rsp = rsp;
        self.regs = regs;
        self.resume = Resume::Iret;
        Ok(Exit::Exception {
            vector: vector as u8,
            error_code,
            fault_addr,
        })
    }
}
