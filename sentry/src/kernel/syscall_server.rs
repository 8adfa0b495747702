//! The syscall server: one sentry thread that serves the syscalls running tasks post
//! in their vCPU's mailbox (`vmm::mailbox`), while their vCPUs stay in the guest. A VM exit costs tens of microseconds on PVM; a call served this way costs
//! about one plus its own work.
//!
//! A task takes a [`Seat`] for as long as its run loop lives. Before each `KVM_RUN` the
//! loop lends the task to its seat (when the fast path may be used, `Seat::lend`), and
//! takes it back when `KVM_RUN` returns (`Seat::reclaim`). The seat's lock is what
//! keeps the server and the vCPU's thread from ever acting on one task, or one
//! mailbox, at the same time.
//!
//! The server polls while there is work and parks after `IDLE_WINDOW` without any,
//! turning every mailbox off first; lending wakes it. A stub that finds its mailbox
//! off, or is not answered in time, just exits: the server can be late, never wrong.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use vmm::mailbox::Request;
use vmm::Mailbox;

use super::task::Task;
use super::{Ctx, Kernel};
use crate::syscall::{fast_path, Args};

/// How long the server polls without finding work before it parks: several VM exits'
/// worth, so that a program's calls between two exits (a fault, a call that needs the
/// vCPU) still find it polling.
const IDLE_WINDOW: std::time::Duration = std::time::Duration::from_micros(120);
/// Empty rounds between two looks at the clock.
const ROUNDS_PER_CLOCK_READ: u32 = 64;

/// A task lent to the server, with its vCPU's mailbox.
struct Lent {
    task: Task,
    mailbox: Mailbox,
    /// The server served a call of the task while it was lent.
    served: bool,
}

/// Where one running task sits while its vCPU is in the guest.
#[derive(Default)]
pub struct Seat {
    lent: Mutex<Option<Lent>>,
}

impl Seat {
    fn lock(&self) -> MutexGuard<'_, Option<Lent>> {
        self.lent.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Lends `task` to the server until `reclaim`.
    pub fn lend(&self, task: Task, mailbox: Mailbox) {
        *self.lock() = Some(Lent {
            task,
            mailbox,
            served: false,
        });
    }

    /// Takes the lent task back, once the server is done with any call of it; and
    /// whether the server served any meanwhile.
    pub fn reclaim(&self) -> Option<(Task, bool)> {
        self.lock().take().map(|lent| (lent.task, lent.served))
    }
}

/// The server and the seats of the running tasks.
#[derive(Default)]
pub struct SyscallServer {
    seats: Mutex<Vec<Arc<Seat>>>,
    /// Bumped whenever `seats` changes, so the server re-reads it only then.
    seats_changed: AtomicU64,
    /// The server is polling (not parked).
    polling: AtomicBool,
    thread: OnceLock<std::thread::Thread>,
    /// The server thread's host tid, for steering it off a vCPU thread's core.
    tid: std::sync::atomic::AtomicI32,
    /// Calls served without a VM exit (for `--stats`).
    served: AtomicU64,
}

impl SyscallServer {
    fn seats(&self) -> MutexGuard<'_, Vec<Arc<Seat>>> {
        self.seats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Starts the server thread (once), if the sentry may use two CPUs at least: on
    /// one, polling could only take time from the vCPU. Without it every syscall exits.
    pub fn start(kernel: &Arc<Kernel>) {
        if crate::host::affinity_cpu_count().unwrap_or(1) < 2 {
            log::debug!("one CPU: no syscall server");
            return;
        }
        let server_kernel = kernel.clone();
        let spawned = std::thread::Builder::new()
            .name("syscall-server".into())
            .spawn(move || serve_forever(&server_kernel));
        match spawned {
            Ok(handle) => {
                let _ = kernel.syscall_server.thread.set(handle.thread().clone());
            }
            Err(e) => log::warn!("no syscall server ({e}): every syscall exits the VM"),
        }
    }

    /// A seat for a task's run loop; give it back with `leave`.
    pub fn take_seat(&self) -> Arc<Seat> {
        let seat = Arc::new(Seat::default());
        self.seats().push(seat.clone());
        self.seats_changed.fetch_add(1, Ordering::Release);
        seat
    }

    pub fn leave(&self, seat: &Arc<Seat>) {
        self.seats().retain(|s| !Arc::ptr_eq(s, seat));
        self.seats_changed.fetch_add(1, Ordering::Release);
    }

    /// Whether the server is running at all.
    pub fn available(&self) -> bool {
        self.thread.get().is_some()
    }

    /// Whether the server is polling now.
    pub fn polling(&self) -> bool {
        self.polling.load(Ordering::Acquire)
    }

    /// Makes the server poll (a task is about to be lent); false if there is none.
    pub fn wake(&self) -> bool {
        let Some(thread) = self.thread.get() else {
            return false;
        };
        if !self.polling.swap(true, Ordering::AcqRel) {
            thread.unpark();
        }
        true
    }

    /// A call posted while the server was polling went unanswered: the host most
    /// likely woke the server onto the caller's own core, where it waits behind the
    /// vCPU for a time slice while another core idles (the scheduler balances only at
    /// its next tick). Moving it off this core now costs one host call.
    pub fn missed_here(&self) {
        let tid = self.tid.load(Ordering::Relaxed);
        if tid == 0 {
            return;
        }
        if let Some(cpu) = crate::host::current_cpu() {
            if let Err(e) = crate::host::keep_thread_off_cpu(tid, cpu) {
                log::debug!("syscall server stays where it is: {e}");
            }
        }
    }

    /// Calls served without a VM exit so far.
    pub fn served(&self) -> u64 {
        self.served.load(Ordering::Relaxed)
    }
}

fn serve_forever(kernel: &Arc<Kernel>) {
    let server = &kernel.syscall_server;
    server
        .tid
        .store(crate::host::thread_id(), Ordering::Relaxed);
    let mut seats: Vec<Arc<Seat>> = Vec::new();
    let mut seen_changes = u64::MAX;
    let mut idle = 0u32;
    // Parked until the first task is lent: polling meanwhile would only take a core
    // from the sandbox's setup.
    while !server.polling.load(Ordering::Acquire) {
        std::thread::park();
    }
    let mut busy_at = std::time::Instant::now();
    loop {
        let changes = server.seats_changed.load(Ordering::Acquire);
        if changes != seen_changes {
            seats = server.seats().clone();
            seen_changes = changes;
        }
        let mut busy = false;
        for seat in &seats {
            // A seat being reclaimed is its vCPU thread's now: skip it.
            let mut lent = match seat.lent.try_lock() {
                Ok(lent) => lent,
                Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => continue,
            };
            if let Some(lent) = lent.as_mut() {
                if let Some(request) = lent.mailbox.pending() {
                    serve_one(kernel, lent, request);
                    busy = true;
                }
            }
        }
        if busy {
            idle = 0;
            busy_at = std::time::Instant::now();
            continue;
        }
        idle += 1;
        if !idle.is_multiple_of(ROUNDS_PER_CLOCK_READ) || busy_at.elapsed() < IDLE_WINDOW {
            std::hint::spin_loop();
            continue;
        }
        // Park: every mailbox off first, then a last look for a request posted
        // before its stub saw the switch (a stub that misses it just exits).
        server.polling.store(false, Ordering::Release);
        for seat in &seats {
            if let Some(lent) = seat.lock().as_mut() {
                lent.mailbox.set_enabled(false);
                if let Some(request) = lent.mailbox.pending() {
                    serve_one(kernel, lent, request);
                }
            }
        }
        while !server.polling.load(Ordering::Acquire) {
            std::thread::park();
        }
        idle = 0;
        busy_at = std::time::Instant::now();
    }
}

/// Serves (or declines) one posted call of a lent task.
fn serve_one(kernel: &Arc<Kernel>, lent: &mut Lent, request: Request) {
    let task = &mut lent.task;
    let args = Args(request.args);
    let signal_waiting = task.pending_signals() & !task.signals.blocked != 0;
    if signal_waiting || !fast_path::servable(task, request.nr, &args) {
        lent.mailbox.reject();
        return;
    }
    super::process::set_current_pid(task.pid);
    task.must_not_sleep = true;
    let ret = crate::syscall::serve(
        &mut Ctx {
            kernel,
            task,
            vcpu: None,
        },
        request.nr,
        &args,
    );
    lent.task.must_not_sleep = false;
    if ret == -i64::from(crate::errno::NEEDS_VCPU.into_raw()) {
        lent.mailbox.reject();
        return;
    }
    lent.served = true;
    kernel.count_syscall(request.nr);
    kernel.syscall_server.served.fetch_add(1, Ordering::Relaxed);
    let task = &lent.task;
    let exit_wanted = task.exit.is_some()
        || task.keep_registers
        || ret == -i64::from(crate::errno::Errno::ERESTARTSYS.into_raw())
        || task.pending_signals() & !task.signals.blocked != 0;
    lent.mailbox.complete(ret as u64, exit_wanted);
}
