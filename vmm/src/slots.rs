//! KVM memory slots registered as guest memory fills up, not all at start: the cost
//! of registering a slot grows with its size (tens of microseconds per 100 MiB here),
//! and most sandboxes touch a small part of `--memory`. A frame is always registered
//! before the guest can reach it: the frame allocator extends the slots before it
//! hands out a frame beyond them (`GuestRam::alloc`), since a vCPU already running in
//! the address space can touch the frame the moment a page table names it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use kvm_bindings::kvm_userspace_memory_region;
use kvm_ioctls::VmFd;

use crate::memory::GuestRam;

/// Guest memory the first slot covers; each later slot covers as much as all before
/// it, so a sandbox that uses little memory registers little, and a large one needs
/// few slots (a 1 TiB guest, 16).
const FIRST_SLOT_SIZE: u64 = 32 << 20;

/// The slots of one VM.
pub struct MemorySlots {
    vm: Arc<VmFd>,
    ram: Arc<GuestRam>,
    /// Guest physical bytes registered so far.
    registered: AtomicU64,
    /// Held while registering: threads allocating at once register each slot once.
    registering: Mutex<()>,
}

impl MemorySlots {
    pub(crate) fn new(vm: Arc<VmFd>, ram: Arc<GuestRam>) -> Self {
        MemorySlots {
            vm,
            ram,
            registered: AtomicU64::new(0),
            registering: Mutex::new(()),
        }
    }

    /// Registers slots up to the highest frame handed out so far.
    pub fn ensure(&self) -> Result<(), kvm_ioctls::Error> {
        self.cover(self.ram.high_water())
    }

    /// Registers slots until guest physical `[0, needed)` is covered.
    pub(crate) fn cover(&self, needed: u64) -> Result<(), kvm_ioctls::Error> {
        if self.registered.load(Ordering::Acquire) >= needed.max(1) {
            return Ok(());
        }
        let _registering = self.registering.lock().unwrap_or_else(|e| e.into_inner());
        let mut done = self.registered.load(Ordering::Acquire);
        while done < needed.max(1) && done < self.ram.size() {
            let size = done.max(FIRST_SLOT_SIZE).min(self.ram.size() - done);
            let region = kvm_userspace_memory_region {
                // Slot n starts at FIRST_SLOT_SIZE << (n - 1).
                slot: (done / FIRST_SLOT_SIZE)
                    .checked_ilog2()
                    .map_or(0, |b| b + 1),
                flags: 0,
                guest_phys_addr: done,
                memory_size: size,
                userspace_addr: self.ram.host_base() as u64 + done,
            };
            // SAFETY: the range lies inside our own mapping of guest memory (`ram`, kept
            // alive by this struct as long as the VM fd), and slots never overlap: each
            // covers the next bytes after the ones registered.
            unsafe { self.vm.set_user_memory_region(region)? };
            done += size;
            self.registered.store(done, Ordering::Release);
        }
        Ok(())
    }
}
