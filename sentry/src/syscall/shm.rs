//! shmget, shmat, shmdt, shmctl over `kernel::sysv_shm`.

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::inode::{Inode, InodeRef, Owner, SetAttr};
use crate::kernel::sysv_ipc::{existing, IpcPerm, IPC_PRIVATE};
use crate::kernel::sysv_shm::{Segment, ShmTable, SHMMNI, SHM_DEST, SHM_LOCKED};
use crate::kernel::Ctx;
use crate::mm::syscalls::MmapRequest;
use crate::mm::vma::FileBacking;

const SHM_HUGETLB: u32 = 0o4000;
const SHM_RDONLY: u32 = 0o10000;
const SHM_RND: u32 = 0o20000;
const SHM_REMAP: u32 = 0o40000;
const SHM_EXEC: u32 = 0o100000;
/// Largest segment (Linux's default SHMMAX and SHMALL).
const SHMMAX: u64 = u64::MAX - (1 << 24);
const PAGE: u64 = vmm::PAGE_SIZE;

fn now(ctx: &Ctx) -> u64 {
    ctx.kernel.clock.realtime().as_secs()
}

pub fn sys_shmget(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (key, size, flags) = (a.i32(0), a.u64(1), a.u32(2));
    if flags & SHM_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let mut segments = ctx.kernel.shm.lock();
    let found = segments
        .iter()
        .find(|(_, s)| s.perm.key == key)
        .map(|(&id, s)| (id, s.perm, size <= s.size));
    if let Some(id) = existing(key, flags, found, &ctx.task.creds)? {
        return Ok(id as u64);
    }
    if size == 0 || size > SHMMAX {
        return Err(Errno::EINVAL);
    }
    let id = ShmTable::free_id(&segments).ok_or(Errno::ENOSPC)?;
    let perm = IpcPerm::new(key, &ctx.task.creds, flags);
    let node = ctx.kernel.vfs.memfd_fs.new_detached_file(
        Owner {
            uid: perm.uid,
            gid: perm.gid,
            perm: perm.mode,
        },
        None,
    );
    node.set_attr(&SetAttr {
        size: Some(size),
        ..SetAttr::default()
    })
    .map_err(|_| Errno::ENOSPC)?;
    let time = now(ctx);
    segments.insert(
        id,
        Segment {
            perm,
            node,
            size,
            cpid: ctx.task.pid,
            lpid: 0,
            atime: 0,
            dtime: 0,
            ctime: time,
        },
    );
    Ok(id as u64)
}

pub fn sys_shmat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const PROT_READ: u64 = 1;
    const PROT_WRITE: u64 = 2;
    const PROT_EXEC: u64 = 4;
    const MAP_SHARED: u64 = 0x01;
    const MAP_FIXED: u64 = 0x10;
    const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
    let (id, mut addr, flags) = (a.i32(0), a.u64(1), a.u32(2));
    if flags & SHM_RND != 0 {
        addr &= !(PAGE - 1);
    } else if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    if addr == 0 && flags & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let read_only = flags & SHM_RDONLY != 0;
    let (node, size, key): (InodeRef, u64, i32) = {
        let segments = ctx.kernel.shm.lock();
        let s = segments.get(&id).ok_or(Errno::EINVAL)?;
        if !s.perm.permits(&ctx.task.creds, !read_only) {
            return Err(Errno::EACCES);
        }
        (s.node.clone(), s.size, s.perm.key)
    };
    let mut prot = PROT_READ;
    if !read_only {
        prot |= PROT_WRITE;
    }
    if flags & SHM_EXEC != 0 {
        prot |= PROT_EXEC;
    }
    let placement = match (addr, flags & SHM_REMAP != 0) {
        (0, _) => 0,
        (_, true) => MAP_FIXED,
        (_, false) => MAP_FIXED_NOREPLACE,
    };
    let at = ctx
        .task
        .mm
        .mmap(
            MmapRequest {
                addr,
                len: size,
                prot,
                flags: MAP_SHARED | placement,
                fd: -1,
                offset: 0,
            },
            Some(FileBacking {
                inode: node,
                offset: 0,
                path: format!("/SYSV{:08x} (deleted)", key as u32),
                may_write: !read_only,
            }),
        )
        .map_err(|e| if e == Errno::EEXIST { Errno::EINVAL } else { e })?;
    if let Some(s) = ctx.kernel.shm.lock().get_mut(&id) {
        s.atime = now(ctx);
        s.lpid = ctx.task.pid;
    }
    Ok(at)
}

pub fn sys_shmdt(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let addr = a.u64(0);
    if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let inode = ctx.task.mm.file_mapping_at(addr).ok_or(Errno::EINVAL)?;
    let size = {
        let mut segments = ctx.kernel.shm.lock();
        let s = segments
            .values_mut()
            .find(|s| s.is(&inode))
            .ok_or(Errno::EINVAL)?;
        s.dtime = now(ctx);
        s.lpid = ctx.task.pid;
        s.size
    };
    drop(inode);
    ctx.task
        .mm
        .munmap(addr, size.next_multiple_of(PAGE))
        .map(|()| 0)
}

/// `struct shmid64_ds` for segment `s` (112 bytes).
fn shmid_ds(s: &Segment) -> [u8; 112] {
    let mut b = [0u8; 112];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &s.perm.to_bytes());
    put(48, &s.size.to_le_bytes());
    put(56, &s.atime.to_le_bytes());
    put(64, &s.dtime.to_le_bytes());
    put(72, &s.ctime.to_le_bytes());
    put(80, &s.cpid.to_le_bytes());
    put(84, &s.lpid.to_le_bytes());
    put(88, &s.attachments().to_le_bytes());
    b
}

pub fn sys_shmctl(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const IPC_RMID: i32 = 0;
    const IPC_SET: i32 = 1;
    const IPC_STAT: i32 = 2;
    const IPC_INFO: i32 = 3;
    const SHM_LOCK: i32 = 11;
    const SHM_UNLOCK: i32 = 12;
    const SHM_STAT: i32 = 13;
    const SHM_INFO: i32 = 14;
    const SHM_STAT_ANY: i32 = 15;
    let (id, cmd, buf) = (a.i32(0), a.i32(1), a.u64(2));
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let mut segments = ctx.kernel.shm.lock();
    let highest = segments.keys().next_back().copied().unwrap_or(0) as u64;
    match cmd {
        IPC_INFO => {
            let mut b = [0u8; 72];
            for (i, v) in [SHMMAX, 1, SHMMNI as u64, SHMMNI as u64, SHMMAX]
                .iter()
                .enumerate()
            {
                b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
            }
            drop(segments);
            ctx.task.mm.copy_out(buf, &b)?;
            Ok(highest)
        }
        SHM_INFO => {
            let pages: u64 = segments.values().map(|s| s.size.div_ceil(PAGE)).sum();
            let mut b = [0u8; 48];
            b[0..4].copy_from_slice(&(segments.len() as i32).to_le_bytes());
            b[8..16].copy_from_slice(&pages.to_le_bytes());
            drop(segments);
            ctx.task.mm.copy_out(buf, &b)?;
            Ok(highest)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let s = segments.get(&id).ok_or(Errno::EINVAL)?;
            if cmd != SHM_STAT_ANY && !s.perm.permits(&ctx.task.creds, false) {
                return Err(Errno::EACCES);
            }
            let b = shmid_ds(s);
            drop(segments);
            ctx.task.mm.copy_out(buf, &b)?;
            Ok(if cmd == IPC_STAT { 0 } else { id as u64 })
        }
        IPC_SET => {
            let mut b = [0u8; 24];
            ctx.task.mm.copy_in(buf, &mut b)?;
            let time = now(ctx);
            let s = segments.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&ctx.task.creds)?;
            s.perm.set_from(&b);
            s.ctime = time;
            Ok(0)
        }
        IPC_RMID => {
            let s = segments.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&ctx.task.creds)?;
            s.perm.mode |= SHM_DEST;
            s.perm.key = IPC_PRIVATE;
            // Dropped now if nothing is attached, else when the last detaches.
            let detached = s.attachments() == 0;
            if detached {
                segments.remove(&id);
            }
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let s = segments.get_mut(&id).ok_or(Errno::EINVAL)?;
            s.perm.check_owner(&ctx.task.creds)?;
            // Nothing is paged out: locking only shows in the mode.
            if cmd == SHM_LOCK {
                s.perm.mode |= SHM_LOCKED;
            } else {
                s.perm.mode &= !SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
