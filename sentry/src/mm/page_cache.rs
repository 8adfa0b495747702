//! The page cache: frames holding pages of files that cannot change (the read-only
//! host files under the root overlay), shared by every read-only private mapping of
//! them, so a library's text is in guest memory once however often it is mapped.
//!
//! A file is mapped whole into the VM's file space when it can be (see
//! `vmm::file_frames`): its pages are then the host's own, read in by nothing. Otherwise
//! its pages are copied into RAM frames as they are needed; the cache owns one
//! reference to each such frame, each mapping takes another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use std::os::fd::AsFd;

use vmm::{Frame, GuestRam, PAGE_SIZE};

use crate::fs::inode::Inode;

/// (device, inode) of a file whose contents are fixed.
pub type FileKey = (u64, u64);

/// Cached pages of immutable files.
pub struct PageCache {
    ram: Arc<GuestRam>,
    pages: Mutex<HashMap<(FileKey, u64), Frame>>,
    /// Files in the file space: their first frame and page count (`None`: could not
    /// be mapped, their pages are copied).
    files: Mutex<HashMap<FileKey, Option<(Frame, u64)>>>,
}

impl PageCache {
    pub fn new(ram: Arc<GuestRam>) -> Self {
        PageCache {
            ram,
            pages: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Maps `inode` (the file of `key`) into the file space, once.
    pub fn map_file(&self, key: FileKey, inode: &dyn Inode) {
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        if files.contains_key(&key) {
            return;
        }
        let mapped = inode.stat().ok().and_then(|st| {
            let host = inode.host_file()?;
            let first = self.ram.map_file(host.as_fd(), st.size)?;
            Some((first, st.size.div_ceil(PAGE_SIZE)))
        });
        log::debug!(
            "page cache: file {key:?} mapped into the file space: {}",
            mapped.is_some()
        );
        files.insert(key, mapped);
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(FileKey, u64), Frame>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached frame of page `index` of `file`, with an owner reference for the
    /// new mapping (given back when the mapping frees the frame).
    pub fn lookup(&self, file: FileKey, index: u64) -> Option<Frame> {
        if let Some(Some((first, pages))) = self
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&file)
        {
            return (index < *pages).then(|| Frame::containing(first.addr() + index * PAGE_SIZE));
        }
        self.lock()
            .get(&(file, index))
            .map(|frame| self.ram.share(*frame))
    }

    /// Caches `frame` (just filled, owned by the caller) as page `index` of `file`; the
    /// frame comes back as `lookup`'s does. If another mapping cached the page first,
    /// its frame is used and `frame` freed.
    pub fn adopt(&self, file: FileKey, index: u64, frame: Frame) -> Frame {
        let existing = {
            let mut pages = self.lock();
            match pages.get(&(file, index)) {
                Some(cached) => Some(*cached),
                None => {
                    pages.insert((file, index), frame);
                    None
                }
            }
        };
        match existing {
            Some(cached) => {
                // Never mapped: no translation of it can exist.
                self.ram
                    .free(vec![vmm::memory::StaleFrame::of_present(frame)]);
                self.ram.share(cached)
            }
            None => self.ram.share(frame),
        }
    }

    /// Frees cached pages no mapping uses, to make room.
    pub fn evict_unused(&self) {
        let unused: Vec<Frame> = {
            let mut pages = self.lock();
            let keys: Vec<_> = pages
                .iter()
                .filter(|(_, f)| !self.ram.is_shared(**f))
                .map(|(k, _)| *k)
                .collect();
            keys.iter().filter_map(|k| pages.remove(k)).collect()
        };
        // No mapping holds these frames, so no translation to them remains.
        self.ram.free(
            unused
                .into_iter()
                .map(vmm::memory::StaleFrame::of_present)
                .collect(),
        );
    }
}
