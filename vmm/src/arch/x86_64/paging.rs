//! x86-64 4-level page-table entry format.

/// Entry maps something.
pub const PTE_PRESENT: u64 = 1 << 0;
/// Writes allowed (with CR0.WP also at CPL0).
pub const PTE_WRITABLE: u64 = 1 << 1;
/// Accessible from CPL3.
pub const PTE_USER: u64 = 1 << 2;
/// The CPU has used this entry for a translation.
pub const PTE_ACCESSED: u64 = 1 << 5;
/// The CPU has written through this entry (last level only).
pub const PTE_DIRTY: u64 = 1 << 6;
/// Instruction fetches fault (needs EFER.NXE).
pub const PTE_NO_EXECUTE: u64 = 1 << 63;
/// Physical frame address bits of an entry.
pub const PTE_ADDR_MASK: u64 = 0x000f_ffff_ffff_f000;

/// Flags of intermediate entries: permissions are decided at the last level only.
pub const TABLE_FLAGS: u64 = PTE_PRESENT | PTE_WRITABLE | PTE_USER | PTE_ACCESSED;

/// Index into the page table at `level` (4 = PML4 ... 1 = PT) for virtual address `va`.
pub const fn table_index(va: u64, level: u32) -> usize {
    ((va >> (12 + 9 * (level - 1))) & 0x1ff) as usize
}

/// Page-fault error code bits pushed by the CPU.
pub mod fault_code {
    /// The page was present (a protection violation, not a missing page).
    pub const PRESENT: u64 = 1 << 0;
    /// The access was a write.
    pub const WRITE: u64 = 1 << 1;
    /// The access came from CPL3.
    pub const USER: u64 = 1 << 2;
    /// The access was an instruction fetch.
    pub const INSTRUCTION: u64 = 1 << 4;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes() {
        let va = 0x7fff_ffff_f000u64;
        assert_eq!(table_index(va, 4), 255);
        assert_eq!(table_index(va, 1), 511);
        assert_eq!(table_index(0xffff_ff80_0000_0000, 4), 511);
    }
}
