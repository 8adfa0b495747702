//! msgget, msgsnd, msgrcv, msgctl over `kernel::sysv_msg`.

use std::collections::VecDeque;
use std::sync::Arc;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::kernel::sysv_ipc::{existing, IpcPerm, IPC_PRIVATE};
use crate::kernel::sysv_msg::{Message, MsgQueue, MsgTable, QueueState, MSGMAX, MSGMNB, MSGMNI};
use crate::kernel::wait::Interrupted;
use crate::kernel::Ctx;

const IPC_NOWAIT: u32 = 0o4000;
const MSG_NOERROR: u32 = 0o10000;
const MSG_EXCEPT: u32 = 0o20000;
const MSG_COPY: u32 = 0o40000;

fn now(ctx: &Ctx) -> u64 {
    ctx.kernel.clock.realtime().as_secs()
}

fn queue_of(ctx: &Ctx, id: i32) -> SysResult<Arc<MsgQueue>> {
    ctx.kernel.msg.lock().get(&id).cloned().ok_or(Errno::EINVAL)
}

/// Waits on `q` until `attempt` gives a result; EIDRM once the queue is removed.
fn wait_on<T>(
    ctx: &Ctx,
    q: &MsgQueue,
    mut attempt: impl FnMut(&mut QueueState) -> Option<SysResult<T>>,
) -> SysResult<T> {
    let outcome = ctx.task.block_on(&[&q.queue], None, true, || {
        let mut st = q.lock();
        if st.removed {
            return Some(Err(Errno::EIDRM));
        }
        attempt(&mut st)
    });
    match outcome {
        Ok(result) => result,
        Err(Interrupted::TimedOut) => Err(Errno::EAGAIN),
        Err(Interrupted::Signal) => Err(Errno::EINTR),
    }
}

pub fn sys_msgget(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (key, flags) = (a.i32(0), a.u32(1));
    let mut queues = ctx.kernel.msg.lock();
    let found = queues.iter().find_map(|(&id, q)| {
        let st = q.lock();
        (st.perm.key == key).then(|| (id, st.perm, true))
    });
    if let Some(id) = existing(key, flags, found, &ctx.task.creds)? {
        return Ok(id as u64);
    }
    let id = MsgTable::free_id(&queues).ok_or(Errno::ENOSPC)?;
    queues.insert(
        id,
        MsgQueue::new(QueueState {
            perm: IpcPerm::new(key, &ctx.task.creds, flags),
            messages: VecDeque::new(),
            bytes: 0,
            qbytes: MSGMNB,
            lspid: 0,
            lrpid: 0,
            stime: 0,
            rtime: 0,
            ctime: now(ctx),
            removed: false,
        }),
    );
    Ok(id as u64)
}

pub fn sys_msgsnd(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (id, addr, size, flags) = (a.i32(0), a.u64(1), a.u64(2), a.u32(3));
    if size as usize > MSGMAX || (size as i64) < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    let mtype = ctx.task.mm.read_u64(addr)? as i64;
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; size as usize];
    ctx.task.mm.copy_in(addr + 8, &mut text)?;
    let q = queue_of(ctx, id)?;
    if !q.lock().perm.permits(&ctx.task.creds, true) {
        return Err(Errno::EACCES);
    }
    let (pid, time) = (ctx.task.pid, now(ctx));
    let mut message = Some(Message { mtype, text });
    wait_on(ctx, &q, |st| {
        let len = message.as_ref().map_or(0, |m| m.text.len());
        // Full: by bytes, or (for empty messages) by count, as Linux counts both.
        if st.bytes + len > st.qbytes || st.messages.len() + 1 > st.qbytes {
            return (flags & IPC_NOWAIT != 0).then_some(Err(Errno::EAGAIN));
        }
        let m = message.take()?;
        st.bytes += m.text.len();
        st.messages.push_back(m);
        (st.lspid, st.stime) = (pid, time);
        Some(Ok(()))
    })?;
    q.queue.notify();
    Ok(0)
}

pub fn sys_msgrcv(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (id, addr, size, msgtyp, flags) = (a.i32(0), a.u64(1), a.u64(2), a.u64(3) as i64, a.u32(4));
    if (size as i64) < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MSG_COPY != 0 {
        // Checkpoint/restore's peek at message n: not provided.
        return Err(Errno::EINVAL);
    }
    let q = queue_of(ctx, id)?;
    if !q.lock().perm.permits(&ctx.task.creds, false) {
        return Err(Errno::EACCES);
    }
    let (pid, time) = (ctx.task.pid, now(ctx));
    let message = wait_on(ctx, &q, |st| {
        let Some(i) = st.find(msgtyp, flags & MSG_EXCEPT != 0) else {
            return (flags & IPC_NOWAIT != 0).then_some(Err(Errno::ENOMSG));
        };
        if st.messages[i].text.len() as u64 > size && flags & MSG_NOERROR == 0 {
            return Some(Err(Errno::E2BIG));
        }
        let m = st.messages.remove(i)?;
        st.bytes -= m.text.len();
        (st.lrpid, st.rtime) = (pid, time);
        Some(Ok(m))
    })?;
    q.queue.notify();
    let n = message.text.len().min(size as usize);
    ctx.task.mm.write_u64(addr, message.mtype as u64)?;
    ctx.task.mm.copy_out(addr + 8, &message.text[..n])?;
    Ok(n as u64)
}

/// `struct msqid64_ds` (120 bytes).
fn msqid_ds(st: &QueueState) -> [u8; 120] {
    let mut b = [0u8; 120];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &st.perm.to_bytes());
    put(48, &st.stime.to_le_bytes());
    put(56, &st.rtime.to_le_bytes());
    put(64, &st.ctime.to_le_bytes());
    put(72, &(st.bytes as u64).to_le_bytes());
    put(80, &(st.messages.len() as u64).to_le_bytes());
    put(88, &(st.qbytes as u64).to_le_bytes());
    put(96, &st.lspid.to_le_bytes());
    put(100, &st.lrpid.to_le_bytes());
    b
}

pub fn sys_msgctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const IPC_RMID: i32 = 0;
    const IPC_SET: i32 = 1;
    const IPC_STAT: i32 = 2;
    const IPC_INFO: i32 = 3;
    const MSG_STAT: i32 = 11;
    const MSG_INFO: i32 = 12;
    const MSG_STAT_ANY: i32 = 13;
    let (id, cmd, buf) = (a.i32(0), a.i32(1), a.u64(2));
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    if cmd == IPC_INFO || cmd == MSG_INFO {
        let queues = ctx.kernel.msg.lock();
        let highest = queues.keys().next_back().copied().unwrap_or(0) as u64;
        // msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql, then msgseg (u16).
        let mut info = [
            512_000,
            16384,
            MSGMAX as i32,
            MSGMNB as i32,
            MSGMNI as i32,
            16,
            16384,
        ];
        if cmd == MSG_INFO {
            let states: Vec<_> = queues.values().map(|q| q.lock().messages.len()).collect();
            let bytes: usize = queues.values().map(|q| q.lock().bytes).sum();
            info[0] = queues.len() as i32;
            info[1] = states.iter().sum::<usize>() as i32;
            info[6] = bytes as i32;
        }
        drop(queues);
        let mut bytes: Vec<u8> = info.iter().flat_map(|v| v.to_le_bytes()).collect();
        bytes.extend_from_slice(&u16::MAX.to_le_bytes());
        bytes.resize(32, 0);
        ctx.task.mm.copy_out(buf, &bytes)?;
        return Ok(highest);
    }
    let q = queue_of(ctx, id)?;
    let creds = ctx.task.creds;
    match cmd {
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let st = q.lock();
            if cmd != MSG_STAT_ANY && !st.perm.permits(&creds, false) {
                return Err(Errno::EACCES);
            }
            let b = msqid_ds(&st);
            drop(st);
            ctx.task.mm.copy_out(buf, &b)?;
            Ok(if cmd == IPC_STAT { 0 } else { id as u64 })
        }
        IPC_SET => {
            let mut raw = [0u8; 96];
            ctx.task.mm.copy_in(buf, &mut raw)?;
            let qbytes = u64::from_le_bytes(raw[88..96].try_into().unwrap_or_default());
            let mut perm = [0u8; 24];
            perm.copy_from_slice(&raw[..24]);
            let time = now(ctx);
            let mut st = q.lock();
            st.perm.check_owner(&creds)?;
            if qbytes > MSGMNB as u64 && creds.euid != 0 {
                return Err(Errno::EPERM);
            }
            st.perm.set_from(&perm);
            st.qbytes = usize::try_from(qbytes).unwrap_or(usize::MAX);
            st.ctime = time;
            drop(st);
            q.queue.notify();
            Ok(0)
        }
        IPC_RMID => {
            let mut st = q.lock();
            st.perm.check_owner(&creds)?;
            st.removed = true;
            st.perm.key = IPC_PRIVATE;
            drop(st);
            ctx.kernel.msg.lock().remove(&id);
            q.queue.notify();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
