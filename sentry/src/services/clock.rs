//! The sandbox's clocks. CLOCK_MONOTONIC and CLOCK_BOOTTIME count from the sandbox's
//! start (its "boot"); CLOCK_REALTIME is the host's wall clock at boot plus that.
//!
//! Once calibrated against the vCPU's TSC, the clock *is* a TSC formula, so that the
//! guest's vDSO, which applies the same formula to the same counter without a VM
//! exit, reads exactly the clock the syscalls read.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::errno::{Errno, SysResult};

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
pub const CLOCK_MONOTONIC_RAW: i32 = 4;
pub const CLOCK_REALTIME_COARSE: i32 = 5;
pub const CLOCK_MONOTONIC_COARSE: i32 = 6;
pub const CLOCK_BOOTTIME: i32 = 7;
pub const CLOCK_TAI: i32 = 11;

/// Resolution of the coarse clocks: one tick at HZ=250, as Debian's kernels use.
const COARSE_RESOLUTION: Duration = Duration::from_millis(4);
/// TAI is ahead of UTC by the leap seconds so far.
const TAI_OFFSET: Duration = Duration::from_secs(37);

/// ns = (ticks * mult) >> MULT_SHIFT.
const MULT_SHIFT: u32 = 32;

/// The TSC formula, fixed at calibration.
#[derive(Clone, Copy, Debug)]
struct Tsc {
    host_base: u64,
    /// Guest TSC minus host TSC.
    guest_offset: u64,
    mono_base_ns: u64,
    real_base_ns: u64,
    mult: u64,
}

impl Tsc {
    fn ns_since_base(&self, host_tsc: u64) -> u64 {
        let ticks = host_tsc.wrapping_sub(self.host_base);
        ((u128::from(ticks) * u128::from(self.mult)) >> MULT_SHIFT) as u64
    }
}

/// The page the guest's vDSO reads (layout shared with sentry/vdso/vdso.c).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VvarPage {
    pub ready: u64,
    pub tsc_base: u64,
    pub mono_base_ns: u64,
    pub real_base_ns: u64,
    pub mult: u64,
    pub shift: u64,
}

impl VvarPage {
    pub fn to_bytes(self) -> Vec<u8> {
        [
            self.ready,
            self.tsc_base,
            self.mono_base_ns,
            self.real_base_ns,
            self.mult,
            self.shift,
        ]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect()
    }
}

#[derive(Debug)]
struct State {
    boot: Instant,
    boot_real: Duration,
    tsc: OnceLock<Tsc>,
}

/// The clock service. Clones read the same clock.
#[derive(Clone, Debug)]
pub struct Clock {
    state: Arc<State>,
}

impl Clock {
    pub fn new() -> Self {
        let boot_real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Clock {
            state: Arc::new(State {
                boot: Instant::now(),
                boot_real,
                tsc: OnceLock::new(),
            }),
        }
    }

    /// Switches the clock to the TSC, continuing from its current reading.
    /// `tsc_khz` is the vCPU's TSC frequency, `guest_offset` its TSC minus the host's.
    pub fn calibrate(&self, tsc_khz: u32, guest_offset: u64) {
        if tsc_khz == 0 || self.state.tsc.get().is_some() {
            return;
        }
        let mono = self.monotonic();
        let tsc = Tsc {
            host_base: crate::host::rdtsc(),
            guest_offset,
            mono_base_ns: mono.as_nanos() as u64,
            real_base_ns: (self.state.boot_real + mono).as_nanos() as u64,
            mult: (1_000_000u64 << MULT_SHIFT) / u64::from(tsc_khz),
        };
        let _ = self.state.tsc.set(tsc);
    }

    /// What the guest's vDSO needs (not ready before calibration).
    pub fn vvar(&self) -> VvarPage {
        match self.state.tsc.get() {
            Some(t) => VvarPage {
                ready: 1,
                tsc_base: t.host_base.wrapping_add(t.guest_offset),
                mono_base_ns: t.mono_base_ns,
                real_base_ns: t.real_base_ns,
                mult: t.mult,
                shift: u64::from(MULT_SHIFT),
            },
            None => VvarPage::default(),
        }
    }

    /// Time since the sandbox started.
    pub fn monotonic(&self) -> Duration {
        match self.state.tsc.get() {
            Some(t) => Duration::from_nanos(t.mono_base_ns + t.ns_since_base(crate::host::rdtsc())),
            None => self.state.boot.elapsed(),
        }
    }

    /// Time since the Unix epoch.
    pub fn realtime(&self) -> Duration {
        self.state.boot_real + self.monotonic()
    }

    /// The value of clock `id`; `cpu_time` is the caller's CPU time for the CPU clocks.
    pub fn now(&self, id: i32, cpu_time: Duration) -> SysResult<Duration> {
        Ok(match id {
            CLOCK_REALTIME | CLOCK_REALTIME_COARSE => self.realtime(),
            CLOCK_TAI => self.realtime() + TAI_OFFSET,
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
                self.monotonic()
            }
            CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => cpu_time,
            _ => return Err(Errno::EINVAL),
        })
    }

    /// The resolution of clock `id`.
    pub fn resolution(&self, id: i32) -> SysResult<Duration> {
        match id {
            CLOCK_REALTIME_COARSE | CLOCK_MONOTONIC_COARSE => Ok(COARSE_RESOLUTION),
            _ => self
                .now(id, Duration::ZERO)
                .map(|_| Duration::from_nanos(1)),
        }
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
