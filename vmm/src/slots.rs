//! KVM memory slots registered as guest memory fills up, not all at start: the cost
//! of registering a slot grows with its size (tens of microseconds per 100 MiB here),
//! and most sandboxes touch a small part of `--memory`. A frame is always registered
//! before the guest can reach it: `Vcpu::run` calls `ensure` before entering.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use kvm_bindings::kvm_userspace_memory_region;
use kvm_ioctls::VmFd;

use crate::memory::GuestRam;

/// Guest memory registered per slot at least.
const MIN_CHUNK: u64 = 256 << 20;
/// Most slots we use (older KVMs allow 509).
const MAX_SLOTS: u64 = 500;

/// The slots of one VM.
pub struct MemorySlots {
    vm: Arc<VmFd>,
    ram: Arc<GuestRam>,
    chunk: u64,
    /// Guest physical bytes registered so far (a multiple of `chunk`, or the size).
    registered: AtomicU64,
}

impl MemorySlots {
    pub(crate) fn new(vm: Arc<VmFd>, ram: Arc<GuestRam>) -> Self {
        let chunk = MIN_CHUNK.max(ram.size().div_ceil(MAX_SLOTS).next_multiple_of(2 << 20));
        MemorySlots {
            vm,
            ram,
            chunk,
            registered: AtomicU64::new(0),
        }
    }

    /// Registers slots up to the highest frame handed out so far.
    pub fn ensure(&self) -> Result<(), kvm_ioctls::Error> {
        let needed = self.ram.high_water();
        let mut done = self.registered.load(Ordering::Acquire);
        while done < needed.max(1) && done < self.ram.size() {
            let size = self.chunk.min(self.ram.size() - done);
            let region = kvm_userspace_memory_region {
                slot: (done / self.chunk) as u32,
                flags: 0,
                guest_phys_addr: done,
                memory_size: size,
                userspace_addr: self.ram.host_base() as u64 + done,
            };
            // SAFETY: the range lies inside our own anonymous mapping of guest memory
            // (`ram`, kept alive by this struct as long as the VM fd), and slots never
            // overlap: each covers the next `chunk` bytes.
            unsafe { self.vm.set_user_memory_region(region)? };
            done += size;
            self.registered.store(done, Ordering::Release);
        }
        Ok(())
    }
}
