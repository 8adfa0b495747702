//! The sandbox-wide facts procfs shows (/proc/meminfo, uptime, mounts, cpuinfo).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use super::process::SystemInfo;
use crate::services::Clock;

/// The system's identity as `uname` and /proc/sys/kernel report it.
pub const SYSNAME: &str = "Linux";
pub const HOSTNAME: &str = "sandbox";
pub const RELEASE: &str = "6.1.0-sentry";
pub const VERSION: &str = "#1 SMP PREEMPT_DYNAMIC";
pub const MACHINE: &str = "x86_64";
pub const DOMAINNAME: &str = "(none)";

/// CPUID leaves /proc/cpuinfo decodes.
const CPUINFO_LEAVES: [(u32, u32); 7] = [
    (0, 0),
    (1, 0),
    (7, 0),
    (0x8000_0000, 0),
    (0x8000_0001, 0),
    (0x8000_0002, 0),
    (0x8000_0003, 0),
];

/// (function, index) and (eax, ebx, ecx, edx).
type CpuidLeaf = ((u32, u32), (u32, u32, u32, u32));

/// `SystemInfo` for one sandbox.
pub struct SandboxInfo {
    clock: Clock,
    ram: Arc<vmm::GuestRam>,
    cpuid: Vec<CpuidLeaf>,
    /// Set once the mount table exists (it is built after this).
    pub mounts: OnceLock<String>,
}

impl SandboxInfo {
    pub fn new(clock: Clock, vm: &vmm::Vm) -> Self {
        let leaves = CPUINFO_LEAVES.iter().copied().chain([(0x8000_0004, 0)]);
        let cpuid = leaves
            .filter_map(|(f, i)| vm.cpuid(f, i).map(|v| ((f, i), v)))
            .collect();
        SandboxInfo {
            clock,
            ram: vm.ram().clone(),
            cpuid,
            mounts: OnceLock::new(),
        }
    }
}

impl SystemInfo for SandboxInfo {
    fn uptime(&self) -> Duration {
        self.clock.monotonic()
    }

    fn memory(&self) -> (u64, u64) {
        (
            self.ram.size(),
            self.ram.frames_available() * vmm::PAGE_SIZE,
        )
    }

    fn mounts(&self) -> String {
        self.mounts.get().cloned().unwrap_or_default()
    }

    fn cpus(&self) -> u32 {
        online_cpus()
    }

    fn cpuid(&self, function: u32, index: u32) -> Option<(u32, u32, u32, u32)> {
        self.cpuid
            .iter()
            .find(|(k, _)| *k == (function, index))
            .map(|(_, v)| *v)
    }
}

/// CPUs the guest sees: as many as the sentry's affinity lets it use (threads run on
/// that many vCPUs at once; `nproc` on the host counts the same), at most 64 (one
/// word of affinity mask).
pub fn online_cpus() -> u32 {
    static CPUS: OnceLock<u32> = OnceLock::new();
    *CPUS.get_or_init(|| crate::host::affinity_cpu_count().map_or(1, |n| n.clamp(1, 64) as u32))
}
