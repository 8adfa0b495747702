//! The one seam between PVM-backed `/dev/kvm` and ordinary VMX/SVM KVM.
//!
//! On VMX/SVM, `syscall` enters the stub at CPL0 (kernel CS) and the way back to user
//! mode is an `iretq`. On PVM the stub keeps the user CS and runs at CPL3, where
//! `iretq` to a kernel-stack frame is impossible but simply loading the user's
//! registers (RIP=return address, RFLAGS) returns. Exceptions reach CPL0 on both, so
//! they always return through `iretq`. The seam is detected at the first syscall exit
//! from the CS the stub ran with, never assumed.

/// How the VMM returns from a syscall exit to the user program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyscallReturn {
    /// The stub ran at CPL3 (PVM): write the user registers and resume.
    LoadUserRegisters,
    /// The stub ran at CPL0 (VMX/SVM): resume through the `iretq` trampoline.
    IretFromSupervisor,
}

impl SyscallReturn {
    /// The return path implied by the code segment selector the stub ran with.
    pub fn for_stub_cs(cs_selector: u16) -> SyscallReturn {
        if cs_selector & 3 == 3 {
            SyscallReturn::LoadUserRegisters
        } else {
            SyscallReturn::IretFromSupervisor
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_from_rpl() {
        assert_eq!(
            SyscallReturn::for_stub_cs(0x33),
            SyscallReturn::LoadUserRegisters
        );
        assert_eq!(
            SyscallReturn::for_stub_cs(0x10),
            SyscallReturn::IretFromSupervisor
        );
    }
}
