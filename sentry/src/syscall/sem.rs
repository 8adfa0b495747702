//! semget, semop, semtimedop, semctl over `kernel::sysv_sem`.

use std::sync::Arc;
use std::time::Instant;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::sysv_sem::{
    Attempt, Sem, SemSet, SemState, SemTable, SEMMNI, SEMMSL, SEMOPM, SEMVMX,
};
use crate::kernel::wait::Interrupted;
use crate::kernel::Ctx;

const IPC_PRIVATE: i32 = 0;
const IPC_CREAT: u32 = 0o1000;
const IPC_EXCL: u32 = 0o2000;
const IPC_NOWAIT: i16 = 0o4000;

/// Whether the caller may read (and alter) set `s`: root always, else the owner,
/// group or other permission bits that apply.
fn permitted(ctx: &Ctx, s: &SemState, alter: bool) -> bool {
    let c = &ctx.task.creds;
    if c.euid == 0 {
        return true;
    }
    let bits = if c.euid == s.uid || c.euid == s.cuid {
        s.mode >> 6
    } else if c.egid == s.gid || c.egid == s.cgid {
        s.mode >> 3
    } else {
        s.mode
    };
    bits & 0o4 != 0 && (!alter || bits & 0o2 != 0)
}

fn owns(ctx: &Ctx, s: &SemState) -> bool {
    let c = &ctx.task.creds;
    c.euid == 0 || c.euid == s.uid || c.euid == s.cuid
}

fn now(ctx: &Ctx) -> u64 {
    ctx.kernel.clock.realtime().as_secs()
}

fn set_of(ctx: &Ctx, id: i32) -> SysResult<Arc<SemSet>> {
    ctx.kernel.sem.lock().get(&id).cloned().ok_or(Errno::EINVAL)
}

pub fn sys_semget(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (key, nsems, flags) = (a.i32(0), a.i32(1), a.u32(2));
    if !(0..=SEMMSL as i32).contains(&nsems) {
        return Err(Errno::EINVAL);
    }
    let mut sets = ctx.kernel.sem.lock();
    if key != IPC_PRIVATE {
        if let Some((&id, set)) = sets.iter().find(|(_, s)| s.lock().key == key) {
            let s = set.lock();
            if flags & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL {
                return Err(Errno::EEXIST);
            }
            if nsems as usize > s.sems.len() {
                return Err(Errno::EINVAL);
            }
            if !permitted(ctx, &s, false) {
                return Err(Errno::EACCES);
            }
            return Ok(id as u64);
        }
        if flags & IPC_CREAT == 0 {
            return Err(Errno::ENOENT);
        }
    }
    if nsems == 0 {
        return Err(Errno::EINVAL);
    }
    let id = SemTable::free_id(&sets).ok_or(Errno::ENOSPC)?;
    let (uid, gid) = (ctx.task.creds.euid, ctx.task.creds.egid);
    sets.insert(
        id,
        SemSet::new(SemState {
            key,
            uid,
            gid,
            cuid: uid,
            cgid: gid,
            mode: flags & 0o777,
            otime: 0,
            ctime: now(ctx),
            sems: vec![Sem::default(); nsems as usize],
            removed: false,
        }),
    );
    Ok(id as u64)
}

pub fn sys_semop(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    semtimedop(ctx, a.i32(0), a.u64(1), a.u64(2), None)
}

pub fn sys_semtimedop(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let timeout = match a.u64(3) {
        0 => None,
        addr => Some(super::time::read_timespec(ctx, addr)?),
    };
    semtimedop(ctx, a.i32(0), a.u64(1), a.u64(2), timeout)
}

fn semtimedop(
    ctx: &mut Ctx,
    id: i32,
    addr: u64,
    nsops: u64,
    timeout: Option<std::time::Duration>,
) -> SysResult<u64> {
    if nsops == 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > SEMOPM as u64 {
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; nsops as usize * 6];
    ctx.task.mm.copy_in(addr, &mut raw)?;
    let ops: Vec<(usize, i16, i16)> = raw
        .chunks_exact(6)
        .map(|c| {
            (
                usize::from(u16::from_le_bytes([c[0], c[1]])),
                i16::from_le_bytes([c[2], c[3]]),
                i16::from_le_bytes([c[4], c[5]]),
            )
        })
        .collect();
    let set = set_of(ctx, id)?;
    {
        let s = set.lock();
        if ops.iter().any(|&(sem, _, _)| sem >= s.sems.len()) {
            return Err(Errno::EFBIG);
        }
        let alter = ops.iter().any(|&(_, op, _)| op != 0);
        if !permitted(ctx, &s, alter) {
            return Err(Errno::EACCES);
        }
    }
    let pairs: Vec<(usize, i16)> = ops.iter().map(|&(sem, op, _)| (sem, op)).collect();
    let pid = ctx.task.pid;
    let time = now(ctx);
    // The semaphore this task is counted as waiting on (GETNCNT/GETZCNT), if any.
    let mut counted: Option<(usize, bool)> = None;
    let mut attempt = || -> Option<SysResult<u64>> {
        let mut s = set.lock();
        if let Some((sem, zero)) = counted.take() {
            let w = &mut s.sems[sem];
            if zero {
                w.waiting_zero -= 1;
            } else {
                w.waiting_increase -= 1;
            }
        }
        if s.removed {
            return Some(Err(Errno::EIDRM));
        }
        match s.apply(&pairs, pid) {
            Attempt::Done => {
                s.otime = time;
                drop(s);
                set.queue.notify();
                Some(Ok(0))
            }
            Attempt::OutOfRange => Some(Err(Errno::ERANGE)),
            Attempt::Blocked { index, .. } if ops[index].2 & IPC_NOWAIT != 0 => {
                Some(Err(Errno::EAGAIN))
            }
            Attempt::Blocked { sem, zero, .. } => {
                let w = &mut s.sems[sem];
                if zero {
                    w.waiting_zero += 1;
                } else {
                    w.waiting_increase += 1;
                }
                counted = Some((sem, zero));
                None
            }
        }
    };
    let deadline = timeout.map(|t| Instant::now() + t.min(std::time::Duration::from_secs(1 << 32)));
    let outcome = ctx
        .task
        .block_on(&[&set.queue], deadline, true, &mut attempt);
    if let Some((sem, zero)) = counted {
        let mut s = set.lock();
        let w = &mut s.sems[sem];
        if zero {
            w.waiting_zero -= 1;
        } else {
            w.waiting_increase -= 1;
        }
    }
    match outcome {
        Ok(result) => result,
        Err(Interrupted::TimedOut) => Err(Errno::EAGAIN),
        Err(Interrupted::Signal) => Err(Errno::EINTR),
    }
}

/// `struct semid64_ds` (104 bytes).
fn semid_ds(s: &SemState) -> [u8; 104] {
    let mut b = [0u8; 104];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &s.key.to_le_bytes());
    put(4, &s.uid.to_le_bytes());
    put(8, &s.gid.to_le_bytes());
    put(12, &s.cuid.to_le_bytes());
    put(16, &s.cgid.to_le_bytes());
    put(20, &s.mode.to_le_bytes());
    put(48, &s.otime.to_le_bytes());
    put(64, &s.ctime.to_le_bytes());
    put(80, &(s.sems.len() as u64).to_le_bytes());
    b
}

pub fn sys_semctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const IPC_RMID: i32 = 0;
    const IPC_SET: i32 = 1;
    const IPC_STAT: i32 = 2;
    const IPC_INFO: i32 = 3;
    const GETPID: i32 = 11;
    const GETVAL: i32 = 12;
    const GETALL: i32 = 13;
    const GETNCNT: i32 = 14;
    const GETZCNT: i32 = 15;
    const SETVAL: i32 = 16;
    const SETALL: i32 = 17;
    const SEM_STAT: i32 = 18;
    const SEM_INFO: i32 = 19;
    const SEM_STAT_ANY: i32 = 20;
    let (id, semnum, cmd, arg) = (a.i32(0), a.i32(1), a.i32(2), a.u64(3));
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    if cmd == IPC_INFO || cmd == SEM_INFO {
        let sets = ctx.kernel.sem.lock();
        let highest = sets.keys().next_back().copied().unwrap_or(0) as u64;
        let total: usize = sets.values().map(|s| s.lock().sems.len()).sum();
        // semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem
        let mut info = [
            1_024_000_000,
            SEMMNI as i32,
            1_024_000_000,
            1_024_000_000,
            SEMMSL as i32,
            SEMOPM as i32,
            SEMOPM as i32,
            20,
            i32::from(SEMVMX),
            i32::from(SEMVMX),
        ];
        if cmd == SEM_INFO {
            info[7] = sets.len() as i32;
            info[9] = total as i32;
        }
        drop(sets);
        let bytes: Vec<u8> = info.iter().flat_map(|v| v.to_le_bytes()).collect();
        ctx.task.mm.copy_out(arg, &bytes)?;
        return Ok(highest);
    }
    let set = set_of(ctx, id)?;
    let mut s = set.lock();
    let sem = |s: &SemState| {
        usize::try_from(semnum)
            .ok()
            .filter(|&i| i < s.sems.len())
            .ok_or(Errno::EINVAL)
    };
    let time = now(ctx);
    match cmd {
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            if cmd != SEM_STAT_ANY && !permitted(ctx, &s, false) {
                return Err(Errno::EACCES);
            }
            let b = semid_ds(&s);
            drop(s);
            ctx.task.mm.copy_out(arg, &b)?;
            Ok(if cmd == IPC_STAT { 0 } else { id as u64 })
        }
        IPC_SET => {
            let mut b = [0u8; 24];
            drop(s);
            ctx.task.mm.copy_in(arg, &mut b)?;
            let word = |at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
            let mut s = set.lock();
            if !owns(ctx, &s) {
                return Err(Errno::EPERM);
            }
            (s.uid, s.gid) = (word(4), word(8));
            s.mode = (s.mode & !0o777) | (word(20) & 0o777);
            s.ctime = time;
            Ok(0)
        }
        IPC_RMID => {
            if !owns(ctx, &s) {
                return Err(Errno::EPERM);
            }
            s.removed = true;
            drop(s);
            ctx.kernel.sem.lock().remove(&id);
            set.queue.notify();
            Ok(0)
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => {
            let i = sem(&s)?;
            if !permitted(ctx, &s, false) {
                return Err(Errno::EACCES);
            }
            let w = s.sems[i];
            Ok(match cmd {
                GETVAL => u64::from(w.value),
                GETPID => w.pid as u64,
                GETNCNT => u64::from(w.waiting_increase),
                _ => u64::from(w.waiting_zero),
            })
        }
        GETALL => {
            if !permitted(ctx, &s, false) {
                return Err(Errno::EACCES);
            }
            let bytes: Vec<u8> = s.sems.iter().flat_map(|w| w.value.to_le_bytes()).collect();
            drop(s);
            ctx.task.mm.copy_out(arg, &bytes)?;
            Ok(0)
        }
        SETVAL => {
            let i = sem(&s)?;
            let value = arg as u32 as i32;
            if !(0..=i32::from(SEMVMX)).contains(&value) {
                return Err(Errno::ERANGE);
            }
            if !permitted(ctx, &s, true) {
                return Err(Errno::EACCES);
            }
            s.sems[i].value = value as u16;
            s.sems[i].pid = ctx.task.pid;
            s.ctime = time;
            drop(s);
            set.queue.notify();
            Ok(0)
        }
        SETALL => {
            let n = s.sems.len();
            drop(s);
            let mut raw = vec![0u8; n * 2];
            ctx.task.mm.copy_in(arg, &mut raw)?;
            let values: Vec<u16> = raw
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            if values.iter().any(|&v| v > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            let mut s = set.lock();
            if !permitted(ctx, &s, true) {
                return Err(Errno::EACCES);
            }
            let pid = ctx.task.pid;
            for (w, v) in s.sems.iter_mut().zip(values) {
                w.value = v;
                w.pid = pid;
            }
            s.ctime = time;
            drop(s);
            set.queue.notify();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
