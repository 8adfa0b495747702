//! semget, semop, semtimedop, semctl over `kernel::sysv_sem`.

use std::sync::Arc;
use std::time::Instant;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::sysv_ipc::{existing, IpcPerm};
use crate::kernel::sysv_sem::{
    Attempt, Sem, SemSet, SemState, SemTable, SEMMNI, SEMMSL, SEMOPM, SEMVMX,
};
use crate::kernel::wait::Interrupted;
use crate::kernel::Ctx;

const IPC_NOWAIT: i16 = 0o4000;

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
    let found = sets.iter().find_map(|(&id, set)| {
        let s = set.lock();
        (s.perm.key == key).then(|| (id, s.perm, nsems as usize <= s.sems.len()))
    });
    if let Some(id) = existing(key, flags, found, &ctx.task.creds)? {
        return Ok(id as u64);
    }
    if nsems == 0 {
        return Err(Errno::EINVAL);
    }
    let id = SemTable::free_id(&sets).ok_or(Errno::ENOSPC)?;
    sets.insert(
        id,
        SemSet::new(SemState {
            perm: IpcPerm::new(key, &ctx.task.creds, flags),
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
        if !s.perm.permits(&ctx.task.creds, alter) {
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
            s.count_waiter(sem, zero, false);
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
                s.count_waiter(sem, zero, true);
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
        set.lock().count_waiter(sem, zero, false);
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
    put(0, &s.perm.to_bytes());
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
            if cmd != SEM_STAT_ANY && !s.perm.permits(&ctx.task.creds, false) {
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
            let mut s = set.lock();
            s.perm.check_owner(&ctx.task.creds)?;
            s.perm.set_from(&b);
            s.ctime = time;
            Ok(0)
        }
        IPC_RMID => {
            s.perm.check_owner(&ctx.task.creds)?;
            s.removed = true;
            drop(s);
            ctx.kernel.sem.lock().remove(&id);
            set.queue.notify();
            Ok(0)
        }
        GETVAL | GETPID | GETNCNT | GETZCNT => {
            let i = sem(&s)?;
            if !s.perm.permits(&ctx.task.creds, false) {
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
            if !s.perm.permits(&ctx.task.creds, false) {
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
            if !s.perm.permits(&ctx.task.creds, true) {
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
            if !s.perm.permits(&ctx.task.creds, true) {
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
