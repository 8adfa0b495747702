//! Read-only host files mapped straight into guest physical memory.
//!
//! Program text and libraries come from read-only host files. Copying them into guest
//! RAM costs a fresh host page per guest page (a few microseconds each here) on every
//! start; instead, each such file is mapped once, read-only, into one reserved host
//! range that read-only KVM memory slots expose above guest RAM. Guest page
//! tables then point at the host's own page cache: no copy, no allocation, and pages
//! a process never touches cost nothing.
//!
//! The frames of this space are never allocated or freed: they belong to their file
//! for the life of the VM. Writes to them are impossible (the slot and the host
//! mapping are read-only), so a private writable mapping copies a page first.

use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::{Arc, Mutex};

use kvm_bindings::{kvm_userspace_memory_region, KVM_MEM_READONLY};
use kvm_ioctls::VmFd;

use crate::memory::{Frame, PAGE_SIZE};

/// Guest physical address of the space: above the largest guest RAM the sentry
/// allows (1 TiB), so 42 physical address bits are needed.
pub const FILE_SPACE_BASE: u64 = 2 << 40;
/// Bytes of files the space can hold; beyond it, file pages are copied into RAM.
pub const FILE_SPACE_SIZE: u64 = 16 << 30;
/// The space is registered with KVM a slot at a time as files fill it (a slot's cost
/// grows with its size): the first covers this much, each later one as much as all
/// before it.
const FIRST_SLOT_SIZE: u64 = 16 << 20;
/// The first KVM memory slot number of the space (guest RAM uses the ones below).
const FIRST_SLOT: u32 = 1000;
/// Physical address bits the guest needs for the space.
pub const FILE_SPACE_PHYS_BITS: u32 = 42;

/// The reserved host range and the files mapped into it.
pub struct FileSpace {
    vm: Arc<VmFd>,
    host_base: usize,
    state: Mutex<SpaceState>,
}

#[derive(Default)]
struct SpaceState {
    /// Mapped extents, `(first guest physical address, bytes)`, in address order.
    extents: Vec<(u64, u64)>,
    /// Memory slots registered, and the bytes of the space they cover.
    slots: u32,
    registered: u64,
}

impl FileSpace {
    /// Reserves the host range (address space only: nothing is allocated) for `vm`.
    pub fn new(vm: Arc<VmFd>) -> std::io::Result<FileSpace> {
        // SAFETY: a fresh anonymous reservation with no access; nothing else refers
        // to it, and it is never unmapped while the VM (which reads it) lives.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                FILE_SPACE_SIZE as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileSpace {
            vm,
            host_base: base as usize,
            state: Mutex::new(SpaceState::default()),
        })
    }

    /// Whether guest physical `addr` lies in the space.
    pub fn contains(addr: u64) -> bool {
        (FILE_SPACE_BASE..FILE_SPACE_BASE + FILE_SPACE_SIZE).contains(&addr)
    }

    /// Maps the first `len` bytes of `file` (its size, at least one byte) read-only;
    /// the frame of its first page. `None` when the space is full or mmap fails.
    pub fn map_file(&self, file: BorrowedFd<'_>, len: u64) -> Option<Frame> {
        let bytes = len.checked_next_multiple_of(PAGE_SIZE)?;
        if bytes == 0 {
            return None;
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let offset = state
            .extents
            .last()
            .map_or(0, |(start, len)| start + len - FILE_SPACE_BASE);
        if offset.checked_add(bytes)? > FILE_SPACE_SIZE {
            return None;
        }
        while state.registered < offset + bytes {
            let size = state
                .registered
                .max(FIRST_SLOT_SIZE)
                .min(FILE_SPACE_SIZE - state.registered);
            self.register(state.slots, state.registered, size)?;
            state.slots += 1;
            state.registered += size;
        }
        let at = self.host_base + offset as usize;
        // SAFETY: MAP_FIXED replaces only part of our own PROT_NONE reservation that no
        // extent uses yet (extents are handed out in order, never reused).
        let mapped = unsafe {
            libc::mmap(
                at as *mut libc::c_void,
                bytes as usize,
                libc::PROT_READ,
                libc::MAP_PRIVATE | libc::MAP_FIXED,
                file.as_raw_fd(),
                0,
            )
        };
        if mapped == libc::MAP_FAILED {
            log::debug!(
                "mapping a file into the file space failed: {}",
                std::io::Error::last_os_error()
            );
            return None;
        }
        let start = FILE_SPACE_BASE + offset;
        state.extents.push((start, bytes));
        Some(Frame::containing(start))
    }

    /// Registers `[offset, offset + size)` of the space as read-only memory slot
    /// number `n` of the space.
    fn register(&self, n: u32, offset: u64, size: u64) -> Option<()> {
        let region = kvm_userspace_memory_region {
            slot: FIRST_SLOT + n,
            flags: KVM_MEM_READONLY,
            guest_phys_addr: FILE_SPACE_BASE + offset,
            memory_size: size,
            userspace_addr: (self.host_base + offset as usize) as u64,
        };
        // SAFETY: the host range is part of our own reservation, which lives as long
        // as this FileSpace (kept by the VM's GuestRam); slots never overlap each
        // other (each starts where the last ended) or guest RAM (below 1 TiB).
        match unsafe { self.vm.set_user_memory_region(region) } {
            Ok(()) => Some(()),
            Err(e) => {
                log::debug!("registering file space slot {n}: {e}");
                None
            }
        }
    }

    /// Calls `f(host address, bytes)` for each part of guest physical `[addr, addr + len)`
    /// that lies in a mapped file (a range may span several files).
    pub fn for_each_host_range(&self, addr: u64, len: u64, mut f: impl FnMut(usize, u64)) {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let extents = &state.extents;
        let end = addr.saturating_add(len);
        let first = extents.partition_point(|(start, bytes)| start + bytes <= addr);
        for &(start, bytes) in extents[first..]
            .iter()
            .take_while(|(start, _)| *start < end)
        {
            let lo = start.max(addr);
            let hi = (start + bytes).min(end);
            if lo < hi {
                f(self.host_base + (lo - FILE_SPACE_BASE) as usize, hi - lo);
            }
        }
    }

    /// Host address of guest physical `[addr, addr + len)` if it lies inside one
    /// mapped file.
    pub fn host_range(&self, addr: u64, len: u64) -> Option<usize> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let extents = &state.extents;
        let i = extents.partition_point(|(start, _)| *start <= addr);
        let (start, bytes) = *extents.get(i.checked_sub(1)?)?;
        (addr.checked_add(len)? <= start + bytes)
            .then(|| self.host_base + (addr - FILE_SPACE_BASE) as usize)
    }
}
