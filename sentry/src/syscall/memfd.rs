//! memfd_create(2) and file seals (fcntl F_ADD_SEALS, F_GET_SEALS): anonymous files in
//! an internal tmpfs that no directory holds.

use std::sync::Arc;

use super::Args;
use crate::errno::{Errno, SysResult};
use crate::fs::file::{FileKind, OpenFile, O_ACCMODE, O_RDONLY, O_RDWR};
use crate::fs::inode::{Owner, F_ALL_SEALS, F_SEAL_EXEC, F_SEAL_SEAL};
use crate::fs::path::Dentry;
use crate::kernel::Ctx;

const MFD_CLOEXEC: u32 = 0x1;
const MFD_ALLOW_SEALING: u32 = 0x2;
const MFD_HUGETLB: u32 = 0x4;
const MFD_NOEXEC_SEAL: u32 = 0x8;
const MFD_EXEC: u32 = 0x10;
/// The longest name: NAME_MAX less the "memfd:" prefix.
const MFD_NAME_MAX: usize = 255 - 6;
const O_LARGEFILE: u32 = 0o100000;

pub fn sys_memfd_create(ctx: &mut Ctx, a: &Args) -> SysResult<u64> {
    let (name_addr, flags) = (a.u64(0), a.u32(1));
    if flags & !(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC) != 0
        || flags & (MFD_EXEC | MFD_NOEXEC_SEAL) == MFD_EXEC | MFD_NOEXEC_SEAL
    {
        return Err(Errno::EINVAL);
    }
    // There are no huge pages to back one.
    if flags & MFD_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let name = ctx
        .task
        .mm
        .read_c_string(name_addr, MFD_NAME_MAX)
        .map_err(|e| if e == Errno::E2BIG { Errno::EINVAL } else { e })?;
    let (perm, seals) = if flags & MFD_NOEXEC_SEAL != 0 {
        (0o666, Some(F_SEAL_EXEC))
    } else if flags & MFD_ALLOW_SEALING != 0 {
        (0o777, Some(0))
    } else {
        (0o777, Some(F_SEAL_SEAL))
    };
    let owner = Owner {
        uid: ctx.task.creds.euid,
        gid: ctx.task.creds.egid,
        perm,
    };
    let inode = ctx.kernel.vfs.memfd_fs.new_detached_file(owner, seals);
    // What /proc/self/fd shows, as Linux names it.
    let shown = [b"/memfd:".as_slice(), &name, b" (deleted)"].concat();
    let dentry = Arc::new(Dentry {
        inode,
        parent: None,
        name: shown,
    });
    let file = OpenFile::new(FileKind::Node(dentry), O_RDWR | O_LARGEFILE);
    let fd = ctx.task.fds.install(file, 0, flags & MFD_CLOEXEC != 0)?;
    ctx.task.publish_files();
    Ok(fd as u64)
}

/// fcntl F_GET_SEALS: EINVAL for a file that cannot have seals.
pub fn get_seals(file: &OpenFile) -> SysResult<u64> {
    file.dentry()
        .and_then(|d| d.inode.seals())
        .map(u64::from)
        .ok_or(Errno::EINVAL)
}

/// fcntl F_ADD_SEALS, checked in Linux's order: a writable descriptor, known seals,
/// a sealable file not sealed against sealing.
pub fn add_seals(file: &OpenFile, seals: u64) -> SysResult<u64> {
    if file.flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EPERM);
    }
    let seals = u32::try_from(seals)
        .ok()
        .filter(|s| s & !F_ALL_SEALS == 0)
        .ok_or(Errno::EINVAL)?;
    file.dentry().ok_or(Errno::EINVAL)?.inode.add_seals(seals)?;
    Ok(0)
}
