//! KVM plumbing for the sentry: the VM, its vCPUs, guest physical memory, guest page
//! tables and the tiny guest stub that turns every syscall and exception into a VM exit.
//!
//! All `unsafe` of the project lives in this crate; the sentry is safe Rust.

pub mod address_space;
pub mod arch;
pub mod file_frames;
pub mod kick;
pub mod mailbox;
pub mod memory;
pub mod platform;
pub mod slots;
pub mod vcpu;
pub mod vm;

pub use address_space::{AddressSpace, PageFlags, Translation};
pub use kick::Kicker;
pub use mailbox::Mailbox;
pub use memory::{Frame, GuestRam, MemoryError, PAGE_SIZE};
pub use platform::SyscallReturn;
pub use vcpu::{Exit, UserRegs, Vcpu, VcpuError};
pub use vm::{Vm, VmError};
