//! Where things live in guest physical and guest virtual memory.
//!
//! The low guest-physical pages hold the structures the CPU itself needs (the IDT and
//! the stub, shared by all vCPUs; a GDT, TSS and exception stack per vCPU); everything
//! above `FRAME_POOL_START` is handed out page by page by the frame allocator (page
//! tables and program memory alike).
//! The kernel structures are mapped into every address space at `KERNEL_VIRT_BASE`
//! (the last PML4 slot), so user space keeps the whole lower half.

/// Guest physical address of the IDT (256 gates of 16 bytes: one page).
pub const IDT_PHYS: u64 = 0x2000;
/// Supervisor stub page: exception entries and the `iretq` trampoline.
pub const KERNEL_STUB_PHYS: u64 = 0x3000;
/// Page-table pages that map the kernel structures (PDPT, PD, PT) at `KERNEL_VIRT_BASE`.
pub const KERNEL_PDPT_PHYS: u64 = 0xa000;
/// See `KERNEL_PDPT_PHYS`.
pub const KERNEL_PD_PHYS: u64 = 0xb000;
/// See `KERNEL_PDPT_PHYS`.
pub const KERNEL_PT_PHYS: u64 = 0xc000;
/// Per-vCPU areas start here, `CPU_AREA_SIZE` bytes each: a page holding the GDT and
/// (at `TSS_OFFSET`) the TSS, a page of exception stack (`TSS.rsp0`), and the
/// user-accessible page of the vCPU's `syscall` entry (on PVM it runs at CPL3).
/// Exceptions on different vCPUs must not share a stack; each vCPU's syscall entry
/// reaches its own mailbox (`crate::mailbox::mailbox_virt`).
pub const CPU_AREAS_PHYS: u64 = 0x20000;
/// Bytes of one vCPU's area.
pub const CPU_AREA_SIZE: u64 = 0x3000;
/// Offset of the TSS in a vCPU's GDT page.
const TSS_OFFSET: u64 = 0x800;
/// First guest physical address the frame allocator may hand out: the end of the 2 MiB
/// the kernel page table maps.
pub const FRAME_POOL_START: u64 = 0x20_0000;
/// Most vCPUs a VM can have: as many areas as fit below `FRAME_POOL_START`.
pub const MAX_VCPUS: u64 = (FRAME_POOL_START - CPU_AREAS_PHYS) / CPU_AREA_SIZE;

/// Guest physical address of vCPU `id`'s GDT.
pub const fn gdt_phys(id: u64) -> u64 {
    CPU_AREAS_PHYS + id * CPU_AREA_SIZE
}

/// Guest physical address of vCPU `id`'s TSS.
pub const fn tss_phys(id: u64) -> u64 {
    gdt_phys(id) + TSS_OFFSET
}

/// One past the last byte of vCPU `id`'s exception stack.
pub const fn exception_stack_top_phys(id: u64) -> u64 {
    gdt_phys(id) + 0x2000
}

/// Guest physical address of vCPU `id`'s syscall entry page (`LSTAR`).
pub const fn syscall_entry_phys(id: u64) -> u64 {
    gdt_phys(id) + 0x2000
}

/// Guest virtual address at which guest physical 0 is mapped for the kernel structures.
pub const KERNEL_VIRT_BASE: u64 = 0xffff_ff80_0000_0000;
/// PML4 slot of `KERNEL_VIRT_BASE`.
pub const KERNEL_PML4_INDEX: usize = 511;

/// Guest virtual address of a kernel structure at guest physical `phys`.
pub const fn kernel_virt(phys: u64) -> u64 {
    KERNEL_VIRT_BASE + phys
}

/// One past the highest user virtual address (47-bit canonical lower half).
pub const USER_VIRT_END: u64 = 0x0000_8000_0000_0000;

/// I/O port the syscall entry writes to: "a syscall is waiting".
pub const SYSCALL_PORT: u16 = 0x10;
/// I/O port the exception entries write to: "an exception frame is on the stack".
pub const EXCEPTION_PORT: u16 = 0x11;
