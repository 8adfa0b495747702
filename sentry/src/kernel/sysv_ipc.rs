//! What System V IPC objects (shared memory, semaphores, message queues) share: their
//! owners and permission bits (`struct ipc64_perm`) and the checks on them.

use crate::kernel::task::Credentials;

/// Key of an object only its creator's id reaches (and of every removed one).
pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: u32 = 0o1000;
pub const IPC_EXCL: u32 = 0o2000;

/// Owner, creator and mode of an IPC object.
#[derive(Clone, Copy, Debug)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// Permission bits (and, for segments, SHM_DEST and SHM_LOCKED).
    pub mode: u32,
}

impl IpcPerm {
    /// A new object of `creds`' effective ids with permission bits `mode`.
    pub fn new(key: i32, creds: &Credentials, mode: u32) -> IpcPerm {
        IpcPerm {
            key,
            uid: creds.euid,
            gid: creds.egid,
            cuid: creds.euid,
            cgid: creds.egid,
            mode: mode & 0o777,
        }
    }

    /// Whether `creds` may read (and write): root always, else the owner, group or
    /// other bits that apply.
    pub fn permits(&self, creds: &Credentials, write: bool) -> bool {
        if creds.euid == 0 {
            return true;
        }
        let bits = if creds.euid == self.uid || creds.euid == self.cuid {
            self.mode >> 6
        } else if creds.egid == self.gid || creds.egid == self.cgid {
            self.mode >> 3
        } else {
            self.mode
        };
        bits & 0o4 != 0 && (!write || bits & 0o2 != 0)
    }

    /// Owner, creator or root: may change or remove the object.
    pub fn owned_by(&self, creds: &Credentials) -> bool {
        creds.euid == 0 || creds.euid == self.uid || creds.euid == self.cuid
    }

    /// EPERM unless `creds` own the object (IPC_SET, IPC_RMID, SHM_LOCK).
    pub fn check_owner(&self, creds: &Credentials) -> crate::errno::SysResult<()> {
        if self.owned_by(creds) {
            Ok(())
        } else {
            Err(crate::errno::Errno::EPERM)
        }
    }

    /// IPC_SET: new owner and permission bits from a user `ipc64_perm`.
    pub fn set_from(&mut self, raw: &[u8; 24]) {
        let word = |at: usize| u32::from_le_bytes([raw[at], raw[at + 1], raw[at + 2], raw[at + 3]]);
        (self.uid, self.gid) = (word(4), word(8));
        self.mode = (self.mode & !0o777) | (word(20) & 0o777);
    }

    /// The first 24 bytes of `struct ipc64_perm` (the rest is padding).
    pub fn to_bytes(self) -> [u8; 24] {
        let mut b = [0u8; 24];
        for (i, v) in [
            self.key as u32,
            self.uid,
            self.gid,
            self.cuid,
            self.cgid,
            self.mode,
        ]
        .iter()
        .enumerate()
        {
            b[i * 4..i * 4 + 4].copy_from_slice(&v.to_le_bytes());
        }
        b
    }
}

/// What an xxxget call makes of `key`: the id of the existing object (`found`: its id,
/// permissions, and whether it is large enough for the request) if the caller may
/// use it, `None` when a new object is to be made, or the error Linux gives.
pub fn existing(
    key: i32,
    flags: u32,
    found: Option<(i32, IpcPerm, bool)>,
    creds: &Credentials,
) -> crate::errno::SysResult<Option<i32>> {
    use crate::errno::Errno;
    if key == IPC_PRIVATE {
        return Ok(None);
    }
    match found {
        Some(_) if flags & (IPC_CREAT | IPC_EXCL) == IPC_CREAT | IPC_EXCL => Err(Errno::EEXIST),
        Some((_, _, false)) => Err(Errno::EINVAL),
        Some((_, perm, true)) if !perm.permits(creds, false) => Err(Errno::EACCES),
        Some((id, _, true)) => Ok(Some(id)),
        None if flags & IPC_CREAT == 0 => Err(Errno::ENOENT),
        None => Ok(None),
    }
}
