//! Memory syscalls: thin wrappers over the memory manager.

use super::Args;
use crate::errno::SysResult;
use crate::kernel::Ctx;
use crate::mm::syscalls::MmapRequest;

pub fn sys_brk(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    Ok(ctx.task.mm.brk(a.u64(0)))
}

pub fn sys_mmap(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    ctx.task.mm.mmap(MmapRequest {
        addr: a.u64(0),
        len: a.u64(1),
        prot: a.u64(2),
        flags: a.u64(3),
        fd: a.i32(4),
        offset: a.u64(5),
    })
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
