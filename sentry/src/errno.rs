//! Errors returned to the guest: Linux errno values, chosen where the failure happens
//! and turned into `-errno` once, at syscall dispatch.

pub use syscalls::Errno;

/// The result of kernel work done for the guest.
pub type SysResult<T> = Result<T, Errno>;

/// A handler reached without the task's vCPU (a syscall the syscall server took)
/// needs it: the call is handed back to the vCPU's thread. Never reaches the guest.
pub const NEEDS_VCPU: Errno = Errno::ERESTARTNOINTR;
