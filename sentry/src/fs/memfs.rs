//! An in-memory filesystem, optionally layered over a read-only lower filesystem.
//! Without a lower layer it is tmpfs; over the host root it is the sandbox's overlay:
//! a node shadows its lower inode until something changes it, then its data or
//! attributes are copied up into memory. Deletions of lower names are whiteouts.
//! File data is counted against the guest's memory (`SpaceBudget`).
//!
//! Lock order: a directory's state before a child's; two directories by address.

use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use super::shared_pages::{SharedPageRegistry, SharedPages};

use super::inode::*;
use crate::errno::{Errno, SysResult};
use crate::services::Clock;

/// Where file data is accounted: guest memory, in pages.
pub trait SpaceBudget: Send + Sync {
    fn reserve(&self, pages: u64) -> bool;
    fn release(&self, pages: u64);
}

impl SpaceBudget for vmm::GuestRam {
    fn reserve(&self, pages: u64) -> bool {
        vmm::GuestRam::reserve(self, pages).is_ok()
    }
    fn release(&self, pages: u64) {
        self.unreserve(pages)
    }
}

const PAGE: u64 = 4096;

fn pages(bytes: u64) -> u64 {
    bytes.div_ceil(PAGE)
}

/// One memory filesystem instance.
pub struct MemFs {
    dev: u64,
    next_ino: AtomicU64,
    clock: Clock,
    budget: Arc<dyn SpaceBudget>,
    /// Most bytes of file data (tmpfs `size=`); guest memory bounds it too.
    limit: u64,
    used: AtomicU64,
    /// Nodes shadowing lower files, by the lower identity, so that two lower hard links
    /// stay one file (one link count, one copy-up).
    lower_files: Mutex<HashMap<(u64, u64), Weak<MemNode>>>,
    shared_pages: SharedPageRegistry,
}

#[derive(Clone, Copy, Debug)]
struct Meta {
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u64,
    rdev: u64,
    atime: Duration,
    mtime: Duration,
    ctime: Duration,
}

enum Content {
    /// Data (file bytes, symlink target, device) still comes from the lower inode.
    Lower,
    File(Vec<u8>),
    Symlink(Vec<u8>),
    /// A FIFO or socket node: no data of its own.
    Special,
    /// Children looked up or changed so far: `None` is a whiteout. Names not here come
    /// from the lower directory, if any.
    Dir(BTreeMap<Vec<u8>, Option<Arc<MemNode>>>),
}

struct State {
    /// `None` while the lower inode's attributes apply.
    meta: Option<Meta>,
    content: Content,
    /// A directory that was removed: nothing can be created in it any more.
    removed: bool,
    /// File seals (`F_SEAL_*`) of a memfd; `None` for files that cannot have any.
    seals: Option<u32>,
}

/// A node of a `MemFs`.
pub struct MemNode {
    fs: Arc<MemFs>,
    ino: u64,
    lower: Option<InodeRef>,
    state: Mutex<State>,
}

impl MemFs {
    /// A new filesystem; its root directory is returned. `lower` is the read-only
    /// directory it overlays, if any.
    pub fn new_root(
        dev: u64,
        clock: Clock,
        budget: Arc<dyn SpaceBudget>,
        limit: u64,
        lower: Option<InodeRef>,
        perm: u32,
    ) -> SysResult<Arc<MemNode>> {
        let fs = Arc::new(MemFs {
            dev,
            next_ino: AtomicU64::new(2),
            clock,
            budget,
            limit,
            used: AtomicU64::new(0),
            lower_files: Mutex::new(HashMap::new()),
            shared_pages: SharedPageRegistry::default(),
        });
        let meta = match &lower {
            Some(_) => None,
            None => Some(fs.new_meta(
                FileType::Directory,
                Owner {
                    uid: 0,
                    gid: 0,
                    perm,
                },
            )),
        };
        let root = MemNode {
            fs,
            ino: 1,
            lower,
            state: Mutex::new(State {
                meta,
                content: Content::Dir(BTreeMap::new()),
                removed: false,
                seals: None,
            }),
        };
        Ok(Arc::new(root))
    }

    fn now(&self) -> Duration {
        self.clock.realtime()
    }

    fn new_meta(&self, kind: FileType, owner: Owner) -> Meta {
        let now = self.now();
        Meta {
            mode: kind.mode_bits() | (owner.perm & 0o7777),
            uid: owner.uid,
            gid: owner.gid,
            nlink: if kind == FileType::Directory { 2 } else { 1 },
            rdev: 0,
            atime: now,
            mtime: now,
            ctime: now,
        }
    }

    /// Accounts a file growing or shrinking from `old` to `new` bytes.
    fn resize(&self, old: u64, new: u64) -> SysResult<()> {
        let (old_pages, new_pages) = (pages(old), pages(new));
        if new_pages > old_pages {
            let grow = new_pages - old_pages;
            let used = self.used.load(Ordering::Relaxed);
            if used + grow * PAGE > self.limit || !self.budget.reserve(grow) {
                return Err(Errno::ENOSPC);
            }
            self.used.fetch_add(grow * PAGE, Ordering::Relaxed);
        } else if old_pages > new_pages {
            let shrink = old_pages - new_pages;
            self.budget.release(shrink);
            self.used.fetch_sub(shrink * PAGE, Ordering::Relaxed);
        }
        Ok(())
    }
}

/// Meta from a lower inode's stat, for copy-up.
fn meta_from_stat(st: &Stat) -> Meta {
    Meta {
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
        nlink: st.nlink,
        rdev: st.rdev,
        atime: st.atime,
        mtime: st.mtime,
        ctime: st.ctime,
    }
}

/// Bytes read from a lower file at once when copying it up.
const COPY_CHUNK: usize = 1 << 20;

impl MemNode {
    /// The file type, from already-locked state.
    fn kind_locked(&self, st: &State) -> FileType {
        match (&st.meta, &st.content) {
            (Some(m), _) => FileType::from_mode(m.mode).unwrap_or(FileType::Regular),
            (None, Content::Dir(_)) => FileType::Directory,
            (None, _) => self
                .lower
                .as_ref()
                .map_or(FileType::Regular, |l| l.file_type()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn new_child(
        &self,
        lower: Option<InodeRef>,
        meta: Option<Meta>,
        content: Content,
    ) -> Arc<MemNode> {
        let ino = match &lower {
            Some(l) => l.id().1,
            None => self.fs.next_ino.fetch_add(1, Ordering::Relaxed),
        };
        Arc::new(MemNode {
            fs: self.fs.clone(),
            ino,
            lower,
            state: Mutex::new(State {
                meta,
                content,
                removed: false,
                seals: None,
            }),
        })
    }

    /// A regular file in this node's filesystem that no directory holds (a memfd),
    /// sealable with `seals` already set if `Some`.
    pub fn new_detached_file(&self, owner: Owner, seals: Option<u32>) -> Arc<MemNode> {
        let mut meta = self.fs.new_meta(FileType::Regular, owner);
        meta.nlink = 0;
        let node = self.new_child(None, Some(meta), Content::File(Vec::new()));
        node.lock().seals = seals;
        node
    }

    /// The attributes, copied up from the lower inode if needed.
    fn meta_mut<'a>(&self, st: &'a mut State) -> SysResult<&'a mut Meta> {
        if st.meta.is_none() {
            let lower = self.lower.as_ref().ok_or(Errno::EIO)?;
            st.meta = Some(meta_from_stat(&lower.stat()?));
        }
        st.meta.as_mut().ok_or(Errno::EIO)
    }

    /// Makes the file's data live in memory (before a write or truncate).
    fn copy_up_data(&self, st: &mut State) -> SysResult<()> {
        if !matches!(st.content, Content::Lower) {
            return Ok(());
        }
        let lower = self.lower.as_ref().ok_or(Errno::EIO)?;
        let size = lower.stat()?.size;
        self.fs.resize(0, size)?;
        let mut data = Vec::new();
        let mut buf = vec![0u8; COPY_CHUNK];
        loop {
            let n = lower.read_at(&mut buf, data.len() as u64)?;
            if n == 0 {
                break;
            }
            data.extend_from_slice(&buf[..n]);
            if data.len() as u64 > size {
                break;
            }
        }
        self.fs.resize(size, data.len() as u64)?;
        self.meta_mut(st)?;
        st.content = Content::File(data);
        Ok(())
    }

    fn touch_modified(&self, st: &mut State) -> SysResult<()> {
        let now = self.fs.now();
        let meta = self.meta_mut(st)?;
        meta.mtime = now;
        meta.ctime = now;
        Ok(())
    }

    /// The child named `name`, as a node of this filesystem.
    fn child(&self, st: &mut State, name: &[u8]) -> SysResult<Arc<MemNode>> {
        if st.removed {
            return Err(Errno::ENOENT);
        }
        let Content::Dir(entries) = &mut st.content else {
            return Err(Errno::ENOTDIR);
        };
        if let Some(entry) = entries.get(name) {
            return entry.clone().ok_or(Errno::ENOENT);
        }
        let lower = self.lower.as_ref().ok_or(Errno::ENOENT)?.lookup(name)?;
        let node = if lower.file_type() == FileType::Directory {
            self.new_child(Some(lower), None, Content::Dir(BTreeMap::new()))
        } else {
            let id = lower.id();
            let mut known = self
                .fs
                .lower_files
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match known.get(&id).and_then(Weak::upgrade) {
                Some(node) => node,
                None => {
                    let node = self.new_child(Some(lower), None, Content::Lower);
                    known.insert(id, Arc::downgrade(&node));
                    node
                }
            }
        };
        entries.insert(name.to_vec(), Some(node.clone()));
        Ok(node)
    }

    /// The directory's entries: the lower directory's in its own order (programs
    /// see the host filesystem's order, as natively), changed ones in place, then the
    /// names that exist only in memory.
    fn merged_entries(&self, st: &State) -> SysResult<Vec<DirEntry>> {
        let Content::Dir(entries) = &st.content else {
            return Err(Errno::ENOTDIR);
        };
        let entry = |name: &Vec<u8>, node: &Arc<MemNode>| DirEntry {
            name: name.clone(),
            ino: node.ino,
            file_type: node.file_type(),
        };
        let mut out = Vec::new();
        let mut from_lower = std::collections::HashSet::new();
        if let Some(lower) = &self.lower {
            for e in lower.readdir()? {
                match entries.get(&e.name) {
                    None => out.push(e.clone()),
                    Some(Some(node)) => out.push(entry(&e.name, node)),
                    Some(None) => {}
                }
                from_lower.insert(e.name);
            }
        }
        for (name, node) in entries {
            if let (false, Some(node)) = (from_lower.contains(name), node) {
                out.push(entry(name, node));
            }
        }
        Ok(out)
    }

    fn is_empty_dir(&self) -> SysResult<bool> {
        let st = self.lock();
        Ok(self.merged_entries(&st)?.is_empty())
    }

    /// Removes `name` from this directory's view.
    fn remove_entry(&self, entries: &mut BTreeMap<Vec<u8>, Option<Arc<MemNode>>>, name: &[u8]) {
        let shadows_lower = self.lower.as_ref().is_some_and(|l| l.lookup(name).is_ok());
        if shadows_lower {
            entries.insert(name.to_vec(), None);
        } else {
            entries.remove(name);
        }
    }

    fn downcast(inode: &InodeRef) -> SysResult<&MemNode> {
        inode.as_any().downcast_ref::<MemNode>().ok_or(Errno::EXDEV)
    }

    fn adjust_nlink(&self, delta: i64) {
        let mut st = self.lock();
        if let Ok(meta) = self.meta_mut(&mut st) {
            meta.nlink = meta.nlink.saturating_add_signed(delta);
            meta.ctime = self.fs.now();
        }
    }
}

impl Inode for MemNode {
    fn seals(&self) -> Option<u32> {
        self.lock().seals
    }

    fn add_seals(&self, seals: u32) -> SysResult<()> {
        let mut st = self.lock();
        let exec_bits = st.meta.is_some_and(|m| m.mode & 0o111 != 0);
        let current = st.seals.as_mut().ok_or(Errno::EINVAL)?;
        if *current & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        // Sealing an executable file against exec seals it against writes too.
        let implied = if seals & F_SEAL_EXEC != 0 && exec_bits {
            F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE
        } else {
            0
        };
        *current |= seals | implied;
        Ok(())
    }

    fn shared_pages(&self, create: bool) -> Option<Arc<SharedPages>> {
        if self.file_type() != FileType::Regular {
            return None;
        }
        self.fs.shared_pages.of(self.ino, create)
    }

    fn release_shared_pages(&self) {
        self.fs.shared_pages.release_unused(self.ino);
    }

    fn file_type(&self) -> FileType {
        let st = self.lock();
        self.kind_locked(&st)
    }

    fn stat(&self) -> SysResult<Stat> {
        let st = self.lock();
        let (dev, ino) = match &self.lower {
            Some(l) => l.id(),
            None => (self.fs.dev, self.ino),
        };
        let Some(meta) = st.meta else {
            return self.lower.as_ref().ok_or(Errno::EIO)?.stat();
        };
        let size = match &st.content {
            Content::File(d) => d.len() as u64,
            Content::Symlink(t) => t.len() as u64,
            Content::Dir(_) => 4096,
            Content::Special => 0,
            Content::Lower => self
                .lower
                .as_ref()
                .map_or(Ok(0), |l| l.stat().map(|s| s.size))?,
        };
        Ok(Stat {
            dev,
            ino,
            mode: meta.mode,
            nlink: meta.nlink,
            uid: meta.uid,
            gid: meta.gid,
            rdev: meta.rdev,
            size,
            blksize: 4096,
            blocks: pages(size) * 8,
            atime: meta.atime,
            mtime: meta.mtime,
            ctime: meta.ctime,
        })
    }

    fn set_attr(&self, attr: &SetAttr) -> SysResult<()> {
        let mut st = self.lock();
        if let Some(size) = attr.size {
            match st.content {
                Content::Dir(_) => return Err(Errno::EISDIR),
                Content::Symlink(_) | Content::Special => return Err(Errno::EINVAL),
                Content::Lower if self.kind_locked(&st) != FileType::Regular => {
                    return Err(Errno::EINVAL)
                }
                _ => {}
            }
            self.copy_up_data(&mut st)?;
            let seals = st.seals.unwrap_or(0);
            if let Content::File(data) = &mut st.content {
                let len = data.len() as u64;
                if (size < len && seals & F_SEAL_SHRINK != 0)
                    || (size > len && seals & F_SEAL_GROW != 0)
                {
                    return Err(Errno::EPERM);
                }
                self.fs.resize(data.len() as u64, size)?;
                let new_len = usize::try_from(size).map_err(|_| Errno::EFBIG)?;
                data.resize(new_len, 0);
            }
            self.touch_modified(&mut st)?;
        }
        let now = self.fs.now();
        let meta = self.meta_mut(&mut st)?;
        if let Some(perm) = attr.perm {
            meta.mode = (meta.mode & !0o7777) | (perm & 0o7777);
        }
        if let Some(uid) = attr.uid {
            meta.uid = uid;
        }
        if let Some(gid) = attr.gid {
            meta.gid = gid;
        }
        if let Some(t) = attr.atime {
            meta.atime = t;
        }
        if let Some(t) = attr.mtime {
            meta.mtime = t;
        }
        meta.ctime = now;
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> SysResult<InodeRef> {
        let mut st = self.lock();
        Ok(self.child(&mut st, name)?)
    }

    fn readdir(&self) -> SysResult<Vec<DirEntry>> {
        let st = self.lock();
        if st.removed {
            return Ok(Vec::new());
        }
        self.merged_entries(&st)
    }

    fn create(&self, name: &[u8], node: NewNode, owner: Owner) -> SysResult<InodeRef> {
        let mut st = self.lock();
        if st.removed {
            return Err(Errno::ENOENT);
        }
        match self.child(&mut st, name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        let (kind, content) = match node {
            NewNode::Regular => (FileType::Regular, Content::File(Vec::new())),
            NewNode::Directory => (FileType::Directory, Content::Dir(BTreeMap::new())),
            NewNode::Symlink(target) => (FileType::Symlink, Content::Symlink(target)),
            NewNode::Fifo => (FileType::Fifo, Content::Special),
            NewNode::Socket => (FileType::Socket, Content::Special),
        };
        let meta = self.fs.new_meta(kind, owner);
        let child = self.new_child(None, Some(meta), content);
        if let Content::Dir(entries) = &mut st.content {
            entries.insert(name.to_vec(), Some(child.clone()));
        }
        self.touch_modified(&mut st)?;
        if kind == FileType::Directory {
            self.meta_mut(&mut st)?.nlink += 1;
        }
        Ok(child)
    }

    fn link(&self, name: &[u8], target: &InodeRef) -> SysResult<()> {
        let node = Self::downcast(target)?;
        if !Arc::ptr_eq(&node.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        if node.file_type() == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let mut st = self.lock();
        match self.child(&mut st, name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        // A hard link is the same node under a second name.
        let shared = target.clone();
        let shared = Arc::downcast::<MemNode>(as_any_arc(shared)).map_err(|_| Errno::EXDEV)?;
        if let Content::Dir(entries) = &mut st.content {
            entries.insert(name.to_vec(), Some(shared.clone()));
        }
        self.touch_modified(&mut st)?;
        drop(st);
        shared.adjust_nlink(1);
        Ok(())
    }

    fn unlink(&self, name: &[u8], directory: bool) -> SysResult<()> {
        let mut st = self.lock();
        let child = self.child(&mut st, name)?;
        let is_dir = child.file_type() == FileType::Directory;
        match (directory, is_dir) {
            (true, false) => return Err(Errno::ENOTDIR),
            (false, true) => return Err(Errno::EISDIR),
            (true, true) if !child.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        if let Content::Dir(entries) = &mut st.content {
            let mut entries = std::mem::take(entries);
            self.remove_entry(&mut entries, name);
            st.content = Content::Dir(entries);
        }
        self.touch_modified(&mut st)?;
        if is_dir {
            let meta = self.meta_mut(&mut st)?;
            meta.nlink = meta.nlink.saturating_sub(1);
        }
        drop(st);
        if is_dir {
            child.lock().removed = true;
        } else {
            // The data goes when the last reference does (open files keep it).
            child.adjust_nlink(-1);
        }
        Ok(())
    }

    fn rename(&self, old: &[u8], new_dir: &InodeRef, new: &[u8], flags: u32) -> SysResult<()> {
        let target_dir = Self::downcast(new_dir)?;
        if !Arc::ptr_eq(&target_dir.fs, &self.fs) {
            return Err(Errno::EXDEV);
        }
        let same_dir = std::ptr::eq(self, target_dir);
        let src = self.child(&mut self.lock(), old)?;
        let dst = match target_dir.child(&mut target_dir.lock(), new) {
            Ok(d) => Some(d),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        let src_dir = src.file_type() == FileType::Directory;
        if flags & RENAME_EXCHANGE != 0 {
            let dst = dst.ok_or(Errno::ENOENT)?;
            let dst_dir = dst.file_type() == FileType::Directory;
            self.set_entry(old, Some(dst));
            target_dir.set_entry(new, Some(src));
            if src_dir != dst_dir && !same_dir {
                let delta = if src_dir { 1 } else { -1 };
                target_dir.adjust_nlink(delta);
                self.adjust_nlink(-delta);
            }
            return Ok(());
        }
        if let Some(dst) = &dst {
            if flags & RENAME_NOREPLACE != 0 {
                return Err(Errno::EEXIST);
            }
            if Arc::ptr_eq(&src, dst) {
                return Ok(());
            }
            let dst_dir = dst.file_type() == FileType::Directory;
            match (src_dir, dst_dir) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !dst.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
            if dst_dir {
                target_dir.adjust_nlink(-1);
            } else {
                dst.adjust_nlink(-1);
            }
        }
        {
            let mut st = self.lock();
            if let Content::Dir(entries) = &mut st.content {
                let mut entries = std::mem::take(entries);
                self.remove_entry(&mut entries, old);
                st.content = Content::Dir(entries);
            }
            self.touch_modified(&mut st)?;
        }
        target_dir.set_entry(new, Some(src));
        if src_dir && !same_dir {
            self.adjust_nlink(-1);
            target_dir.adjust_nlink(1);
        }
        Ok(())
    }

    fn immutable_key(&self) -> Option<(u64, u64)> {
        // Fixed while the data still comes from the read-only lower file.
        match self.lock().content {
            Content::Lower => self.lower.as_ref()?.immutable_key(),
            _ => None,
        }
    }

    fn host_file(&self) -> Option<std::fs::File> {
        match self.lock().content {
            Content::Lower => self.lower.as_ref()?.host_file(),
            _ => None,
        }
    }

    fn read_into_frames(
        &self,
        ram: &vmm::GuestRam,
        frames: &[vmm::Frame],
        offset: u64,
    ) -> SysResult<usize> {
        let lower = match self.lock().content {
            Content::Lower => self.lower.clone(),
            _ => None,
        };
        match lower {
            Some(lower) => lower.read_into_frames(ram, frames, offset),
            None => read_into_frames_by_copy(self, ram, frames, offset),
        }
    }

    fn readlink(&self) -> SysResult<Vec<u8>> {
        let st = self.lock();
        match &st.content {
            Content::Symlink(t) => Ok(t.clone()),
            Content::Lower => self.lower.as_ref().ok_or(Errno::EINVAL)?.readlink(),
            _ => Err(Errno::EINVAL),
        }
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> SysResult<usize> {
        let st = self.lock();
        match &st.content {
            Content::File(data) => {
                let start = usize::try_from(offset)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                let n = buf.len().min(data.len() - start);
                buf[..n].copy_from_slice(&data[start..start + n]);
                Ok(n)
            }
            Content::Lower => self.lower.as_ref().ok_or(Errno::EIO)?.read_at(buf, offset),
            Content::Dir(_) => Err(Errno::EISDIR),
            // No writer can exist yet (pipes come with processes): end of file.
            Content::Special => Ok(0),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, buf: &[u8], offset: u64) -> SysResult<usize> {
        if buf.is_empty() && self.file_type() == FileType::Regular {
            return Ok(0);
        }
        let mut st = self.lock();
        match st.content {
            Content::Dir(_) => return Err(Errno::EISDIR),
            Content::Symlink(_) | Content::Special => return Err(Errno::EINVAL),
            Content::Lower if self.kind_locked(&st) != FileType::Regular => {
                // Devices on the lower layer keep their own semantics.
                return self.lower.as_ref().ok_or(Errno::EIO)?.write_at(buf, offset);
            }
            _ => {}
        }
        self.copy_up_data(&mut st)?;
        let end = offset.checked_add(buf.len() as u64).ok_or(Errno::EFBIG)?;
        const MAX_FILE: u64 = 1 << 40;
        if end > MAX_FILE {
            return Err(Errno::EFBIG);
        }
        let seals = st.seals.unwrap_or(0);
        if let Content::File(data) = &mut st.content {
            if seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0
                || (end > data.len() as u64 && seals & F_SEAL_GROW != 0)
            {
                return Err(Errno::EPERM);
            }
            if end > data.len() as u64 {
                self.fs.resize(data.len() as u64, end)?;
                data.resize(end as usize, 0);
            }
            data[offset as usize..end as usize].copy_from_slice(buf);
        }
        self.touch_modified(&mut st)?;
        Ok(buf.len())
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl MemNode {
    fn set_entry(&self, name: &[u8], node: Option<Arc<MemNode>>) {
        let mut st = self.lock();
        if let Content::Dir(entries) = &mut st.content {
            entries.insert(name.to_vec(), node);
        }
        let _ = self.touch_modified(&mut st);
    }
}

impl Drop for MemNode {
    fn drop(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Content::File(data) = &st.content {
            let _ = self.fs.resize(data.len() as u64, 0);
        }
    }
}

/// `Arc<dyn Inode>` as `Arc<dyn Any>`, for downcasting to the concrete node.
fn as_any_arc(inode: InodeRef) -> Arc<dyn Any + Send + Sync> {
    inode
}
