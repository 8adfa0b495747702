//! A thread group: the threads of one process. It holds what signals sent to the
//! process need (the process-wide pending set, and a way to wake every thread), the
//! live threads, and the group's exit status once exit_group or a fatal signal has
//! decided it.

use std::sync::{Arc, Mutex, MutexGuard};

use super::signal::{Posted, SigSet, SignalInbox, SIGKILL};
use super::task::ExitStatus;
use super::wait::WaitQueue;

struct Members {
    /// Live threads: (tid, the thread's own inbox).
    threads: Vec<(i32, Arc<SignalInbox>)>,
    /// Set by exit_group or a fatal signal: every thread is on its way out.
    exit: Option<ExitStatus>,
    /// A thread in execve, killing its siblings (their deaths end only themselves).
    execing: Option<i32>,
    /// The status of the thread that left last (a process whose threads all called
    /// exit ends with the last one's code).
    last: Option<ExitStatus>,
}

/// The threads of one process.
pub struct ThreadGroup {
    /// Signals sent to the process (any thread that does not block one takes it).
    pub inbox: Arc<SignalInbox>,
    members: Mutex<Members>,
    /// Notified when a thread leaves (execve waits for its siblings to go).
    pub left: WaitQueue,
    timers: Mutex<ProcessTimers>,
}

/// The process's timers (ids in `Kernel::timers`).
#[derive(Default)]
pub struct ProcessTimers {
    /// ITIMER_REAL, once used.
    pub itimer_real: Option<u64>,
    /// POSIX timers: the process's timer id -> (`Timers` id, clock).
    pub posix: std::collections::BTreeMap<i32, (u64, i32)>,
}

impl ThreadGroup {
    /// A group whose first thread is `pid`, with inbox `thread`.
    pub fn new(pid: i32, thread: Arc<SignalInbox>) -> Arc<ThreadGroup> {
        Arc::new(ThreadGroup {
            inbox: Arc::new(SignalInbox::default()),
            members: Mutex::new(Members {
                threads: vec![(pid, thread)],
                exit: None,
                execing: None,
                last: None,
            }),
            left: WaitQueue::default(),
            timers: Mutex::default(),
        })
    }

    /// The process's timers.
    pub fn timers(&self) -> MutexGuard<'_, ProcessTimers> {
        self.timers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Deletes the POSIX timers (execve, exit) and, with `itimers`, the ITIMER_REAL.
    pub fn delete_timers(&self, timers: &super::timers::Timers, itimers: bool) {
        let mut own = self.timers();
        for (_, (id, _)) in std::mem::take(&mut own.posix) {
            timers.delete(id);
        }
        if itimers {
            if let Some(id) = own.itimer_real.take() {
                timers.delete(id);
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Members> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds thread `tid`; false if the group is already exiting.
    pub fn add(&self, tid: i32, inbox: Arc<SignalInbox>) -> bool {
        let mut m = self.lock();
        if m.exit.is_some() {
            return false;
        }
        m.threads.push((tid, inbox));
        true
    }

    /// Removes thread `tid`, which ended with `status`; how many remain.
    pub fn remove(&self, tid: i32, status: ExitStatus) -> usize {
        let remaining = {
            let mut m = self.lock();
            m.threads.retain(|(t, _)| *t != tid);
            m.last = Some(status);
            m.threads.len()
        };
        self.left.notify();
        remaining
    }

    pub fn count(&self) -> usize {
        self.lock().threads.len()
    }

    /// The inbox of thread `tid`, if it belongs to the group.
    pub fn thread(&self, tid: i32) -> Option<Arc<SignalInbox>> {
        self.lock()
            .threads
            .iter()
            .find(|(t, _)| *t == tid)
            .map(|(_, i)| i.clone())
    }

    /// Sends `signo` to the process: it becomes pending process-wide and every
    /// thread is woken (or kicked out of guest code) to look at it.
    pub fn post(&self, signo: i32, posted: Posted) -> bool {
        let queued = self.inbox.post(signo, posted);
        // An ignored signal (SIGCHLD by default) needs nobody to look at it now.
        if !self.inbox.ignores(signo) {
            for (_, thread) in &self.lock().threads {
                thread.poke();
            }
        }
        queued
    }

    /// Wakes every thread to look at its state (a SIGCONT resumed the process).
    pub fn poke_all(&self) {
        for (_, thread) in &self.lock().threads {
            thread.poke();
        }
    }

    /// Records which signals the (shared) dispositions ignore, in every inbox of the
    /// group, dropping pending ones among `discard`.
    pub fn set_ignored(&self, ignored: SigSet, discard: SigSet) {
        self.inbox.set_ignored(ignored, discard);
        for (_, thread) in &self.lock().threads {
            thread.set_ignored(ignored, discard);
        }
    }

    /// exit_group or a fatal signal: the group's status becomes `status` (the first
    /// decision wins) and every other thread is killed. Returns the group's status.
    pub fn exit_all(&self, status: ExitStatus, except: i32) -> ExitStatus {
        let mut m = self.lock();
        let status = *m.exit.get_or_insert(status);
        for (tid, thread) in &m.threads {
            if *tid != except {
                thread.post(SIGKILL, Posted::default());
            }
        }
        status
    }

    /// Kills every thread but `except`, which is in execve, without deciding an
    /// exit status; `exec_done` ends this.
    pub fn kill_others(&self, except: i32) {
        let mut m = self.lock();
        m.execing = Some(except);
        for (tid, thread) in &m.threads {
            if *tid != except {
                thread.post(SIGKILL, Posted::default());
            }
        }
    }

    /// The siblings an execve killed are gone.
    pub fn exec_done(&self) {
        self.lock().execing = None;
    }

    /// Whether another thread's execve is what kills this one.
    pub fn killed_by_exec(&self, tid: i32) -> bool {
        self.lock().execing.is_some_and(|t| t != tid)
    }

    /// The process's exit status once its last thread is gone: what exit_group or
    /// a fatal signal decided, else the last thread's own.
    pub fn final_status(&self) -> Option<ExitStatus> {
        let m = self.lock();
        m.exit.or(m.last)
    }

    /// Renames thread `from` to `to` (execve by a thread takes the process's id).
    pub fn rename(&self, from: i32, to: i32) {
        for (tid, _) in self.lock().threads.iter_mut() {
            if *tid == from {
                *tid = to;
            }
        }
    }

    /// Pending process-wide signals that `blocked` lets through (for waits).
    pub fn interrupting(&self, blocked: SigSet) -> SigSet {
        self.inbox.interrupting(blocked)
    }
}
