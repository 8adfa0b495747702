//! The pages of a file that is mapped MAP_SHARED: one guest frame per file page, used
//! by every shared mapping of the file in every process, and kept coherent with
//! read(2) and write(2) as Linux's page cache is. (Files that cannot change are
//! shared through `mm::page_cache` instead.)
//!
//! A filesystem keeps a `SharedPageRegistry` by inode number, since two lookups of
//! one host file give two inode objects. (A host that reuses the number of a deleted
//! file that is still mapped would let a new file find its pages: a known gap.) The
//! registry owns one reference to each frame, each mapping another; frames no mapping
//! uses are dropped when a mapping goes away, after the mapping wrote them back.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use vmm::memory::StaleFrame;
use vmm::{Frame, GuestRam, PAGE_SIZE};

use super::inode::Inode;

/// The cached pages of one file, by page index.
#[derive(Default)]
pub struct SharedPages {
    /// Set by the first mapping that caches a page.
    ram: OnceLock<Arc<GuestRam>>,
    pages: Mutex<BTreeMap<u64, Frame>>,
}

impl SharedPages {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, Frame>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached frame of page `index`, with a reference for the new mapping.
    pub fn lookup(&self, ram: &GuestRam, index: u64) -> Option<Frame> {
        self.lock().get(&index).map(|frame| ram.share(*frame))
    }

    /// Caches `frame` (just filled from the file, owned by the caller) as page
    /// `index`; returns the frame to map, with a reference for the mapping. If the
    /// page was cached meanwhile, that frame is used and `frame` freed.
    pub fn adopt(&self, ram: &Arc<GuestRam>, index: u64, frame: Frame) -> Frame {
        let _ = self.ram.set(ram.clone());
        let cached = *self.lock().entry(index).or_insert(frame);
        if cached != frame {
            // Never mapped: no translation of it can exist.
            ram.free(vec![StaleFrame::of_present(frame)]);
        }
        ram.share(cached)
    }

    /// `data` was written to the file at `offset`: cached pages show it too.
    pub fn written(&self, offset: u64, data: &[u8]) {
        let Some(ram) = self.ram.get() else { return };
        let end = offset.saturating_add(data.len() as u64);
        let pages = self.lock();
        for (&index, frame) in pages.range(offset / PAGE_SIZE..end.div_ceil(PAGE_SIZE)) {
            let page_start = index * PAGE_SIZE;
            let (from, to) = (offset.max(page_start), end.min(page_start + PAGE_SIZE));
            let bytes = &data[(from - offset) as usize..(to - offset) as usize];
            let _ = ram.write(frame.addr() + (from - page_start), bytes);
        }
    }

    /// Writes the cached pages overlapping `[offset, offset + len)` to `inode`, up to
    /// its size (never extending it), so that a read sees what mappings wrote.
    pub fn write_back(&self, inode: &dyn Inode, offset: u64, len: usize) {
        let Some(ram) = self.ram.get() else { return };
        let Ok(size) = inode.stat().map(|s| s.size) else {
            return;
        };
        let end = offset.saturating_add(len as u64).min(size);
        if end <= offset {
            return;
        }
        let pages: Vec<(u64, Frame)> = self
            .lock()
            .range(offset / PAGE_SIZE..end.div_ceil(PAGE_SIZE))
            .map(|(i, f)| (*i, *f))
            .collect();
        let mut page = vec![0u8; PAGE_SIZE as usize];
        for (index, frame) in pages {
            let start = index * PAGE_SIZE;
            let n = (size - start).min(PAGE_SIZE) as usize;
            if ram.read(frame.addr(), &mut page[..n]).is_ok() {
                let _ = inode.write_at(&page[..n], start);
            }
        }
    }

    /// Drops the pages no mapping uses any more; whether none is left.
    fn release_unused(&self) -> bool {
        let Some(ram) = self.ram.get() else {
            return true;
        };
        let mut pages = self.lock();
        let unused: Vec<u64> = pages
            .iter()
            .filter(|(_, frame)| !ram.is_shared(**frame))
            .map(|(index, _)| *index)
            .collect();
        let freed = unused
            .iter()
            .filter_map(|index| pages.remove(index))
            .map(StaleFrame::of_present)
            .collect();
        // Only this cache held them: no translation to them remains.
        ram.free(freed);
        pages.is_empty()
    }
}

impl Drop for SharedPages {
    fn drop(&mut self) {
        if let Some(ram) = self.ram.get() {
            let frames = std::mem::take(&mut *self.lock());
            ram.free(frames.into_values().map(StaleFrame::of_present).collect());
        }
    }
}

/// The shared-mapped files of one filesystem, by inode number.
#[derive(Default)]
pub struct SharedPageRegistry {
    files: Mutex<HashMap<u64, Arc<SharedPages>>>,
    /// How many files have cached pages: reads and writes skip the lock when none do.
    count: AtomicUsize,
}

impl SharedPageRegistry {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<SharedPages>>> {
        self.files.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The pages of inode `ino`, made if `create` (a shared mapping faults).
    pub fn of(&self, ino: u64, create: bool) -> Option<Arc<SharedPages>> {
        if !create && self.count.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut files = self.lock();
        if create {
            let pages = files.entry(ino).or_default().clone();
            self.count.store(files.len(), Ordering::Release);
            Some(pages)
        } else {
            files.get(&ino).cloned()
        }
    }

    /// A mapping of inode `ino` went away: pages no mapping uses are dropped, and the
    /// file's entry with them if none is left.
    pub fn release_unused(&self, ino: u64) {
        let mut files = self.lock();
        if files.get(&ino).is_some_and(|pages| pages.release_unused()) {
            files.remove(&ino);
        }
        self.count.store(files.len(), Ordering::Release);
    }
}
