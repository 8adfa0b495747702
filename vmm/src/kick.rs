//! Making a vCPU leave `KVM_RUN` from another thread (a signal was posted to the
//! task it runs). The kicker sets a flag and sends the running thread `KICK_SIGNAL`;
//! the signal's handler sets `kvm_run.immediate_exit`, so the vCPU leaves the guest
//! whether the signal lands inside `KVM_RUN` (which then returns EINTR) or just
//! before it (KVM sees `immediate_exit` and returns at once). The flag covers a kick
//! that lands before the thread has published where its `immediate_exit` is.

use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};

/// The host signal used for kicks (SA_RESTART: other host syscalls just restart).
pub const KICK_SIGNAL: libc::c_int = libc::SIGUSR2;

thread_local! {
    /// The `immediate_exit` byte of the vCPU this thread is about to run, or null.
    static IMMEDIATE_EXIT: Cell<*mut u8> = const { Cell::new(std::ptr::null_mut()) };
}

extern "C" fn on_kick(_: libc::c_int) {
    let target = IMMEDIATE_EXIT.with(Cell::get);
    if !target.is_null() {
        // SAFETY: the pointer is published only while this thread is inside
        // `Vcpu::run`, which holds the vCPU (and so its kvm_run mapping) borrowed;
        // a volatile byte store is async-signal-safe.
        unsafe { std::ptr::write_volatile(target, 1) };
    }
}

/// Installs the kick handler once per process.
pub(crate) fn install_handler() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a zeroed sigaction with a plain handler and an empty mask is valid;
        // the handler only touches a thread-local pointer (see `on_kick`).
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_kick as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(KICK_SIGNAL, &action, std::ptr::null_mut()) != 0 {
                log::error!(
                    "cannot install the vCPU kick handler: {}",
                    std::io::Error::last_os_error()
                );
            }
        }
    });
}

/// Publishes `immediate_exit` for this thread's kick handler until dropped.
pub(crate) struct Published;

impl Published {
    pub(crate) fn new(immediate_exit: *mut u8) -> Published {
        IMMEDIATE_EXIT.with(|c| c.set(immediate_exit));
        Published
    }
}

impl Drop for Published {
    fn drop(&mut self) {
        IMMEDIATE_EXIT.with(|c| c.set(std::ptr::null_mut()));
    }
}

/// A handle that interrupts one vCPU's thread; cheap to clone, safe to use after the
/// thread has moved on (a stray kick only makes some `KVM_RUN` return early).
#[derive(Clone, Debug)]
pub struct Kicker {
    pub(crate) requested: Arc<AtomicBool>,
    tid: libc::pid_t,
}

impl Kicker {
    pub(crate) fn for_current_thread(requested: Arc<AtomicBool>) -> Kicker {
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        Kicker { requested, tid }
    }

    /// Makes the vCPU leave the guest soon (or not enter it next time).
    pub fn kick(&self) {
        self.requested.store(true, Ordering::Release);
        // SAFETY: tgkill only sends a signal; a thread id that has gone (or been
        // reused by another of our threads) receives a no-op kick at worst.
        unsafe {
            libc::syscall(libc::SYS_tgkill, libc::getpid(), self.tid, KICK_SIGNAL);
        }
    }
}
