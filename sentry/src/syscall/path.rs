//! Path syscalls: open, create, remove, rename, link, symlink, readlink, access,
//! working directory, attributes by path.

use std::sync::Arc;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{FileKind, OpenFile, O_ACCMODE, O_DIRECTORY, O_PATH, O_RDONLY};
use crate::fs::inode::{FileType, NewNode, Owner, RENAME_EXCHANGE, RENAME_NOREPLACE};
use crate::fs::path::{Dentry, WalkLimits, Walker, PATH_MAX};
use crate::kernel::Ctx;

pub const AT_FDCWD: i32 = -100;
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
pub const AT_REMOVEDIR: u64 = 0x200;
pub const AT_SYMLINK_FOLLOW: u64 = 0x400;
pub const AT_NO_AUTOMOUNT: u64 = 0x800;
pub const AT_EMPTY_PATH: u64 = 0x1000;

const O_CREAT: u32 = 0o100;
const O_EXCL: u32 = 0o200;
const O_TRUNC: u32 = 0o1000;
const O_NOFOLLOW: u32 = 0o400000;
const O_CLOEXEC: u32 = 0o2000000;
const O_TMPFILE: u32 = 0o20000000 | O_DIRECTORY;
/// Every open flag Linux knows (openat2 rejects others).
const O_KNOWN: u32 = 0o3
    | O_CREAT
    | O_EXCL
    | 0o400
    | O_TRUNC
    | 0o2000
    | 0o4000
    | 0o10000
    | 0o20000
    | 0o40000
    | 0o100000
    | O_DIRECTORY
    | O_NOFOLLOW
    | 0o1000000
    | O_CLOEXEC
    | 0o4010000
    | O_PATH
    | O_TMPFILE;

/// The calling task's path walker (its root, its descriptors for /proc/self/fd links).
pub(super) fn walker<'a>(ctx: &'a Ctx) -> Walker<'a> {
    ctx.kernel
        .vfs
        .task_walker(&ctx.task.fs.root(), &ctx.task.fds, ctx.task.pid)
}

/// The directory and name where a new entry will go: the name must not exist yet
/// and the directory must be writable (mknod, mkdir, symlink, link).
fn new_entry_at(
    ctx: &mut Ctx,
    dirfd: i32,
    path_addr: u64,
    trailing_ok: bool,
) -> SysResult<(Arc<Dentry>, Vec<u8>)> {
    let (dir, name, trailing) = parent_at(ctx, dirfd, path_addr)?;
    if name.is_empty() || name == b"." || name == b".." || (trailing && !trailing_ok) {
        return Err(Errno::EEXIST);
    }
    if walker(ctx).resolve(&dir, &name, false).is_ok() {
        return Err(Errno::EEXIST);
    }
    if dir.inode.read_only() {
        return Err(Errno::EROFS);
    }
    Ok((dir, name))
}

/// Reads a path argument (ENAMETOOLONG past PATH_MAX).
pub fn read_path(ctx: &mut Ctx, addr: u64) -> SysResult<Vec<u8>> {
    ctx.task.mm.read_c_string(addr, PATH_MAX - 1).map_err(|e| {
        if e == Errno::E2BIG {
            Errno::ENAMETOOLONG
        } else {
            e
        }
    })
}

/// The directory a relative path starts from: the cwd or `dirfd`'s directory.
pub(super) fn start_dir(ctx: &Ctx, dirfd: i32, path: &[u8]) -> SysResult<Arc<Dentry>> {
    if path.first() == Some(&b'/') {
        return Ok(ctx.task.fs.root());
    }
    if dirfd == AT_FDCWD {
        return Ok(ctx.task.fs.cwd());
    }
    let file = ctx.task.fds.get(dirfd)?;
    let dir = file.dentry().ok_or(Errno::ENOTDIR)?;
    if !dir.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    Ok(dir.clone())
}

/// What a path-or-descriptor argument names.
pub enum Target {
    Node(Arc<Dentry>),
    /// AT_EMPTY_PATH on a descriptor that is not a filesystem file (a host stream).
    File(Arc<OpenFile>),
}

/// Resolves `(dirfd, path)` with the *at() conventions.
pub fn lookup_at(
    ctx: &mut Ctx,
    dirfd: i32,
    path_addr: u64,
    follow: bool,
    empty_ok: bool,
) -> SysResult<Target> {
    let path = read_path(ctx, path_addr)?;
    if path.is_empty() {
        if !empty_ok {
            return Err(Errno::ENOENT);
        }
        if dirfd == AT_FDCWD {
            return Ok(Target::Node(ctx.task.fs.cwd()));
        }
        let file = ctx.task.fds.get(dirfd)?;
        return Ok(match file.dentry() {
            Some(d) => Target::Node(d.clone()),
            None => Target::File(file),
        });
    }
    let start = start_dir(ctx, dirfd, &path)?;
    let walker = walker(ctx);
    walker.resolve(&start, &path, follow).map(Target::Node)
}

/// `lookup_at` with the AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH bits of `flags`.
pub fn lookup_at_flags(ctx: &mut Ctx, dirfd: i32, path_addr: u64, flags: u64) -> SysResult<Target> {
    lookup_at(
        ctx,
        dirfd,
        path_addr,
        flags & AT_SYMLINK_NOFOLLOW == 0,
        flags & AT_EMPTY_PATH != 0,
    )
}

/// Like `lookup_at` for calls that need a filesystem node.
pub fn node_at(ctx: &mut Ctx, dirfd: i32, path_addr: u64, follow: bool) -> SysResult<Arc<Dentry>> {
    match lookup_at(ctx, dirfd, path_addr, follow, false)? {
        Target::Node(d) => Ok(d),
        Target::File(_) => Err(Errno::ENOTDIR),
    }
}

/// The parent directory and last name of `(dirfd, path)`.
fn parent_at(ctx: &mut Ctx, dirfd: i32, path_addr: u64) -> SysResult<(Arc<Dentry>, Vec<u8>, bool)> {
    let path = read_path(ctx, path_addr)?;
    let start = start_dir(ctx, dirfd, &path)?;
    let walker = walker(ctx);
    walker.resolve_parent(&start, &path)
}

fn owner(ctx: &Ctx, mode: u32) -> Owner {
    Owner {
        uid: ctx.task.creds.euid,
        gid: ctx.task.creds.egid,
        perm: mode & 0o7777 & !ctx.task.fs.umask(),
    }
}

fn wants_write(flags: u32) -> bool {
    flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0
}

/// Where and how an open resolves its path.
struct OpenHow {
    start: Arc<Dentry>,
    root: Arc<Dentry>,
    limits: WalkLimits,
    path: Vec<u8>,
}

/// The common body of open, openat and creat.
fn do_open(ctx: &mut Ctx, dirfd: i32, path_addr: u64, flags: u32, mode: u32) -> SysResult<u64> {
    let path = read_path(ctx, path_addr)?;
    let start = start_dir(ctx, dirfd, &path)?;
    let how = OpenHow {
        start,
        root: ctx.task.fs.root(),
        limits: WalkLimits::default(),
        path,
    };
    do_open_how(ctx, &how, flags, mode)
}

/// Opens (creating if asked) what `how` names.
fn do_open_how(ctx: &mut Ctx, how: &OpenHow, flags: u32, mode: u32) -> SysResult<u64> {
    if flags & O_TMPFILE == O_TMPFILE {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
        return Err(Errno::EINVAL);
    }
    let flags = if flags & O_PATH != 0 {
        flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
    } else {
        flags
    };
    let mut walker = ctx
        .kernel
        .vfs
        .task_walker(&how.root, &ctx.task.fds, ctx.task.pid);
    walker.limits = how.limits;
    let dentry = if flags & O_CREAT != 0 {
        let (dir, name, trailing) = walker.resolve_parent(&how.start, &how.path)?;
        if name.is_empty() || name == b"." || name == b".." || trailing {
            return Err(Errno::EISDIR);
        }
        let follow = flags & (O_EXCL | O_NOFOLLOW) == 0;
        match walker.resolve(&dir, &name, follow) {
            Ok(existing) => {
                if flags & O_EXCL != 0 {
                    return Err(Errno::EEXIST);
                }
                if existing.is_dir() {
                    return Err(Errno::EISDIR);
                }
                existing
            }
            Err(Errno::ENOENT) => {
                // A dangling symlink is followed: the file is created where it points.
                let (dir, name) = match walker.resolve(&dir, &name, false) {
                    Ok(link) if follow && link.inode.file_type() == FileType::Symlink => {
                        let target = link.inode.readlink()?;
                        let (d, n, slash) = walker.resolve_parent(&dir, &target)?;
                        if n.is_empty() || n == b"." || n == b".." || slash {
                            return Err(Errno::EISDIR);
                        }
                        (d, n)
                    }
                    _ => (dir, name),
                };
                if dir.inode.read_only() {
                    return Err(Errno::EROFS);
                }
                let owner = owner(ctx, mode);
                dir.inode.create(&name, NewNode::Regular, owner)?;
                walker.resolve(&dir, &name, false)?
            }
            Err(e) => return Err(e),
        }
    } else {
        if how.path.is_empty() {
            return Err(Errno::ENOENT);
        }
        walker.resolve(&how.start, &how.path, flags & O_NOFOLLOW == 0)?
    };
    let kind = dentry.inode.file_type();
    if flags & O_DIRECTORY != 0 && kind != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    if kind == FileType::Symlink && flags & O_PATH == 0 {
        return Err(Errno::ELOOP);
    }
    if flags & O_PATH == 0 {
        if kind == FileType::Directory && wants_write(flags) {
            return Err(Errno::EISDIR);
        }
        if wants_write(flags) && dentry.inode.read_only() {
            return Err(Errno::EROFS);
        }
        // A socket, or /dev/tty without a controlling terminal.
        if kind == FileType::Socket
            || (kind == FileType::CharDevice && dentry.inode.stat()?.rdev == 0x500)
        {
            return Err(Errno::ENXIO);
        }
        if kind == FileType::Fifo && ctx.vcpu.is_none() {
            // It may wait for a peer, which the syscall server must not.
            return Err(crate::errno::NEEDS_VCPU);
        }
        if kind == FileType::Fifo && !crate::fs::file::is_host_stream(dentry.inode.as_ref()) {
            return open_fifo(ctx, dentry, flags);
        }
        // Linux truncates even when the file is opened read-only.
        if flags & O_TRUNC != 0 && kind == FileType::Regular {
            dentry.inode.truncate(0)?;
        }
    }
    let file = OpenFile::new(
        FileKind::Node(dentry),
        flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC),
    );
    let fd = ctx.task.fds.install(file, 0, flags & O_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

/// Opens a named FIFO (fifo(7)): readers and writers share one pipe. A blocking
/// open waits for the other side; a non-blocking writer with no reader gets ENXIO;
/// O_RDWR never waits. A pipe reopened through /proc/[pid]/fd/N (bash's `<(...)`)
/// gives a new end of that same pipe, at once.
fn open_fifo(ctx: &mut Ctx, dentry: Arc<Dentry>, flags: u32) -> SysResult<u64> {
    const O_NONBLOCK: u32 = 0o4000;
    const O_WRONLY: u32 = 1;
    const O_RDWR: u32 = 2;
    let mode = flags & O_ACCMODE;
    let (read, write) = (mode != O_WRONLY, mode == O_WRONLY || mode == O_RDWR);
    let (end, anonymous) = crate::fs::pipe::Pipe::end_to_open(&dentry.inode, read, write);
    if mode == O_WRONLY && flags & O_NONBLOCK != 0 && !anonymous && !end.peer_present() {
        return Err(Errno::ENXIO);
    }
    let node = Arc::new(Dentry {
        inode: end.clone(),
        parent: dentry.parent.clone(),
        name: dentry.name.clone(),
    });
    // Counted as an opener first, so that the other side's open can complete.
    let file = OpenFile::new(
        FileKind::Node(node),
        flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC),
    );
    if mode != O_RDWR && flags & O_NONBLOCK == 0 && !anonymous {
        ctx.task
            .block_on(&[end.queue()], None, true, || {
                end.peer_arrived().then_some(())
            })
            .map_err(|_| Errno::ERESTARTSYS)?;
    }
    let fd = ctx.task.fds.install(file, 0, flags & O_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

pub fn sys_open(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_open(ctx, AT_FDCWD, a.u64(0), a.u32(1), a.u32(2))
}

pub fn sys_openat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_open(ctx, a.i32(0), a.u64(1), a.u32(2), a.u32(3))
}

pub fn sys_creat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const O_WRONLY: u32 = 1;
    do_open(
        ctx,
        AT_FDCWD,
        a.u64(0),
        O_CREAT | O_WRONLY | O_TRUNC,
        a.u32(1),
    )
}

pub fn sys_openat2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    const OPEN_HOW_SIZE: usize = 24;
    let size = a.usize(3);
    if size < OPEN_HOW_SIZE {
        return Err(Errno::EINVAL);
    }
    if size > 4096 {
        return Err(Errno::E2BIG);
    }
    let mut how = vec![0u8; size];
    ctx.task.mm.copy_in(a.u64(2), &mut how)?;
    if how[OPEN_HOW_SIZE..].iter().any(|b| *b != 0) {
        return Err(Errno::E2BIG);
    }
    let word = |i: usize| u64::from_le_bytes(how[i * 8..i * 8 + 8].try_into().unwrap_or_default());
    let (flags, mode, resolve) = (word(0), word(1), word(2));
    if flags > u64::from(u32::MAX) || flags as u32 & !O_KNOWN != 0 || mode & !0o7777 != 0 {
        return Err(Errno::EINVAL);
    }
    if mode != 0 && flags as u32 & (O_CREAT | O_TMPFILE) == 0 {
        return Err(Errno::EINVAL);
    }
    const RESOLVE_NO_XDEV: u64 = 0x01;
    const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
    const RESOLVE_NO_SYMLINKS: u64 = 0x04;
    const RESOLVE_BENEATH: u64 = 0x08;
    const RESOLVE_IN_ROOT: u64 = 0x10;
    const RESOLVE_CACHED: u64 = 0x20;
    let known = RESOLVE_NO_XDEV
        | RESOLVE_NO_MAGICLINKS
        | RESOLVE_NO_SYMLINKS
        | RESOLVE_BENEATH
        | RESOLVE_IN_ROOT
        | RESOLVE_CACHED;
    if resolve & !known != 0 || (resolve & RESOLVE_BENEATH != 0 && resolve & RESOLVE_IN_ROOT != 0) {
        return Err(Errno::EINVAL);
    }
    if resolve & RESOLVE_CACHED != 0 && flags as u32 & (O_CREAT | O_TRUNC | O_TMPFILE) != 0 {
        return Err(Errno::EAGAIN);
    }
    let dirfd = a.i32(0);
    let path = read_path(ctx, a.u64(1))?;
    let start = if path.first() == Some(&b'/') && resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT) == 0
    {
        ctx.task.fs.root()
    } else if dirfd == AT_FDCWD {
        ctx.task.fs.cwd()
    } else {
        let file = ctx.task.fds.get(dirfd)?;
        let dir = file.dentry().ok_or(Errno::ENOTDIR)?.clone();
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        dir
    };
    let limits = WalkLimits {
        no_symlinks: resolve & RESOLVE_NO_SYMLINKS != 0,
        beneath: (resolve & RESOLVE_BENEATH != 0).then(|| start.inode.id()),
        no_xdev: resolve & RESOLVE_NO_XDEV != 0,
    };
    // RESOLVE_IN_ROOT: the start directory is the root for this walk.
    let root = if resolve & RESOLVE_IN_ROOT != 0 {
        start.clone()
    } else {
        ctx.task.fs.root()
    };
    let how = OpenHow {
        start,
        root,
        limits,
        path,
    };
    do_open_how(ctx, &how, flags as u32, mode as u32)
}

fn make_node(
    ctx: &mut Ctx,
    dirfd: i32,
    path_addr: u64,
    node: NewNode,
    mode: u32,
) -> SysResult<u64> {
    // A trailing slash is accepted, as mkdir("dir/") needs.
    let (dir, name) = new_entry_at(ctx, dirfd, path_addr, true)?;
    let owner = owner(ctx, mode);
    dir.inode.create(&name, node, owner)?;
    Ok(0)
}

pub fn sys_mkdir(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    make_node(ctx, AT_FDCWD, a.u64(0), NewNode::Directory, a.u32(1))
}

pub fn sys_mkdirat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    make_node(ctx, a.i32(0), a.u64(1), NewNode::Directory, a.u32(2))
}

fn do_mknod(ctx: &mut Ctx, dirfd: i32, path_addr: u64, mode: u32) -> SysResult<u64> {
    let node = match mode & 0o170000 {
        0 | 0o100000 => NewNode::Regular,
        0o010000 => NewNode::Fifo,
        0o140000 => NewNode::Socket,
        // Device nodes are refused: the sandbox exposes no host devices.
        0o020000 | 0o060000 => return Err(Errno::EPERM),
        0o040000 => return Err(Errno::EPERM),
        _ => return Err(Errno::EINVAL),
    };
    make_node(ctx, dirfd, path_addr, node, mode)
}

pub fn sys_mknod(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_mknod(ctx, AT_FDCWD, a.u64(0), a.u32(1))
}

pub fn sys_mknodat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_mknod(ctx, a.i32(0), a.u64(1), a.u32(2))
}

pub fn sys_symlink(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_symlink(ctx, a.u64(0), AT_FDCWD, a.u64(1))
}

pub fn sys_symlinkat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_symlink(ctx, a.u64(0), a.i32(1), a.u64(2))
}

fn do_symlink(ctx: &mut Ctx, target_addr: u64, dirfd: i32, path_addr: u64) -> SysResult<u64> {
    let target = read_path(ctx, target_addr)?;
    if target.is_empty() {
        return Err(Errno::ENOENT);
    }
    make_node(ctx, dirfd, path_addr, NewNode::Symlink(target), 0o777)
}

fn is_mount_point(ctx: &Ctx, d: &Dentry) -> bool {
    ctx.kernel
        .vfs
        .mounts
        .iter()
        .any(|m| m.covers.is_some() && m.root.id() == d.inode.id())
}

fn do_unlink(ctx: &mut Ctx, dirfd: i32, path_addr: u64, directory: bool) -> SysResult<u64> {
    let (dir, name, trailing) = parent_at(ctx, dirfd, path_addr)?;
    match name.as_slice() {
        b"" => {
            return Err(if directory {
                Errno::EBUSY
            } else {
                Errno::EISDIR
            })
        }
        b"." => {
            return Err(if directory {
                Errno::EINVAL
            } else {
                Errno::EISDIR
            })
        }
        b".." => {
            return Err(if directory {
                Errno::ENOTEMPTY
            } else {
                Errno::EISDIR
            })
        }
        _ => {}
    }
    let walker = walker(ctx);
    let victim = walker.resolve(&dir, &name, false)?;
    if !directory && trailing {
        return Err(if victim.is_dir() {
            Errno::EISDIR
        } else {
            Errno::ENOTDIR
        });
    }
    if directory && is_mount_point(ctx, &victim) {
        return Err(Errno::EBUSY);
    }
    if dir.inode.read_only() {
        return Err(Errno::EROFS);
    }
    dir.inode.unlink(&name, directory)?;
    Ok(0)
}

pub fn sys_unlink(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_unlink(ctx, AT_FDCWD, a.u64(0), false)
}

pub fn sys_rmdir(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_unlink(ctx, AT_FDCWD, a.u64(0), true)
}

pub fn sys_unlinkat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let flags = a.u64(2);
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    do_unlink(ctx, a.i32(0), a.u64(1), flags & AT_REMOVEDIR != 0)
}

fn do_rename(
    ctx: &mut Ctx,
    olddir: i32,
    old: u64,
    newdir: i32,
    new: u64,
    flags: u32,
) -> SysResult<u64> {
    const RENAME_WHITEOUT: u32 = 4;
    if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
        || (flags & RENAME_EXCHANGE != 0 && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
    {
        return Err(Errno::EINVAL);
    }
    if flags & RENAME_WHITEOUT != 0 {
        return Err(Errno::EINVAL);
    }
    let (src_dir, src_name, src_slash) = parent_at(ctx, olddir, old)?;
    let (dst_dir, dst_name, dst_slash) = parent_at(ctx, newdir, new)?;
    for name in [&src_name, &dst_name] {
        if name.is_empty() || *name == b"." || *name == b".." {
            return Err(Errno::EBUSY);
        }
    }
    let mounts = &ctx.kernel.vfs.mounts;
    if mounts.mount_of(&src_dir) != mounts.mount_of(&dst_dir) {
        return Err(Errno::EXDEV);
    }
    let walker = walker(ctx);
    let src = walker.resolve(&src_dir, &src_name, false)?;
    // A trailing slash says "directory": a file there is ENOTDIR.
    if (src_slash || dst_slash) && !src.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    // A directory cannot move into itself or its own subtree.
    let mut at = Some(dst_dir.clone());
    while let Some(d) = at {
        if d.inode.id() == src.inode.id() {
            return Err(Errno::EINVAL);
        }
        at = d.parent.clone();
    }
    if let Ok(dst) = walker.resolve(&dst_dir, &dst_name, false) {
        if is_mount_point(ctx, &dst) || is_mount_point(ctx, &src) {
            return Err(Errno::EBUSY);
        }
        if dst.inode.id() == src.inode.id() && flags == 0 {
            return Ok(0);
        }
        let mut at = Some(src_dir.clone());
        while let Some(d) = at {
            if flags & RENAME_EXCHANGE != 0 && d.inode.id() == dst.inode.id() {
                return Err(Errno::EINVAL);
            }
            at = d.parent.clone();
        }
    }
    if src_dir.inode.read_only() || dst_dir.inode.read_only() {
        return Err(Errno::EROFS);
    }
    src_dir
        .inode
        .rename(&src_name, &dst_dir.inode, &dst_name, flags)?;
    Ok(0)
}

pub fn sys_rename(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_rename(ctx, AT_FDCWD, a.u64(0), AT_FDCWD, a.u64(1), 0)
}

pub fn sys_renameat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_rename(ctx, a.i32(0), a.u64(1), a.i32(2), a.u64(3), 0)
}

pub fn sys_renameat2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_rename(ctx, a.i32(0), a.u64(1), a.i32(2), a.u64(3), a.u32(4))
}

fn do_link(
    ctx: &mut Ctx,
    olddir: i32,
    old: u64,
    newdir: i32,
    new: u64,
    flags: u64,
) -> SysResult<u64> {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = match lookup_at(
        ctx,
        olddir,
        old,
        flags & AT_SYMLINK_FOLLOW != 0,
        flags & AT_EMPTY_PATH != 0,
    )? {
        Target::Node(d) => d,
        Target::File(_) => return Err(Errno::EXDEV),
    };
    if target.is_dir() {
        return Err(Errno::EPERM);
    }
    let (dir, name) = new_entry_at(ctx, newdir, new, false)?;
    dir.inode.link(&name, &target.inode)?;
    Ok(0)
}

pub fn sys_link(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_link(ctx, AT_FDCWD, a.u64(0), AT_FDCWD, a.u64(1), 0)
}

pub fn sys_linkat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_link(ctx, a.i32(0), a.u64(1), a.i32(2), a.u64(3), a.u64(4))
}

fn do_readlink(ctx: &mut Ctx, dirfd: i32, path: u64, buf: u64, size: u64) -> SysResult<u64> {
    let size = size as u32 as i32;
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    let node = match lookup_at(ctx, dirfd, path, false, true)? {
        Target::Node(d) => d,
        Target::File(_) => return Err(Errno::EINVAL),
    };
    if node.inode.file_type() != FileType::Symlink {
        return Err(Errno::EINVAL);
    }
    let target = node.inode.readlink()?;
    let n = target.len().min(size as usize);
    ctx.task.mm.copy_out(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_readlink(ctx, AT_FDCWD, a.u64(0), a.u64(1), a.u64(2))
}

pub fn sys_readlinkat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_readlink(ctx, a.i32(0), a.u64(1), a.u64(2), a.u64(3))
}

/// Whether `creds` may access a file with `stat` for `mask` (R=4, W=2, X=1).
fn permitted(ctx: &Ctx, st: &crate::fs::inode::Stat, mask: u32, effective: bool) -> bool {
    let (uid, gid) = if effective {
        (ctx.task.creds.euid, ctx.task.creds.egid)
    } else {
        (ctx.task.creds.uid, ctx.task.creds.gid)
    };
    if uid == 0 {
        // Root needs one execute bit to execute (directories are always searchable).
        return mask & 1 == 0 || st.mode & 0o111 != 0 || st.mode & 0o170000 == 0o040000;
    }
    let bits = if st.uid == uid {
        st.mode >> 6
    } else if st.gid == gid {
        st.mode >> 3
    } else {
        st.mode
    } & 7;
    bits & mask == mask
}

fn do_access(ctx: &mut Ctx, dirfd: i32, path: u64, mode: u32, flags: u64) -> SysResult<u64> {
    const AT_EACCESS: u64 = 0x200;
    if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let st = match lookup_at_flags(ctx, dirfd, path, flags)? {
        Target::Node(d) => {
            if mode & 2 != 0 && d.inode.read_only() {
                return Err(Errno::EROFS);
            }
            d.inode.stat()?
        }
        Target::File(f) => f.stat()?,
    };
    if !permitted(ctx, &st, mode, flags & AT_EACCESS != 0) {
        return Err(Errno::EACCES);
    }
    Ok(0)
}

pub fn sys_access(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_access(ctx, AT_FDCWD, a.u64(0), a.u32(1), 0)
}

pub fn sys_faccessat(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_access(ctx, a.i32(0), a.u64(1), a.u32(2), 0)
}

pub fn sys_faccessat2(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    do_access(ctx, a.i32(0), a.u64(1), a.u32(2), a.u64(3))
}

fn set_cwd(ctx: &mut Ctx, d: Arc<Dentry>) -> SysResult<u64> {
    if !d.is_dir() {
        return Err(Errno::ENOTDIR);
    }
    ctx.task.fs.set_cwd(d);
    ctx.task.publish_files();
    Ok(0)
}

pub fn sys_chdir(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let d = node_at(ctx, AT_FDCWD, a.u64(0), true)?;
    set_cwd(ctx, d)
}

pub fn sys_fchdir(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let file = ctx.task.fds.get(a.i32(0))?;
    let d = file.dentry().ok_or(Errno::ENOTDIR)?.clone();
    set_cwd(ctx, d)
}

/// Whether `d` is still reachable by its name (not removed since it was looked up).
fn still_linked(ctx: &Ctx, d: &Dentry) -> bool {
    let Some(parent) = &d.parent else { return true };
    let mounts = &ctx.kernel.vfs.mounts;
    parent
        .inode
        .lookup(&d.name)
        .is_ok_and(|i| mounts.mounted_over(&i).unwrap_or(i).id() == d.inode.id())
}

pub fn sys_getcwd(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let cwd = ctx.task.fs.cwd();
    if !still_linked(ctx, &cwd) {
        return Err(Errno::ENOENT);
    }
    let mut path = cwd.path();
    path.push(0);
    if a.usize(1) < path.len() {
        return Err(Errno::ERANGE);
    }
    ctx.task.mm.copy_out(a.u64(0), &path)?;
    Ok(path.len() as u64)
}

pub fn sys_umask(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let old = ctx.task.fs.replace_umask(a.u32(0) & 0o777);
    ctx.task.publish_files();
    Ok(u64::from(old))
}
