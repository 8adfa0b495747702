//! The mount table: which filesystem root covers which directory.

use super::inode::InodeRef;
use super::path::Dentry;

/// One mount.
pub struct Mount {
    /// Identity (device, inode) of the directory it covers; `None` for the root.
    pub covers: Option<(u64, u64)>,
    pub root: InodeRef,
    /// Where it is mounted, as a path from the sandbox root (for /proc/mounts).
    pub target: Vec<u8>,
    pub source: String,
    pub fstype: &'static str,
    pub read_only: bool,
}

/// All mounts of the sandbox.
#[derive(Default)]
pub struct MountTable {
    mounts: Vec<Mount>,
}

impl MountTable {
    pub fn add(&mut self, mount: Mount) {
        self.mounts.push(mount);
    }

    /// The root of the filesystem mounted over `inode`, if any (the latest mount wins).
    pub fn mounted_over(&self, inode: &InodeRef) -> Option<InodeRef> {
        let id = inode.id();
        self.mounts
            .iter()
            .rev()
            .find(|m| m.covers == Some(id))
            .map(|m| m.root.clone())
    }

    /// The index of the mount `d` lives in (0 is the root).
    pub fn mount_of(&self, d: &Dentry) -> usize {
        let mut at = Some(d);
        while let Some(dentry) = at {
            let id = dentry.inode.id();
            if let Some(i) = self
                .mounts
                .iter()
                .rposition(|m| m.covers.is_some() && m.root.id() == id)
            {
                return i;
            }
            at = dentry.parent.as_deref();
        }
        0
    }

    pub fn get(&self, index: usize) -> Option<&Mount> {
        self.mounts.get(index)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter()
    }

    /// /proc/mounts' text.
    pub fn proc_mounts(&self) -> String {
        self.mounts
            .iter()
            .map(|m| {
                let target = String::from_utf8_lossy(&m.target);
                let opts = if m.read_only { "ro" } else { "rw" };
                format!(
                    "{} {} {} {},relatime 0 0\n",
                    m.source, target, m.fstype, opts
                )
            })
            .collect()
    }
}
