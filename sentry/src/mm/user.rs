//! The one way the sentry touches user memory: bounded copies in and out, checked
//! against the mappings' rights (not the CPU's), realizing pages on the way.

use vmm::PAGE_SIZE;

use super::{page_align_down, Access, MemoryManager};
use crate::errno::{Errno, SysResult};

/// Largest string the sentry reads from the guest (Linux's PATH_MAX-like bound is
/// applied by callers; this caps everything else).
pub const MAX_STRING: usize = 128 << 10;

impl MemoryManager {
    /// Calls `f(guest_phys, offset_in_buf, len)` for each page piece of `[addr, addr+len)`,
    /// realizing pages the mapping allows for `access`; EFAULT otherwise.
    fn for_each_piece(
        &mut self,
        addr: u64,
        len: usize,
        access: Access,
        mut f: impl FnMut(&vmm::GuestRam, u64, usize, usize) -> SysResult<()>,
    ) -> SysResult<()> {
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if end > super::USER_VIRT_END {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        while at < end {
            let page = page_align_down(at);
            let n = ((page + PAGE_SIZE).min(end) - at) as usize;
            let Some(vma) = self.vmas.find(at) else {
                log::debug!("user access at {at:#x}: no mapping");
                return Err(Errno::EFAULT);
            };
            let allowed = match access {
                Access::Read => vma.prot.read || vma.prot.write || vma.prot.exec,
                Access::Write => vma.prot.write,
                Access::Execute => vma.prot.exec,
            };
            if !allowed {
                return Err(Errno::EFAULT);
            }
            let frame = match self.space.translate(page) {
                // A copy-on-write page gets its own copy before the sentry writes it.
                Some(t) if access == Access::Write && !t.flags.writable => {
                    if let Err(e) = self.handle_fault(page, access) {
                        log::debug!("user write at {at:#x}: copy-on-write failed: {e:?}");
                        return Err(Errno::EFAULT);
                    }
                    self.space.translate(page).ok_or(Errno::EFAULT)?.frame
                }
                Some(t) => t.frame,
                None => {
                    self.handle_fault(page, access).map_err(|_| Errno::EFAULT)?;
                    self.space.translate(page).ok_or(Errno::EFAULT)?.frame
                }
            };
            f(
                self.space.ram(),
                frame.addr() + (at - page),
                (at - addr) as usize,
                n,
            )?;
            at += n as u64;
        }
        Ok(())
    }

    /// Copies user memory at `addr` into `buf`.
    pub fn copy_in(&mut self, addr: u64, buf: &mut [u8]) -> SysResult<()> {
        let len = buf.len();
        self.for_each_piece(addr, len, Access::Read, |ram, phys, off, n| {
            ram.read(phys, &mut buf[off..off + n])
                .map_err(|_| Errno::EFAULT)
        })
    }

    /// Copies `buf` to user memory at `addr` (the mapping must be writable).
    pub fn copy_out(&mut self, addr: u64, buf: &[u8]) -> SysResult<()> {
        self.for_each_piece(addr, buf.len(), Access::Write, |ram, phys, off, n| {
            ram.write(phys, &buf[off..off + n])
                .map_err(|_| Errno::EFAULT)
        })
    }

    /// Checks that `[addr, addr+len)` may be written, realizing its pages.
    pub fn check_writable(&mut self, addr: u64, len: usize) -> SysResult<()> {
        self.for_each_piece(addr, len, Access::Write, |_, _, _, _| Ok(()))
    }

    /// Writes into user memory regardless of the mapping's rights (the loader
    /// filling read-only segments).
    pub fn write_as_kernel(&mut self, addr: u64, buf: &[u8]) -> SysResult<()> {
        self.for_each_piece(addr, buf.len(), Access::Read, |ram, phys, off, n| {
            ram.write(phys, &buf[off..off + n])
                .map_err(|_| Errno::EFAULT)
        })
    }

    /// Reads a NUL-terminated string of at most `max` bytes (without the NUL).
    /// ENAMETOOLONG-style limits are the caller's: this returns `Err(E2BIG)` past `max`.
    pub fn read_c_string(&mut self, addr: u64, max: usize) -> SysResult<Vec<u8>> {
        let max = max.min(MAX_STRING);
        let mut out = Vec::new();
        let mut at = addr;
        loop {
            let chunk = (PAGE_SIZE - (at % PAGE_SIZE)) as usize;
            let mut buf = vec![0u8; chunk];
            self.copy_in(at, &mut buf)?;
            if let Some(nul) = buf.iter().position(|b| *b == 0) {
                out.extend_from_slice(&buf[..nul]);
                return if out.len() > max {
                    Err(Errno::E2BIG)
                } else {
                    Ok(out)
                };
            }
            out.extend_from_slice(&buf);
            if out.len() > max {
                return Err(Errno::E2BIG);
            }
            at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
        }
    }

    pub fn read_u64(&mut self, addr: u64) -> SysResult<u64> {
        let mut b = [0u8; 8];
        self.copy_in(addr, &mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    pub fn write_u64(&mut self, addr: u64, value: u64) -> SysResult<()> {
        self.copy_out(addr, &value.to_le_bytes())
    }

    pub fn write_u32(&mut self, addr: u64, value: u32) -> SysResult<()> {
        self.copy_out(addr, &value.to_le_bytes())
    }

    /// Reads without realizing pages or changing anything: for tracing only.
    pub fn peek(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let end = addr.checked_add(len as u64)?;
        let mut out = vec![0u8; len];
        let mut at = addr;
        while at < end {
            let page = page_align_down(at);
            let n = ((page + PAGE_SIZE).min(end) - at) as usize;
            let vma = self.vmas.find(at)?;
            if !vma.prot.accessible() {
                return None;
            }
            let off = (at - addr) as usize;
            // A page never touched reads as zeros, which `out` already holds.
            if let Some(t) = self.space.translate(page) {
                self.space
                    .ram()
                    .read(t.frame.addr() + (at - page), &mut out[off..off + n])
                    .ok()?;
            }
            at += n as u64;
        }
        Some(out)
    }
}
