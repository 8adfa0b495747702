//! The virtual machine: KVM handles, guest memory registered as slot 0, the kernel
//! structures every vCPU shares (GDT, TSS, IDT, stub pages, exception stack) and the
//! per-vCPU CPU state that puts it straight into 64-bit user mode.

use std::sync::Arc;

use kvm_bindings::{
    kvm_enable_cap, kvm_fpu, kvm_mp_state, kvm_msr_entry, kvm_xcrs, CpuId, Msrs,
    KVM_MAX_CPUID_ENTRIES, KVM_MP_STATE_RUNNABLE,
};
use kvm_ioctls::{Kvm, VmFd};

use crate::address_space::AddressSpace;
use crate::arch::x86_64::layout::*;
use crate::arch::x86_64::paging::*;
use crate::arch::x86_64::{cpuid, gdt, stub};
use crate::file_frames::{FileSpace, FILE_SPACE_PHYS_BITS};
use crate::memory::{GuestRam, MemoryError, PAGE_SIZE};
use crate::slots::MemorySlots;
use crate::vcpu::{UserRegs, Vcpu};

/// Errors creating the VM or a vCPU.
#[derive(Debug, thiserror::Error)]
pub enum VmError {
    #[error("cannot open /dev/kvm: {0}")]
    KvmUnavailable(std::io::Error),
    #[error("KVM ioctl {what} failed: {source}")]
    Ioctl {
        what: &'static str,
        source: kvm_ioctls::Error,
    },
    #[error("guest memory: {0}")]
    Memory(#[from] MemoryError),
    #[error("KVM lacks {0}")]
    MissingCapability(&'static str),
    #[error("{0}")]
    Vcpu(crate::vcpu::VcpuError),
    #[error("a VM has at most {0} vCPUs")]
    TooManyVcpus(u64),
}

fn ioctl<T>(what: &'static str, r: Result<T, kvm_ioctls::Error>) -> Result<T, VmError> {
    r.map_err(|source| VmError::Ioctl { what, source })
}

const MSR_STAR: u32 = 0xc000_0081;
const MSR_LSTAR: u32 = 0xc000_0082;
const MSR_SFMASK: u32 = 0xc000_0084;
/// RFLAGS bits cleared on `syscall` entry: TF, DF, IF, IOPL, NT, AC (as Linux).
const SYSCALL_RFLAGS_MASK: u64 = 0x47700;

const CR0_PE: u64 = 1;
const CR0_MP: u64 = 1 << 1;
const CR0_ET: u64 = 1 << 4;
const CR0_NE: u64 = 1 << 5;
const CR0_WP: u64 = 1 << 16;
const CR0_AM: u64 = 1 << 18;
const CR0_PG: u64 = 1 << 31;
const CR4_PAE: u64 = 1 << 5;
const CR4_OSFXSR: u64 = 1 << 9;
const CR4_OSXMMEXCPT: u64 = 1 << 10;
const CR4_OSXSAVE: u64 = 1 << 18;
const EFER_SCE: u64 = 1;
const EFER_LME: u64 = 1 << 8;
const EFER_LMA: u64 = 1 << 10;
const EFER_NXE: u64 = 1 << 11;
/// XSAVE state components we enable: x87, SSE, AVX, and AVX-512's three when present.
const XCR0_WANTED: u64 = 0x7 | 0xe0;

/// A KVM virtual machine with its guest memory.
pub struct Vm {
    kvm: Kvm,
    fd: Arc<VmFd>,
    ram: Arc<GuestRam>,
    slots: Arc<MemorySlots>,
    cpuid: CpuId,
}

/// Registers the read-only file space (see `file_frames`) if the guest's physical
/// address width reaches it; without it, file pages are copied into RAM.
fn enable_file_space(vm: &Arc<VmFd>, ram: &GuestRam, cpuid: &CpuId) {
    let phys_bits = cpuid
        .as_slice()
        .iter()
        .find(|e| e.function == 0x8000_0008)
        .map_or(36, |e| e.eax & 0xff);
    if phys_bits < FILE_SPACE_PHYS_BITS {
        log::debug!("no file space: {phys_bits} guest physical address bits");
        return;
    }
    match FileSpace::new(vm.clone()) {
        Ok(files) => ram.enable_file_space(files),
        Err(e) => log::debug!("no file space: {e}"),
    }
}

/// Where the local APIC's registers sit in guest physical memory. With the APIC in
/// KVM, VMX hosts back this page with a memory slot of their own (the APIC-access
/// page), which guest RAM reaching it would overlap.
const APIC_DEFAULT_PHYS_BASE: u64 = 0xfee0_0000;

/// Gives the vCPUs local APICs inside KVM (a "split" irqchip: no PIC or IOAPIC). The
/// sandbox delivers no interrupts; this is for speed. A vCPU without one holds a global
/// static key that KVM switches when the first such vCPU on the host is created and
/// again when the last is destroyed, and each switch patches kernel text on every
/// host CPU (a few hundred microseconds under nested virtualisation); an in-kernel
/// APIC's key is released lazily instead. Skipped, at that cost, for guests whose RAM
/// reaches the APIC page, or where KVM refuses.
fn enable_in_kernel_lapic(vm: &VmFd, memory_size: u64) {
    if memory_size > APIC_DEFAULT_PHYS_BASE {
        return;
    }
    let cap = kvm_enable_cap {
        cap: kvm_bindings::KVM_CAP_SPLIT_IRQCHIP,
        // No routes reserved for a userspace IOAPIC: there is none.
        args: [0; 4],
        ..Default::default()
    };
    if let Err(e) = vm.enable_cap(&cap) {
        log::debug!("no in-kernel local APIC: {e}");
    }
}

impl Vm {
    /// Creates the VM with `memory_size` bytes of guest memory.
    pub fn new(memory_size: u64) -> Result<Vm, VmError> {
        let kvm = Kvm::new()
            .map_err(|e| VmError::KvmUnavailable(std::io::Error::from_raw_os_error(e.errno())))?;
        let fd = ioctl("KVM_CREATE_VM", kvm.create_vm())?;
        enable_in_kernel_lapic(&fd, memory_size);
        let fd = Arc::new(fd);
        let ram = Arc::new(GuestRam::new(memory_size, FRAME_POOL_START)?);
        let slots = Arc::new(MemorySlots::new(fd.clone(), ram.clone()));
        ram.attach_slots(&slots);
        ioctl("KVM_SET_USER_MEMORY_REGION", slots.ensure())?;
        let mut cpuid = ioctl(
            "KVM_GET_SUPPORTED_CPUID",
            kvm.get_supported_cpuid(KVM_MAX_CPUID_ENTRIES),
        )?;
        cpuid::filter(&mut cpuid);
        enable_file_space(&fd, &ram, &cpuid);
        let vm = Vm {
            kvm,
            fd,
            ram,
            slots,
            cpuid,
        };
        vm.write_kernel_structures()?;
        Ok(vm)
    }

    /// Guest physical memory.
    pub fn ram(&self) -> &Arc<GuestRam> {
        &self.ram
    }

    fn write_kernel_structures(&self) -> Result<(), MemoryError> {
        let ram = &self.ram;
        for vector in 0..stub::EXCEPTION_VECTORS {
            let handler = kernel_virt(KERNEL_STUB_PHYS)
                + stub::EXCEPTION_ENTRIES_OFFSET
                + u64::from(vector) * stub::EXCEPTION_ENTRY_SIZE;
            // int3 and into may be raised from user mode, as on Linux.
            let dpl = if matches!(vector, 3 | 4) { 3 } else { 0 };
            let [low, high] = gdt::idt_gate(handler, dpl);
            ram.write_u64(IDT_PHYS + u64::from(vector) * 16, low)?;
            ram.write_u64(IDT_PHYS + u64::from(vector) * 16 + 8, high)?;
        }
        ram.write(KERNEL_STUB_PHYS, &stub::kernel_page())?;

        // Kernel half: PML4[511] -> PDPT[0] -> PD[0] -> PT mapping guest physical 0..2 MiB.
        let va = KERNEL_VIRT_BASE;
        ram.write_u64(
            KERNEL_PDPT_PHYS + table_index(va, 3) as u64 * 8,
            KERNEL_PD_PHYS | TABLE_FLAGS,
        )?;
        ram.write_u64(
            KERNEL_PD_PHYS + table_index(va, 2) as u64 * 8,
            KERNEL_PT_PHYS | TABLE_FLAGS,
        )?;
        self.map_kernel_pages(&[
            (IDT_PHYS, PTE_PRESENT | PTE_NO_EXECUTE),
            (KERNEL_STUB_PHYS, PTE_PRESENT),
        ])
    }

    /// Maps kernel structures at `kernel_virt(phys)` with the given PTE flags.
    fn map_kernel_pages(&self, pages: &[(u64, u64)]) -> Result<(), MemoryError> {
        for &(phys, flags) in pages {
            self.ram.write_u64(
                KERNEL_PT_PHYS + table_index(kernel_virt(phys), 1) as u64 * 8,
                phys | flags,
            )?;
        }
        Ok(())
    }

    /// Writes vCPU `id`'s GDT, TSS and exception stack mapping.
    fn write_cpu_area(&self, id: u64) -> Result<(), MemoryError> {
        let ram = &self.ram;
        let gdt_base = gdt_phys(id);
        for (i, entry) in gdt::gdt_entries(kernel_virt(tss_phys(id)))
            .iter()
            .enumerate()
        {
            ram.write_u64(gdt_base + i as u64 * 8, *entry)?;
        }
        ram.write(
            tss_phys(id),
            &gdt::tss_bytes(
                kernel_virt(exception_stack_top_phys(id)),
                &[SYSCALL_PORT, EXCEPTION_PORT],
            ),
        )?;
        ram.write(syscall_entry_phys(id), &stub::syscall_page(id))?;
        let rw = PTE_PRESENT | PTE_WRITABLE | PTE_NO_EXECUTE;
        self.map_kernel_pages(&[
            (gdt_base, rw),
            (gdt_base + PAGE_SIZE, rw),
            (syscall_entry_phys(id), PTE_PRESENT | PTE_USER),
        ])
    }

    /// A new, empty user address space sharing the kernel half.
    pub fn new_address_space(&self) -> Result<AddressSpace, MemoryError> {
        AddressSpace::new(self.ram.clone(), KERNEL_PDPT_PHYS)
    }

    /// Creates vCPU `id` (below `MAX_VCPUS`) in 64-bit user mode, about to run `regs`
    /// in address space `cr3`.
    pub fn create_vcpu(&self, id: u64, cr3: u64, regs: UserRegs) -> Result<Vcpu, VmError> {
        if id >= MAX_VCPUS {
            return Err(VmError::TooManyVcpus(MAX_VCPUS));
        }
        self.write_cpu_area(id)?;
        let fd = ioctl("KVM_CREATE_VCPU", self.fd.create_vcpu(id))?;
        // With an in-kernel APIC, KVM holds every vCPU but the first waiting for a
        // startup IPI (as a PC's application processors); ours start running at once.
        ioctl(
            "KVM_SET_MP_STATE",
            fd.set_mp_state(kvm_mp_state {
                mp_state: KVM_MP_STATE_RUNNABLE,
            }),
        )?;
        ioctl("KVM_SET_CPUID2", fd.set_cpuid2(&self.cpuid))?;

        let features = self.cpuid.as_slice().iter().find(|e| e.function == 1);
        let has_xsave = features.is_some_and(|e| e.ecx & (1 << 26) != 0);
        let mut sregs = ioctl("KVM_GET_SREGS", fd.get_sregs())?;
        sregs.cs = gdt::user_code_segment();
        let data = gdt::user_data_segment();
        (sregs.ds, sregs.es, sregs.fs, sregs.gs, sregs.ss) = (data, data, data, data, data);
        sregs.tr = gdt::tss_segment(kernel_virt(tss_phys(id)));
        sregs.gdt.base = kernel_virt(gdt_phys(id));
        sregs.gdt.limit = (gdt::GDT_ENTRIES * 8 - 1) as u16;
        sregs.idt.base = kernel_virt(IDT_PHYS);
        sregs.idt.limit = (u64::from(stub::EXCEPTION_VECTORS) * 16 - 1) as u16;
        sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG;
        sregs.cr3 = cr3;
        sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT | if has_xsave { CR4_OSXSAVE } else { 0 };
        sregs.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
        ioctl("KVM_SET_SREGS", fd.set_sregs(&sregs))?;

        let msr = |index, data| kvm_msr_entry {
            index,
            data,
            ..Default::default()
        };
        let msrs = Msrs::from_entries(&[
            msr(MSR_STAR, gdt::STAR),
            msr(MSR_LSTAR, kernel_virt(syscall_entry_phys(id))),
            msr(MSR_SFMASK, SYSCALL_RFLAGS_MASK),
        ])
        .map_err(|_| VmError::Ioctl {
            what: "KVM_SET_MSRS",
            source: kvm_ioctls::Error::new(libc::EINVAL),
        })?;
        let written = ioctl("KVM_SET_MSRS", fd.set_msrs(&msrs))?;
        if written != 3 {
            return Err(VmError::Ioctl {
                what: "KVM_SET_MSRS",
                source: kvm_ioctls::Error::new(libc::EINVAL),
            });
        }

        if has_xsave {
            let supported = self
                .cpuid
                .as_slice()
                .iter()
                .find(|e| e.function == 0xd && e.index == 0)
                .map_or(0x3, |e| u64::from(e.eax) | (u64::from(e.edx) << 32));
            let mut xcrs = kvm_xcrs {
                nr_xcrs: 1,
                ..Default::default()
            };
            xcrs.xcrs[0].xcr = 0;
            xcrs.xcrs[0].value = supported & XCR0_WANTED;
            ioctl("KVM_SET_XCRS", fd.set_xcrs(&xcrs))?;
        }
        let fpu = kvm_fpu {
            fcw: 0x37f,
            mxcsr: 0x1f80,
            ..Default::default()
        };
        ioctl("KVM_SET_FPU", fd.set_fpu(&fpu))?;
        ioctl(
            "KVM_SET_REGS",
            fd.set_regs(&kvm_bindings::kvm_regs {
                rip: regs.rip,
                rsp: regs.rsp,
                rflags: regs.rflags | 0x2,
                ..Default::default()
            }),
        )?;
        if !self.kvm.check_extension(kvm_ioctls::Cap::SyncRegs) {
            return Err(VmError::MissingCapability("KVM_CAP_SYNC_REGS"));
        }
        Vcpu::new(fd, id, self.ram.clone(), self.slots.clone(), regs).map_err(VmError::Vcpu)
    }

    /// CPUID leaf `function`/`index` as the guest sees it: (eax, ebx, ecx, edx).
    pub fn cpuid(&self, function: u32, index: u32) -> Option<(u32, u32, u32, u32)> {
        self.cpuid
            .as_slice()
            .iter()
            .find(|e| e.function == function && e.index == index)
            .map(|e| (e.eax, e.ebx, e.ecx, e.edx))
    }

    /// The KVM system handle (capability queries).
    pub fn kvm(&self) -> &Kvm {
        &self.kvm
    }
}
