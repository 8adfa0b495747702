//! x86-64 specifics: memory layout, descriptor tables, CPUID, page-table entries and
//! the guest stub's machine code.

pub mod cpuid;
pub mod gdt;
pub mod layout;
pub mod paging;
pub mod stub;
