//! A process's memory: its mappings (`VmaSet`), the page table that realizes them
//! (`vmm::AddressSpace`), brk, page faults, and all access to user memory.
//!
//! Pages are realized lazily on fault, a window at a time (a VM exit costs tens of
//! microseconds, a page's first touch a few), and eagerly for small mappings.

pub mod page_cache;
pub mod shared;
pub mod syscalls;
pub mod user;
pub mod vma;

use std::collections::HashSet;
use std::sync::Arc;

use vmm::memory::StaleFrame;
use vmm::{AddressSpace, Frame, PageFlags, PAGE_SIZE};

use crate::errno::{Errno, SysResult};
pub use shared::Mm;
use vma::{Prot, Vma, VmaKind, VmaSet};

pub use vmm::arch::x86_64::layout::USER_VIRT_END;

/// Lowest address a mapping may use (Linux's default `vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: u64 = 0x10000;
/// Highest user address + 1 that mappings may reach (Linux's TASK_SIZE).
pub const TASK_SIZE: u64 = USER_VIRT_END - PAGE_SIZE;
/// Top of the initial stack.
pub const STACK_TOP: u64 = 0x7fff_ffff_f000;
/// Size reserved for the initial stack (RLIMIT_STACK's default).
pub const STACK_SIZE: u64 = 8 << 20;
/// Mappings without an address hint are placed top-down from here.
pub const MMAP_BASE: u64 = STACK_TOP - STACK_SIZE - (128 << 20);
/// Most mappings a process may have (Linux's default `vm.max_map_count`); bounds the
/// sentry memory a guest can make us spend on bookkeeping.
pub const MAX_MAP_COUNT: usize = 65530;
/// Pages realized around a faulting page (an aligned window of 256 KiB), to save
/// exits: an untouched realized page costs a frame and an entry, an exit tens of
/// microseconds (Linux would back a heap this size with a transparent huge page).
const FAULT_AROUND_PAGES: u64 = 64;
/// The fault-around window of pages of immutable files (program text and libraries):
/// they come from the file space or the page cache, so mapping them costs an entry
/// each; a window is what one page table covers (2 MiB).
const CACHED_FAULT_AROUND_PAGES: u64 = 512;
/// Mappings up to this size are realized when created.
const EAGER_POPULATE_LIMIT: u64 = 64 << 10;

/// Rounds up to a page boundary; `None` on overflow.
pub fn page_align_up(x: u64) -> Option<u64> {
    x.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

pub const fn page_align_down(x: u64) -> u64 {
    x & !(PAGE_SIZE - 1)
}

pub const fn is_page_aligned(x: u64) -> bool {
    x.is_multiple_of(PAGE_SIZE)
}

/// The kind of access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Execute,
}

/// Why a fault could not be resolved: the signal the task gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No mapping there (SIGSEGV, SEGV_MAPERR).
    Unmapped,
    /// The mapping forbids the access (SIGSEGV, SEGV_ACCERR).
    Forbidden,
    /// Guest memory is exhausted.
    OutOfMemory,
    /// A file mapping touched past the end of its file (SIGBUS, BUS_ADRERR).
    BeyondFile,
}

/// Counters for `--stats`.
#[derive(Clone, Copy, Debug, Default)]
pub struct MmStats {
    pub page_faults: u64,
    pub pages_realized: u64,
}

/// One address space and its mappings.
pub struct MemoryManager {
    space: AddressSpace,
    vmas: VmaSet,
    brk_start: u64,
    brk: u64,
    stats: MmStats,
    exe_label: String,
    interp_label: String,
    /// The mappings changed since procfs last saw them (see `Task::publish_memory`).
    pub maps_changed: bool,
    /// Pages of immutable files shared between mappings.
    cache: Option<Arc<page_cache::PageCache>>,
}

impl MemoryManager {
    pub fn new(space: AddressSpace) -> Self {
        MemoryManager {
            space,
            vmas: VmaSet::default(),
            brk_start: 0,
            brk: 0,
            stats: MmStats::default(),
            exe_label: String::new(),
            interp_label: String::new(),
            cache: None,
            maps_changed: false,
        }
    }

    /// Shares pages of immutable files through `cache`.
    pub fn with_page_cache(mut self, cache: Arc<page_cache::PageCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The address space of a forked child, in `space` (empty). Private pages become
    /// copy-on-write: shared by both, read-only in both, copied at the first write
    /// (`handle_fault`). Shared mappings are realized in full first so that both
    /// processes keep seeing the same frames.
    pub fn fork(&mut self, space: AddressSpace) -> SysResult<MemoryManager> {
        let mut child = MemoryManager {
            space,
            vmas: self.vmas.clone(),
            brk_start: self.brk_start,
            brk: self.brk,
            stats: MmStats::default(),
            exe_label: self.exe_label.clone(),
            interp_label: self.interp_label.clone(),
            maps_changed: true,
            cache: self.cache.clone(),
        };
        let ram = self.space.ram().clone();
        let vmas: Vec<Vma> = self.vmas.iter().cloned().collect();
        let mut stale = Vec::new();
        for vma in &vmas {
            if vma.shared && vma.prot.accessible() {
                self.populate(vma.start, vma.end);
            }
            for (va, t) in self.space.mapped_pages(vma.start, vma.end) {
                let mut flags = t.flags;
                if !vma.shared && flags.writable {
                    flags.writable = false;
                    if let Ok(Some(s)) = self.space.protect(va, flags) {
                        stale.push(s);
                    }
                }
                let frame = ram.share(t.frame);
                match child.space.map(va, frame, flags) {
                    Ok(None) => child.stats.pages_realized += 1,
                    Ok(Some(s)) => ram.free(vec![s]),
                    Err(_) => {
                        // Out of page-table frames: undo this page's extra owner.
                        ram.free(vec![vmm::memory::StaleFrame::of_present(frame)]);
                        let _ = ram.zap(stale);
                        return Err(Errno::ENOMEM);
                    }
                }
            }
        }
        let _ = ram.zap(stale);
        Ok(child)
    }

    /// Gives the private page at `va` (present, read-only because shared after a
    /// fork) its own writable copy, or just write access when no one else has it.
    fn break_copy_on_write(
        &mut self,
        va: u64,
        t: vmm::Translation,
        vma: &Vma,
    ) -> Result<(), FaultError> {
        let ram = self.space.ram().clone();
        let flags = Self::page_flags(vma.prot);
        if !ram.is_shared(t.frame) {
            if let Ok(Some(s)) = self.space.protect(va, flags) {
                let _ = ram.zap(vec![s]);
            }
            return Ok(());
        }
        let copy = self.alloc_frame()?;
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let _ = ram.read(t.frame.addr(), &mut page);
        let _ = ram.write(copy.addr(), &page);
        match self.space.map(va, copy, flags) {
            Ok(Some(old)) => ram.free(vec![old]),
            Ok(None) => {}
            Err(_) => return Err(FaultError::OutOfMemory),
        }
        Ok(())
    }

    /// Frees every page and mapping (exit, exec), writing shared file pages back.
    pub fn release_all(&mut self) {
        self.unmap_range(0, USER_VIRT_END);
    }

    /// The page-table root for CR3.
    pub fn page_table_root(&self) -> u64 {
        self.space.root()
    }

    pub fn mailbox(&mut self, vcpu: u64) -> Option<vmm::Mailbox> {
        self.space.mailbox(vcpu).ok()
    }

    pub fn stats(&self) -> MmStats {
        self.stats
    }

    fn page_flags(prot: Prot) -> PageFlags {
        PageFlags {
            accessible: prot.accessible(),
            writable: prot.write,
            executable: prot.exec,
        }
    }

    /// Realizes page `va` of `vma`: a zeroed frame, or the file's page for a file
    /// mapping (SIGBUS past the end of the file).
    fn realize(&mut self, va: u64, vma: &Vma) -> Result<(), FaultError> {
        if vma.file.is_some() {
            return self.realize_file_pages(va, va + PAGE_SIZE, vma);
        }
        let frame = self.alloc_frame()?;
        self.map_owned(va, frame, Self::page_flags(vma.prot))
    }

    /// Maps at `va` (absent) a frame the caller owns; on failure the frame is freed.
    fn map_owned(&mut self, va: u64, frame: Frame, flags: PageFlags) -> Result<(), FaultError> {
        match self.space.map(va, frame, flags) {
            Ok(None) => {
                self.stats.pages_realized += 1;
                Ok(())
            }
            Ok(Some(stale)) => {
                // Cannot happen (callers check the page is absent), but stay correct.
                self.space.ram().free(vec![stale]);
                Ok(())
            }
            Err(_) => {
                // Never mapped: no translation of it can exist.
                self.space.ram().free(vec![StaleFrame::of_present(frame)]);
                Err(FaultError::OutOfMemory)
            }
        }
    }

    /// The pages of `[start, end)` the page table maps.
    fn present_pages(&self, start: u64, end: u64) -> HashSet<u64> {
        self.space
            .mapped_pages(start, end)
            .into_iter()
            .map(|(va, _)| va)
            .collect()
    }

    /// Realizes the absent pages of file mapping `vma` in `[start, end)` that lie
    /// within the file. Pages of immutable files come from the page cache; the others
    /// are read from the file once per contiguous run, straight into their frames.
    /// Fails (SIGBUS or out of memory) only if the page at `start` is not realized.
    fn realize_file_pages(&mut self, start: u64, end: u64, vma: &Vma) -> Result<(), FaultError> {
        let Some(file) = vma.file.clone() else {
            return Ok(());
        };
        let size = file.inode.stat().map_err(|_| FaultError::BeyondFile)?.size;
        // Pages up to the end of the file's last (partial) page exist.
        let file_pages_end = page_align_up(size).unwrap_or(u64::MAX);
        let end = match file_pages_end.checked_sub(file.offset) {
            Some(in_file) => end.min(vma.start.saturating_add(in_file)),
            None => vma.start,
        };
        if start >= end {
            return Err(FaultError::BeyondFile);
        }
        let flags = Self::page_flags(vma.prot);
        let present = self.present_pages(start, end);
        let key = Self::cache_key(vma);
        let cache = key.and(self.cache.clone());
        // Every shared mapping of the file uses the same frames.
        let shared_pages = if vma.shared {
            file.inode.shared_pages(true)
        } else {
            None
        };
        let ram = self.space.ram().clone();
        if let (Some(key), Some(cache)) = (key, &cache) {
            cache.map_file(key, &*file.inode);
        }
        let mut missing = Vec::new();
        for va in (start..end).step_by(PAGE_SIZE as usize) {
            if present.contains(&va) {
                continue;
            }
            let cached = match (key, &cache, &shared_pages) {
                (Some(key), Some(cache), _) => cache.lookup(key, offset_index(vma, va)),
                (_, _, Some(pages)) => pages.lookup(&ram, offset_index(vma, va)),
                _ => None,
            };
            match cached {
                Some(frame) => self.map_owned(va, frame, flags)?,
                None => missing.push(va),
            }
        }
        for run in missing.chunk_by(|a, b| b - a == PAGE_SIZE) {
            let mut frames = Vec::with_capacity(run.len());
            for _ in run {
                match self.alloc_frame() {
                    Ok(frame) => frames.push(frame),
                    Err(_) => break,
                }
            }
            let offset = file.offset + (run[0] - vma.start);
            // An I/O error leaves zeros, as a short read past the end of file does.
            let _ = file.inode.read_into_frames(&ram, &frames, offset);
            let out_of_frames = frames.len() < run.len();
            for (&va, frame) in run.iter().zip(frames) {
                let frame = match (key, &cache, &shared_pages) {
                    (Some(key), Some(cache), _) => cache.adopt(key, offset_index(vma, va), frame),
                    (_, _, Some(pages)) => pages.adopt(&ram, offset_index(vma, va), frame),
                    _ => frame,
                };
                self.map_owned(va, frame, flags)?;
            }
            if out_of_frames {
                break;
            }
        }
        if self.space.translate(start).is_none() {
            return Err(FaultError::OutOfMemory);
        }
        Ok(())
    }

    /// The page-cache key of `vma`'s file if its pages can come from the page cache:
    /// a read-only private mapping of a file that cannot change.
    fn cache_key(vma: &Vma) -> Option<(u64, u64)> {
        let file = vma.file.as_ref()?;
        file.inode
            .immutable_key()
            .filter(|_| !vma.shared && !vma.prot.write)
    }

    /// A fresh frame; when memory is short, cached file pages no mapping uses go first.
    fn alloc_frame(&self) -> Result<vmm::Frame, FaultError> {
        let ram = self.space.ram();
        ram.alloc()
            .or_else(|_| {
                if let Some(cache) = &self.cache {
                    cache.evict_unused();
                }
                ram.alloc()
            })
            .map_err(|_| FaultError::OutOfMemory)
    }

    /// Gives writable private mappings in `[start, end)` their own copies of pages they
    /// share with the page cache (mprotect making a read-only file mapping writable).
    fn unshare_pages(&mut self, start: u64, end: u64) {
        let ram = self.space.ram().clone();
        for (va, t) in self.space.mapped_pages(start, end) {
            let private = self.vmas.find(va).is_some_and(|v| !v.shared);
            if !private || !ram.is_shared(t.frame) {
                continue;
            }
            let Ok(copy) = ram.alloc() else { continue };
            let mut page = vec![0u8; PAGE_SIZE as usize];
            let _ = ram.read(t.frame.addr(), &mut page);
            let _ = ram.write(copy.addr(), &page);
            if let Ok(Some(stale)) = self.space.map(va, copy, t.flags) {
                ram.free(vec![stale]);
            }
        }
    }

    /// Realizes every absent page of `[start, end)` inside mappings; stops quietly when
    /// memory runs out (as MAP_POPULATE does).
    fn populate(&mut self, start: u64, end: u64) {
        let vmas: Vec<Vma> = self.vmas.intersecting(start, end).cloned().collect();
        for vma in vmas.iter().filter(|v| v.prot.accessible()) {
            let (lo, hi) = (vma.start.max(start), vma.end.min(end));
            if vma.file.is_some() {
                match self.realize_file_pages(lo, hi, vma) {
                    Err(FaultError::OutOfMemory) => return,
                    _ => continue,
                }
            }
            let present = self.present_pages(lo, hi);
            for va in (lo..hi).step_by(PAGE_SIZE as usize) {
                if !present.contains(&va) && self.realize(va, vma).is_err() {
                    return;
                }
            }
        }
    }

    /// Resolves a fault at `addr`: realizes the page (and its neighbours) if the
    /// mapping allows `access`.
    pub fn handle_fault(&mut self, addr: u64, access: Access) -> Result<(), FaultError> {
        self.stats.page_faults += 1;
        let vma = match self.vmas.find(addr) {
            Some(vma) => vma.clone(),
            None => self.grow_stack(addr).ok_or(FaultError::Unmapped)?,
        };
        let allowed = match access {
            Access::Read => vma.prot.accessible(),
            Access::Write => vma.prot.write,
            Access::Execute => vma.prot.exec,
        };
        if !allowed {
            return Err(FaultError::Forbidden);
        }
        let page = page_align_down(addr);
        if let Some(t) = self.space.translate(page) {
            if access == Access::Write && !vma.shared && !t.flags.writable {
                return self.break_copy_on_write(page, t, &vma);
            }
            // The entry already allows the access: the guest used a stale, narrower
            // cached translation. Drop it and retry.
            if t.flags == Self::page_flags(vma.prot) {
                let _ = self
                    .space
                    .ram()
                    .zap(vec![vmm::memory::StaleFrame::of_present(t.frame)]);
                return Ok(());
            }
            return Err(FaultError::Forbidden);
        }
        self.realize(page, &vma)?;
        let window = FAULT_AROUND_PAGES * PAGE_SIZE;
        let lo = page & !(window - 1);
        self.populate(lo, lo.saturating_add(window));
        // Pages of immutable files (program text, libraries) are read once per sandbox
        // and touched again by every exec: their window is wider, within the mapping.
        if Self::cache_key(&vma).is_some() {
            let window = CACHED_FAULT_AROUND_PAGES * PAGE_SIZE;
            let lo = (page & !(window - 1)).max(vma.start);
            let hi = lo.saturating_add(window).min(vma.end);
            let _ = self.realize_file_pages(lo, hi, &vma);
        }
        Ok(())
    }

    /// Extends a grows-down mapping (the stack, MAP_GROWSDOWN) down to `addr`, as a
    /// fault just below it asks, within the stack size limit; the grown mapping.
    fn grow_stack(&mut self, addr: u64) -> Option<Vma> {
        let page = page_align_down(addr);
        let above = self.vmas.intersecting(page, USER_VIRT_END).next()?.clone();
        if above.kind != VmaKind::Stack || above.file.is_some() {
            return None;
        }
        let size = above.end.checked_sub(page)?;
        if size > STACK_SIZE || page < MMAP_MIN_ADDR {
            return None;
        }
        self.vmas.insert(Vma {
            start: page,
            end: above.start,
            ..above
        });
        self.maps_changed = true;
        self.vmas.find(addr).cloned()
    }

    /// The mappings as /proc/[pid]/maps shows them, the virtual size and resident pages.
    pub fn describe(&self) -> (Vec<crate::kernel::process::MapInfo>, u64, u64) {
        let maps: Vec<_> = self
            .vmas
            .iter()
            .map(|v| crate::kernel::process::MapInfo {
                start: v.start,
                end: v.end,
                read: v.prot.read,
                write: v.prot.write,
                exec: v.prot.exec,
                shared: v.shared,
                offset: v.file.as_ref().map_or(0, |f| f.offset),
                dev: v.file.as_ref().map_or(0, |f| f.inode.id().0),
                ino: v.file.as_ref().map_or(0, |f| f.inode.id().1),
                label: match (&v.file, v.kind) {
                    (Some(f), _) => f.path.clone(),
                    (None, VmaKind::Heap) => "[heap]".into(),
                    (None, VmaKind::Stack) if v.end == STACK_TOP => "[stack]".into(),
                    (None, VmaKind::Program) => self.exe_label.clone(),
                    (None, VmaKind::Interpreter) => self.interp_label.clone(),
                    (None, VmaKind::Vdso) => "[vdso]".into(),
                    (None, VmaKind::Vvar) => "[vvar]".into(),
                    _ => String::new(),
                },
            })
            .collect();
        let size = self.vmas.iter().map(|v| v.end - v.start).sum();
        (maps, size, self.stats.pages_realized)
    }

    /// mincore(2): one byte per page of `[start, start+len)`, 1 where the page is in memory.
    pub fn residency(&self, start: u64, len: u64) -> SysResult<Vec<u8>> {
        if !is_page_aligned(start) {
            return Err(Errno::EINVAL);
        }
        let end = page_align_up(len)
            .and_then(|l| start.checked_add(l))
            .ok_or(Errno::ENOMEM)?;
        if end > TASK_SIZE || !self.vmas.covers(start, end) {
            return Err(Errno::ENOMEM);
        }
        let pages = ((end - start) / PAGE_SIZE) as usize;
        // Bounded by the mapping, which the guest's memory size bounds.
        let mut out = vec![0u8; pages];
        for (va, _) in self.space.mapped_pages(start, end) {
            out[((va - start) / PAGE_SIZE) as usize] = 1;
        }
        Ok(out)
    }

    /// For an address in a shared mapping, the guest-physical address of its byte
    /// (the page realized if needed); None for private memory. EFAULT if unmapped.
    pub fn shared_location(&mut self, addr: u64) -> SysResult<Option<u64>> {
        let vma = self.vmas.find(addr).ok_or(Errno::EFAULT)?;
        if !vma.shared {
            return Ok(None);
        }
        let page = page_align_down(addr);
        if self.space.translate(page).is_none() {
            self.handle_fault(page, Access::Read)
                .map_err(|_| Errno::EFAULT)?;
        }
        let t = self.space.translate(page).ok_or(Errno::EFAULT)?;
        Ok(Some(t.frame.addr() + (addr - page)))
    }

    /// Whether `[start, end)` is covered by mappings.
    pub fn is_mapped(&self, start: u64, end: u64) -> bool {
        self.vmas.covers(start, end)
    }

    /// Guest memory size and free bytes.
    pub fn memory(&self) -> (u64, u64) {
        let ram = self.space.ram();
        (ram.size(), ram.frames_available() * PAGE_SIZE)
    }

    /// Names the interpreter's mappings in /proc/[pid]/maps.
    pub fn set_interpreter_label(&mut self, label: String) {
        self.interp_label = label;
    }

    /// A free range of `len` bytes where mmap would put it.
    pub fn free_area(&self, len: u64) -> SysResult<u64> {
        self.find_free(0, len)
    }

    /// The file a mapping starting exactly at `addr` (at file offset 0) maps (shmdt).
    pub fn file_mapping_at(&self, addr: u64) -> Option<crate::fs::inode::InodeRef> {
        let vma = self.vmas.find(addr)?;
        let file = vma.file.as_ref()?;
        (vma.start == addr && file.offset == 0).then(|| file.inode.clone())
    }

    /// Names the program's mappings in /proc/[pid]/maps.
    pub fn set_exe_label(&mut self, label: String) {
        self.exe_label = label;
    }

    /// ENOMEM when one more mapping (or a split) could pass `MAX_MAP_COUNT`.
    fn check_map_count(&self) -> SysResult<()> {
        if self.vmas.len() + 2 > MAX_MAP_COUNT {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Adds a mapping over `[start, end)`, replacing whatever was there.
    pub fn map_fixed(&mut self, start: u64, end: u64, prot: Prot, shared: bool, kind: VmaKind) {
        self.map_fixed_file(start, end, prot, shared, kind, None);
    }

    /// `map_fixed` for a mapping that may be backed by a file.
    pub fn map_fixed_file(
        &mut self,
        start: u64,
        end: u64,
        prot: Prot,
        shared: bool,
        kind: VmaKind,
        file: Option<vma::FileBacking>,
    ) {
        self.unmap_range(start, end);
        self.vmas.insert(Vma {
            start,
            end,
            prot,
            shared,
            kind,
            file,
        });
        if end - start <= EAGER_POPULATE_LIMIT && prot.accessible() {
            self.populate(start, end);
        }
    }

    /// Removes mappings and frees their pages in `[start, end)`, writing shared file
    /// pages back first.
    pub fn unmap_range(&mut self, start: u64, end: u64) {
        self.write_back(start, end);
        let shared_files: Vec<_> = self
            .vmas
            .intersecting(start, end)
            .filter(|v| v.shared)
            .filter_map(|v| v.file.as_ref().map(|f| f.inode.clone()))
            .collect();
        self.vmas.remove_range(start, end);
        self.maps_changed = true;
        self.discard_pages(start, end);
        for inode in shared_files {
            inode.release_shared_pages();
        }
    }

    /// Writes the realized pages of shared, writable file mappings in `[start, end)`
    /// back to their files (msync, munmap, exit). Never extends a file.
    pub fn write_back(&mut self, start: u64, end: u64) {
        let shared: Vec<Vma> = self
            .vmas
            .intersecting(start, end)
            .filter(|v| {
                v.shared && v.file.is_some() && v.file.as_ref().is_some_and(|f| f.may_write)
            })
            .cloned()
            .collect();
        for vma in shared {
            let Some(file) = &vma.file else { continue };
            let Ok(size) = file.inode.stat().map(|s| s.size) else {
                continue;
            };
            for (va, t) in self
                .space
                .mapped_pages(vma.start.max(start), vma.end.min(end))
            {
                let Some(offset) = vma.file_offset(va) else {
                    continue;
                };
                if offset >= size {
                    continue;
                }
                let n = (size - offset).min(PAGE_SIZE) as usize;
                let mut page = vec![0u8; n];
                if self.space.ram().read(t.frame.addr(), &mut page).is_ok() {
                    let _ = file.inode.write_at(&page, offset);
                }
            }
        }
    }

    /// Frees the realized pages of `[start, end)`; the mappings stay (they read as zero).
    fn discard_pages(&mut self, start: u64, end: u64) {
        let mut stale = Vec::new();
        for (va, _) in self.space.mapped_pages(start, end) {
            if let Ok(Some(s)) = self.space.unmap(va) {
                stale.push(s);
            }
        }
        self.space.ram().free(stale);
    }

    /// Applies `prot` to the mappings and realized pages of `[start, end)`.
    fn protect_range(&mut self, start: u64, end: u64, prot: Prot) {
        if prot.write {
            self.unshare_pages(start, end);
        }
        self.vmas.update_range(start, end, |v| v.prot = prot);
        self.maps_changed = true;
        let flags = Self::page_flags(prot);
        let stale: Vec<_> = self
            .space
            .mapped_pages(start, end)
            .into_iter()
            .filter_map(|(va, _)| self.space.protect(va, flags).ok().flatten())
            .collect();
        let _ = self.space.ram().zap(stale);
    }
}

/// The file page index of `va` in file mapping `vma`.
fn offset_index(vma: &Vma, va: u64) -> u64 {
    vma.file_offset(va).unwrap_or(0) / PAGE_SIZE
}
