//! Attribute syscalls: truncate, chmod, chown, utimensat, and the extended-attribute
//! family.

use super::path::{
    lookup_at, lookup_at_flags, node_at, Target, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW,
};
use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::inode::{FileType, SetAttr};
use crate::kernel::Ctx;

/// Applies `attr` to what `(dirfd, path)` names.
pub fn set_attr_at(target: Target, attr: SetAttr) -> SysResult<u64> {
    match target {
        Target::Node(d) => {
            if d.inode.read_only() {
                return Err(Errno::EROFS);
            }
            d.inode.set_attr(&attr)?;
        }
        Target::File(_) => return Err(Errno::EPERM),
    }
    Ok(0)
}

pub fn sys_truncate(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let len = a.u64(1) as i64;
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    let d = node_at(ctx, AT_FDCWD, a.u64(0), true)?;
    match d.inode.file_type() {
        FileType::Directory => return Err(Errno::EISDIR),
        FileType::Regular => {}
        _ => return Err(Errno::EINVAL),
    }
    set_attr_at(
        Target::Node(d),
        SetAttr {
            size: Some(len as u64),
            ..SetAttr::default()
        },
    )
}

fn chmod_attr(mode: u32) -> SetAttr {
    SetAttr {
        perm: Some(mode & 0o7777),
        ..SetAttr::default()
    }
}

pub fn sys_chmod(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let t = lookup_at(ctx, AT_FDCWD, a.u64(0), true, false)?;
    set_attr_at(t, chmod_attr(a.u32(1)))
}

pub fn sys_fchmodat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let t = lookup_at(ctx, a.i32(0), a.u64(1), true, false)?;
    set_attr_at(t, chmod_attr(a.u32(2)))
}

/// chown's ids: -1 keeps the current value; only root may give files away.
fn chown_attr(ctx: &Ctx, target: &Target, uid: u32, gid: u32) -> SysResult<SetAttr> {
    let keep = u32::MAX;
    let st = match target {
        Target::Node(d) => d.inode.stat()?,
        Target::File(f) => f.stat()?,
    };
    let root = ctx.task.creds.euid == 0;
    if !root
        && ((uid != keep && uid != st.uid)
            || (gid != keep && gid != st.gid && gid != ctx.task.creds.egid))
    {
        return Err(Errno::EPERM);
    }
    Ok(SetAttr {
        uid: (uid != keep).then_some(uid),
        gid: (gid != keep).then_some(gid),
        ..SetAttr::default()
    })
}

fn do_chown(
    ctx: &mut Ctx,
    dirfd: i32,
    path: u64,
    uid: u32,
    gid: u32,
    flags: u64,
) -> SysResult<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let t = lookup_at_flags(ctx, dirfd, path, flags)?;
    let attr = chown_attr(ctx, &t, uid, gid)?;
    set_attr_at(t, attr)
}

pub fn sys_chown(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_chown(ctx, AT_FDCWD, a.u64(0), a.u32(1), a.u32(2), 0)
}

pub fn sys_lchown(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_chown(
        ctx,
        AT_FDCWD,
        a.u64(0),
        a.u32(1),
        a.u32(2),
        AT_SYMLINK_NOFOLLOW,
    )
}

pub fn sys_fchownat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_chown(ctx, a.i32(0), a.u64(1), a.u32(2), a.u32(3), a.u64(4))
}

pub fn sys_fchown(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let file = ctx.task.fds.get(a.i32(0))?;
    let t = match file.dentry() {
        Some(d) => Target::Node(d.clone()),
        None => Target::File(file),
    };
    let attr = chown_attr(ctx, &t, a.u32(1), a.u32(2))?;
    set_attr_at(t, attr)
}

pub fn sys_fchmod(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let file = ctx.task.fds.get(a.i32(0))?;
    let t = match file.dentry() {
        Some(d) => Target::Node(d.clone()),
        None => Target::File(file),
    };
    set_attr_at(t, chmod_attr(a.u32(1)))
}

pub fn sys_utimensat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const UTIME_NOW: i64 = (1 << 30) - 1;
    const UTIME_OMIT: i64 = (1 << 30) - 2;
    let (dirfd, path, times, flags) = (a.i32(0), a.u64(1), a.u64(2), a.u64(3));
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let now = ctx.kernel.clock.realtime();
    let (atime, mtime) = if times == 0 {
        (Some(now), Some(now))
    } else {
        let mut raw = [0u8; 32];
        ctx.task.mm.copy_in(times, &mut raw)?;
        let word =
            |i: usize| i64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let pick = |sec: i64, nsec: i64| -> SysResult<Option<std::time::Duration>> {
            match nsec {
                UTIME_NOW => Ok(Some(now)),
                UTIME_OMIT => Ok(None),
                0..=999_999_999 if sec >= 0 => {
                    Ok(Some(std::time::Duration::new(sec as u64, nsec as u32)))
                }
                0..=999_999_999 => Ok(Some(std::time::Duration::ZERO)),
                _ => Err(Errno::EINVAL),
            }
        };
        (pick(word(0), word(1))?, pick(word(2), word(3))?)
    };
    set_times(ctx, dirfd, path, flags, atime, mtime)
}

/// Sets the access and modification times (`None`: left alone) of `path` relative to
/// `dirfd`, or of the descriptor `dirfd` itself when `path` is NULL (futimens).
fn set_times(
    ctx: &mut Ctx,
    dirfd: i32,
    path: u64,
    flags: u64,
    atime: Option<std::time::Duration>,
    mtime: Option<std::time::Duration>,
) -> SysResult<u64> {
    let target = if path == 0 {
        if dirfd == AT_FDCWD {
            // Linux reads the (NULL) name.
            return Err(Errno::EFAULT);
        }
        let file = ctx.task.fds.get(dirfd)?;
        match file.dentry() {
            Some(d) => Target::Node(d.clone()),
            None => Target::File(file),
        }
    } else {
        lookup_at_flags(ctx, dirfd, path, flags)?
    };
    if atime.is_none() && mtime.is_none() {
        return Ok(0);
    }
    set_attr_at(
        target,
        SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        },
    )
}

/// A time in seconds and a fraction of `unit` nanoseconds: EINVAL unless the fraction
/// is below a second. Times before 1970 are stored as 1970.
fn time_of(sec: i64, fraction: i64, unit: i64) -> SysResult<std::time::Duration> {
    if !(0..1_000_000_000 / unit).contains(&fraction) {
        return Err(Errno::EINVAL);
    }
    let nanos = (fraction * unit) as u32;
    Ok(u64::try_from(sec).map_or(std::time::Duration::ZERO, |s| {
        std::time::Duration::new(s, nanos)
    }))
}

/// utimes(2) and futimesat(2): two `struct timeval`s, or now when `times` is NULL.
fn set_times_from_timevals(ctx: &mut Ctx, dirfd: i32, path: u64, times: u64) -> SysResult<u64> {
    let (atime, mtime) = if times == 0 {
        let now = ctx.kernel.clock.realtime();
        (now, now)
    } else {
        let mut raw = [0u8; 32];
        ctx.task.mm.copy_in(times, &mut raw)?;
        let word =
            |i: usize| i64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        (
            time_of(word(0), word(1), 1000)?,
            time_of(word(2), word(3), 1000)?,
        )
    };
    set_times(ctx, dirfd, path, 0, Some(atime), Some(mtime))
}

pub fn sys_utimes(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_times_from_timevals(ctx, AT_FDCWD, a.u64(0), a.u64(1))
}

pub fn sys_futimesat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_times_from_timevals(ctx, a.i32(0), a.u64(1), a.u64(2))
}

/// utime(2): a `struct utimbuf` of whole seconds, or now when NULL.
pub fn sys_utime(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (path, times) = (a.u64(0), a.u64(1));
    let (atime, mtime) = if times == 0 {
        let now = ctx.kernel.clock.realtime();
        (now, now)
    } else {
        let mut raw = [0u8; 16];
        ctx.task.mm.copy_in(times, &mut raw)?;
        let word =
            |i: usize| i64::from_le_bytes(raw[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        (time_of(word(0), 0, 1)?, time_of(word(1), 0, 1)?)
    };
    set_times(ctx, AT_FDCWD, path, 0, Some(atime), Some(mtime))
}

/// The extended-attribute calls: no filesystem here stores any, so reads find none
/// (ENODATA), lists are empty and writes are refused (EOPNOTSUPP). The target must
/// still exist.
fn xattr_target(ctx: &mut Ctx, a: &Args, kind: XattrTarget) -> SysResult<()> {
    match kind {
        XattrTarget::Path { follow } => {
            node_at(ctx, AT_FDCWD, a.u64(0), follow)?;
        }
        XattrTarget::Fd => {
            ctx.task.fds.get(a.i32(0))?;
        }
    }
    // The attribute name, where there is one, must be readable.
    Ok(())
}

#[derive(Clone, Copy)]
enum XattrTarget {
    Path { follow: bool },
    Fd,
}

fn get_xattr(ctx: &mut Ctx, a: &Args, kind: XattrTarget) -> SysResult<u64> {
    xattr_target(ctx, a, kind)?;
    let name = ctx.task.mm.read_c_string(a.u64(1), 255).map_err(|e| {
        if e == Errno::E2BIG {
            Errno::ERANGE
        } else {
            e
        }
    })?;
    if name.is_empty() {
        return Err(Errno::ERANGE);
    }
    Err(Errno::ENODATA)
}

fn list_xattr(ctx: &mut Ctx, a: &Args, kind: XattrTarget) -> SysResult<u64> {
    xattr_target(ctx, a, kind)?;
    Ok(0)
}

fn set_xattr(ctx: &mut Ctx, a: &Args, kind: XattrTarget) -> SysResult<u64> {
    xattr_target(ctx, a, kind)?;
    Err(Errno::EOPNOTSUPP)
}

pub fn sys_getxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    get_xattr(ctx, a, XattrTarget::Path { follow: true })
}

pub fn sys_lgetxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    get_xattr(ctx, a, XattrTarget::Path { follow: false })
}

pub fn sys_fgetxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    get_xattr(ctx, a, XattrTarget::Fd)
}

pub fn sys_listxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    list_xattr(ctx, a, XattrTarget::Path { follow: true })
}

pub fn sys_llistxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    list_xattr(ctx, a, XattrTarget::Path { follow: false })
}

pub fn sys_flistxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    list_xattr(ctx, a, XattrTarget::Fd)
}

pub fn sys_setxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_xattr(ctx, a, XattrTarget::Path { follow: true })
}

pub fn sys_lsetxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_xattr(ctx, a, XattrTarget::Path { follow: false })
}

pub fn sys_fsetxattr(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    set_xattr(ctx, a, XattrTarget::Fd)
}
