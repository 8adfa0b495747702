//! One guest address space: a 4-level page table whose user half the sentry fills page
//! by page, and whose last PML4 slot is shared with every other address space (the
//! kernel structures). Any change to a present user translation hands the old frame
//! back as a [`StaleFrame`], so callers cannot forget the invalidation rule.

use std::sync::Arc;

use crate::arch::x86_64::layout::{KERNEL_PML4_INDEX, USER_VIRT_END};
use crate::arch::x86_64::paging::*;
use crate::mailbox::{mailbox_virt, Mailbox};
use crate::memory::{Frame, GuestRam, MemoryError, StaleFrame, PAGE_SIZE};

/// Access rights of a user page. A page that is not `accessible` (PROT_NONE) keeps its
/// frame but is supervisor-only, so every user access faults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PageFlags {
    pub accessible: bool,
    pub writable: bool,
    pub executable: bool,
}

/// What a user virtual page maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Translation {
    pub frame: Frame,
    pub flags: PageFlags,
}

/// A page table and the frames it is made of.
pub struct AddressSpace {
    ram: Arc<GuestRam>,
    root: Frame,
    /// Page-table frames, and the mailbox frames: all go when the space does.
    table_frames: Vec<Frame>,
    /// The syscall mailbox of each vCPU that has run in this space, by vCPU number.
    mailboxes: Vec<Option<Mailbox>>,
}

impl AddressSpace {
    /// An empty user half. The kernel slot gets its own copy of the shared kernel
    /// PDPT (`kernel_pdpt`), so that this space's syscall mailboxes can sit beside the
    /// kernel structures, within reach of the stub's RIP-relative addressing.
    pub(crate) fn new(ram: Arc<GuestRam>, kernel_pdpt: u64) -> Result<Self, MemoryError> {
        let root = ram.alloc_table()?;
        let pdpt = match ram.alloc_table() {
            Ok(frame) => frame,
            Err(e) => {
                ram.free_tables(vec![root]);
                return Err(e);
            }
        };
        let space = AddressSpace {
            ram,
            root,
            table_frames: vec![root, pdpt],
            mailboxes: Vec::new(),
        };
        let mut shared = vec![0u8; PAGE_SIZE as usize];
        space.ram.read(kernel_pdpt, &mut shared)?;
        space.ram.write(pdpt.addr(), &shared)?;
        space.ram.write_u64(
            root.addr() + KERNEL_PML4_INDEX as u64 * 8,
            pdpt.addr() | TABLE_FLAGS,
        )?;
        Ok(space)
    }

    /// vCPU `vcpu`'s syscall mailbox in this space, mapped at its first use. A vCPU
    /// must not run in this space before it has one: its syscall entry reads it.
    pub fn mailbox(&mut self, vcpu: u64) -> Result<Mailbox, MemoryError> {
        let index = usize::try_from(vcpu).map_err(|_| MemoryError::OutOfRange(vcpu))?;
        if let Some(Some(mailbox)) = self.mailboxes.get(index) {
            return Ok(mailbox.clone());
        }
        let va = mailbox_virt(vcpu);
        let slot = self
            .leaf_entry(va, true)?
            .ok_or(MemoryError::OutOfRange(va))?;
        let frame = self.ram.alloc_table()?;
        self.table_frames.push(frame);
        let flags = PageFlags {
            accessible: true,
            writable: true,
            executable: false,
        };
        self.ram.write_u64(slot, Self::encode(frame, flags))?;
        let mailbox = Mailbox::new(self.ram.clone(), frame);
        if self.mailboxes.len() <= index {
            self.mailboxes.resize(index + 1, None);
        }
        self.mailboxes[index] = Some(mailbox.clone());
        Ok(mailbox)
    }

    /// The value for CR3.
    pub fn root(&self) -> u64 {
        self.root.addr()
    }

    /// Guest memory this address space maps.
    pub fn ram(&self) -> &Arc<GuestRam> {
        &self.ram
    }

    fn check_user(va: u64) -> Result<(), MemoryError> {
        if va >= USER_VIRT_END || !va.is_multiple_of(PAGE_SIZE) {
            return Err(MemoryError::OutOfRange(va));
        }
        Ok(())
    }

    /// Physical address of the last-level entry for `va`, creating tables if `create`.
    fn leaf_entry(&mut self, va: u64, create: bool) -> Result<Option<u64>, MemoryError> {
        let mut table = self.root.addr();
        for level in (2..=4).rev() {
            let slot = table + table_index(va, level) as u64 * 8;
            let entry = self.ram.read_u64(slot)?;
            table = if entry & PTE_PRESENT != 0 {
                entry & PTE_ADDR_MASK
            } else if create {
                let frame = self.ram.alloc_table()?;
                self.table_frames.push(frame);
                self.ram.write_u64(slot, frame.addr() | TABLE_FLAGS)?;
                frame.addr()
            } else {
                return Ok(None);
            };
        }
        Ok(Some(table + table_index(va, 1) as u64 * 8))
    }

    fn leaf_entry_readonly(&self, va: u64) -> Option<u64> {
        let mut table = self.root.addr();
        for level in (2..=4).rev() {
            let entry = self
                .ram
                .read_u64(table + table_index(va, level) as u64 * 8)
                .ok()?;
            if entry & PTE_PRESENT == 0 {
                return None;
            }
            table = entry & PTE_ADDR_MASK;
        }
        Some(table + table_index(va, 1) as u64 * 8)
    }

    fn encode(frame: Frame, flags: PageFlags) -> u64 {
        let mut pte = frame.addr() | PTE_PRESENT | PTE_ACCESSED;
        if flags.accessible {
            pte |= PTE_USER;
        }
        if flags.writable && flags.accessible {
            pte |= PTE_WRITABLE | PTE_DIRTY;
        }
        if !flags.executable || !flags.accessible {
            pte |= PTE_NO_EXECUTE;
        }
        pte
    }

    fn decode(pte: u64) -> Option<Translation> {
        (pte & PTE_PRESENT != 0).then(|| Translation {
            frame: Frame::containing(pte & PTE_ADDR_MASK),
            flags: PageFlags {
                accessible: pte & PTE_USER != 0,
                writable: pte & PTE_WRITABLE != 0,
                executable: pte & PTE_NO_EXECUTE == 0,
            },
        })
    }

    /// Maps user page `va` to `frame`. If `va` was mapped, the old frame comes back stale.
    pub fn map(
        &mut self,
        va: u64,
        frame: Frame,
        flags: PageFlags,
    ) -> Result<Option<StaleFrame>, MemoryError> {
        Self::check_user(va)?;
        let slot = self
            .leaf_entry(va, true)?
            .ok_or(MemoryError::OutOfRange(va))?;
        let old = Self::decode(self.ram.read_u64(slot)?);
        self.ram.write_u64(slot, Self::encode(frame, flags))?;
        Ok(old.map(|t| StaleFrame(t.frame)))
    }

    /// Removes the translation of user page `va`; its frame comes back stale.
    pub fn unmap(&mut self, va: u64) -> Result<Option<StaleFrame>, MemoryError> {
        Self::check_user(va)?;
        let Some(slot) = self.leaf_entry(va, false)? else {
            return Ok(None);
        };
        let old = Self::decode(self.ram.read_u64(slot)?);
        if old.is_some() {
            self.ram.write_u64(slot, 0)?;
        }
        Ok(old.map(|t| StaleFrame(t.frame)))
    }

    /// Changes the rights of a mapped user page. A changed entry's frame comes back stale
    /// (a cached translation with the old rights must go, even when rights grow: a stale
    /// narrower entry would fault forever).
    pub fn protect(
        &mut self,
        va: u64,
        flags: PageFlags,
    ) -> Result<Option<StaleFrame>, MemoryError> {
        Self::check_user(va)?;
        let Some(slot) = self.leaf_entry(va, false)? else {
            return Ok(None);
        };
        let Some(old) = Self::decode(self.ram.read_u64(slot)?) else {
            return Ok(None);
        };
        if old.flags == flags {
            return Ok(None);
        }
        self.ram.write_u64(slot, Self::encode(old.frame, flags))?;
        Ok(Some(StaleFrame(old.frame)))
    }

    /// Every mapped user page in `[start, end)`, in address order. Walks only the
    /// tables that exist, so a sparse terabyte costs what its mapped pages cost.
    pub fn mapped_pages(&self, start: u64, end: u64) -> Vec<(u64, Translation)> {
        let mut out = Vec::new();
        let end = end.min(USER_VIRT_END);
        if start < end {
            self.collect_mapped(self.root.addr(), 4, 0, start, end, &mut out);
        }
        out
    }

    fn collect_mapped(
        &self,
        table: u64,
        level: u32,
        base: u64,
        start: u64,
        end: u64,
        out: &mut Vec<(u64, Translation)>,
    ) {
        let span = 1u64 << (12 + 9 * (level - 1));
        // Only the entries overlapping [start, end): a range is often a few pages.
        let Some(last_byte) = end.min(USER_VIRT_END).checked_sub(base + 1) else {
            return;
        };
        let first = start.saturating_sub(base) / span;
        let last = (last_byte / span).min(511);
        for index in first..=last {
            let lo = base + index * span;
            let Ok(entry) = self.ram.read_u64(table + index * 8) else {
                return;
            };
            if entry & PTE_PRESENT == 0 {
                continue;
            }
            if level == 1 {
                if let Some(t) = Self::decode(entry) {
                    out.push((lo, t));
                }
            } else {
                self.collect_mapped(entry & PTE_ADDR_MASK, level - 1, lo, start, end, out);
            }
        }
    }

    /// What user page `va` (any address inside it) maps to.
    pub fn translate(&self, va: u64) -> Option<Translation> {
        if va >= USER_VIRT_END {
            return None;
        }
        let slot = self.leaf_entry_readonly(va & !(PAGE_SIZE - 1))?;
        Self::decode(self.ram.read_u64(slot).ok()?)
    }
}

/// The guest physical page that `va` maps to in the page table rooted at `root`.
pub(crate) fn walk(ram: &GuestRam, root: u64, va: u64) -> Option<u64> {
    let mut table = root & PTE_ADDR_MASK;
    for level in (1..=4).rev() {
        let entry = ram
            .read_u64(table + table_index(va, level) as u64 * 8)
            .ok()?;
        if entry & PTE_PRESENT == 0 {
            return None;
        }
        table = entry & PTE_ADDR_MASK;
    }
    Some(table)
}

impl Drop for AddressSpace {
    fn drop(&mut self) {
        // Table frames are only reached through this root, which no vCPU uses any more.
        let frames = std::mem::take(&mut self.table_frames);
        self.ram.free_tables(frames);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> AddressSpace {
        let ram = Arc::new(GuestRam::new(4 << 20, 0x10000).unwrap());
        AddressSpace::new(ram, 0).unwrap()
    }

    #[test]
    fn map_translate_unmap() {
        let mut s = space();
        let f = s.ram().alloc().unwrap();
        let rw = PageFlags {
            accessible: true,
            writable: true,
            executable: false,
        };
        assert!(s.map(0x40_0000, f, rw).unwrap().is_none());
        assert_eq!(
            s.translate(0x40_0123),
            Some(Translation {
                frame: f,
                flags: rw
            })
        );
        let stale = s.unmap(0x40_0000).unwrap().unwrap();
        assert_eq!(stale.frame(), f);
        s.ram().free(vec![stale]);
        assert_eq!(s.translate(0x40_0000), None);
    }

    #[test]
    fn protect_returns_stale_only_on_change() {
        let mut s = space();
        let f = s.ram().alloc().unwrap();
        let ro = PageFlags {
            accessible: true,
            ..PageFlags::default()
        };
        let _ = s.map(0x1000, f, ro).unwrap();
        assert!(s.protect(0x1000, ro).unwrap().is_none());
        let rw = PageFlags {
            accessible: true,
            writable: true,
            executable: false,
        };
        let stale = s.protect(0x1000, rw).unwrap().unwrap();
        let _ = s.ram().zap(vec![stale]);
        assert_eq!(s.translate(0x1000).unwrap().flags, rw);
    }

    #[test]
    fn mapped_pages_walks_sparse_ranges() {
        let mut s = space();
        let ram = s.ram().clone();
        let rw = PageFlags {
            accessible: true,
            writable: true,
            executable: false,
        };
        for va in [0x1000u64, 0x40_0000_0000, 0x7fff_ffff_f000] {
            let _ = s.map(va, ram.alloc().unwrap(), rw).unwrap();
        }
        let all: Vec<u64> = s
            .mapped_pages(0, USER_VIRT_END)
            .iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(all, vec![0x1000, 0x40_0000_0000, 0x7fff_ffff_f000]);
        assert_eq!(s.mapped_pages(0x2000, 0x40_0000_0000).len(), 0);
    }

    #[test]
    fn kernel_half_is_refused() {
        let mut s = space();
        let f = s.ram().alloc().unwrap();
        assert!(s.map(USER_VIRT_END, f, PageFlags::default()).is_err());
        let _ = s.mailbox(2).unwrap();
        assert!(s.map(mailbox_virt(2), f, PageFlags::default()).is_err());
        assert!(s.translate(mailbox_virt(2)).is_none());
        assert!(s.translate(u64::MAX).is_none());
    }
}
