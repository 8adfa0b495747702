//! The process tree: parents and children, process groups and sessions, exit
//! statuses waiting to be reaped, and how to signal a process. One lock guards it all
//! (fork, exit, wait and setpgid must see one consistent tree).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use super::process::ProcessInfo;
use super::signal::Posted;
use super::task::ExitStatus;
use super::thread_group::ThreadGroup;
use super::wait::WaitQueue;
use crate::errno::{Errno, SysResult};

/// The sandbox's first process: orphans are reparented to it.
pub const INIT_PID: i32 = 1;
const SIGCHLD: i32 = 17;

/// How a process ended, as its parent's wait sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    pub status: ExitStatus,
    pub user_time: Duration,
}

/// A change in a child that wait reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitEvent {
    Exited(ExitRecord),
    /// Stopped by this signal (reported once, with WUNTRACED/WSTOPPED).
    Stopped(i32),
    /// Continued by SIGCONT (reported once, with WCONTINUED).
    Continued,
}

/// Which changes a wait wants, and whether it consumes them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WaitWants {
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    /// WNOWAIT: report without consuming.
    pub keep: bool,
}

/// One process's place in the tree.
struct Process {
    parent: i32,
    pgid: i32,
    sid: i32,
    children: BTreeSet<i32>,
    /// Set once it has exited (a zombie until reaped).
    exit: Option<ExitRecord>,
    /// Its threads (signals to the process go through it).
    group: Arc<ThreadGroup>,
    /// Signal its parent gets when it exits (SIGCHLD unless clone said otherwise).
    exit_signal: i32,
    /// Its children are reaped at exit, unwaited (SIGCHLD ignored or SA_NOCLDWAIT).
    reaps_children_itself: bool,
    /// Its children's stops and continues send it no SIGCHLD (SA_NOCLDSTOP).
    no_stop_signal: bool,
    /// Stopped by a stop signal, until SIGCONT.
    stopped: bool,
    /// A stop or continue its parent has not waited for yet.
    unreported: Option<WaitEvent>,
    /// CPU time of its waited-for children (and theirs): RUSAGE_CHILDREN, times().
    children_time: Duration,
    /// Signal it gets when its parent exits (PR_SET_PDEATHSIG), or 0.
    death_signal: i32,
    /// Orphaned descendants are reparented to it rather than to init
    /// (PR_SET_CHILD_SUBREAPER).
    child_subreaper: bool,
    /// What procfs shows of it (kept in step when it is reparented).
    info: Weak<ProcessInfo>,
    /// The same, held while it is a zombie (procfs lists it until it is reaped).
    zombie_info: Option<Arc<ProcessInfo>>,
    /// It has called execve (setpgid on it from its parent fails then).
    execed: bool,
    /// Notified when a child changes state (wait4 sleeps on it).
    child_events: Arc<WaitQueue>,
}

/// Which children a wait is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitFor {
    Any,
    Pid(i32),
    Group(i32),
}

/// All processes of the sandbox.
pub struct ProcessTree {
    procs: Mutex<BTreeMap<i32, Process>>,
    /// Most processes alive at once (`--pids`).
    limit: usize,
}

impl ProcessTree {
    pub fn new(limit: usize) -> Self {
        ProcessTree {
            procs: Mutex::new(BTreeMap::new()),
            limit,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<i32, Process>> {
        self.procs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds the first process: a session and process group leader with no parent.
    /// Adds the first process. Like the init of a pid namespace, it starts in the
    /// process group and session of whoever ran `sentry`, which lie outside the
    /// sandbox and so show as 0; it leads neither, so setsid() works, as it would for
    /// the program run natively.
    pub fn insert_init(&self, pid: i32, group: Arc<ThreadGroup>, info: &Arc<ProcessInfo>) {
        let mut init = new_process(0, 0, 0, group, 0);
        init.info = Arc::downgrade(info);
        publish_ids(&init);
        self.lock().insert(pid, init);
    }

    /// Adds `child` as a new process forked by `parent`; EAGAIN past the limit.
    pub fn insert_child(
        &self,
        parent: i32,
        child: i32,
        group: Arc<ThreadGroup>,
        info: &Arc<ProcessInfo>,
        exit_signal: i32,
    ) -> SysResult<()> {
        let mut procs = self.lock();
        if procs.len() >= self.limit {
            return Err(Errno::EAGAIN);
        }
        let p = procs.get_mut(&parent).ok_or(Errno::ESRCH)?;
        p.children.insert(child);
        let (pgid, sid) = (p.pgid, p.sid);
        let mut process = new_process(parent, pgid, sid, group, exit_signal);
        process.info = Arc::downgrade(info);
        publish_ids(&process);
        procs.insert(child, process);
        Ok(())
    }

    /// Records that `pid` exited: its children go to the nearest living ancestor
    /// that is a subreaper, else to init; its parent is told (or, if the parent does
    /// not wait for children, it disappears at once).
    pub fn exit(&self, pid: i32, record: ExitRecord) {
        let mut procs = self.lock();
        let Some(p) = procs.get_mut(&pid) else {
            return;
        };
        p.exit = Some(record);
        if let Some(info) = p.info.upgrade() {
            info.set_zombie();
            p.zombie_info = Some(info);
        }
        let orphans = std::mem::take(&mut p.children);
        let (parent, exit_signal) = (p.parent, p.exit_signal);
        let mut death_signals = Vec::new();
        let mut zombies_for_reaper = Vec::new();
        let reaper = Self::new_reaper(&procs, pid);
        if !orphans.is_empty() && pid != INIT_PID {
            for child in &orphans {
                if let Some(c) = procs.get_mut(child) {
                    c.parent = reaper;
                    // As Linux, nobody may make the new parent's life hard.
                    c.exit_signal = SIGCHLD;
                    // procfs shows the new parent too.
                    if let Some(info) = c.info.upgrade() {
                        info.state().ppid = reaper;
                    }
                    if let Some(record) = c.exit {
                        zombies_for_reaper.push((*child, record));
                    }
                    if c.death_signal != 0 && c.exit.is_none() {
                        death_signals.push((c.group.clone(), c.death_signal));
                    }
                }
            }
            if let Some(r) = procs.get_mut(&reaper) {
                r.children.extend(orphans);
            }
        }
        // The new parent hears of orphans that are zombies already, as if they had
        // just died (and takes them at once if it does not wait for children).
        if let Some(r) = procs
            .get_mut(&reaper)
            .filter(|_| !zombies_for_reaper.is_empty())
        {
            let (auto_reap, inbox, events) = (
                r.reaps_children_itself,
                r.group.clone(),
                r.child_events.clone(),
            );
            if auto_reap {
                for (zombie, _) in &zombies_for_reaper {
                    r.children.remove(zombie);
                }
                for (zombie, _) in &zombies_for_reaper {
                    procs.remove(zombie);
                }
            }
            for (zombie, record) in &zombies_for_reaper {
                let (code, status) = match record.status {
                    ExitStatus::Exited(c) => (CLD_EXITED, i32::from(c)),
                    ExitStatus::Killed(s) => (CLD_KILLED, s),
                };
                notify_parent(&inbox, SIGCHLD, *zombie, code, status);
            }
            events.notify();
        }
        let parent_process = procs.get_mut(&parent);
        if !death_signals.is_empty() {
            for (group, signo) in death_signals {
                group.post(
                    signo,
                    Posted {
                        code: super::signal::SI_USER,
                        sender: Some((pid, 0)),
                        status: 0,
                        value: None,
                    },
                );
            }
        }
        let Some(parent_process) = parent_process else {
            return;
        };
        let (auto_reap, inbox, events) = (
            parent_process.reaps_children_itself,
            parent_process.group.clone(),
            parent_process.child_events.clone(),
        );
        if auto_reap {
            parent_process.children.remove(&pid);
            procs.remove(&pid);
        }
        drop(procs);
        if exit_signal != 0 {
            let (code, status) = match record.status {
                ExitStatus::Exited(c) => (CLD_EXITED, i32::from(c)),
                ExitStatus::Killed(s) => (CLD_KILLED, s),
            };
            notify_parent(&inbox, exit_signal, pid, code, status);
        }
        events.notify();
    }

    /// Finds a child of `parent` matching `which` with a change `wants` asks for
    /// (an exit is removed, a stop or continue marked reported, unless `keep`).
    /// `Ok(None)`: matching children exist but none has changed; ECHILD: none exist.
    pub fn reap(
        &self,
        parent: i32,
        which: WaitFor,
        wants: WaitWants,
    ) -> SysResult<Option<(i32, WaitEvent)>> {
        let mut procs = self.lock();
        let p = procs.get(&parent).ok_or(Errno::ECHILD)?;
        let candidates: Vec<i32> = p
            .children
            .iter()
            .copied()
            .filter(|c| match which {
                WaitFor::Any => true,
                WaitFor::Pid(pid) => *c == pid,
                WaitFor::Group(g) => procs.get(c).is_some_and(|c| c.pgid == g),
            })
            .collect();
        if candidates.is_empty() {
            return Err(Errno::ECHILD);
        }
        let found = candidates.iter().find_map(|c| {
            let child = procs.get(c)?;
            let event = match (child.exit, child.unreported) {
                (Some(record), _) if wants.exited => WaitEvent::Exited(record),
                (None, Some(e @ WaitEvent::Stopped(_))) if wants.stopped => e,
                (None, Some(e @ WaitEvent::Continued)) if wants.continued => e,
                _ => return None,
            };
            Some((*c, event))
        });
        match found {
            Some((child, WaitEvent::Exited(record))) if !wants.keep => {
                let grandchildren = procs
                    .remove(&child)
                    .map_or(Duration::ZERO, |c| c.children_time);
                if let Some(p) = procs.get_mut(&parent) {
                    p.children.remove(&child);
                    p.children_time += record.user_time + grandchildren;
                }
            }
            Some((child, _)) if !wants.keep => {
                if let Some(c) = procs.get_mut(&child) {
                    c.unreported = None;
                }
            }
            _ => {}
        }
        Ok(found)
    }

    /// `pid` stops on `signo`: its parent hears (wait, and SIGCHLD unless
    /// SA_NOCLDSTOP).
    pub fn stop(&self, pid: i32, signo: i32) {
        self.change_state(pid, true, WaitEvent::Stopped(signo), CLD_STOPPED, signo);
    }

    /// SIGCONT was sent to `pid`: if stopped, it continues and its parent hears.
    pub fn resume(&self, pid: i32) {
        self.change_state(
            pid,
            false,
            WaitEvent::Continued,
            CLD_CONTINUED,
            libc::SIGCONT,
        );
    }

    fn change_state(&self, pid: i32, stop: bool, event: WaitEvent, code: i32, status: i32) {
        let mut procs = self.lock();
        let Some(p) = procs.get_mut(&pid) else {
            return;
        };
        if p.stopped == stop || p.exit.is_some() {
            return;
        }
        p.stopped = stop;
        p.unreported = Some(event);
        if let Some(info) = p.info.upgrade() {
            info.set_stopped(stop);
        }
        let (parent, own_group) = (p.parent, p.group.clone());
        let notify = procs
            .get(&parent)
            .map(|pp| (pp.group.clone(), pp.child_events.clone(), pp.no_stop_signal));
        drop(procs);
        own_group.poke_all();
        if let Some((inbox, events, quiet)) = notify {
            if !quiet {
                notify_parent(&inbox, libc::SIGCHLD, pid, code, status);
            }
            events.notify();
        }
    }

    /// CPU time of `pid`'s waited-for descendants.
    pub fn children_time(&self, pid: i32) -> Duration {
        self.lock()
            .get(&pid)
            .map_or(Duration::ZERO, |p| p.children_time)
    }

    /// PR_GET_PDEATHSIG.
    pub fn death_signal(&self, pid: i32) -> i32 {
        self.lock().get(&pid).map_or(0, |p| p.death_signal)
    }

    /// Where the orphans of the exiting `pid` go: its nearest ancestor that is a
    /// living subreaper, else init.
    fn new_reaper(procs: &BTreeMap<i32, Process>, pid: i32) -> i32 {
        let mut at = procs.get(&pid).map_or(INIT_PID, |p| p.parent);
        // Parent links cannot loop, but a bound costs nothing.
        for _ in 0..procs.len() {
            if at == INIT_PID {
                break;
            }
            let Some(p) = procs.get(&at) else { break };
            if p.child_subreaper && p.exit.is_none() {
                return at;
            }
            at = p.parent;
        }
        INIT_PID
    }

    /// PR_SET_CHILD_SUBREAPER.
    pub fn set_child_subreaper(&self, pid: i32, on: bool) {
        if let Some(p) = self.lock().get_mut(&pid) {
            p.child_subreaper = on;
        }
    }

    /// PR_GET_CHILD_SUBREAPER.
    pub fn child_subreaper(&self, pid: i32) -> bool {
        self.lock().get(&pid).is_some_and(|p| p.child_subreaper)
    }

    /// PR_SET_PDEATHSIG: `signo` (0: none) is sent to `pid` when its parent exits.
    pub fn set_death_signal(&self, pid: i32, signo: i32) {
        if let Some(p) = self.lock().get_mut(&pid) {
            p.death_signal = signo;
        }
    }

    /// Whether `pid` is stopped.
    pub fn is_stopped(&self, pid: i32) -> bool {
        self.lock().get(&pid).is_some_and(|p| p.stopped)
    }

    /// The queue `pid`'s wait sleeps on.
    pub fn child_events(&self, pid: i32) -> Option<Arc<WaitQueue>> {
        self.lock().get(&pid).map(|p| p.child_events.clone())
    }

    /// How `pid`'s SIGCHLD action treats children: reaped unwaited at exit
    /// (SIG_IGN, SA_NOCLDWAIT), and no SIGCHLD for stops (SA_NOCLDSTOP).
    pub fn set_child_signal_flags(&self, pid: i32, reaps_itself: bool, no_stop_signal: bool) {
        if let Some(p) = self.lock().get_mut(&pid) {
            p.reaps_children_itself = reaps_itself;
            p.no_stop_signal = no_stop_signal;
        }
    }

    pub fn mark_execed(&self, pid: i32) {
        if let Some(p) = self.lock().get_mut(&pid) {
            p.execed = true;
        }
    }

    /// The parent's pid (0 for init).
    pub fn parent(&self, pid: i32) -> i32 {
        self.lock().get(&pid).map_or(0, |p| p.parent)
    }

    /// Process group of `pid`.
    pub fn pgid(&self, pid: i32) -> SysResult<i32> {
        self.live(pid, |p| p.pgid)
    }

    /// Session of `pid`.
    pub fn sid(&self, pid: i32) -> SysResult<i32> {
        self.live(pid, |p| p.sid)
    }

    fn live<T>(&self, pid: i32, f: impl FnOnce(&Process) -> T) -> SysResult<T> {
        self.lock()
            .get(&pid)
            .filter(|p| p.exit.is_none())
            .map(f)
            .ok_or(Errno::ESRCH)
    }

    /// setpgid(2) as called by `caller`, with Linux's checks.
    pub fn set_pgid(&self, caller: i32, pid: i32, pgid: i32) -> SysResult<()> {
        let mut procs = self.lock();
        let pid = if pid == 0 { caller } else { pid };
        let pgid = if pgid == 0 { pid } else { pgid };
        if pgid < 0 {
            return Err(Errno::EINVAL);
        }
        let caller_sid = procs.get(&caller).ok_or(Errno::ESRCH)?.sid;
        let target = procs
            .get(&pid)
            .filter(|p| p.exit.is_none())
            .ok_or(Errno::ESRCH)?;
        if pid != caller {
            if target.parent != caller {
                return Err(Errno::ESRCH);
            }
            if target.execed {
                return Err(Errno::EACCES);
            }
            if target.sid != caller_sid {
                return Err(Errno::EPERM);
            }
        }
        if target.sid == pid {
            return Err(Errno::EPERM); // a session leader
        }
        if pgid != pid
            && !procs
                .values()
                .any(|p| p.pgid == pgid && p.sid == caller_sid && p.exit.is_none())
        {
            return Err(Errno::EPERM);
        }
        if let Some(p) = procs.get_mut(&pid) {
            p.pgid = pgid;
            publish_ids(p);
        }
        Ok(())
    }

    /// setsid(2): `pid` leads a new session and group; EPERM for a group leader.
    pub fn set_sid(&self, pid: i32) -> SysResult<i32> {
        let mut procs = self.lock();
        if procs
            .iter()
            .any(|(other, p)| p.pgid == pid && *other != pid)
        {
            return Err(Errno::EPERM);
        }
        let p = procs.get_mut(&pid).ok_or(Errno::ESRCH)?;
        if p.pgid == pid {
            return Err(Errno::EPERM);
        }
        p.pgid = pid;
        p.sid = pid;
        publish_ids(p);
        Ok(pid)
    }

    /// The inbox of thread `tid` of process `tgid` (any process if None).
    pub fn thread_inbox(
        &self,
        tgid: Option<i32>,
        tid: i32,
    ) -> Option<Arc<super::signal::SignalInbox>> {
        let procs = self.lock();
        match tgid {
            Some(pid) => procs.get(&pid).and_then(|p| p.group.thread(tid)),
            None => procs.values().find_map(|p| p.group.thread(tid)),
        }
    }

    /// Inboxes of the live processes kill(2)'s `pid` names (excluding `caller` for
    /// -1, as Linux does); ESRCH when there are none.
    pub fn kill_targets(&self, caller: i32, pid: i32) -> SysResult<Vec<(i32, Arc<ThreadGroup>)>> {
        let procs = self.lock();
        let caller_pgid = procs.get(&caller).map_or(0, |p| p.pgid);
        // Zombies count (signalling one succeeds and does nothing), as on Linux.
        let targets: Vec<_> = procs
            .iter()
            .filter(|(other, p)| match pid {
                0 => p.pgid == caller_pgid,
                -1 => **other != caller && **other != INIT_PID,
                p_ if p_ > 0 => **other == p_,
                g => p.pgid == -g,
            })
            .map(|(pid, p)| (*pid, p.group.clone()))
            .collect();
        if targets.is_empty() && pid != -1 {
            return Err(Errno::ESRCH);
        }
        Ok(targets)
    }
}

/// Shows `p`'s process group and session in procfs.
fn publish_ids(p: &Process) {
    if let Some(info) = p.info.upgrade() {
        let mut state = info.state();
        state.pgid = p.pgid;
        state.sid = p.sid;
    }
}

/// Sends the parent `signo` (SIGCHLD, or clone's exit signal) about child `pid`.
fn notify_parent(parent: &ThreadGroup, signo: i32, pid: i32, code: i32, status: i32) {
    parent.post(
        signo,
        Posted {
            code,
            sender: Some((pid, 0)),
            status,
            value: None,
        },
    );
}

/// si_code values of SIGCHLD.
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

fn new_process(
    parent: i32,
    pgid: i32,
    sid: i32,
    group: Arc<ThreadGroup>,
    exit_signal: i32,
) -> Process {
    Process {
        parent,
        pgid,
        sid,
        children: BTreeSet::new(),
        exit: None,
        group,
        exit_signal,
        reaps_children_itself: false,
        no_stop_signal: false,
        stopped: false,
        unreported: None,
        children_time: Duration::ZERO,
        death_signal: 0,
        child_subreaper: false,
        info: Weak::new(),
        zombie_info: None,
        execed: false,
        child_events: Arc::new(WaitQueue::default()),
    }
}
