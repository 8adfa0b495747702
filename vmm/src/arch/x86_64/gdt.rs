//! Segment descriptors, the TSS and IDT gates, laid out the way Linux lays out its GDT
//! so that selectors a program may observe (CS/SS in a signal frame) match Linux's.

use kvm_bindings::kvm_segment;

/// Kernel 64-bit code segment (what `syscall` loads on VMX/SVM).
pub const KERNEL_CS: u16 = 0x10;
/// Kernel data segment.
pub const KERNEL_DS: u16 = 0x18;
/// User data segment (RPL 3), also the user SS.
pub const USER_DS: u16 = 0x2b;
/// User 64-bit code segment (RPL 3).
pub const USER_CS: u16 = 0x33;
/// Task state segment selector.
pub const TSS_SELECTOR: u16 = 0x40;
/// Number of 8-byte GDT slots (the TSS descriptor takes two).
pub const GDT_ENTRIES: usize = 10;

/// `STAR` MSR value: `syscall` enters with CS=0x10/SS=0x18, `sysret` returns with
/// CS=0x33/SS=0x2b, as on Linux.
pub const STAR: u64 = (0x23u64 << 48) | ((KERNEL_CS as u64) << 32);

/// Size of the 64-bit TSS proper.
const TSS_BASE_SIZE: u64 = 0x68;
/// The TSS with its I/O permission bitmap: ports 0..32, then the terminating byte.
pub const TSS_SIZE: u64 = TSS_BASE_SIZE + 5;

const fn segment_descriptor(access: u64, flags: u64) -> u64 {
    // Base 0, limit 0xfffff: in long mode only the access byte and the L/D bits matter.
    0xffff | (access << 40) | (0xf << 48) | (flags << 52)
}

/// The GDT's 8-byte slots, TSS descriptor included (it points at `tss_base`).
pub fn gdt_entries(tss_base: u64) -> [u64; GDT_ENTRIES] {
    const CODE64: u64 = 0xa; // G=1, L=1
    const DATA: u64 = 0xc; // G=1, D/B=1
    let tss_low = (TSS_SIZE - 1)
        | ((tss_base & 0xff_ffff) << 16)
        | (0x89 << 40) // present, 64-bit available TSS
        | (((tss_base >> 24) & 0xff) << 56);
    [
        0,
        0,
        segment_descriptor(0x9b, CODE64), // 0x10 kernel code
        segment_descriptor(0x93, DATA),   // 0x18 kernel data
        segment_descriptor(0xfb, DATA),   // 0x20 user code32 (unused, keeps Linux's layout)
        segment_descriptor(0xf3, DATA),   // 0x28 user data
        segment_descriptor(0xfb, CODE64), // 0x30 user code64
        0,
        tss_low,
        tss_base >> 32,
    ]
}

/// A 64-bit TSS whose `rsp0` is `rsp0`, with an I/O permission bitmap that lets CPL3
/// reach only the stub's ports: on PVM the syscall stub's `out` runs at CPL3. A program
/// writing those ports itself gains nothing: a fake syscall exit returns to its own
/// registers, and a fake exception exit is refused (its CS is not the kernel's).
pub fn tss_bytes(rsp0: u64, allowed_ports: &[u16]) -> [u8; TSS_SIZE as usize] {
    let mut tss = [0u8; TSS_SIZE as usize];
    tss[4..12].copy_from_slice(&rsp0.to_le_bytes());
    tss[0x66..0x68].copy_from_slice(&(TSS_BASE_SIZE as u16).to_le_bytes());
    let bitmap = &mut tss[TSS_BASE_SIZE as usize..];
    bitmap.fill(0xff);
    for port in allowed_ports
        .iter()
        .map(|p| usize::from(*p))
        .filter(|p| *p < 32)
    {
        bitmap[port / 8] &= !(1 << (port % 8));
    }
    tss
}

/// A 64-bit interrupt gate to `handler` in the kernel code segment, callable from
/// privilege `dpl` by `int n` (hardware exceptions ignore the DPL).
pub fn idt_gate(handler: u64, dpl: u8) -> [u64; 2] {
    let type_attr = 0x8e | (u64::from(dpl & 3) << 5);
    let low = (handler & 0xffff)
        | (u64::from(KERNEL_CS) << 16)
        | (type_attr << 40)
        | (((handler >> 16) & 0xffff) << 48);
    [low, handler >> 32]
}

/// The user code segment as `KVM_SET_SREGS` wants it.
pub fn user_code_segment() -> kvm_segment {
    kvm_segment {
        base: 0,
        limit: 0xffff_ffff,
        selector: USER_CS,
        type_: 0xb,
        present: 1,
        dpl: 3,
        db: 0,
        s: 1,
        l: 1,
        g: 1,
        ..Default::default()
    }
}

/// The user data segment (also SS) as `KVM_SET_SREGS` wants it.
pub fn user_data_segment() -> kvm_segment {
    kvm_segment {
        base: 0,
        limit: 0xffff_ffff,
        selector: USER_DS,
        type_: 0x3,
        present: 1,
        dpl: 3,
        db: 1,
        s: 1,
        l: 0,
        g: 1,
        ..Default::default()
    }
}

/// The task register's segment for the TSS at `base`.
pub fn tss_segment(base: u64) -> kvm_segment {
    kvm_segment {
        base,
        limit: (TSS_SIZE - 1) as u32,
        selector: TSS_SELECTOR,
        type_: 0xb, // busy 64-bit TSS
        present: 1,
        s: 0,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_splits_handler_address() {
        let [low, high] = idt_gate(0xffff_ff80_1234_5678, 0);
        assert_eq!(low & 0xffff, 0x5678);
        assert_eq!((low >> 48) & 0xffff, 0x1234);
        assert_eq!(high, 0xffff_ff80);
        assert_eq!((low >> 16) & 0xffff, u64::from(KERNEL_CS));
        assert_eq!((low >> 40) & 0xff, 0x8e);
    }

    #[test]
    fn io_bitmap_allows_only_given_ports() {
        let tss = tss_bytes(0, &[0x10, 0x11]);
        let bitmap = &tss[TSS_BASE_SIZE as usize..];
        assert_eq!(bitmap, &[0xff, 0xff, 0xfc, 0xff, 0xff]);
    }

    #[test]
    fn user_selectors_follow_star() {
        assert_eq!(((STAR >> 48) + 16) | 3, u64::from(USER_CS));
        assert_eq!(((STAR >> 48) + 8) | 3, u64::from(USER_DS));
    }
}
