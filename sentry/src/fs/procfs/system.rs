//! The texts of /proc's system files: meminfo, uptime, loadavg, stat, version,
//! filesystems, in Linux's formats.

use std::fmt::Write;

use super::{Ctx, OSRELEASE, UTS_VERSION};

/// /proc/meminfo: what the sandbox knows (total, free) and Linux's other keys as 0.
pub(super) fn meminfo(ctx: &Ctx) -> Vec<u8> {
    let (total, free) = ctx.system.memory();
    let (total, free) = (total / 1024, free.min(total) / 1024);
    let used = total - free;
    let kb: &[(&str, u64)] = &[
        ("MemTotal", total),
        ("MemFree", free),
        ("MemAvailable", free),
        ("Buffers", 0),
        ("Cached", 0),
        ("SwapCached", 0),
        ("Active", used),
        ("Inactive", 0),
        ("Active(anon)", used),
        ("Inactive(anon)", 0),
        ("Active(file)", 0),
        ("Inactive(file)", 0),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", used),
        ("Mapped", 0),
        ("Shmem", 0),
        ("KReclaimable", 0),
        ("Slab", 0),
        ("SReclaimable", 0),
        ("SUnreclaim", 0),
        ("KernelStack", 0),
        ("PageTables", 0),
        ("SecPageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", total / 2),
        ("Committed_AS", used),
        ("VmallocTotal", 34359738367),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 0),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
    ];
    let mut s = String::new();
    for (key, value) in kb {
        let _ = writeln!(s, "{:<15} {:>8} kB", format!("{key}:"), value);
    }
    s.push_str("HugePages_Total:       0\nHugePages_Free:        0\n");
    s.push_str("HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
    s.push_str("Hugepagesize:       2048 kB\nHugetlb:               0 kB\n");
    s.into_bytes()
}

/// /proc/uptime: seconds since boot, and idle time (none counted).
pub(super) fn uptime(ctx: &Ctx) -> Vec<u8> {
    let up = ctx.system.uptime();
    format!("{}.{:02} 0.00\n", up.as_secs(), up.subsec_millis() / 10).into_bytes()
}

/// Live processes and threads, and the highest pid (the last one allocated, as far
/// as the registry shows).
fn process_counts(ctx: &Ctx) -> (usize, u64, i32) {
    let pids = ctx.registry.pids();
    let threads = pids
        .iter()
        .filter_map(|p| ctx.registry.get(*p))
        .map(|p| u64::from(p.state().threads.max(1)))
        .sum();
    (pids.len(), threads, pids.last().copied().unwrap_or(0))
}

/// /proc/loadavg: no load history; running/total threads, last pid.
pub(super) fn loadavg(ctx: &Ctx) -> Vec<u8> {
    let (_, threads, last) = process_counts(ctx);
    format!("0.00 0.00 0.00 1/{} {}\n", threads.max(1), last).into_bytes()
}

/// /proc/stat: CPU times are not accounted (zeros); boot time and process counts.
pub(super) fn stat(ctx: &Ctx) -> Vec<u8> {
    let (procs, _, last) = process_counts(ctx);
    let zeros = " 0 0 0 0 0 0 0 0 0 0";
    let mut s = format!("cpu {zeros}\n");
    for cpu in 0..ctx.system.cpus().max(1) {
        let _ = writeln!(s, "cpu{cpu}{zeros}");
    }
    let _ = write!(
        s,
        "intr 0\nctxt 0\nbtime {}\nprocesses {}\nprocs_running {}\nprocs_blocked 0\n\
         softirq 0 0 0 0 0 0 0 0 0 0 0\n",
        ctx.boot.as_secs(),
        last.max(0),
        procs.max(1)
    );
    s.into_bytes()
}

/// /proc/version, as Linux's `linux_banner` with uname's release and version.
pub(super) fn version(_ctx: &Ctx) -> Vec<u8> {
    format!("Linux version {OSRELEASE} (sentry@sandbox) (sentry) {UTS_VERSION}\n").into_bytes()
}

/// /proc/filesystems: the types the sandbox mounts.
pub(super) fn filesystems(_ctx: &Ctx) -> Vec<u8> {
    b"nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\toverlay\n\text4\n".to_vec()
}

#[cfg(test)]
mod tests {
    use super::super::tests::{add_process, ctx};
    use super::*;
    use std::time::Duration;

    #[test]
    fn meminfo_format() {
        let (c, _) = ctx();
        let text = String::from_utf8(meminfo(&c)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "MemTotal:        1048576 kB");
        assert_eq!(lines[1], "MemFree:          524288 kB");
        assert_eq!(lines[2], "MemAvailable:     524288 kB");
        assert_eq!(lines[3], "Buffers:               0 kB");
        assert!(lines.contains(&"SwapTotal:             0 kB"));
        assert!(lines.contains(&"Inactive(anon):        0 kB"));
        assert!(lines.contains(&"VmallocTotal:   34359738367 kB"));
        assert!(lines.contains(&"HugePages_Total:       0"));
        assert!(lines.contains(&"Hugepagesize:       2048 kB"));
    }

    #[test]
    fn small_files() {
        let (c, reg) = ctx();
        assert_eq!(uptime(&c), b"12.34 0.00\n");
        let _a = add_process(&reg, 1, b"init");
        let _b = add_process(&reg, 7, b"sh");
        assert_eq!(loadavg(&c), b"0.00 0.00 0.00 1/2 7\n");
        let s = String::from_utf8(stat(&c)).unwrap();
        assert!(s.starts_with("cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\ncpu1 0"));
        assert!(s.contains("\nbtime 1700000000\nprocesses 7\nprocs_running 2\n"));
        assert!(String::from_utf8(version(&c))
            .unwrap()
            .starts_with("Linux version 6.1.0-sentry "));
        assert!(filesystems(&c).starts_with(b"nodev\tsysfs\n"));
        assert_eq!(c.boot, Duration::from_secs(1_700_000_000));
    }
}
