//! Virtual memory areas: the mappings a program asked for, kept sorted and
//! non-overlapping, with the split/merge logic of mmap, munmap and mprotect.
//! Which pages are realized lives in the page table, not here.

use std::collections::BTreeMap;

use std::sync::Arc;

use vmm::PAGE_SIZE;

use crate::fs::inode::InodeRef;

/// Access rights of a mapping (PROT_READ, PROT_WRITE, PROT_EXEC).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Prot {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
}

impl Prot {
    pub const RW: Prot = Prot {
        read: true,
        write: true,
        exec: false,
    };

    /// Decodes PROT_* bits; `None` if unknown bits are set.
    pub fn from_bits(bits: u64) -> Option<Prot> {
        const KNOWN: u64 = (libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC) as u64;
        if bits & !KNOWN != 0 {
            return None;
        }
        Some(Prot {
            read: bits & libc::PROT_READ as u64 != 0,
            write: bits & libc::PROT_WRITE as u64 != 0,
            exec: bits & libc::PROT_EXEC as u64 != 0,
        })
    }

    /// Whether any access is allowed (x86 cannot map write- or exec-only pages
    /// without read, so those imply read, as on Linux).
    pub fn accessible(self) -> bool {
        self.read || self.write || self.exec
    }
}

/// What a mapping is, for naming and for the rules that differ (brk, stack growth).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VmaKind {
    Anonymous,
    /// A loaded ELF segment.
    Program,
    /// The dynamic loader's segments.
    Interpreter,
    /// The vDSO and its data page.
    Vdso,
    Vvar,
    Heap,
    Stack,
}

/// The file behind a mapping.
#[derive(Clone)]
pub struct FileBacking {
    pub inode: InodeRef,
    /// File offset of the mapping's first byte.
    pub offset: u64,
    /// The path /proc/[pid]/maps shows.
    pub path: String,
    /// Whether the file was opened for writing (a shared mapping may become writable).
    pub may_write: bool,
}

impl PartialEq for FileBacking {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inode, &other.inode) && self.offset == other.offset
    }
}

impl Eq for FileBacking {}

impl std::fmt::Debug for FileBacking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{:#x}", self.path, self.offset)
    }
}

/// One mapping: `[start, end)`, page aligned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    pub shared: bool,
    pub kind: VmaKind,
    pub file: Option<FileBacking>,
}

impl Vma {
    /// Whether two neighbouring mappings can become one (file mappings never merge).
    fn same_attributes(&self, other: &Vma) -> bool {
        self.prot == other.prot
            && self.shared == other.shared
            && self.kind == other.kind
            && self.file.is_none()
            && other.file.is_none()
    }

    /// The file offset of address `addr` inside a file mapping.
    pub fn file_offset(&self, addr: u64) -> Option<u64> {
        self.file.as_ref().map(|f| f.offset + (addr - self.start))
    }
}

/// The sorted set of a process's mappings.
#[derive(Clone, Debug, Default)]
pub struct VmaSet {
    by_start: BTreeMap<u64, Vma>,
}

impl VmaSet {
    /// The mapping containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Vma> {
        self.by_start
            .range(..=addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| addr < v.end)
    }

    /// Mappings that intersect `[start, end)`, in address order.
    pub fn intersecting(&self, start: u64, end: u64) -> impl Iterator<Item = &Vma> {
        // An empty or inverted range intersects nothing (and must not reach
        // BTreeMap::range inverted, which panics).
        let empty = end <= start;
        let end = end.max(start);
        let first = self.find(start).map_or(start, |v| v.start).min(end);
        self.by_start
            .range(first..end)
            .map(|(_, v)| v)
            .filter(move |v| !empty && v.end > start)
    }

    /// Number of mappings.
    pub fn len(&self) -> usize {
        self.by_start.len()
    }

    /// Whether any mapping intersects `[start, end)`.
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        self.intersecting(start, end).next().is_some()
    }

    /// Whether `[start, end)` is covered by mappings with no hole.
    pub fn covers(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        for v in self.intersecting(start, end) {
            if v.start > at {
                return false;
            }
            at = v.end;
        }
        at >= end
    }

    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.by_start.values()
    }

    /// Adds a mapping over a free range, merging with equal neighbours.
    pub fn insert(&mut self, vma: Vma) {
        debug_assert!(!self.overlaps(vma.start, vma.end));
        let (start, end) = (vma.start, vma.end);
        self.by_start.insert(start, vma);
        self.merge_around(start);
        self.merge_around(end);
    }

    /// Merges the mapping ending at `boundary` with the one starting there, if alike.
    fn merge_around(&mut self, boundary: u64) {
        let Some(next) = self.by_start.get(&boundary).cloned() else {
            return;
        };
        let Some(prev) = self.find(boundary.wrapping_sub(1)).cloned() else {
            return;
        };
        if prev.end == boundary && prev.same_attributes(&next) {
            self.by_start.remove(&boundary);
            if let Some(p) = self.by_start.get_mut(&prev.start) {
                p.end = next.end;
            }
        }
    }

    /// Splits the mapping containing `addr` so that one starts exactly at `addr`.
    fn split_at(&mut self, addr: u64) {
        let Some(v) = self.find(addr).cloned() else {
            return;
        };
        if v.start == addr {
            return;
        }
        if let Some(left) = self.by_start.get_mut(&v.start) {
            left.end = addr;
        }
        let file = v.file.clone().map(|f| FileBacking {
            offset: f.offset + (addr - v.start),
            ..f
        });
        self.by_start.insert(
            addr,
            Vma {
                start: addr,
                file,
                ..v
            },
        );
    }

    /// Removes `[start, end)` from the set and returns the pieces removed.
    pub fn remove_range(&mut self, start: u64, end: u64) -> Vec<Vma> {
        if start >= end {
            return Vec::new();
        }
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u64> = self.by_start.range(start..end).map(|(k, _)| *k).collect();
        keys.into_iter()
            .filter_map(|k| self.by_start.remove(&k))
            .collect()
    }

    /// Applies `change` to every mapping piece inside `[start, end)`, then re-merges.
    pub fn update_range(&mut self, start: u64, end: u64, mut change: impl FnMut(&mut Vma)) {
        if start >= end {
            return;
        }
        self.split_at(start);
        self.split_at(end);
        for (_, v) in self.by_start.range_mut(start..end) {
            change(v);
        }
        let keys: Vec<u64> = self.by_start.range(start..=end).map(|(k, _)| *k).collect();
        for k in keys {
            self.merge_around(k);
        }
    }

    /// Highest page-aligned start of a free gap of `len` bytes inside `[low, high)`.
    pub fn find_free_top_down(&self, len: u64, low: u64, high: u64) -> Option<u64> {
        let mut gap_end = high;
        for v in self.by_start.range(..high).rev().map(|(_, v)| v) {
            if v.end <= gap_end {
                if let Some(start) = gap_end.checked_sub(len) {
                    if start >= v.end && start >= low {
                        return Some(start);
                    }
                }
            }
            gap_end = gap_end.min(v.start);
            if gap_end < low {
                return None;
            }
        }
        gap_end
            .checked_sub(len)
            .filter(|s| *s >= low && s % PAGE_SIZE == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(start: u64, end: u64, prot: Prot) -> Vma {
        Vma {
            start,
            end,
            prot,
            shared: false,
            kind: VmaKind::Anonymous,
            file: None,
        }
    }
    const RO: Prot = Prot {
        read: true,
        write: false,
        exec: false,
    };

    #[test]
    fn insert_merges_neighbours() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x2000, Prot::RW));
        s.insert(anon(0x3000, 0x4000, Prot::RW));
        s.insert(anon(0x2000, 0x3000, Prot::RW));
        assert_eq!(s.iter().count(), 1);
        assert_eq!(s.find(0x3fff).unwrap().start, 0x1000);
    }

    #[test]
    fn remove_middle_splits() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x5000, Prot::RW));
        let removed = s.remove_range(0x2000, 0x3000);
        assert_eq!(removed, vec![anon(0x2000, 0x3000, Prot::RW)]);
        assert!(s.find(0x2000).is_none());
        assert_eq!(s.find(0x1000).unwrap().end, 0x2000);
        assert_eq!(s.find(0x3000).unwrap().end, 0x5000);
        assert!(!s.covers(0x1000, 0x5000));
        assert!(s.covers(0x3000, 0x5000));
    }

    #[test]
    fn protect_then_restore_merges_back() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x5000, Prot::RW));
        s.update_range(0x2000, 0x3000, |v| v.prot = RO);
        assert_eq!(s.iter().count(), 3);
        assert_eq!(s.find(0x2000).unwrap().prot, RO);
        s.update_range(0x2000, 0x3000, |v| v.prot = Prot::RW);
        assert_eq!(s.iter().count(), 1);
    }

    #[test]
    fn free_gap_search() {
        let mut s = VmaSet::default();
        s.insert(anon(0x8000, 0x9000, Prot::RW));
        assert_eq!(s.find_free_top_down(0x1000, 0x1000, 0xa000), Some(0x9000));
        assert_eq!(s.find_free_top_down(0x2000, 0x1000, 0xa000), Some(0x6000));
        assert_eq!(s.find_free_top_down(0x8000, 0x1000, 0xa000), None);
    }

    #[test]
    fn inverted_ranges_are_empty() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x3000, Prot::RW));
        assert_eq!(s.intersecting(0x2800, 0x2000).count(), 0);
        assert!(s.remove_range(0x2800, 0x2000).is_empty());
        s.update_range(0x2800, 0x2000, |v| v.prot = RO);
        assert_eq!(s.find(0x2000).unwrap().prot, Prot::RW);
    }

    #[test]
    fn intersecting_starts_inside_a_mapping() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x3000, Prot::RW));
        s.insert(anon(0x4000, 0x5000, RO));
        let found: Vec<u64> = s.intersecting(0x2000, 0x4800).map(|v| v.start).collect();
        assert_eq!(found, vec![0x1000, 0x4000]);
    }
}
