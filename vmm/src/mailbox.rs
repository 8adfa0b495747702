//! The syscall mailbox: a page through which a vCPU's syscall entry can hand a
//! syscall to a sentry thread polling on another core, instead of leaving the guest
//! (a VM exit costs tens of microseconds; this costs about one).
//!
//! Each vCPU has its own page in every address space it runs in ([`mailbox_virt`]),
//! in the kernel half, 1 GiB above the kernel structures, so that the vCPU's own copy
//! of the entry reaches it RIP-relative and needs no register to find it; threads on
//! different vCPUs never share one. It has to be user-accessible because on PVM the
//! entry runs at CPL3, so the program can read and write it: everything in it is
//! guest input. The worst a program can do through it is to make syscalls as one of
//! its own address space's tasks, or confuse itself.
//!
//! The protocol (the stub's half is in `arch::x86_64::stub::syscall_page`):
//! 1. If `ENABLED` is 0 the stub exits at once, touching nothing.
//! 2. Otherwise it stores the number, the arguments, RCX and R11, sets `STATE` to
//!    [`REQUEST`] and spins, at most `SPIN_LIMIT` rounds, while it stays `REQUEST`.
//! 3. A server that finds `REQUEST` either serves the call, storing `RESULT` and then
//!    [`DONE`] (or [`DONE_EXIT`]: served, but the sentry wants the vCPU), or answers
//!    [`REJECTED`] without doing anything.
//! 4. On `DONE`, at CPL3 only (at CPL0, on VMX/SVM, the way back would be `sysretq`,
//!    and the program could fake `DONE`), the stub sets the state back to [`IDLE`] and
//!    returns to the program with RAX = `RESULT`. On anything else (rejected, served
//!    with `DONE_EXIT`, or spun out) it restores the registers and exits exactly as a
//!    syscall without a mailbox would; the sentry then asks [`Mailbox::take_outcome`] whether that syscall was
//!    already served (the server may have finished after the stub stopped waiting).
//!
//! The server and the vCPU's own thread never act on one mailbox at the same time:
//! the sentry serializes them (the task is lent to the server only while its vCPU is
//! inside `KVM_RUN`), so the host side needs no compare-and-swap with the guest.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

use crate::arch::x86_64::layout::KERNEL_VIRT_BASE;
use crate::memory::{Frame, GuestRam};

/// Guest virtual address of the first mailbox page (the kernel slot's PDPT is per
/// address space, so these pages are too).
pub const MAILBOXES_VIRT: u64 = KERNEL_VIRT_BASE + (1 << 30);

/// Guest virtual address of vCPU `vcpu`'s mailbox in every address space.
pub const fn mailbox_virt(vcpu: u64) -> u64 {
    MAILBOXES_VIRT + vcpu * crate::memory::PAGE_SIZE
}

/// Offsets of the mailbox fields.
pub mod offset {
    /// u32: the request state ([`super::IDLE`] ...).
    pub const STATE: u8 = 0x00;
    /// u32: nonzero when the stub may use the mailbox.
    pub const ENABLED: u8 = 0x08;
    /// u32: how many rounds the stub waits for an answer before it exits.
    pub const SPIN_LIMIT: u8 = 0x0c;
    /// u64: the syscall number (RAX).
    pub const NR: u8 = 0x10;
    /// 6 x u64: RDI, RSI, RDX, R10, R8, R9.
    pub const ARGS: u8 = 0x18;
    /// u64: the return address `syscall` left in RCX.
    pub const RIP: u8 = 0x48;
    /// u64: the flags `syscall` left in R11.
    pub const RFLAGS: u8 = 0x50;
    /// u64: the result for RAX.
    pub const RESULT: u8 = 0x58;
    /// u64 pair: the stub's two-word stack for `popfq; pop %rsp` (flags, user RSP).
    pub const RETURN_STACK: u8 = 0x60;
}

/// No request outstanding.
pub const IDLE: u32 = 0;
/// The stub waits for an answer.
pub const REQUEST: u32 = 1;
/// Served: `RESULT` holds the return value.
pub const DONE: u32 = 2;
/// Not served: the stub must exit.
pub const REJECTED: u32 = 3;
/// Served, but the sentry needs the vCPU before the program continues (a signal).
pub const DONE_EXIT: u32 = 4;

/// Rounds of the stub's wait loop (a `pause` and a load each, some 10–40 ns): long
/// enough for a served call, short enough that a missed one costs little.
pub const DEFAULT_SPIN_LIMIT: u32 = 2000;

/// A syscall found in a mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    pub nr: u64,
    pub args: [u64; 6],
}

/// What became of the syscall a vCPU just exited with, as the mailbox tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Never served: serve it now.
    NotServed,
    /// The server declined it (it needs the vCPU, or would have to wait): serve it now.
    Declined,
    /// Already served with this result (the vCPU's thread finishes it: RAX, signals).
    Served { result: u64 },
}

/// A handle on one address space's mailbox page, usable from any thread.
#[derive(Clone)]
pub struct Mailbox {
    ram: Arc<GuestRam>,
    frame: Frame,
}

impl Mailbox {
    pub(crate) fn new(ram: Arc<GuestRam>, frame: Frame) -> Self {
        let mailbox = Mailbox { ram, frame };
        mailbox
            .u32_at(offset::SPIN_LIMIT)
            .store(DEFAULT_SPIN_LIMIT, Ordering::Relaxed);
        mailbox
    }

    fn host_address(&self, offset: u8) -> usize {
        self.ram.host_base() + self.frame.addr() as usize + usize::from(offset)
    }

    fn u32_at(&self, offset: u8) -> &AtomicU32 {
        // SAFETY: the frame is a RAM frame of `ram`, whose host mapping lives as long
        // as the Arc we hold; its frames are never unmapped from the host (a retired
        // frame reads as zeros). `offset` is a 4-aligned constant inside the page.
        // The guest writes this memory concurrently, which is why only atomics touch it.
        unsafe { AtomicU32::from_ptr(self.host_address(offset) as *mut u32) }
    }

    fn u64_at(&self, offset: u8) -> &AtomicU64 {
        // SAFETY: as in `u32_at`; `offset` is 8-aligned.
        unsafe { AtomicU64::from_ptr(self.host_address(offset) as *mut u64) }
    }

    /// Lets the stub use the mailbox, or makes it exit for every syscall.
    pub fn set_enabled(&self, enabled: bool) {
        self.u32_at(offset::ENABLED)
            .store(u32::from(enabled), Ordering::Release);
    }

    /// The waiting request, if the stub has posted one.
    pub fn pending(&self) -> Option<Request> {
        if self.u32_at(offset::STATE).load(Ordering::Acquire) != REQUEST {
            return None;
        }
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = self
                .u64_at(offset::ARGS + 8 * i as u8)
                .load(Ordering::Relaxed);
        }
        Some(Request {
            nr: self.u64_at(offset::NR).load(Ordering::Relaxed),
            args,
        })
    }

    /// Answers the pending request with `result` (DONE, or DONE_EXIT if `exit_wanted`).
    pub fn complete(&self, result: u64, exit_wanted: bool) {
        self.u64_at(offset::RESULT).store(result, Ordering::Relaxed);
        let state = if exit_wanted { DONE_EXIT } else { DONE };
        self.u32_at(offset::STATE).store(state, Ordering::Release);
    }

    /// Declines the pending request: the stub exits with it.
    pub fn reject(&self) {
        self.u32_at(offset::STATE)
            .store(REJECTED, Ordering::Release);
    }

    /// After a syscall exit: whether the server already served it. Resets the state.
    pub fn take_outcome(&self) -> Outcome {
        let state = self.u32_at(offset::STATE).swap(IDLE, Ordering::AcqRel);
        match state {
            DONE | DONE_EXIT => Outcome::Served {
                result: self.u64_at(offset::RESULT).load(Ordering::Relaxed),
            },
            REJECTED => Outcome::Declined,
            _ => Outcome::NotServed,
        }
    }
}
