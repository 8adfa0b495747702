//! The memory syscalls' semantics (brk, mmap, munmap, mprotect, mremap, madvise),
//! with Linux's argument checks in Linux's order.

use vmm::PAGE_SIZE;

use super::vma::{FileBacking, Prot, Vma, VmaKind};
use super::*;

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_GROWSDOWN: u64 = 0x100;
const MAP_POPULATE: u64 = 0x8000;
const MAP_HUGETLB: u64 = 0x40000;
const MAP_FIXED_NOREPLACE: u64 = 0x100000;
const PROT_GROWSDOWN: u64 = 0x0100_0000;
const PROT_GROWSUP: u64 = 0x0200_0000;

const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;
const MREMAP_DONTUNMAP: u64 = 4;

/// The arguments of mmap(2).
#[derive(Clone, Copy, Debug)]
pub struct MmapRequest {
    pub addr: u64,
    pub len: u64,
    pub prot: u64,
    pub flags: u64,
    pub fd: i32,
    pub offset: u64,
}

impl MemoryManager {
    /// Sets where the heap starts (just past the loaded program).
    pub fn set_brk_start(&mut self, addr: u64) {
        self.brk_start = addr;
        self.brk = addr;
    }

    /// brk(2): returns the new break, or the old one when the request cannot be met.
    pub fn brk(&mut self, requested: u64) -> u64 {
        if requested < self.brk_start || requested > TASK_SIZE {
            return self.brk;
        }
        let (Some(old_end), Some(new_end)) = (page_align_up(self.brk), page_align_up(requested))
        else {
            return self.brk;
        };
        if new_end < old_end {
            self.unmap_range(new_end, old_end);
        } else if new_end > old_end {
            // Keep a guard page between the heap and the next mapping, as Linux does.
            if self
                .vmas
                .overlaps(old_end, new_end.saturating_add(PAGE_SIZE))
            {
                return self.brk;
            }
            if self.space.ram().frames_available() < (new_end - old_end) / PAGE_SIZE {
                return self.brk;
            }
            self.map_fixed(old_end, new_end, Prot::RW, false, VmaKind::Heap);
        }
        self.brk = requested;
        requested
    }

    /// mmap(2) for anonymous memory.
    /// mmap(2); `file` backs the mapping unless MAP_ANONYMOUS is set.
    pub fn mmap(&mut self, req: MmapRequest, file: Option<FileBacking>) -> SysResult<u64> {
        self.check_map_count()?;
        if !is_page_aligned(req.offset) {
            return Err(Errno::EINVAL);
        }
        let file = if req.flags & MAP_ANONYMOUS == 0 {
            Some(file.ok_or(Errno::EBADF)?)
        } else {
            None
        };
        if req.flags & MAP_HUGETLB != 0 {
            return Err(Errno::EINVAL);
        }
        if req.len == 0 {
            return Err(Errno::EINVAL);
        }
        let prot =
            Prot::from_bits(req.prot & !(PROT_GROWSDOWN | PROT_GROWSUP)).ok_or(Errno::EINVAL)?;
        let len = page_align_up(req.len).ok_or(Errno::ENOMEM)?;
        if len > TASK_SIZE {
            return Err(Errno::ENOMEM);
        }
        // MAP_SHARED_VALIDATE is for file mappings; for anonymous memory it is EINVAL.
        const MAP_SHARED_VALIDATE: u64 = 0x03;
        let shared = match req.flags & MAP_TYPE {
            MAP_PRIVATE => false,
            MAP_SHARED if req.flags & MAP_GROWSDOWN == 0 => true,
            MAP_SHARED_VALIDATE if file.is_some() => true,
            _ => return Err(Errno::EINVAL),
        };
        if file.is_some() && req.offset.checked_add(len).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        let fixed = req.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let start = if fixed {
            if !is_page_aligned(req.addr) {
                return Err(Errno::EINVAL);
            }
            let end = req.addr.checked_add(len).ok_or(Errno::ENOMEM)?;
            if end > TASK_SIZE {
                return Err(Errno::ENOMEM);
            }
            if req.addr < MMAP_MIN_ADDR {
                return Err(Errno::EPERM);
            }
            if req.flags & MAP_FIXED == 0 && self.vmas.overlaps(req.addr, end) {
                return Err(Errno::EEXIST);
            }
            req.addr
        } else {
            self.find_free(page_align_down(req.addr), len)?
        };
        let kind = if req.flags & MAP_GROWSDOWN != 0 {
            VmaKind::Stack
        } else {
            VmaKind::Anonymous
        };
        self.map_fixed_file(start, start + len, prot, shared, kind, file);
        if req.flags & MAP_POPULATE != 0 {
            self.populate(start, start + len);
        }
        Ok(start)
    }

    /// A free range of `len` bytes: at `hint` if possible, else top-down below MMAP_BASE.
    pub(super) fn find_free(&self, hint: u64, len: u64) -> SysResult<u64> {
        if hint >= MMAP_MIN_ADDR {
            if let Some(end) = hint.checked_add(len) {
                if end <= TASK_SIZE && !self.vmas.overlaps(hint, end) {
                    return Ok(hint);
                }
            }
        }
        self.vmas
            .find_free_top_down(len, MMAP_MIN_ADDR, MMAP_BASE)
            .or_else(|| self.vmas.find_free_top_down(len, MMAP_BASE, TASK_SIZE))
            .ok_or(Errno::ENOMEM)
    }

    /// munmap(2).
    pub fn munmap(&mut self, addr: u64, len: u64) -> SysResult<()> {
        if !is_page_aligned(addr) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::EINVAL)?;
        let end = addr
            .checked_add(len)
            .filter(|e| *e <= TASK_SIZE)
            .ok_or(Errno::EINVAL)?;
        self.unmap_range(addr, end);
        Ok(())
    }

    /// mprotect(2).
    pub fn mprotect(&mut self, addr: u64, len: u64, prot_bits: u64) -> SysResult<()> {
        if !is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        if prot_bits & PROT_GROWSDOWN != 0 && prot_bits & PROT_GROWSUP != 0 {
            return Err(Errno::EINVAL);
        }
        let prot =
            Prot::from_bits(prot_bits & !(PROT_GROWSDOWN | PROT_GROWSUP)).ok_or(Errno::EINVAL)?;
        let len = page_align_up(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if len == 0 {
            return Ok(());
        }
        if !self.vmas.covers(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let cannot_write = |v: &Vma| v.shared && v.file.as_ref().is_some_and(|f| !f.may_write);
        if prot.write && self.vmas.intersecting(addr, end).any(cannot_write) {
            return Err(Errno::EACCES);
        }
        self.check_map_count()?;
        self.protect_range(addr, end, prot);
        Ok(())
    }

    /// madvise(2).
    /// mlock and munlock: the range, widened to whole pages, must be mapped throughout
    /// (ENOMEM); locking with `realize` brings its pages in. Nothing is ever paged out
    /// here, so a realized page stays resident: that is what a lock promises.
    pub fn lock_range(&mut self, addr: u64, len: u64, realize: bool) -> SysResult<()> {
        let start = addr & !(PAGE_SIZE - 1);
        let end = addr
            .checked_add(len)
            .and_then(page_align_up)
            .ok_or(Errno::EINVAL)?;
        if end == start {
            return Ok(());
        }
        if !self.vmas.covers(start, end) {
            return Err(Errno::ENOMEM);
        }
        if realize {
            self.populate(start, end);
        }
        Ok(())
    }

    /// mlockall(MCL_CURRENT): brings in every page of every mapping it can.
    pub fn lock_all(&mut self) {
        self.populate(0, TASK_SIZE);
    }

    pub fn madvise(&mut self, addr: u64, len: u64, advice: u64) -> SysResult<()> {
        const MADV_DONTNEED: u64 = 4;
        const MADV_FREE: u64 = 8;
        const MADV_REMOVE: u64 = 9;
        // Hints that need no action from us; anything else is unknown to Linux too or
        // would need work we do not do (MADV_HWPOISON and friends): EINVAL.
        const NO_OP: &[u64] = &[
            0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25,
        ];
        if !is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        let len = page_align_up(len).ok_or(Errno::EINVAL)?;
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        let discard = matches!(advice, MADV_DONTNEED | MADV_FREE);
        if !discard && advice != MADV_REMOVE && !NO_OP.contains(&advice) {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        if advice == MADV_REMOVE {
            // Only shared file-backed memory supports hole punching.
            return Err(if self.vmas.covers(addr, end) {
                Errno::EINVAL
            } else {
                Errno::ENOMEM
            });
        }
        let covered = self.vmas.covers(addr, end);
        if discard {
            // Private anonymous pages read back as zero afterwards; shared anonymous
            // ones would keep their contents, but no second mapping of them exists yet.
            let private: Vec<(u64, u64)> = self
                .vmas
                .intersecting(addr, end)
                .filter(|v| !v.shared)
                .map(|v| (v.start.max(addr), v.end.min(end)))
                .collect();
            for (s, e) in private {
                self.discard_pages(s, e);
            }
        }
        if covered {
            Ok(())
        } else {
            Err(Errno::ENOMEM)
        }
    }

    /// mremap(2) for anonymous mappings.
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> SysResult<u64> {
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 || !is_page_aligned(old)
        {
            return Err(Errno::EINVAL);
        }
        if flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::EINVAL);
        }
        let old_len = page_align_up(old_len).ok_or(Errno::EINVAL)?;
        let new_len = page_align_up(new_len).ok_or(Errno::EINVAL)?;
        if new_len == 0 {
            return Err(Errno::EINVAL);
        }
        if flags & MREMAP_DONTUNMAP != 0 && old_len != new_len {
            return Err(Errno::EINVAL);
        }
        let fixed = flags & MREMAP_FIXED != 0;
        if fixed {
            let new_end = new_addr.checked_add(new_len).ok_or(Errno::EINVAL)?;
            if !is_page_aligned(new_addr) || new_end > TASK_SIZE {
                return Err(Errno::EINVAL);
            }
            if new_addr < old.saturating_add(old_len) && old < new_end {
                return Err(Errno::EINVAL);
            }
        }
        let vma = self.vmas.find(old).ok_or(Errno::EFAULT)?.clone();
        if old_len == 0 {
            // Duplicating a shared mapping needs frames shared by two mappings: not yet.
            return Err(Errno::EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(Errno::EFAULT)?;
        if old_end > vma.end {
            return Err(Errno::EFAULT);
        }
        if fixed {
            self.unmap_range(new_addr, new_addr + new_len);
            return self.move_mapping(vma, old, old_len, new_addr, new_len, flags);
        }
        if new_len <= old_len {
            self.unmap_range(old + new_len, old_end);
            return Ok(old);
        }
        let grow_end = old.checked_add(new_len).filter(|e| *e <= TASK_SIZE);
        if let Some(grow_end) = grow_end {
            if old_end == vma.end && !self.vmas.overlaps(old_end, grow_end) {
                self.maps_changed = true;
                self.vmas.insert(Vma {
                    start: old_end,
                    end: grow_end,
                    ..vma
                });
                return Ok(old);
            }
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(Errno::ENOMEM);
        }
        let target = self.find_free(0, new_len)?;
        self.move_mapping(vma, old, old_len, target, new_len, flags)
    }

    /// Moves the pages of `[old, old+old_len)` to `new` and gives the new range `vma`'s
    /// attributes over `new_len` bytes.
    fn move_mapping(
        &mut self,
        vma: Vma,
        old: u64,
        old_len: u64,
        new: u64,
        new_len: u64,
        flags: u64,
    ) -> SysResult<u64> {
        let keep = old_len.min(new_len);
        let mut targets = Vec::new();
        let mut stale = Vec::new();
        for (va, t) in self.space.mapped_pages(old, old + keep) {
            if let Ok(Some(s)) = self.space.unmap(va) {
                targets.push((va - old + new, t.flags));
                stale.push(s);
            }
        }
        let frames = self.space.ram().zap(stale);
        self.maps_changed = true;
        self.vmas.insert(Vma {
            start: new,
            end: new + new_len,
            ..vma
        });
        for ((va, page_flags), frame) in targets.into_iter().zip(frames) {
            if let Ok(Some(s)) = self.space.map(va, frame, page_flags) {
                self.space.ram().free(vec![s]);
            }
        }
        if flags & MREMAP_DONTUNMAP == 0 {
            self.unmap_range(old, old + old_len);
        }
        Ok(new)
    }
}
