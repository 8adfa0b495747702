//! stat, lstat, fstat, newfstatat, statx, statfs, fstatfs.

use std::time::Duration;

use super::path::{
    lookup_at, lookup_at_flags, Target, AT_EMPTY_PATH, AT_FDCWD, AT_NO_AUTOMOUNT,
    AT_SYMLINK_NOFOLLOW,
};
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::inode::Stat;
use crate::fs::path::Dentry;
use crate::kernel::Ctx;

/// The x86-64 kernel `struct stat` (144 bytes).
fn stat_bytes(st: &Stat) -> [u8; 144] {
    let words: [u64; 18] = [
        st.dev,
        st.ino,
        st.nlink,
        u64::from(st.mode) | (u64::from(st.uid) << 32),
        u64::from(st.gid),
        st.rdev,
        st.size,
        st.blksize,
        st.blocks,
        st.atime.as_secs(),
        u64::from(st.atime.subsec_nanos()),
        st.mtime.as_secs(),
        u64::from(st.mtime.subsec_nanos()),
        st.ctime.as_secs(),
        u64::from(st.ctime.subsec_nanos()),
        0,
        0,
        0,
    ];
    let mut out = [0u8; 144];
    for (i, w) in words.iter().enumerate() {
        out[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
    }
    out
}

fn stat_of(t: &Target) -> SysResult<Stat> {
    match t {
        Target::Node(d) => d.inode.stat(),
        Target::File(f) => f.stat(),
    }
}

fn write_stat(ctx: &mut Ctx, t: Target, buf: u64) -> SysResult<u64> {
    let st = stat_of(&t)?;
    ctx.task.mm.copy_out(buf, &stat_bytes(&st))?;
    Ok(0)
}

pub fn sys_stat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let t = lookup_at(ctx, AT_FDCWD, a.u64(0), true, false)?;
    write_stat(ctx, t, a.u64(1))
}

pub fn sys_lstat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let t = lookup_at(ctx, AT_FDCWD, a.u64(0), false, false)?;
    write_stat(ctx, t, a.u64(1))
}

pub fn sys_fstat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = ctx.task.fds.get(a.i32(0))?;
    write_stat(ctx, Target::File(f), a.u64(1))
}

pub fn sys_newfstatat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let flags = a.u64(3);
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let t = lookup_at_flags(ctx, a.i32(0), a.u64(1), flags)?;
    write_stat(ctx, t, a.u64(2))
}

/// Linux's split of a device number into major and minor.
fn major_minor(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// `struct statx` (256 bytes) with the basic fields.
fn statx_bytes(st: &Stat) -> [u8; 256] {
    const STATX_BASIC_STATS: u32 = 0x7ff;
    let mut b = [0u8; 256];
    let mut put = |at: usize, bytes: &[u8]| b[at..at + bytes.len()].copy_from_slice(bytes);
    put(0, &STATX_BASIC_STATS.to_le_bytes());
    put(4, &(st.blksize as u32).to_le_bytes());
    put(16, &(st.nlink as u32).to_le_bytes());
    put(20, &st.uid.to_le_bytes());
    put(24, &st.gid.to_le_bytes());
    put(28, &(st.mode as u16).to_le_bytes());
    put(32, &st.ino.to_le_bytes());
    put(40, &st.size.to_le_bytes());
    put(48, &st.blocks.to_le_bytes());
    let time = |d: Duration| {
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&d.as_secs().to_le_bytes());
        t[8..12].copy_from_slice(&d.subsec_nanos().to_le_bytes());
        t
    };
    put(64, &time(st.atime));
    put(96, &time(st.ctime));
    put(112, &time(st.mtime));
    let (rmaj, rmin) = major_minor(st.rdev);
    let (dmaj, dmin) = major_minor(st.dev);
    put(128, &rmaj.to_le_bytes());
    put(132, &rmin.to_le_bytes());
    put(136, &dmaj.to_le_bytes());
    put(140, &dmin.to_le_bytes());
    b
}

pub fn sys_statx(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const AT_STATX_SYNC_TYPE: u64 = 0x6000;
    const STATX_RESERVED: u32 = 0x8000_0000;
    let (dirfd, path, flags, mask, buf) = (a.i32(0), a.u64(1), a.u64(2), a.u32(3), a.u64(4));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE) != 0
        || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
        || mask & STATX_RESERVED != 0
    {
        return Err(Errno::EINVAL);
    }
    let t = lookup_at_flags(ctx, dirfd, path, flags)?;
    let st = stat_of(&t)?;
    ctx.task.mm.copy_out(buf, &statx_bytes(&st))?;
    Ok(0)
}

/// The filesystem type magic of the mount `d` is in.
fn fs_magic(ctx: &Ctx, d: &Dentry) -> u64 {
    let mounts = &ctx.kernel.vfs.mounts;
    match mounts.get(mounts.mount_of(d)).map(|m| m.fstype) {
        Some("proc") => 0x9fa0,
        Some("sysfs") => 0x6265_6572,
        Some("bind") => 0xef53,
        Some("overlay") | None => 0x794c_7630,
        Some(_) => 0x0102_1994,
    }
}

fn write_statfs(ctx: &mut Ctx, magic: u64, buf: u64) -> SysResult<u64> {
    let (total, free) = (ctx.task.mm_memory_total(), ctx.task.mm_memory_free());
    let blocks = total / 4096;
    let bfree = free / 4096;
    let words: [u64; 15] = [
        magic,
        4096,
        blocks,
        bfree,
        bfree,
        1 << 20,
        1 << 19,
        0,
        255,
        4096,
        0x20,
        0,
        0,
        0,
        0,
    ];
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    ctx.task.mm.copy_out(buf, &bytes)?;
    Ok(0)
}

pub fn sys_statfs(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let d = super::path::node_at(ctx, AT_FDCWD, a.u64(0), true)?;
    let magic = fs_magic(ctx, &d);
    write_statfs(ctx, magic, a.u64(1))
}

pub fn sys_fstatfs(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let f = ctx.task.fds.get(a.i32(0))?;
    let magic = match f.dentry() {
        Some(d) => fs_magic(ctx, d),
        None => 0x6e6f_6e65, // a host stream: report nothing specific
    };
    write_statfs(ctx, magic, a.u64(1))
}
