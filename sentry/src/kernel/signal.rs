//! Signal dispositions, the blocked mask, and the inbox other tasks post signals to.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use super::wait::{WaitQueue, Waiter};
use crate::errno::{Errno, SysResult};

pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;
pub const SIGSTOP: i32 = 19;
/// Highest signal number (SIGRTMAX).
pub const SIGNAL_COUNT: usize = 64;

/// A set of signals: bit `n-1` is signal `n`, as in the kernel's sigset_t.
pub type SigSet = u64;

/// Bits that can never be blocked.
const UNBLOCKABLE: SigSet = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

/// The kernel's `struct sigaction` as rt_sigaction(2) passes it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: SigSet,
}

impl SigAction {
    pub const SIZE: usize = 32;

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let word =
            |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        SigAction {
            handler: word(0),
            flags: word(1),
            restorer: word(2),
            mask: word(3),
        }
    }

    pub fn to_bytes(self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        for (i, w) in [self.handler, self.flags, self.restorer, self.mask]
            .iter()
            .enumerate()
        {
            b[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        b
    }
}

/// What a signal does when its disposition is SIG_DFL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    CoreDump,
    Ignore,
    Stop,
    Continue,
}

/// Linux's default action for `signo` (1..=64).
pub fn default_action(signo: i32) -> DefaultAction {
    match signo {
        3..=8 | 11 | 24 | 25 | 31 => DefaultAction::CoreDump,
        17 | 23 | 28 => DefaultAction::Ignore,
        19..=22 => DefaultAction::Stop,
        18 => DefaultAction::Continue,
        _ => DefaultAction::Terminate,
    }
}

pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// The bit of `signo` in a SigSet.
pub const fn bit(signo: i32) -> SigSet {
    1 << (signo - 1)
}

/// The dispositions of a process's signals, shared by its threads (CLONE_SIGHAND).
pub type Actions = Arc<Mutex<[SigAction; SIGNAL_COUNT]>>;

/// A task's signal state (its pending signals live in its `SignalInbox`). Cloning
/// shares the dispositions (threads); `forked` copies them (processes).
#[derive(Clone, Debug)]
pub struct SignalState {
    actions: Actions,
    pub blocked: SigSet,
    pub alt_stack: AltStack,
}

/// `ss_flags` bits of sigaltstack(2).
pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
/// The smallest alternate stack sigaltstack accepts.
const MINSIGSTKSZ: u64 = 2048;

/// A thread's alternate signal stack, kept as Linux keeps it: the flags are the ones
/// last given to sigaltstack, verbatim (a handler's `uc_stack` shows them), and a
/// disabled stack has size 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub size: u64,
    pub flags: u32,
}

impl AltStack {
    /// What a new thread starts with (and what SS_AUTODISARM leaves).
    pub const DISABLED: AltStack = AltStack {
        sp: 0,
        size: 0,
        flags: SS_DISABLE,
    };

    /// Whether `sp` is on the stack. Never with SS_AUTODISARM: a handler that
    /// disarmed it may set up another, and a corrupt stack pointer near its end must
    /// not keep signals off it.
    pub fn contains(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && sp > self.sp && sp - self.sp <= self.size
    }

    /// The flags sigaltstack reports to a thread whose stack pointer is `sp`.
    pub fn reported_flags(&self, sp: u64) -> u32 {
        let state = if self.size == 0 {
            SS_DISABLE
        } else if self.contains(sp) {
            SS_ONSTACK
        } else {
            0
        };
        state | (self.flags & SS_AUTODISARM)
    }

    /// Where a handler with SA_ONSTACK starts its frame, if not where `sp` is.
    pub fn frame_top(&self, sp: u64) -> Option<u64> {
        (self.reported_flags(sp) & !SS_AUTODISARM == 0).then(|| self.sp.wrapping_add(self.size))
    }

    /// sigaltstack(2) setting `new` for a thread whose stack pointer is `sp`.
    pub fn replace(&mut self, new: AltStack, sp: u64) -> SysResult<()> {
        if self.contains(sp) {
            return Err(Errno::EPERM);
        }
        let mode = new.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
            return Err(Errno::EINVAL);
        }
        *self = if mode == SS_DISABLE {
            AltStack {
                sp: 0,
                size: 0,
                flags: new.flags,
            }
        } else if new.size < MINSIGSTKSZ {
            return Err(Errno::ENOMEM);
        } else {
            new
        };
        Ok(())
    }
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: Arc::new(Mutex::new([SigAction::default(); SIGNAL_COUNT])),
            blocked: 0,
            alt_stack: AltStack::default(),
        }
    }
}

/// Who sent a pending signal and why (the siginfo the handler sees).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Posted {
    pub code: i32,
    /// Sender's pid and uid (si_pid, si_uid); for a timer, its id and overrun count.
    pub sender: Option<(i32, u32)>,
    /// For SIGCHLD: the child's exit code or signal (si_status).
    pub status: i32,
    /// si_value (sigqueue, timers).
    pub value: Option<u64>,
}

/// First real-time signal: these queue, one instance per send.
pub const SIGRT_FIRST: i32 = 32;
/// Most signals queued at once (RLIMIT_SIGPENDING's default).
const MAX_QUEUED: usize = 4096;

struct InboxState {
    pending: SigSet,
    /// Per signal: the instances waiting (at most one for a standard signal).
    queued: Vec<std::collections::VecDeque<Posted>>,
    total_queued: usize,
}

/// Signals sent to a task and not yet delivered. Any task may post; only the owner
/// takes. Posting wakes the owner if it is blocked in the sentry.
pub struct SignalInbox {
    state: Mutex<InboxState>,
    /// Mirror of `state.pending` for a lock-free check at every syscall return.
    pending: AtomicU64,
    /// Signals the owner's dispositions ignore: they never interrupt a wait, and are
    /// dropped when taken (Linux drops them when sent unless blocked; the difference is
    /// not observable).
    ignored: AtomicU64,
    /// The owner's wake-up point.
    pub waiter: Arc<Waiter>,
    /// Interrupts the owner's vCPU while it runs guest code.
    kicker: Mutex<Option<vmm::Kicker>>,
    /// Queues notified whenever a signal is posted (signalfds reading this inbox).
    watchers: Mutex<Vec<Weak<WaitQueue>>>,
}

impl Default for SignalInbox {
    fn default() -> Self {
        SignalInbox {
            state: Mutex::new(InboxState {
                pending: 0,
                queued: vec![std::collections::VecDeque::new(); SIGNAL_COUNT],
                total_queued: 0,
            }),
            pending: AtomicU64::new(0),
            ignored: AtomicU64::new(bit(17) | bit(23) | bit(28)),
            waiter: Arc::new(Waiter::default()),
            kicker: Mutex::new(None),
            watchers: Mutex::new(Vec::new()),
        }
    }
}

impl SignalInbox {
    fn lock(&self) -> MutexGuard<'_, InboxState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Has `queue` notified at every post to this inbox (while it lives).
    pub fn watch(&self, queue: &Arc<WaitQueue>) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        // Forget the signalfds that are gone, so the list stays as long as the live ones.
        watchers.retain(|w| w.strong_count() > 0);
        watchers.push(Arc::downgrade(queue));
    }

    fn notify_watchers(&self) {
        let mut watchers = self.watchers.lock().unwrap_or_else(|e| e.into_inner());
        watchers.retain(|w| match w.upgrade() {
            Some(queue) => {
                queue.notify();
                true
            }
            None => false,
        });
    }

    /// Makes `signo` pending: a standard signal already pending is not queued twice;
    /// a real-time one queues each instance. False when the queue is full (EAGAIN).
    pub fn post(&self, signo: i32, info: Posted) -> bool {
        if !(1..=SIGNAL_COUNT as i32).contains(&signo) {
            return false;
        }
        {
            let mut st = self.lock();
            let i = (signo - 1) as usize;
            let queues = signo >= SIGRT_FIRST;
            if st.queued[i].is_empty() || queues {
                if st.total_queued >= MAX_QUEUED {
                    return false;
                }
                st.queued[i].push_back(info);
                st.total_queued += 1;
            }
            st.pending |= bit(signo);
            self.pending.store(st.pending, Ordering::Release);
        }
        self.notify_watchers();
        if self.ignored.load(Ordering::Acquire) & bit(signo) == 0 {
            self.waiter.wake();
            if let Some(kicker) = &*self.kicker.lock().unwrap_or_else(|e| e.into_inner()) {
                kicker.kick();
            }
        }
        true
    }

    /// Sets (or clears) how to interrupt the owner's vCPU.
    pub fn set_kicker(&self, kicker: Option<vmm::Kicker>) {
        *self.kicker.lock().unwrap_or_else(|e| e.into_inner()) = kicker;
    }

    /// Wakes the owner, and kicks it out of guest code, to look at its signals.
    pub fn poke(&self) {
        self.waiter.wake();
        if let Some(kicker) = &*self.kicker.lock().unwrap_or_else(|e| e.into_inner()) {
            kicker.kick();
        }
    }

    /// Whether the owner's dispositions ignore `signo`.
    pub fn ignores(&self, signo: i32) -> bool {
        (1..=SIGNAL_COUNT as i32).contains(&signo)
            && self.ignored.load(Ordering::Acquire) & bit(signo) != 0
    }

    /// The pending set.
    pub fn pending(&self) -> SigSet {
        self.pending.load(Ordering::Acquire)
    }

    /// Pending signals that interrupt a wait: neither blocked nor ignored.
    pub fn interrupting(&self, blocked: SigSet) -> SigSet {
        self.pending() & !blocked & !self.ignored.load(Ordering::Acquire)
    }

    /// Drops pending signals in `set`.
    pub fn discard(&self, set: SigSet) {
        let mut st = self.lock();
        for signo in 1..=SIGNAL_COUNT as i32 {
            if set & bit(signo) != 0 {
                let n = st.queued[(signo - 1) as usize].len();
                st.queued[(signo - 1) as usize].clear();
                st.total_queued = st.total_queued.saturating_sub(n);
            }
        }
        st.pending &= !set;
        self.pending.store(st.pending, Ordering::Release);
    }

    /// Removes `signo` if pending (sigtimedwait).
    pub fn take_signal(&self, signo: i32) -> Option<Posted> {
        let mut st = self.lock();
        if st.pending & bit(signo) == 0 {
            return None;
        }
        let posted = Self::dequeue(&mut st, signo);
        self.pending.store(st.pending, Ordering::Release);
        Some(posted)
    }

    /// Removes and returns the lowest pending signal outside `blocked`.
    pub fn take(&self, blocked: SigSet) -> Option<(i32, Posted)> {
        let mut st = self.lock();
        let ready = st.pending & !blocked;
        if ready == 0 {
            return None;
        }
        let signo = ready.trailing_zeros() as i32 + 1;
        let posted = Self::dequeue(&mut st, signo);
        self.pending.store(st.pending, Ordering::Release);
        Some((signo, posted))
    }

    /// Removes one instance of pending `signo` (the bit clears with the last one).
    fn dequeue(st: &mut InboxState, signo: i32) -> Posted {
        let i = (signo - 1) as usize;
        let posted = st.queued[i].pop_front().unwrap_or_default();
        st.total_queued = st.total_queued.saturating_sub(1);
        if st.queued[i].is_empty() {
            st.pending &= !bit(signo);
        }
        posted
    }

    /// Records which signals the owner ignores, and drops pending ones among those
    /// in `discard` (the signal whose action just became "ignore").
    pub fn set_ignored(&self, ignored: SigSet, discard: SigSet) {
        let ignored = ignored & !bit(SIGKILL) & !bit(SIGSTOP);
        self.ignored.store(ignored, Ordering::Release);
        self.discard(ignored & discard);
    }
}

fn index(signo: u64) -> SysResult<usize> {
    match signo {
        1..=64 => Ok(signo as usize - 1),
        _ => Err(Errno::EINVAL),
    }
}

impl SignalState {
    /// The action for `signo`.
    pub fn action(&self, signo: u64) -> SysResult<SigAction> {
        Ok(self.lock_actions()[index(signo)?])
    }

    fn lock_actions(&self) -> MutexGuard<'_, [SigAction; SIGNAL_COUNT]> {
        self.actions.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A new thread's: the same dispositions, the same mask, no alternate stack.
    pub fn for_new_thread(&self) -> SignalState {
        SignalState {
            actions: self.actions.clone(),
            blocked: self.blocked,
            alt_stack: AltStack::DISABLED,
        }
    }

    /// A copy with dispositions of its own (fork).
    pub fn forked(&self) -> SignalState {
        SignalState {
            actions: Arc::new(Mutex::new(*self.lock_actions())),
            blocked: self.blocked,
            alt_stack: self.alt_stack,
        }
    }

    /// Signals whose disposition ignores them (SIG_IGN, or SIG_DFL with an ignoring
    /// default action).
    pub fn ignored(&self) -> SigSet {
        let actions = self.lock_actions();
        (1..=SIGNAL_COUNT as i32)
            .filter(|&s| {
                let h = actions[(s - 1) as usize].handler;
                h == SIG_IGN || (h == SIG_DFL && default_action(s) == DefaultAction::Ignore)
            })
            .fold(0, |set, s| set | bit(s))
    }

    /// What execve keeps: handled signals return to SIG_DFL, ignored ones stay ignored.
    pub fn reset_for_exec(&mut self) {
        // Dispositions of their own: after execve no thread shares them any more.
        let own = *self.lock_actions();
        self.actions = Arc::new(Mutex::new(own));
        for a in self.lock_actions().iter_mut() {
            if a.handler != SIG_IGN {
                *a = SigAction::default();
            }
        }
        // As Linux: the stack is forgotten, its flags are kept.
        self.alt_stack.sp = 0;
        self.alt_stack.size = 0;
    }

    /// Replaces the action for `signo` (SIGKILL and SIGSTOP cannot be changed).
    pub fn set_action(&mut self, signo: u64, mut action: SigAction) -> SysResult<()> {
        let i = index(signo)?;
        if signo == SIGKILL as u64 || signo == SIGSTOP as u64 {
            return Err(Errno::EINVAL);
        }
        action.mask &= !UNBLOCKABLE;
        self.lock_actions()[i] = action;
        Ok(())
    }

    /// Adds `set` to the blocked mask (SIGKILL and SIGSTOP never).
    pub fn block(&mut self, set: SigSet) {
        self.blocked = (self.blocked | set) & !UNBLOCKABLE;
    }

    /// Replaces the blocked mask (SIGKILL and SIGSTOP never blocked).
    pub fn set_blocked(&mut self, set: SigSet) {
        self.blocked = set & !UNBLOCKABLE;
    }

    /// rt_sigprocmask's `how` applied to `set`.
    pub fn change_mask(&mut self, how: u64, set: SigSet) -> SysResult<()> {
        const SIG_BLOCK: u64 = 0;
        const SIG_UNBLOCK: u64 = 1;
        const SIG_SETMASK: u64 = 2;
        self.blocked = match how {
            SIG_BLOCK => self.blocked | set,
            SIG_UNBLOCK => self.blocked & !set,
            SIG_SETMASK => set,
            _ => return Err(Errno::EINVAL),
        } & !UNBLOCKABLE;
        Ok(())
    }
}

/// A signal caused by a CPU exception, with its siginfo code and address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultSignal {
    pub signo: i32,
    pub code: i32,
    pub addr: Option<u64>,
}

pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_USER: i32 = 0;
pub const SI_TKILL: i32 = -6;

/// The signal Linux sends for CPU exception `vector` raised at `rip` (page faults are
/// decided by the memory manager, not here).
pub fn signal_for_exception(vector: u8, rip: u64) -> FaultSignal {
    const ILL_ILLOPN: i32 = 2;
    const FPE_INTDIV: i32 = 1;
    const BUS_ADRALN: i32 = 1;
    const TRAP_BRKPT: i32 = 1;
    match vector {
        0 => FaultSignal {
            signo: SIGFPE,
            code: FPE_INTDIV,
            addr: Some(rip),
        },
        1 | 3 => FaultSignal {
            signo: SIGTRAP,
            code: if vector == 3 { SI_KERNEL } else { TRAP_BRKPT },
            addr: None,
        },
        6 => FaultSignal {
            signo: SIGILL,
            code: ILL_ILLOPN,
            addr: Some(rip),
        },
        16 | 19 => FaultSignal {
            signo: SIGFPE,
            code: 0,
            addr: Some(rip),
        },
        17 => FaultSignal {
            signo: SIGBUS,
            code: BUS_ADRALN,
            addr: Some(rip),
        },
        _ => FaultSignal {
            signo: SIGSEGV,
            code: SI_KERNEL,
            addr: Some(0),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kill_and_stop_are_protected() {
        let mut s = SignalState::default();
        assert_eq!(s.set_action(9, SigAction::default()), Err(Errno::EINVAL));
        assert_eq!(s.set_action(65, SigAction::default()), Err(Errno::EINVAL));
        s.change_mask(2, u64::MAX).unwrap();
        assert_eq!(s.blocked & UNBLOCKABLE, 0);
        assert_eq!(s.change_mask(3, 0), Err(Errno::EINVAL));
    }

    #[test]
    fn sigaction_round_trips() {
        let a = SigAction {
            handler: 1,
            flags: 0x0400_0000,
            restorer: 3,
            mask: 4,
        };
        assert_eq!(SigAction::from_bytes(&a.to_bytes()), a);
    }
}
