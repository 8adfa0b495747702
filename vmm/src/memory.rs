//! Guest physical memory: one shared mapping of a memfd, registered as KVM memory
//! slots, carved into 4 KiB frames by a simple allocator. This module also owns the
//! host-side operations that invalidate stale guest translations (see `zap` and
//! `free`).
//!
//! Why invalidation lives here: on PVM (shadow paging) a rewritten or cleared present
//! guest PTE stays cached in KVM's shadow tables; only a change to the host mapping of
//! the *old data frame* fires KVM's MMU notifier and drops every translation to it.
//! The same notifier flushes EPT/NPT on ordinary KVM, so one rule serves both.
//!
//! Why a memfd: dropping the host mapping of a shared file page (MADV_DONTNEED) fires
//! the notifier while the page's contents stay in the file, so a frame can be zapped
//! without any moment where it is unwritable (an mprotect toggle would make another
//! vCPU's access to it fail). Freeing punches a hole, which zeroes it.

use std::sync::{Arc, Mutex};

use crate::file_frames::FileSpace;
use crate::slots::MemorySlots;

use vm_memory::{Bytes, GuestAddress, GuestMemoryBackend, GuestMemoryMmap};

/// Size of a guest page and frame.
pub const PAGE_SIZE: u64 = 4096;

/// A 4 KiB guest physical frame, identified by its (page-aligned) guest physical address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Frame(u64);

impl Frame {
    /// The frame holding guest physical address `addr` (rounded down).
    pub const fn containing(addr: u64) -> Frame {
        Frame(addr & !(PAGE_SIZE - 1))
    }

    /// Guest physical address of the frame's first byte.
    pub const fn addr(self) -> u64 {
        self.0
    }
}

/// A frame whose last translation was just removed or changed: it must go through
/// [`GuestRam::zap`] (contents kept) or [`GuestRam::free`] before anything else can
/// rely on the guest no longer reaching it through the old translation.
#[must_use = "a stale frame must be zapped or freed, or the guest keeps a stale translation"]
#[derive(Debug, PartialEq, Eq)]
pub struct StaleFrame(pub(crate) Frame);

impl StaleFrame {
    /// A frame that is still mapped but whose cached translations must be dropped
    /// (the guest faulted on a translation the page table no longer has).
    pub fn of_present(frame: Frame) -> StaleFrame {
        StaleFrame(frame)
    }

    /// The frame, for callers that only inspect it before zapping or freeing it.
    pub fn frame(&self) -> Frame {
        self.0
    }
}

/// Errors from guest memory management.
#[derive(Debug, thiserror::Error)]
pub enum MemoryError {
    #[error("guest memory size {0} is not a positive multiple of 2 MiB")]
    BadSize(u64),
    #[error("cannot map {size} bytes of guest memory: {source}")]
    Mmap {
        size: u64,
        source: vm_memory::mmap::FromRangesError,
    },
    #[error("guest memory exhausted")]
    OutOfFrames,
    #[error("cannot create the guest memory file: {0}")]
    Backing(std::io::Error),
    #[error("guest physical address {0:#x} is outside guest memory")]
    OutOfRange(u64),
    #[error("cannot register guest memory with KVM: {0}")]
    Slot(kvm_ioctls::Error),
}

struct FrameAllocator {
    next_unused: u64,
    end: u64,
    free: Vec<Frame>,
    in_use: u64,
    reserved: u64,
    /// Frames that held page tables of an address space that is gone: never handed
    /// out again. With shadow paging (PVM) KVM may keep shadow pages for such a frame:
    /// reused as a page table, their stale translations would win over the new
    /// entries (host writes to guest page tables are not tracked); reused as data,
    /// guest writes to it would need instruction emulation, which fails for some
    /// instructions (AVX-512 stores). Their host memory is released.
    retired_tables: u64,
    /// Frames with more than one owner (a page cache and its mappings): the number of
    /// owners beyond the first.
    extra_owners: std::collections::HashMap<Frame, u32>,
}

impl FrameAllocator {
    /// Frames that can be handed out or reserved.
    fn unreserved(&self) -> u64 {
        ((self.end - self.next_unused) / PAGE_SIZE + self.free.len() as u64)
            .saturating_sub(self.reserved)
    }
}

/// Guest physical memory and its frame allocator.
pub struct GuestRam {
    memory: GuestMemoryMmap,
    /// The memfd behind `memory`.
    file: std::fs::File,
    size: u64,
    host_base: usize,
    frames: Mutex<FrameAllocator>,
    /// Read-only host files mapped above RAM, once the VM has registered them.
    files: std::sync::OnceLock<FileSpace>,
    /// The VM's memory slots, extended before a frame on new ground is handed out.
    slots: std::sync::OnceLock<std::sync::Weak<MemorySlots>>,
}

impl GuestRam {
    /// Reserves `size` bytes of guest memory (host pages are only allocated when touched).
    /// Frames below `pool_start` are left to the caller (kernel structures).
    pub fn new(size: u64, pool_start: u64) -> Result<GuestRam, MemoryError> {
        if size == 0 || !size.is_multiple_of(2 << 20) || size <= pool_start {
            return Err(MemoryError::BadSize(size));
        }
        let len = usize::try_from(size).map_err(|_| MemoryError::BadSize(size))?;
        let file = backing_file(size)?;
        let memory = GuestMemoryMmap::from_ranges_with_files([(
            GuestAddress(0),
            len,
            Some(vm_memory::FileOffset::new(
                file.try_clone().map_err(MemoryError::Backing)?,
                0,
            )),
        )])
        .map_err(|source| MemoryError::Mmap { size, source })?;
        let host_base = memory
            .get_host_address(GuestAddress(0))
            .map_err(|_| MemoryError::OutOfRange(0))? as usize;
        Ok(GuestRam {
            memory,
            file,
            size,
            host_base,
            frames: Mutex::new(FrameAllocator {
                next_unused: pool_start,
                end: size,
                free: Vec::new(),
                retired_tables: 0,
                in_use: 0,
                reserved: 0,
                extra_owners: std::collections::HashMap::new(),
            }),
            files: std::sync::OnceLock::new(),
            slots: std::sync::OnceLock::new(),
        })
    }

    /// The vm-memory view, for registering the KVM memory slot.
    pub fn memory(&self) -> &GuestMemoryMmap {
        &self.memory
    }

    /// Makes `files` (registered with KVM) the home of host file mappings.
    pub fn enable_file_space(&self, files: FileSpace) {
        let _ = self.files.set(files);
    }

    /// Maps the first `len` bytes of a read-only host file into guest physical memory;
    /// the frame of its first page, its later pages following contiguously. `None`
    /// without a file space or when it is full (callers copy the file instead).
    pub fn map_file(&self, file: std::os::fd::BorrowedFd<'_>, len: u64) -> Option<Frame> {
        self.files.get()?.map_file(file, len)
    }

    /// Whether `frame` is a page of a mapped host file (never allocated or freed).
    pub fn is_file_frame(frame: Frame) -> bool {
        FileSpace::contains(frame.0)
    }

    /// Total guest memory in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Host virtual address of guest physical 0.
    pub fn host_base(&self) -> usize {
        self.host_base
    }

    /// One past the highest guest physical address ever handed out.
    pub fn high_water(&self) -> u64 {
        self.allocator().next_unused
    }

    /// Frames currently handed out.
    pub fn frames_in_use(&self) -> u64 {
        self.allocator().in_use
    }

    /// Frames that can still be handed out.
    pub fn frames_available(&self) -> u64 {
        self.allocator().unreserved()
    }

    fn allocator(&self) -> std::sync::MutexGuard<'_, FrameAllocator> {
        // A poisoned lock only means another thread panicked mid-update of plain counters.
        self.frames.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sets aside `pages` frames for memory the sentry keeps for the guest outside its
    /// page tables (tmpfs file data), so that it counts against the guest's memory.
    pub fn reserve(&self, pages: u64) -> Result<(), MemoryError> {
        let mut a = self.allocator();
        if pages > a.unreserved() {
            return Err(MemoryError::OutOfFrames);
        }
        a.reserved += pages;
        Ok(())
    }

    /// Returns reserved frames.
    pub fn unreserve(&self, pages: u64) {
        let mut a = self.allocator();
        a.reserved -= pages.min(a.reserved);
    }

    /// A zero-filled frame.
    pub fn alloc(&self) -> Result<Frame, MemoryError> {
        let frame = {
            let mut a = self.allocator();
            if a.unreserved() == 0 {
                return Err(MemoryError::OutOfFrames);
            }
            let frame = if let Some(frame) = a.free.pop() {
                frame
            } else if a.next_unused < a.end {
                let frame = Frame(a.next_unused);
                a.next_unused += PAGE_SIZE;
                frame
            } else {
                return Err(MemoryError::OutOfFrames);
            };
            a.in_use += 1;
            frame
        };
        // A frame is reachable as soon as a page table names it, from any vCPU of the
        // address space, including ones already inside KVM_RUN: its memory slot must
        // exist before the caller can map it (else the guest's access is an MMIO exit).
        if let Some(slots) = self.slots.get().and_then(std::sync::Weak::upgrade) {
            if let Err(e) = slots.cover(frame.addr() + PAGE_SIZE) {
                let mut a = self.allocator();
                a.free.push(frame);
                a.in_use -= 1;
                return Err(MemoryError::Slot(e));
            }
        }
        Ok(frame)
    }

    /// Has `alloc` register memory slots as it reaches new ground.
    pub(crate) fn attach_slots(&self, slots: &Arc<MemorySlots>) {
        let _ = self.slots.set(Arc::downgrade(slots));
    }

    /// A zero-filled frame for a page table.
    pub fn alloc_table(&self) -> Result<Frame, MemoryError> {
        self.alloc()
    }

    /// Retires the page-table frames of an address space no vCPU uses any more:
    /// their host memory goes, their guest frames are never reused (see
    /// `FrameAllocator::retired_tables`).
    pub fn free_tables(&self, frames: Vec<Frame>) {
        let mut sorted = frames.clone();
        for_each_run(&mut sorted, |start, len| self.punch_hole(start, len));
        let mut a = self.allocator();
        a.in_use -= frames.len() as u64;
        a.retired_tables += frames.len() as u64;
    }

    /// Returns frames to the allocator. Their host pages are discarded, which zeroes
    /// them for the next user and drops every guest translation that still maps them.
    pub fn free(&self, frames: Vec<StaleFrame>) {
        // A frame another owner still holds only loses this owner's translation; so
        // does a file frame, which its file keeps.
        let (mut last, kept): (Vec<Frame>, Vec<Frame>) = {
            let mut a = self.allocator();
            frames
                .into_iter()
                .map(|s| s.0)
                .partition(|f| match a.extra_owners.get_mut(f) {
                    _ if Self::is_file_frame(*f) => false,
                    Some(n) => {
                        *n -= 1;
                        if *n == 0 {
                            a.extra_owners.remove(f);
                        }
                        false
                    }
                    None => true,
                })
        };
        let _ = self.zap(kept.into_iter().map(StaleFrame).collect());
        for_each_run(&mut last, |start, len| self.punch_hole(start, len));
        let mut a = self.allocator();
        a.in_use -= last.len() as u64;
        a.free.extend(last);
    }

    /// Adds an owner to `frame` (it is freed when its last owner frees it).
    pub fn share(&self, frame: Frame) -> Frame {
        if !Self::is_file_frame(frame) {
            *self.allocator().extra_owners.entry(frame).or_insert(0) += 1;
        }
        frame
    }

    /// Whether `frame` has more than one owner (a file frame always has its file).
    pub fn is_shared(&self, frame: Frame) -> bool {
        Self::is_file_frame(frame) || self.allocator().extra_owners.contains_key(&frame)
    }

    /// Drops every guest translation of these frames while keeping their contents;
    /// returns the frames, in the order given, free to be mapped again.
    pub fn zap(&self, frames: Vec<StaleFrame>) -> Vec<Frame> {
        let frames: Vec<Frame> = frames.into_iter().map(|s| s.0).collect();
        let mut sorted = frames.clone();
        for_each_run(&mut sorted, |start, len| self.unmap_host_pages(start, len));
        frames
    }

    fn host_range(&self, start: Frame, len: u64) -> (*mut libc::c_void, usize) {
        assert!(start.0 + len <= self.size, "frame outside guest memory");
        (
            (self.host_base + start.0 as usize) as *mut libc::c_void,
            len as usize,
        )
    }

    /// Frees the frames' host pages (they read as zero afterwards) and drops every
    /// translation of them.
    fn punch_hole(&self, start: Frame, len: u64) {
        use std::os::fd::AsRawFd;
        let _ = self.host_range(start, len);
        // SAFETY: fallocate on our own memfd within its size (checked by host_range);
        // the guest may legitimately see these frames become zero.
        let rc = unsafe {
            libc::fallocate(
                self.file.as_raw_fd(),
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                start.0 as libc::off_t,
                len as libc::off_t,
            )
        };
        if rc != 0 {
            log::error!(
                "punching a hole in guest memory failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }

    /// Drops the host page-table entries of the frames (contents stay in the memfd),
    /// which fires KVM's MMU notifier: every guest translation of them goes.
    fn unmap_host_pages(&self, start: Frame, len: u64) {
        if Self::is_file_frame(start) {
            if let Some(files) = self.files.get() {
                files.for_each_host_range(start.0, len, |host, bytes| {
                    Self::discard_host_mapping(host as *mut libc::c_void, bytes as usize)
                });
            }
            return;
        }
        let (addr, len) = self.host_range(start, len);
        Self::discard_host_mapping(addr, len);
    }

    /// MADV_DONTNEED on part of a host mapping of guest memory.
    fn discard_host_mapping(addr: *mut libc::c_void, len: usize) {
        // SAFETY: callers pass a range inside our own shared mapping of guest RAM
        // (checked by host_range) or inside a file of the file space (checked by
        // for_each_host_range). MADV_DONTNEED keeps the data of both (a memfd, a
        // read-only private file mapping); the next access maps the same page again.
        let rc = unsafe { libc::madvise(addr, len, libc::MADV_DONTNEED) };
        if rc != 0 {
            log::error!(
                "madvise(DONTNEED) of guest frames failed: {}",
                std::io::Error::last_os_error()
            );
        }
    }

    /// Reads a host file at `offset` straight into `frames` (in order, one page each),
    /// with one `preadv` per call; the number of bytes read (short at end of file, the
    /// rest of the frames keeping their contents).
    pub fn read_file_into(
        &self,
        frames: &[Frame],
        file: std::os::fd::BorrowedFd<'_>,
        offset: u64,
    ) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        let iov: Vec<libc::iovec> = frames
            .iter()
            .map(|f| {
                let (base, len) = self.host_range(*f, PAGE_SIZE);
                libc::iovec {
                    iov_base: base,
                    iov_len: len,
                }
            })
            .collect();
        let offset = libc::off_t::try_from(offset)
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        let count = libc::c_int::try_from(iov.len())
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: every iovec lies inside our own mapping of guest memory (checked by
        // host_range); the kernel writes there as the guest itself may, and no Rust
        // reference to that memory exists.
        let n = unsafe { libc::preadv(file.as_raw_fd(), iov.as_ptr(), count, offset) };
        usize::try_from(n).map_err(|_| std::io::Error::last_os_error())
    }

    /// Copies guest physical memory at `addr` into `buf`.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemoryError> {
        if FileSpace::contains(addr) {
            let host = self
                .files
                .get()
                .and_then(|files| files.host_range(addr, buf.len() as u64))
                .ok_or(MemoryError::OutOfRange(addr))?;
            // SAFETY: the range lies inside one file mapped read-only into the file
            // space for the life of this GuestRam (checked by host_range); nothing
            // writes there, and `buf` is ours.
            unsafe {
                std::ptr::copy_nonoverlapping(host as *const u8, buf.as_mut_ptr(), buf.len())
            };
            return Ok(());
        }
        self.memory
            .read_slice(buf, GuestAddress(addr))
            .map_err(|_| MemoryError::OutOfRange(addr))
    }

    /// Copies `buf` into guest physical memory at `addr`.
    pub fn write(&self, addr: u64, buf: &[u8]) -> Result<(), MemoryError> {
        self.memory
            .write_slice(buf, GuestAddress(addr))
            .map_err(|_| MemoryError::OutOfRange(addr))
    }

    /// Reads a little-endian u64 at guest physical `addr`.
    pub fn read_u64(&self, addr: u64) -> Result<u64, MemoryError> {
        self.memory
            .read_obj::<u64>(GuestAddress(addr))
            .map_err(|_| MemoryError::OutOfRange(addr))
    }

    /// Writes a little-endian u64 at guest physical `addr`.
    pub fn write_u64(&self, addr: u64, value: u64) -> Result<(), MemoryError> {
        self.memory
            .write_obj(value, GuestAddress(addr))
            .map_err(|_| MemoryError::OutOfRange(addr))
    }

    /// Fills `len` bytes at guest physical `addr` with zeros.
    pub fn zero(&self, addr: u64, len: usize) -> Result<(), MemoryError> {
        const ZEROS: [u8; PAGE_SIZE as usize] = [0; PAGE_SIZE as usize];
        let mut done = 0;
        while done < len {
            let n = (len - done).min(ZEROS.len());
            self.write(addr + done as u64, &ZEROS[..n])?;
            done += n;
        }
        Ok(())
    }
}

/// Sorts `frames` and calls `f(start, bytes)` once per run of physically contiguous frames,
/// so that one host syscall covers each run.
fn for_each_run(frames: &mut [Frame], mut f: impl FnMut(Frame, u64)) {
    frames.sort_unstable();
    let mut i = 0;
    while i < frames.len() {
        let start = frames[i];
        let mut j = i + 1;
        while j < frames.len() && frames[j].0 == start.0 + (j - i) as u64 * PAGE_SIZE {
            j += 1;
        }
        f(start, (j - i) as u64 * PAGE_SIZE);
        i = j;
    }
}

/// An anonymous memory file of `size` bytes (pages are allocated when touched).
fn backing_file(size: u64) -> Result<std::fs::File, MemoryError> {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create takes a NUL-terminated name and flags; on success the new
    // descriptor is ours alone, so File may own it.
    let file = unsafe {
        let fd = libc::memfd_create(c"sentry-guest-ram".as_ptr(), libc::MFD_CLOEXEC);
        if fd < 0 {
            return Err(MemoryError::Backing(std::io::Error::last_os_error()));
        }
        std::fs::File::from_raw_fd(fd)
    };
    file.set_len(size).map_err(MemoryError::Backing)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_are_coalesced() {
        let mut frames = vec![Frame(0x3000), Frame(0x1000), Frame(0x2000), Frame(0x8000)];
        let mut runs = Vec::new();
        for_each_run(&mut frames, |s, l| runs.push((s.0, l)));
        assert_eq!(runs, vec![(0x1000, 0x3000), (0x8000, 0x1000)]);
    }

    #[test]
    fn allocator_reuses_and_zeroes() {
        let ram = GuestRam::new(4 << 20, 0x10000).unwrap();
        let f = ram.alloc().unwrap();
        ram.write_u64(f.addr(), 0xdead).unwrap();
        ram.free(vec![StaleFrame(f)]);
        let g = ram.alloc().unwrap();
        assert_eq!(g, f);
        assert_eq!(ram.read_u64(g.addr()).unwrap(), 0);
        assert_eq!(ram.frames_in_use(), 1);
    }

    #[test]
    fn shared_frames_survive_until_their_last_owner_frees_them() {
        let ram = GuestRam::new(4 << 20, 0x10000).unwrap();
        let f = ram.alloc().unwrap();
        ram.write_u64(f.addr(), 7).unwrap();
        ram.share(f);
        assert!(ram.is_shared(f));
        ram.free(vec![StaleFrame(f)]);
        assert_eq!(
            ram.read_u64(f.addr()).unwrap(),
            7,
            "content kept for the other owner"
        );
        assert!(!ram.is_shared(f));
        ram.free(vec![StaleFrame(f)]);
        assert_eq!(ram.frames_in_use(), 0);
    }

    #[test]
    fn reservations_count_against_frames() {
        let ram = GuestRam::new(2 << 20, (2 << 20) - 2 * PAGE_SIZE).unwrap();
        ram.reserve(1).unwrap();
        assert!(ram.reserve(2).is_err());
        assert!(ram.alloc().is_ok());
        assert!(ram.alloc().is_err());
        ram.unreserve(1);
        assert!(ram.alloc().is_ok());
    }

    #[test]
    fn exhaustion_is_an_error() {
        let ram = GuestRam::new(2 << 20, (2 << 20) - PAGE_SIZE).unwrap();
        assert!(ram.alloc().is_ok());
        assert!(matches!(ram.alloc(), Err(MemoryError::OutOfFrames)));
    }
}
