//! The sandbox's clocks. CLOCK_MONOTONIC and CLOCK_BOOTTIME count from the sandbox's
//! start (its "boot"); CLOCK_REALTIME follows the host's wall clock.

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

/// The clock service. Clones read the same clock.
#[derive(Clone, Debug)]
pub struct Clock {
    boot: Instant,
}

impl Clock {
    pub fn new() -> Self {
        Clock {
            boot: Instant::now(),
        }
    }

    /// Time since the sandbox started.
    pub fn monotonic(&self) -> Duration {
        self.boot.elapsed()
    }

    /// Time since the Unix epoch.
    pub fn realtime(&self) -> Duration {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
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

    /// Blocks the caller for `d`.
    pub fn sleep(&self, d: Duration) {
        std::thread::sleep(d);
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::new()
    }
}
