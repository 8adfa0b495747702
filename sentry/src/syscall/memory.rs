//! Memory syscalls: thin wrappers over the memory manager.

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{O_ACCMODE, O_APPEND, O_RDWR, O_WRONLY};
use crate::fs::inode::{FileType, F_SEAL_FUTURE_WRITE, F_SEAL_WRITE};
use crate::kernel::Ctx;
use crate::mm::syscalls::MmapRequest;
use crate::mm::vma::FileBacking;

pub fn sys_brk(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    Ok(ctx.task.mm.brk(a.u64(0)))
}

const MAP_ANONYMOUS: u64 = 0x20;
const PROT_WRITE: u64 = 0x2;

/// The file an mmap without MAP_ANONYMOUS maps, with Linux's access checks; `None`
/// when the file behaves as anonymous memory (/dev/zero).
fn mapped_file(ctx: &Ctx, req: &MmapRequest) -> SysResult<Option<FileBacking>> {
    let file = ctx.task.fds.get(req.fd)?;
    if file.is_path_only() {
        return Err(Errno::EBADF);
    }
    let dentry = file.dentry().ok_or(Errno::ENODEV)?;
    match dentry.inode.file_type() {
        FileType::Regular => {}
        // /dev/zero: mapping it is anonymous memory.
        FileType::CharDevice if dentry.inode.stat()?.rdev == 0x105 => return Ok(None),
        _ => return Err(Errno::ENODEV),
    }
    let mode = file.flags() & O_ACCMODE;
    if mode == O_WRONLY {
        return Err(Errno::EACCES);
    }
    let shared = req.flags & 0x03 != 0x02;
    if shared && req.prot & PROT_WRITE != 0 && (mode != O_RDWR || file.flags() & O_APPEND != 0) {
        return Err(Errno::EACCES);
    }
    // A memfd sealed against writes cannot be mapped shared and writable.
    let write_sealed =
        dentry.inode.seals().unwrap_or(0) & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0;
    if shared && req.prot & PROT_WRITE != 0 && write_sealed {
        return Err(Errno::EPERM);
    }
    Ok(Some(FileBacking {
        inode: dentry.inode.clone(),
        offset: req.offset,
        path: String::from_utf8_lossy(&dentry.path()).into_owned(),
        may_write: mode == O_RDWR && file.flags() & O_APPEND == 0 && !write_sealed,
    }))
}

pub fn sys_mmap(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let mut req = MmapRequest {
        addr: a.u64(0),
        len: a.u64(1),
        prot: a.u64(2),
        flags: a.u64(3),
        fd: a.i32(4),
        offset: a.u64(5),
    };
    let mut file = None;
    if req.flags & MAP_ANONYMOUS == 0 {
        file = mapped_file(ctx, &req)?;
        if file.is_none() {
            req.flags |= MAP_ANONYMOUS;
        }
    }
    ctx.task.mm.mmap(req, file)
}

pub fn sys_msync(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const MS_ASYNC: u64 = 1;
    const MS_INVALIDATE: u64 = 2;
    const MS_SYNC: u64 = 4;
    let (addr, len, flags) = (a.u64(0), a.u64(1), a.u64(2));
    if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
        || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
        || addr % vmm::PAGE_SIZE != 0
    {
        return Err(Errno::EINVAL);
    }
    let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
    if !ctx.task.mm.is_mapped(addr, end) {
        return Err(Errno::ENOMEM);
    }
    ctx.task.mm.write_back(addr, end);
    Ok(0)
}

pub fn sys_munmap(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.mm.munmap(a.u64(0), a.u64(1)).map(|()| 0)
}

pub fn sys_mprotect(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task
        .mm
        .mprotect(a.u64(0), a.u64(1), a.u64(2))
        .map(|()| 0)
}

pub fn sys_mremap(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task
        .mm
        .mremap(a.u64(0), a.u64(1), a.u64(2), a.u64(3), a.u64(4))
}

pub fn sys_madvise(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task
        .mm
        .madvise(a.u64(0), a.u64(1), a.u64(2) as u32 as u64)
        .map(|()| 0)
}

pub fn sys_mincore(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    // Answered 1 GiB at a time, so the sentry's buffer stays at 256 KiB.
    const STEP: u64 = 1 << 30;
    let (addr, len, vec) = (a.u64(0), a.u64(1), a.u64(2));
    let total = crate::mm::page_align_up(len).ok_or(Errno::ENOMEM)?;
    // Checks the whole range first: errors must not depend on where a step falls.
    ctx.task.mm.residency(addr, total.min(vmm::PAGE_SIZE))?;
    if !ctx
        .task
        .mm
        .is_mapped(addr, addr.checked_add(total).ok_or(Errno::ENOMEM)?)
    {
        return Err(Errno::ENOMEM);
    }
    let mut done = 0;
    while done < total {
        let step = (total - done).min(STEP);
        let bytes = ctx.task.mm.residency(addr + done, step)?;
        ctx.task.mm.copy_out(vec + done / vmm::PAGE_SIZE, &bytes)?;
        done += step;
    }
    Ok(0)
}

const MLOCK_ONFAULT: u64 = 1;

/// Whether the task may lock `len` more bytes: root (CAP_IPC_LOCK) always, others
/// within RLIMIT_MEMLOCK (EPERM when it is 0).
fn may_lock(ctx: &Ctx, len: u64) -> SysResult<()> {
    const RLIMIT_MEMLOCK: usize = 8;
    if ctx.task.creds.euid == 0 {
        return Ok(());
    }
    let limit = ctx.task.rlimits[RLIMIT_MEMLOCK].cur;
    if limit == 0 {
        return Err(Errno::EPERM);
    }
    if len > limit {
        return Err(Errno::ENOMEM);
    }
    Ok(())
}

fn mlock(ctx: &mut Ctx, addr: u64, len: u64, flags: u64) -> SysResult<u64> {
    may_lock(ctx, len)?;
    ctx.task
        .mm
        .lock_range(addr, len, flags & MLOCK_ONFAULT == 0)
        .map(|()| 0)
}

pub fn sys_mlock(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    mlock(ctx, a.u64(0), a.u64(1), 0)
}

pub fn sys_mlock2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    if a.u64(2) & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    mlock(ctx, a.u64(0), a.u64(1), a.u64(2))
}

pub fn sys_munlock(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task
        .mm
        .lock_range(a.u64(0), a.u64(1), false)
        .map(|()| 0)
}

pub fn sys_mlockall(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const MCL_CURRENT: u64 = 1;
    const MCL_FUTURE: u64 = 2;
    const MCL_ONFAULT: u64 = 4;
    let flags = a.u64(0);
    if flags == 0 || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 || flags == MCL_ONFAULT
    {
        return Err(Errno::EINVAL);
    }
    may_lock(ctx, 0)?;
    // Mappings made later are resident as soon as touched, and stay so.
    if flags & MCL_CURRENT != 0 && flags & MCL_ONFAULT == 0 {
        ctx.task.mm.lock_all();
    }
    Ok(0)
}

pub fn sys_munlockall(_: &mut Ctx, _: &Args) -> SysResult<u64> {
    Ok(0)
}
