//! The CPUID the guest sees: what KVM supports, minus the hardware random number
//! instructions (randomness must come from the sentry so a deterministic mode can own it).

use kvm_bindings::CpuId;

const LEAF_FEATURES: u32 = 1;
const LEAF_EXTENDED_FEATURES: u32 = 7;
const ECX_RDRAND: u32 = 1 << 30;
const EBX_RDSEED: u32 = 1 << 18;
const ECX_HYPERVISOR: u32 = 1 << 31;

/// Hides RDRAND and RDSEED, and says a hypervisor is present.
pub fn filter(cpuid: &mut CpuId) {
    for entry in cpuid.as_mut_slice() {
        match entry.function {
            LEAF_FEATURES => {
                entry.ecx &= !ECX_RDRAND;
                entry.ecx |= ECX_HYPERVISOR;
            }
            LEAF_EXTENDED_FEATURES if entry.index == 0 => entry.ebx &= !EBX_RDSEED,
            _ => {}
        }
    }
}
