//! A task: one thread of one process. Threads of a process share its address space
//! (`Mm`), dispositions, thread group and (with CLONE_FILES) descriptor table; each has
//! its own registers (on its vCPU), signal mask and inbox.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::fd::FdTable;
use super::process::ProcessInfo;
use super::signal::{SignalInbox, SignalState};
use super::wait::{Interrupted, WaitQueue};
use crate::fs::path::Dentry;
use crate::mm::Mm;

/// A process's view of the filesystem: root, working directory and umask.
#[derive(Clone)]
pub struct FsContext {
    pub root: Arc<Dentry>,
    pub cwd: Arc<Dentry>,
    pub umask: u32,
}

/// A task's `FsContext`, as a handle: threads created with CLONE_FS (all pthreads)
/// share one, so a chdir or umask in one is seen by the others; `copy` makes an
/// independent one (fork, clone without CLONE_FS).
pub struct SharedFs(Arc<Mutex<FsContext>>);

impl SharedFs {
    pub fn new(fs: FsContext) -> Self {
        SharedFs(Arc::new(Mutex::new(fs)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, FsContext> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current root, working directory and umask.
    pub fn get(&self) -> FsContext {
        self.lock().clone()
    }

    pub fn root(&self) -> Arc<Dentry> {
        self.lock().root.clone()
    }

    pub fn cwd(&self) -> Arc<Dentry> {
        self.lock().cwd.clone()
    }

    pub fn umask(&self) -> u32 {
        self.lock().umask
    }

    pub fn set_cwd(&self, cwd: Arc<Dentry>) {
        self.lock().cwd = cwd;
    }

    /// Sets the umask; the old one.
    pub fn replace_umask(&self, umask: u32) -> u32 {
        std::mem::replace(&mut self.lock().umask, umask)
    }

    /// The same context, shared (CLONE_FS).
    pub fn share(&self) -> SharedFs {
        SharedFs(self.0.clone())
    }

    /// An independent copy.
    pub fn copy(&self) -> SharedFs {
        SharedFs::new(self.get())
    }
}

/// User and group ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
}

impl Credentials {
    /// A process whose real, effective, saved and filesystem ids are all `uid`/`gid`.
    pub fn of(uid: u32, gid: u32) -> Self {
        Credentials {
            uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
        }
    }
}

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(u8),
    Killed(i32),
}

impl ExitStatus {
    /// The status a shell reports: the exit code, or 128 + the signal number.
    pub fn shell_code(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => i32::from(code),
            ExitStatus::Killed(signo) => 128 + signo,
        }
    }
}

/// One resource limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_NOFILE: usize = 7;
pub const RLIMIT_COUNT: usize = 16;

/// Linux's defaults for a login shell on a Debian system.
pub fn default_rlimits() -> [Rlimit; RLIMIT_COUNT] {
    let inf = Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    };
    let mut limits = [inf; RLIMIT_COUNT];
    limits[RLIMIT_STACK] = Rlimit {
        cur: 8 << 20,
        max: RLIM_INFINITY,
    };
    limits[4] = Rlimit {
        cur: 0,
        max: RLIM_INFINITY,
    }; // RLIMIT_CORE
    limits[6] = Rlimit {
        cur: 4096,
        max: 4096,
    }; // RLIMIT_NPROC
    let (soft, hard) = super::fd::default_fd_limit();
    limits[RLIMIT_NOFILE] = Rlimit {
        cur: soft as u64,
        max: hard as u64,
    };
    limits[8] = Rlimit {
        cur: 8 << 20,
        max: 8 << 20,
    }; // RLIMIT_MEMLOCK
    limits[11] = Rlimit {
        cur: 4096,
        max: 4096,
    }; // RLIMIT_SIGPENDING
    limits[12] = Rlimit {
        cur: 819_200,
        max: 819_200,
    }; // RLIMIT_MSGQUEUE
    limits[13] = Rlimit { cur: 0, max: 0 }; // RLIMIT_NICE
    limits[14] = Rlimit { cur: 0, max: 0 }; // RLIMIT_RTPRIO
    limits
}

/// A thread of a process.
pub struct Task {
    pub pid: i32,
    pub tid: i32,
    pub creds: Credentials,
    /// The address space (shared with the task's threads and a vfork child).
    pub mm: Mm,
    pub fds: FdTable,
    pub fs: SharedFs,
    /// What procfs shows of this process, kept current by the syscalls.
    pub info: Arc<ProcessInfo>,
    pub signals: SignalState,
    /// Signals sent to this thread, and its wake-up point.
    pub inbox: Arc<SignalInbox>,
    /// The process this thread belongs to (process-wide signals, sibling threads).
    pub group: Arc<super::thread_group::ThreadGroup>,
    /// The mask to restore once a signal has been handled (rt_sigsuspend).
    pub saved_mask: Option<super::signal::SigSet>,
    /// Set when this task is a vfork child running on its parent's memory (`mm`):
    /// completed at its execve or exit.
    pub vfork_done: Option<Arc<VforkDone>>,
    pub rlimits: [Rlimit; RLIMIT_COUNT],
    pub clear_child_tid: u64,
    pub robust_list: Option<(u64, u64)>,
    /// Set once the task has exited; the run loop stops.
    pub exit: Option<ExitStatus>,
    /// CPU time spent running guest code.
    pub cpu_time: Duration,
    /// The thread's name (`prctl(PR_SET_NAME)`, /proc/self/comm): at most 15 bytes.
    pub comm: Vec<u8>,
    /// `PR_SET_DUMPABLE`.
    pub dumpable: bool,
    /// The syscall replaced every register (rt_sigreturn): dispatch leaves RAX alone.
    pub keep_registers: bool,
    /// The call is being served without the vCPU (the syscall server): a wait
    /// returns at once instead of sleeping, and says so in `would_have_slept`.
    pub must_not_sleep: bool,
    /// A wait found it would have to sleep while `must_not_sleep`.
    pub would_have_slept: std::cell::Cell<bool>,
    /// Scheduling niceness (-20..19).
    pub nice: i32,
    /// I/O priority (ioprio_set), class and level as Linux packs them; 0 is "none".
    pub ioprio: u16,
    /// personality(2) flags.
    pub personality: u32,
}

/// Longest thread name, without the terminating NUL (TASK_COMM_LEN - 1).
pub const COMM_LEN: usize = 15;

impl Task {
    pub fn new(
        pid: i32,
        creds: Credentials,
        mm: Mm,
        fs: FsContext,
        info: Arc<ProcessInfo>,
    ) -> Self {
        let inbox = Arc::new(SignalInbox::default());
        Task {
            pid,
            tid: pid,
            creds,
            mm,
            fds: FdTable::with_host_stdio(),
            fs: SharedFs::new(fs),
            info,
            signals: SignalState::default(),
            group: super::thread_group::ThreadGroup::new(pid, inbox.clone()),
            inbox,
            vfork_done: None,
            saved_mask: None,
            rlimits: default_rlimits(),
            clear_child_tid: 0,
            robust_list: None,
            exit: None,
            cpu_time: Duration::ZERO,
            comm: Vec::new(),
            dumpable: true,
            keep_registers: false,
            must_not_sleep: false,
            would_have_slept: Default::default(),
            nice: 0,
            ioprio: 0,
            personality: 0,
        }
    }
}

impl Task {
    /// The child of a fork: a copy of this task with its own `mm` and `pid`, sharing
    /// the open file descriptions.
    pub fn fork(&self, pid: i32, mm: Mm, info: Arc<ProcessInfo>) -> Task {
        let inbox = Arc::new(SignalInbox::default());
        let group = super::thread_group::ThreadGroup::new(pid, inbox.clone());
        group.set_ignored(self.signals.ignored(), 0);
        Task {
            pid,
            tid: pid,
            creds: self.creds,
            mm,
            fds: self.fds.fork(),
            fs: self.fs.copy(),
            info,
            signals: self.signals.forked(),
            inbox,
            group,
            vfork_done: None,
            saved_mask: None,
            rlimits: self.rlimits,
            clear_child_tid: 0,
            robust_list: None,
            exit: None,
            cpu_time: Duration::ZERO,
            comm: self.comm.clone(),
            dumpable: self.dumpable,
            keep_registers: false,
            must_not_sleep: false,
            would_have_slept: Default::default(),
            nice: self.nice,
            ioprio: self.ioprio,
            personality: self.personality,
        }
    }

    /// A new thread of this task's process (clone with CLONE_THREAD): the same
    /// address space, dispositions and process, its own registers (the caller's),
    /// signal mask and inbox; `fds` and `fs` shared or copied as CLONE_FILES and
    /// CLONE_FS say.
    pub fn new_thread(&self, tid: i32, fds: FdTable, fs: SharedFs) -> Task {
        Task {
            pid: self.pid,
            tid,
            creds: self.creds,
            mm: self.mm.clone(),
            fds,
            fs,
            info: self.info.clone(),
            signals: self.signals.for_new_thread(),
            inbox: Arc::new(SignalInbox::default()),
            group: self.group.clone(),
            vfork_done: None,
            saved_mask: None,
            rlimits: self.rlimits,
            clear_child_tid: 0,
            robust_list: None,
            exit: None,
            cpu_time: Duration::ZERO,
            comm: self.comm.clone(),
            dumpable: self.dumpable,
            keep_registers: false,
            must_not_sleep: false,
            would_have_slept: Default::default(),
            nice: self.nice,
            ioprio: self.ioprio,
            personality: self.personality,
        }
    }

    /// Sleeps until `ready` gives a value, re-checking it whenever one of `queues`
    /// is notified. With `interruptible`, a pending signal the task neither blocks
    /// nor ignores ends the wait; a `deadline` ends it too.
    pub fn block_on<T>(
        &self,
        queues: &[&WaitQueue],
        deadline: Option<Instant>,
        interruptible: bool,
        mut ready: impl FnMut() -> Option<T>,
    ) -> Result<T, Interrupted> {
        let waiter = &self.inbox.waiter;
        let _subscriptions: Vec<_> = queues.iter().map(|q| q.subscribe(waiter)).collect();
        loop {
            let seen = waiter.generation();
            if let Some(value) = ready() {
                return Ok(value);
            }
            let blocked = self.signals.blocked;
            if interruptible
                && (self.inbox.interrupting(blocked) | self.group.interrupting(blocked)) != 0
            {
                return Err(Interrupted::Signal);
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                return Err(Interrupted::TimedOut);
            }
            if self.must_not_sleep {
                // Nothing was done yet: the vCPU's thread serves the call again.
                self.would_have_slept.set(true);
                return Err(Interrupted::Signal);
            }
            let _asleep = self.info.asleep();
            waiter.wait(seen, deadline);
        }
    }

    /// Whether a pending signal would interrupt a wait now.
    pub fn interrupted(&self) -> bool {
        let blocked = self.signals.blocked;
        (self.inbox.interrupting(blocked) | self.group.interrupting(blocked)) != 0
    }

    /// Signals pending for this thread or its process.
    pub fn pending_signals(&self) -> super::signal::SigSet {
        self.inbox.pending() | self.group.inbox.pending()
    }

    /// Guest memory size, for statfs of memory filesystems.
    pub fn mm_memory_total(&self) -> u64 {
        self.mm.memory().0
    }

    /// Guest memory not in use.
    pub fn mm_memory_free(&self) -> u64 {
        self.mm.memory().1
    }

    /// Refreshes what procfs shows of the descriptor table and working directory.
    pub fn publish_files(&self) {
        let fds = self
            .fds
            .iter()
            .into_iter()
            .map(|(fd, file)| super::process::FdInfo {
                fd,
                target: file.describe(),
                flags: file.flags(),
                pos: file.offset(),
            })
            .collect();
        let mut state = self.info.state();
        state.fds = fds;
        let fs = self.fs.get();
        state.cwd = fs.cwd.path();
        state.root = fs.root.path();
        state.umask = fs.umask;
    }

    /// Refreshes what procfs shows of the address space.
    pub fn publish_memory(&mut self) {
        self.mm.take_maps_changed();
        let (maps, vm_bytes, resident_pages) = self.mm.describe();
        let mut state = self.info.state();
        state.maps = maps;
        state.vm_bytes = vm_bytes;
        state.resident_pages = resident_pages;
    }
}

/// A vfork child's execve or exit, which its parent waits for (the child runs on the
/// parent's address space meanwhile).
#[derive(Default)]
pub struct VforkDone {
    done: AtomicBool,
    pub queue: WaitQueue,
}

impl VforkDone {
    /// The child no longer uses the parent's memory.
    pub fn complete(&self) {
        self.done.store(true, Ordering::Release);
        self.queue.notify();
    }

    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }
}
