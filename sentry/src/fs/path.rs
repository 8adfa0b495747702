//! Path walk: dentries (an inode with the name and parent it was reached by), symlinks
//! resolved inside the sandbox, `..` clamped at the sandbox root, mount crossing, and
//! Linux's limits (ELOOP after 40 links, ENAMETOOLONG, ENOTDIR).

use std::sync::Arc;

use super::inode::{FileType, InodeRef};
use super::mount::MountTable;
use crate::errno::{Errno, SysResult};
use crate::kernel::fd::FdTable;

/// Longest path, terminating NUL included (PATH_MAX).
pub const PATH_MAX: usize = 4096;
/// Longest component (NAME_MAX).
pub const NAME_MAX: usize = 255;
/// Symlinks followed in one walk at most (MAXSYMLINKS).
pub const MAX_SYMLINKS: u32 = 40;

/// An inode as reached by a path.
pub struct Dentry {
    pub inode: InodeRef,
    /// The directory it was found in; `None` for the root.
    pub parent: Option<Arc<Dentry>>,
    pub name: Vec<u8>,
}

impl Dentry {
    pub fn root(inode: InodeRef) -> Arc<Dentry> {
        Arc::new(Dentry {
            inode,
            parent: None,
            name: Vec::new(),
        })
    }

    /// The absolute path from the sandbox root.
    pub fn path(&self) -> Vec<u8> {
        let mut names = Vec::new();
        let mut at = Some(self);
        while let Some(d) = at {
            if d.parent.is_some() {
                names.push(d.name.as_slice());
            }
            at = d.parent.as_deref();
        }
        if names.is_empty() {
            return b"/".to_vec();
        }
        names
            .iter()
            .rev()
            .flat_map(|n| [&b"/"[..], n])
            .flatten()
            .copied()
            .collect()
    }

    pub fn is_dir(&self) -> bool {
        self.inode.file_type() == FileType::Directory
    }
}

/// Walks paths for one task: its root and the mounts.
pub struct Walker<'a> {
    pub root: Arc<Dentry>,
    pub mounts: &'a MountTable,
    /// Restrictions (openat2's RESOLVE_* flags).
    pub limits: WalkLimits,
    /// The walking process's descriptors and pid, to follow its /proc/[pid]/fd/N links
    /// to the open files themselves; without them such links are followed as text.
    pub open_files: Option<(&'a FdTable, i32)>,
}

/// openat2's resolution restrictions.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkLimits {
    /// Any symlink is an error (ELOOP).
    pub no_symlinks: bool,
    /// Never leave this directory (identity): absolute paths and escaping `..` give EXDEV.
    pub beneath: Option<(u64, u64)>,
    /// Crossing a mount gives EXDEV.
    pub no_xdev: bool,
}

/// Splits `path` into its directory part and last component (trailing slashes
/// dropped). The last component is empty only for "/".
pub fn split_last(path: &[u8]) -> (&[u8], &[u8], bool) {
    let trailing = path.len() > 1 && path.ends_with(b"/");
    let trimmed = {
        let mut end = path.len();
        while end > 1 && path[end - 1] == b'/' {
            end -= 1;
        }
        &path[..end]
    };
    match trimmed.iter().rposition(|b| *b == b'/') {
        None => (b".", trimmed, trailing),
        Some(0) => (b"/", &trimmed[1..], trailing),
        Some(i) => (&trimmed[..i], &trimmed[i + 1..], trailing),
    }
}

impl Walker<'_> {
    fn parent_of(&self, d: &Arc<Dentry>) -> Arc<Dentry> {
        if Arc::ptr_eq(d, &self.root) || d.inode.id() == self.root.inode.id() {
            return self.root.clone();
        }
        d.parent.clone().unwrap_or_else(|| self.root.clone())
    }

    fn child(&self, dir: &Arc<Dentry>, name: &[u8]) -> SysResult<Arc<Dentry>> {
        let inode = dir.inode.lookup(name)?;
        let inode = match self.mounts.mounted_over(&inode) {
            Some(_) if self.limits.no_xdev => return Err(Errno::EXDEV),
            Some(root) => root,
            None => inode,
        };
        Ok(Arc::new(Dentry {
            inode,
            parent: Some(dir.clone()),
            name: name.to_vec(),
        }))
    }

    /// The dentry of the walking process's descriptor `fd`.
    fn open_file(&self, pid: i32, fd: i32) -> Option<Arc<Dentry>> {
        let (fds, own_pid) = self.open_files?;
        if pid != own_pid {
            return None;
        }
        fds.get(fd).ok().map(|f| f.as_dentry())
    }

    /// Resolves `path` from `start` (ignored for absolute paths). The last component is
    /// followed if it is a symlink when `follow_last` is set or the path ends in '/'.
    pub fn resolve(
        &self,
        start: &Arc<Dentry>,
        path: &[u8],
        follow_last: bool,
    ) -> SysResult<Arc<Dentry>> {
        let mut links = 0;
        self.walk(start, path, follow_last, &mut links)
    }

    fn walk(
        &self,
        start: &Arc<Dentry>,
        path: &[u8],
        follow_last: bool,
        links: &mut u32,
    ) -> SysResult<Arc<Dentry>> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        if path[0] == b'/' && self.limits.beneath.is_some() {
            return Err(Errno::EXDEV);
        }
        let mut cur = if path[0] == b'/' {
            self.root.clone()
        } else {
            start.clone()
        };
        let trailing_slash = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|b| *b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        for (i, comp) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            if comp.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            if !cur.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            match *comp {
                b"." => continue,
                b".." => {
                    if self.limits.beneath == Some(cur.inode.id()) {
                        return Err(Errno::EXDEV);
                    }
                    cur = self.parent_of(&cur);
                    continue;
                }
                _ => {}
            }
            let child = self.child(&cur, comp)?;
            let is_link = child.inode.file_type() == FileType::Symlink;
            if is_link && (!last || follow_last || trailing_slash) {
                if self.limits.no_symlinks {
                    return Err(Errno::ELOOP);
                }
                *links += 1;
                if *links > MAX_SYMLINKS {
                    return Err(Errno::ELOOP);
                }
                let magic = child
                    .inode
                    .fd_link()
                    .and_then(|(pid, fd)| self.open_file(pid, fd));
                cur = match magic {
                    Some(open_file) => open_file,
                    None => self.walk(&cur, &child.inode.readlink()?, true, links)?,
                };
            } else {
                cur = child;
            }
        }
        if trailing_slash && !cur.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Resolves all but the last component; returns the directory and the last name
    /// (possibly "." or "..", empty for "/") and whether the path ended in '/'.
    pub fn resolve_parent(
        &self,
        start: &Arc<Dentry>,
        path: &[u8],
    ) -> SysResult<(Arc<Dentry>, Vec<u8>, bool)> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let (dir, name, trailing) = split_last(path);
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let dir = self.resolve(start, dir, true)?;
        if !dir.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok((dir, name.to_vec(), trailing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(split_last(b"a/b/c"), (&b"a/b"[..], &b"c"[..], false));
        assert_eq!(split_last(b"/c"), (&b"/"[..], &b"c"[..], false));
        assert_eq!(split_last(b"c/"), (&b"."[..], &b"c"[..], true));
        assert_eq!(split_last(b"/"), (&b"/"[..], &b""[..], false));
        assert_eq!(split_last(b"a//b//"), (&b"a/"[..], &b"b"[..], true));
    }
}
