//! The page cache: frames holding pages of files that cannot change (the read-only
//! host files under the root overlay), shared by every read-only private mapping of
//! them, so a library's text is in guest memory once however often it is mapped.
//! The cache owns one reference to each frame; each mapping takes another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use vmm::{Frame, GuestRam};

/// (device, inode) of a file whose contents are fixed.
pub type FileKey = (u64, u64);

/// Cached pages of immutable files.
pub struct PageCache {
    ram: Arc<GuestRam>,
    pages: Mutex<HashMap<(FileKey, u64), Frame>>,
}

impl PageCache {
    pub fn new(ram: Arc<GuestRam>) -> Self {
        PageCache {
            ram,
            pages: Mutex::new(HashMap::new()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<(FileKey, u64), Frame>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached frame of page `index` of `file`, with an owner reference for the
    /// new mapping (given back when the mapping frees the frame).
    pub fn lookup(&self, file: FileKey, index: u64) -> Option<Frame> {
        self.lock()
            .get(&(file, index))
            .map(|frame| self.ram.share(*frame))
    }

    /// Caches `data` as page `index` of `file`; the frame comes back as `lookup`'s does.
    pub fn insert(&self, file: FileKey, index: u64, data: &[u8]) -> Option<Frame> {
        let frame = match self.ram.alloc() {
            Ok(f) => f,
            Err(_) => {
                self.evict_unused();
                self.ram.alloc().ok()?
            }
        };
        let _ = self.ram.write(frame.addr(), data);
        self.lock().insert((file, index), frame);
        Some(self.ram.share(frame))
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
