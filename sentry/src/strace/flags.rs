//! Symbolic constants: enum lookups (`SEEK_SET`) and `|`-joined flag sets (`O_RDONLY|O_CLOEXEC`).
//!
//! Table order is the order strace prints the names in (observed), not numeric order.

use super::args::hex;

/// `(value, name)` pairs.
pub type Table = &'static [(u64, &'static str)];

/// An enumerated value: its name, or `0x63 /* MADV_??? */` when unknown.
pub fn xlat(v: u64, table: Table, prefix: &str) -> String {
    match table.iter().find(|(val, _)| *val == v) {
        Some((_, name)) => (*name).to_string(),
        None => format!("{} /* {prefix}_??? */", hex(v)),
    }
}

/// A flag set: known names joined by `|`, leftover bits as a trailing hex number.
/// Nothing known at all prints `0x80 /* PROT_??? */`; zero prints `0` (or the zero name).
pub fn flags(v: u64, table: Table, prefix: &str) -> String {
    if v == 0 {
        return table
            .iter()
            .find(|(val, _)| *val == 0)
            .map_or_else(|| "0".to_string(), |(_, n)| (*n).to_string());
    }
    let mut parts = Vec::new();
    let rest = take_flags(v, table, &mut parts);
    join(parts, rest, prefix)
}

/// Moves every flag of `table` fully present in `v` into `parts`; returns the leftover bits.
fn take_flags(v: u64, table: Table, parts: &mut Vec<String>) -> u64 {
    let mut rest = v;
    for &(bits, name) in table {
        if bits != 0 && rest & bits == bits {
            parts.push(name.to_string());
            rest &= !bits;
        }
    }
    rest
}

fn join(mut parts: Vec<String>, rest: u64, prefix: &str) -> String {
    if parts.is_empty() {
        return format!("{} /* {prefix}_??? */", hex(rest));
    }
    if rest != 0 {
        parts.push(hex(rest));
    }
    parts.join("|")
}

const O_ACCMODE: Table = &[
    (0, "O_RDONLY"),
    (1, "O_WRONLY"),
    (2, "O_RDWR"),
    (3, "O_ACCMODE"),
];

/// `open` flags other than the access mode. O_SYNC includes O_DSYNC's bit, and
/// O_TMPFILE includes O_DIRECTORY's, so the composite names come first.
pub const OPEN_FLAGS: Table = &[
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o4010000, "O_SYNC"),
    (0o10000, "O_DSYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
    (0o20200000, "O_TMPFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o20000, "FASYNC"),
];

/// `O_RDONLY|O_CLOEXEC`: the access mode is always named, then the other flags.
pub fn open_flags(v: u64) -> String {
    let mut parts = vec![xlat(v & 3, O_ACCMODE, "O")];
    let rest = take_flags(v & !3, OPEN_FLAGS, &mut parts);
    join(parts, rest, "O")
}

/// Whether `open` flags make the kernel read the `mode` argument.
pub fn open_has_mode(v: u64) -> bool {
    v & 0o100 != 0 || v & 0o20200000 == 0o20200000
}

pub const PROT: Table = &[
    (0, "PROT_NONE"),
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"),
    (0x0200_0000, "PROT_GROWSUP"),
];

const MAP_TYPE: Table = &[
    (0, "MAP_FILE"),
    (1, "MAP_SHARED"),
    (2, "MAP_PRIVATE"),
    (3, "MAP_SHARED_VALIDATE"),
];

const MAP_FLAGS: Table = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x80000, "MAP_SYNC"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];

/// `mmap` flags: the mapping type, the flags, then the huge page size as `N<<MAP_HUGE_SHIFT`.
pub fn map_flags(v: u64) -> String {
    let mut parts = Vec::new();
    let mut rest = v;
    if let Some((bits, name)) = MAP_TYPE.iter().find(|(t, _)| *t == v & 0xf) {
        parts.push((*name).to_string());
        rest &= !bits;
    }
    rest = take_flags(rest, MAP_FLAGS, &mut parts);
    let huge = (rest >> 26) & 0x3f;
    if huge != 0 {
        parts.push(format!("{huge}<<MAP_HUGE_SHIFT"));
        rest &= !(0x3f << 26);
    }
    join(parts, rest, "MAP")
}

pub const MREMAP: Table = &[
    (1, "MREMAP_MAYMOVE"),
    (2, "MREMAP_FIXED"),
    (4, "MREMAP_DONTUNMAP"),
];

pub const MADV: Table = &[
    (0, "MADV_NORMAL"),
    (1, "MADV_RANDOM"),
    (2, "MADV_SEQUENTIAL"),
    (3, "MADV_WILLNEED"),
    (4, "MADV_DONTNEED"),
    (8, "MADV_FREE"),
    (9, "MADV_REMOVE"),
    (10, "MADV_DONTFORK"),
    (11, "MADV_DOFORK"),
    (12, "MADV_MERGEABLE"),
    (13, "MADV_UNMERGEABLE"),
    (14, "MADV_HUGEPAGE"),
    (15, "MADV_NOHUGEPAGE"),
    (16, "MADV_DONTDUMP"),
    (17, "MADV_DODUMP"),
    (18, "MADV_WIPEONFORK"),
    (19, "MADV_KEEPONFORK"),
    (20, "MADV_COLD"),
    (21, "MADV_PAGEOUT"),
    (22, "MADV_POPULATE_READ"),
    (23, "MADV_POPULATE_WRITE"),
    (24, "MADV_DONTNEED_LOCKED"),
    (25, "MADV_COLLAPSE"),
    (100, "MADV_HWPOISON"),
    (101, "MADV_SOFT_OFFLINE"),
];

pub const AT_FLAGS: Table = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
    (0x2000, "AT_STATX_FORCE_SYNC"),
    (0x4000, "AT_STATX_DONT_SYNC"),
    (0x8000, "AT_RECURSIVE"),
];

pub const ACCESS_MODE: Table = &[(0, "F_OK"), (4, "R_OK"), (2, "W_OK"), (1, "X_OK")];

pub const SEEK: Table = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];

pub const SA_FLAGS: Table = &[
    (0x0400_0000, "SA_RESTORER"),
    (0x0800_0000, "SA_ONSTACK"),
    (0x1000_0000, "SA_RESTART"),
    (0x2000_0000, "SA_INTERRUPT"),
    (0x4000_0000, "SA_NODEFER"),
    (0x8000_0000, "SA_RESETHAND"),
    (0x4, "SA_SIGINFO"),
    (0x1, "SA_NOCLDSTOP"),
    (0x2, "SA_NOCLDWAIT"),
];

pub const SIGPROCMASK_HOW: Table = &[(0, "SIG_BLOCK"), (1, "SIG_UNBLOCK"), (2, "SIG_SETMASK")];

pub const RLIMIT: Table = &[
    (0, "RLIMIT_CPU"),
    (1, "RLIMIT_FSIZE"),
    (2, "RLIMIT_DATA"),
    (3, "RLIMIT_STACK"),
    (4, "RLIMIT_CORE"),
    (5, "RLIMIT_RSS"),
    (6, "RLIMIT_NPROC"),
    (7, "RLIMIT_NOFILE"),
    (8, "RLIMIT_MEMLOCK"),
    (9, "RLIMIT_AS"),
    (10, "RLIMIT_LOCKS"),
    (11, "RLIMIT_SIGPENDING"),
    (12, "RLIMIT_MSGQUEUE"),
    (13, "RLIMIT_NICE"),
    (14, "RLIMIT_RTPRIO"),
    (15, "RLIMIT_RTTIME"),
];

pub const CLOCK: Table = &[
    (0, "CLOCK_REALTIME"),
    (1, "CLOCK_MONOTONIC"),
    (2, "CLOCK_PROCESS_CPUTIME_ID"),
    (3, "CLOCK_THREAD_CPUTIME_ID"),
    (4, "CLOCK_MONOTONIC_RAW"),
    (5, "CLOCK_REALTIME_COARSE"),
    (6, "CLOCK_MONOTONIC_COARSE"),
    (7, "CLOCK_BOOTTIME"),
    (8, "CLOCK_REALTIME_ALARM"),
    (9, "CLOCK_BOOTTIME_ALARM"),
    (11, "CLOCK_TAI"),
];

/// A `clockid_t` (an `int`: unknown values print as their 32-bit hex).
pub fn clock(v: u64) -> String {
    xlat(u64::from(v as u32), CLOCK, "CLOCK")
}

pub const TIMER_FLAGS: Table = &[(1, "TIMER_ABSTIME")];

pub const GRND: Table = &[
    (1, "GRND_NONBLOCK"),
    (2, "GRND_RANDOM"),
    (4, "GRND_INSECURE"),
];

pub const ARCH_PRCTL: Table = &[
    (0x1001, "ARCH_SET_GS"),
    (0x1002, "ARCH_SET_FS"),
    (0x1003, "ARCH_GET_FS"),
    (0x1004, "ARCH_GET_GS"),
    (0x1011, "ARCH_GET_CPUID"),
    (0x1012, "ARCH_SET_CPUID"),
    (0x1021, "ARCH_GET_XCOMP_SUPP"),
    (0x1022, "ARCH_GET_XCOMP_PERM"),
    (0x1023, "ARCH_REQ_XCOMP_PERM"),
    (0x1024, "ARCH_GET_XCOMP_GUEST_PERM"),
    (0x1025, "ARCH_REQ_XCOMP_GUEST_PERM"),
    (0x2001, "ARCH_MAP_VDSO_X32"),
    (0x2002, "ARCH_MAP_VDSO_32"),
    (0x2003, "ARCH_MAP_VDSO_64"),
];

pub const FD_FLAGS: Table = &[(1, "FD_CLOEXEC")];

/// `dup3`/`pipe2` flags share the `open` flag names.
pub fn o_flags(v: u64) -> String {
    flags(v, OPEN_FLAGS, "O")
}

pub const FCNTL_CMD: Table = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (8, "F_SETOWN"),
    (9, "F_GETOWN"),
    (10, "F_SETSIG"),
    (11, "F_GETSIG"),
    (15, "F_SETOWN_EX"),
    (16, "F_GETOWN_EX"),
    (36, "F_OFD_GETLK"),
    (37, "F_OFD_SETLK"),
    (38, "F_OFD_SETLKW"),
    (1024, "F_SETLEASE"),
    (1025, "F_GETLEASE"),
    (1026, "F_NOTIFY"),
    (1030, "F_DUPFD_CLOEXEC"),
    (1031, "F_SETPIPE_SZ"),
    (1032, "F_GETPIPE_SZ"),
    (1033, "F_ADD_SEALS"),
    (1034, "F_GET_SEALS"),
];

pub const LOCK_TYPE: Table = &[(0, "F_RDLCK"), (1, "F_WRLCK"), (2, "F_UNLCK")];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums() {
        assert_eq!(xlat(0, SEEK, "SEEK"), "SEEK_SET");
        assert_eq!(xlat(7, SEEK, "SEEK"), "0x7 /* SEEK_??? */");
        assert_eq!(clock(1), "CLOCK_MONOTONIC");
        assert_eq!(clock(100), "0x64 /* CLOCK_??? */");
        assert_eq!(clock((-6i64) as u64), "0xfffffffa /* CLOCK_??? */");
    }

    #[test]
    fn flag_sets() {
        assert_eq!(flags(0, PROT, "PROT"), "PROT_NONE");
        assert_eq!(flags(3, PROT, "PROT"), "PROT_READ|PROT_WRITE");
        assert_eq!(flags(0x80, PROT, "PROT"), "0x80 /* PROT_??? */");
        assert_eq!(
            flags(0x0100_0107, PROT, "PROT"),
            "PROT_READ|PROT_WRITE|PROT_EXEC|PROT_GROWSDOWN|0x100"
        );
        assert_eq!(flags(0, ACCESS_MODE, "R"), "F_OK");
        assert_eq!(flags(0x17, ACCESS_MODE, "R"), "R_OK|W_OK|X_OK|0x10");
        assert_eq!(flags(0, GRND, "GRND"), "0");
        assert_eq!(
            flags(0x1000_0000 | 0x0400_0000, SA_FLAGS, "SA"),
            "SA_RESTORER|SA_RESTART"
        );
    }

    #[test]
    fn open() {
        assert_eq!(open_flags(0o2000000), "O_RDONLY|O_CLOEXEC");
        assert_eq!(open_flags(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(open_flags(3), "O_ACCMODE");
        assert_eq!(open_flags(0o20200002), "O_RDWR|O_TMPFILE");
        assert_eq!(open_flags(0x8000_0041), "O_WRONLY|O_CREAT|0x80000000");
        assert_eq!(
            open_flags(0o4010000 | 0o400 | 0o40000 | 0o1000000 | 0o20000),
            "O_RDONLY|O_NOCTTY|O_SYNC|O_DIRECT|O_NOATIME|FASYNC"
        );
        assert!(open_has_mode(0o100));
        assert!(open_has_mode(0o20200000));
        assert!(!open_has_mode(0o200000));
    }

    #[test]
    fn mmap() {
        assert_eq!(map_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(
            map_flags(0x4000032),
            "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS|1<<MAP_HUGE_SHIFT"
        );
        assert_eq!(map_flags(0x80000), "MAP_FILE|MAP_SYNC");
        assert_eq!(map_flags(0x4000_0002), "MAP_PRIVATE|16<<MAP_HUGE_SHIFT");
        assert_eq!(map_flags(0xf), "0xf /* MAP_??? */");
        assert_eq!(map_flags(0x23), "MAP_SHARED_VALIDATE|MAP_ANONYMOUS");
    }
}
