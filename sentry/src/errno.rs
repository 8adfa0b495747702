//! Errors returned to the guest: Linux errno values, chosen where the failure happens
//! and turned into `-errno` once, at syscall dispatch.

pub use syscalls::Errno;

/// The result of kernel work done for the guest.
pub type SysResult<T> = Result<T, Errno>;
