//! `Mm`: a handle on a `MemoryManager` that the threads of a process (and a vfork
//! child) share. Each call locks the manager for its duration, so one thread's
//! munmap and another's fault or copy never interleave; stale translations other
//! vCPUs may hold are dropped by the host-side zap (`vmm::GuestRam::zap`), which
//! reaches every vCPU at once.

use std::sync::{Arc, Mutex, MutexGuard};

use super::syscalls::MmapRequest;
use super::vma::FileBacking;
use super::{Access, FaultError, MemoryManager, MmStats};
use crate::errno::SysResult;
use crate::kernel::process::MapInfo;

/// A shared address space (a clone is the same space, for a thread or a vfork child).
#[derive(Clone)]
pub struct Mm(Arc<Mutex<MemoryManager>>);

impl Mm {
    pub fn new(mm: MemoryManager) -> Mm {
        Mm(Arc::new(Mutex::new(mm)))
    }

    /// The manager, locked (loader, fork, and anything that needs several steps).
    pub fn lock(&self) -> MutexGuard<'_, MemoryManager> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Frees the address space's pages if no other task uses it (exit, exec).
    pub fn release(self) {
        if let Ok(inner) = Arc::try_unwrap(self.0) {
            inner
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .release_all();
        }
    }

    /// A copy-on-write copy of the address space in `space` (fork).
    pub fn fork(&self, space: vmm::AddressSpace) -> SysResult<Mm> {
        self.lock().fork(space).map(Mm::new)
    }

    /// The futex key of the word at `addr` (EINVAL if unaligned). A private futex is
    /// named by address alone, as Linux does (no memory is touched); otherwise a word in
    /// shared memory is named by its frame (EFAULT if unmapped).
    pub fn futex_key(&self, addr: u64, private: bool) -> SysResult<crate::kernel::futex::FutexKey> {
        use crate::kernel::futex::FutexKey;
        if !addr.is_multiple_of(4) {
            return Err(crate::errno::Errno::EINVAL);
        }
        let shared = if private {
            None
        } else {
            self.lock().shared_location(addr)?
        };
        Ok(match shared {
            Some(phys) => FutexKey::Shared { phys },
            None => FutexKey::Private {
                mm: Arc::as_ptr(&self.0) as usize,
                addr,
                shared_op: !private,
            },
        })
    }

    pub fn copy_in(&self, addr: u64, buf: &mut [u8]) -> SysResult<()> {
        self.lock().copy_in(addr, buf)
    }

    pub fn copy_out(&self, addr: u64, buf: &[u8]) -> SysResult<()> {
        self.lock().copy_out(addr, buf)
    }

    pub fn read_u64(&self, addr: u64) -> SysResult<u64> {
        self.lock().read_u64(addr)
    }

    pub fn write_u64(&self, addr: u64, value: u64) -> SysResult<()> {
        self.lock().write_u64(addr, value)
    }

    pub fn write_u32(&self, addr: u64, value: u32) -> SysResult<()> {
        self.lock().write_u32(addr, value)
    }

    pub fn read_c_string(&self, addr: u64, max: usize) -> SysResult<Vec<u8>> {
        self.lock().read_c_string(addr, max)
    }

    pub fn check_writable(&self, addr: u64, len: usize) -> SysResult<()> {
        self.lock().check_writable(addr, len)
    }

    pub fn peek(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        self.lock().peek(addr, len)
    }

    pub fn handle_fault(&self, addr: u64, access: Access) -> Result<(), FaultError> {
        self.lock().handle_fault(addr, access)
    }

    pub fn page_table_root(&self) -> u64 {
        self.lock().page_table_root()
    }

    /// vCPU `vcpu`'s syscall mailbox in this address space (mapped at its first use);
    /// `None` when there is no memory for it.
    pub fn mailbox(&self, vcpu: u64) -> Option<vmm::Mailbox> {
        self.lock().mailbox(vcpu)
    }

    pub fn memory(&self) -> (u64, u64) {
        self.lock().memory()
    }

    pub fn stats(&self) -> MmStats {
        self.lock().stats()
    }

    pub fn describe(&self) -> (Vec<MapInfo>, u64, u64) {
        self.lock().describe()
    }

    /// Whether the mappings changed since the last call (and resets the flag).
    pub fn take_maps_changed(&self) -> bool {
        std::mem::take(&mut self.lock().maps_changed)
    }

    /// Whether the mappings changed since procfs last saw them.
    pub fn maps_changed(&self) -> bool {
        self.lock().maps_changed
    }

    pub fn residency(&self, start: u64, len: u64) -> SysResult<Vec<u8>> {
        self.lock().residency(start, len)
    }

    pub fn is_mapped(&self, start: u64, end: u64) -> bool {
        self.lock().is_mapped(start, end)
    }

    pub fn write_back(&self, start: u64, end: u64) {
        self.lock().write_back(start, end)
    }

    pub fn brk(&self, requested: u64) -> u64 {
        self.lock().brk(requested)
    }

    pub fn mmap(&self, req: MmapRequest, file: Option<FileBacking>) -> SysResult<u64> {
        self.lock().mmap(req, file)
    }

    pub fn munmap(&self, addr: u64, len: u64) -> SysResult<()> {
        self.lock().munmap(addr, len)
    }

    pub fn mprotect(&self, addr: u64, len: u64, prot_bits: u64) -> SysResult<()> {
        self.lock().mprotect(addr, len, prot_bits)
    }

    pub fn file_mapping_at(&self, addr: u64) -> Option<crate::fs::inode::InodeRef> {
        self.lock().file_mapping_at(addr)
    }

    pub fn lock_range(&self, addr: u64, len: u64, realize: bool) -> SysResult<()> {
        self.lock().lock_range(addr, len, realize)
    }

    pub fn lock_all(&self) {
        self.lock().lock_all()
    }

    pub fn madvise(&self, addr: u64, len: u64, advice: u64) -> SysResult<()> {
        self.lock().madvise(addr, len, advice)
    }

    pub fn mremap(
        &self,
        old_addr: u64,
        old_size: u64,
        new_size: u64,
        flags: u64,
        new_addr: u64,
    ) -> SysResult<u64> {
        self.lock()
            .mremap(old_addr, old_size, new_size, flags, new_addr)
    }
}
