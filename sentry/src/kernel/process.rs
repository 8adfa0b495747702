//! What the rest of the sandbox (procfs) may read about processes and the system,
//! kept current by the syscalls that change it, so that readers need no access to
//! the running task.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// One mapping as /proc/[pid]/maps shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapInfo {
    pub start: u64,
    pub end: u64,
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
    /// "[heap]", "[stack]", a file path, or empty.
    pub label: String,
    /// For a file mapping: the file offset of `start`, and the file's device and inode.
    pub offset: u64,
    pub dev: u64,
    pub ino: u64,
}

/// One descriptor as /proc/[pid]/fd and fdinfo show it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FdInfo {
    pub fd: i32,
    /// What readlink of /proc/[pid]/fd/N gives: a path in the sandbox, or e.g. "pipe:[3]".
    pub target: Vec<u8>,
    /// Open flags (O_*), as fdinfo's "flags:" line shows them (octal).
    pub flags: u32,
    pub pos: u64,
}

/// Mutable facts about a process.
#[derive(Clone, Debug, Default)]
pub struct ProcessState {
    pub ppid: i32,
    /// Process group and session (0: outside the sandbox, for its first process).
    pub pgid: i32,
    pub sid: i32,
    pub comm: Vec<u8>,
    /// Path of the executable in the sandbox.
    pub exe: Vec<u8>,
    /// argv, each followed by NUL.
    pub cmdline: Vec<u8>,
    /// envp, each followed by NUL.
    pub environ: Vec<u8>,
    pub cwd: Vec<u8>,
    pub root: Vec<u8>,
    pub fds: Vec<FdInfo>,
    pub maps: Vec<MapInfo>,
    pub uid: u32,
    pub gid: u32,
    pub umask: u32,
    pub threads: u32,
    /// Thread ids besides the main thread's (the pid), for /proc/[pid]/task.
    pub tids: Vec<i32>,
    /// When the process started, since the sandbox booted.
    pub start_time: Duration,
    /// Virtual memory size and resident pages, for statm/status.
    pub vm_bytes: u64,
    pub resident_pages: u64,
}

/// A process as others see it.
pub struct ProcessInfo {
    pub pid: i32,
    state: Mutex<ProcessState>,
    /// Its threads asleep in the sentry (waiting for data, a child, a signal, time).
    asleep: AtomicU32,
    /// Stopped by a stop signal (`STOPPED`), exited but not reaped (`ZOMBIE`).
    flags: AtomicU8,
}

const STOPPED: u8 = 1;
const ZOMBIE: u8 = 2;

/// A thread counted asleep until this is dropped.
pub struct Asleep<'a>(&'a AtomicU32);

impl Drop for Asleep<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ProcessInfo {
    pub fn new(pid: i32, state: ProcessState) -> Arc<Self> {
        Arc::new(ProcessInfo {
            pid,
            state: Mutex::new(state),
            asleep: AtomicU32::new(0),
            flags: AtomicU8::new(0),
        })
    }

    pub fn state(&self) -> MutexGuard<'_, ProcessState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts the calling thread asleep while the guard lives.
    pub fn asleep(&self) -> Asleep<'_> {
        self.asleep.fetch_add(1, Ordering::Relaxed);
        Asleep(&self.asleep)
    }

    /// Marks it stopped or continued (SIGSTOP, SIGCONT).
    pub fn set_stopped(&self, stopped: bool) {
        if stopped {
            self.flags.fetch_or(STOPPED, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!STOPPED, Ordering::Relaxed);
        }
    }

    /// Marks it exited, waiting for its parent to reap it.
    pub fn set_zombie(&self) {
        self.flags.fetch_or(ZOMBIE, Ordering::Relaxed);
    }

    /// The state letter and word procfs shows: a zombie, stopped, sleeping when every
    /// thread waits in the sentry, else running.
    pub fn run_state(&self, threads: u32) -> (char, &'static str) {
        let flags = self.flags.load(Ordering::Relaxed);
        if flags & ZOMBIE != 0 {
            ('Z', "zombie")
        } else if flags & STOPPED != 0 {
            ('T', "stopped")
        } else if self.asleep.load(Ordering::Relaxed) >= threads.max(1) {
            ('S', "sleeping")
        } else {
            ('R', "running")
        }
    }
}

/// Facts about the whole sandbox, for /proc/meminfo, uptime, mounts, cpuinfo.
pub trait SystemInfo: Send + Sync {
    /// Time since the sandbox booted.
    fn uptime(&self) -> Duration;
    /// Guest memory size and the part not in use, in bytes.
    fn memory(&self) -> (u64, u64);
    /// /proc/mounts' text.
    fn mounts(&self) -> String;
    /// Number of CPUs the guest has.
    fn cpus(&self) -> u32;
    /// CPUID leaf `function`/`index` (eax, ebx, ecx, edx), for /proc/cpuinfo.
    fn cpuid(&self, function: u32, index: u32) -> Option<(u32, u32, u32, u32)>;
}

/// Every live process, by pid.
#[derive(Default)]
pub struct ProcessRegistry {
    by_pid: Mutex<BTreeMap<i32, Weak<ProcessInfo>>>,
}

impl ProcessRegistry {
    pub fn register(&self, info: &Arc<ProcessInfo>) {
        self.lock().insert(info.pid, Arc::downgrade(info));
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Weak<ProcessInfo>>> {
        self.by_pid.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, pid: i32) -> Option<Arc<ProcessInfo>> {
        self.lock().get(&pid).and_then(Weak::upgrade)
    }

    /// Live pids in increasing order.
    pub fn pids(&self) -> Vec<i32> {
        self.lock()
            .iter()
            .filter(|(_, w)| w.strong_count() > 0)
            .map(|(p, _)| *p)
            .collect()
    }
}

thread_local! {
    static CURRENT_PID: Cell<i32> = const { Cell::new(0) };
}

/// Records which process this thread (a vCPU) is running, for /proc/self.
pub fn set_current_pid(pid: i32) {
    CURRENT_PID.with(|c| c.set(pid));
}

/// The pid of the process this thread is running (0 outside a task).
pub fn current_pid() -> i32 {
    CURRENT_PID.with(|c| c.get())
}
