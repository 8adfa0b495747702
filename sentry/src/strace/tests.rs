//! End-to-end checks of `format_syscall` against lines captured from strace 6.1.

use super::tests_support::FakeMem;
use super::*;

fn ev(nr: u64, args: &[u64], ret: Option<i64>) -> SyscallEvent {
    let mut a = [0u64; 6];
    a.iter_mut().zip(args).for_each(|(d, s)| *d = *s);
    SyscallEvent { nr, args: a, ret }
}

fn fmt(m: &FakeMem, nr: u64, args: &[u64], ret: Option<i64>) -> String {
    format_syscall(&ev(nr, args, ret), m)
}

const AT_FDCWD: u64 = (-100i64) as u64;

#[test]
fn io_calls() {
    let mut m = FakeMem::default();
    m.put(0x1000, b"hi\n");
    m.put(0x2000, b"root:x:0:0:root");
    assert_eq!(
        fmt(&m, 1, &[1, 0x1000, 3], Some(3)),
        r#"write(1, "hi\n", 3) = 3"#
    );
    assert_eq!(
        fmt(&m, 0, &[3, 0x2000, 64], Some(10)),
        r#"read(3, "root:x:0:0", 64) = 10"#
    );
    assert_eq!(
        fmt(&m, 0, &[5, 0x7ffe1234, 10], Some(-9)),
        "read(5, 0x7ffe1234, 10) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        fmt(&m, 17, &[3, 0x2000, 5, 3], Some(5)),
        r#"pread64(3, "root:", 5, 3) = 5"#
    );
    assert_eq!(fmt(&m, 0, &[7, 1, 4], Some(0)), r#"read(7, "", 4) = 0"#);
    assert_eq!(fmt(&m, 0, &[7, 0, 4], Some(0)), "read(7, NULL, 4) = 0");
    // A hostile length never makes us read more than 32 bytes.
    assert_eq!(
        fmt(&m, 1, &[1, 0x2ff0, u64::MAX], Some(-14)),
        format!("write(1, 0x2ff0, {}) = -1 EFAULT (Bad address)", u64::MAX)
    );
}

#[test]
fn vector_io() {
    let mut m = FakeMem::default();
    m.put(0x100, b"ab\n");
    let iov: Vec<u8> = [0x100u64, 1, 0x101, 2]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x3000, &iov);
    assert_eq!(
        fmt(&m, 20, &[1, 0x3000, 2], Some(3)),
        r#"writev(1, [{iov_base="a", iov_len=1}, {iov_base="b\n", iov_len=2}], 2) = 3"#
    );
    assert_eq!(
        fmt(&m, 19, &[3, 0x3000, 2], Some(1)),
        r#"readv(3, [{iov_base="a", iov_len=1}, {iov_base="", iov_len=2}], 2) = 1"#
    );
    assert_eq!(
        fmt(&m, 19, &[3, 0x3000, 2], Some(-9)),
        "readv(3, 0x3000, 2) = -1 EBADF (Bad file descriptor)"
    );
}

#[test]
fn files() {
    let mut m = FakeMem::default();
    m.put(0x1000, b"/etc/passwd\0");
    m.put(0x1100, b"\0");
    assert_eq!(
        fmt(&m, 257, &[AT_FDCWD, 0x1000, 0o2000000], Some(3)),
        r#"openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3"#
    );
    assert_eq!(
        fmt(&m, 257, &[AT_FDCWD, 0x1000, 0o1101, 0o644], Some(6)),
        r#"openat(AT_FDCWD, "/etc/passwd", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 6"#
    );
    assert_eq!(
        fmt(&m, 2, &[0, 0], Some(-14)),
        "open(NULL, O_RDONLY) = -1 EFAULT (Bad address)"
    );
    let mut st = [0u8; 144];
    st[24..28].copy_from_slice(&0o20620u32.to_le_bytes());
    st[40..48].copy_from_slice(&0x8800u64.to_le_bytes());
    m.put(0x5000, &st);
    assert_eq!(
        fmt(&m, 5, &[1, 0x5000], Some(0)),
        "fstat(1, {st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}) = 0"
    );
    assert_eq!(
        fmt(&m, 262, &[1, 0x1100, 0x5000, 0x1000], Some(0)),
        r#"newfstatat(1, "", {st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}, AT_EMPTY_PATH) = 0"#
    );
    assert_eq!(
        fmt(&m, 6, &[0x1000, 0x5000], Some(-2)),
        r#"lstat("/etc/passwd", 0x5000) = -1 ENOENT (No such file or directory)"#
    );
    assert_eq!(
        fmt(&m, 8, &[3, (-1i64) as u64, 2], Some(1220)),
        "lseek(3, -1, SEEK_END) = 1220"
    );
    assert_eq!(
        fmt(&m, 3, &[u64::MAX], Some(-9)),
        "close(-1) = -1 EBADF (Bad file descriptor)"
    );
    assert_eq!(
        fmt(&m, 292, &[3, 11, 0o2000000], Some(11)),
        "dup3(3, 11, O_CLOEXEC) = 11"
    );
    assert_eq!(fmt(&m, 292, &[3, 12, 0], Some(12)), "dup3(3, 12, 0) = 12");
    assert_eq!(
        fmt(&m, 21, &[0x1000, 6], Some(0)),
        r#"access("/etc/passwd", R_OK|W_OK) = 0"#
    );
    m.put(0x6000, b"/tmp/st/t1");
    assert_eq!(
        fmt(&m, 89, &[0x1000, 0x6000, 4096], Some(10)),
        r#"readlink("/etc/passwd", "/tmp/st/t1", 4096) = 10"#
    );
    m.put(0x7000, b"/tmp/st\0");
    assert_eq!(
        fmt(&m, 79, &[0x7000, 64], Some(8)),
        r#"getcwd("/tmp/st", 64) = 8"#
    );
}

#[test]
fn fcntl_and_ioctl() {
    let m = FakeMem::default();
    assert_eq!(
        fmt(&m, 72, &[3, 1], Some(1)),
        "fcntl(3, F_GETFD) = 0x1 (flags FD_CLOEXEC)"
    );
    assert_eq!(fmt(&m, 72, &[3, 1], Some(0)), "fcntl(3, F_GETFD) = 0");
    assert_eq!(
        fmt(&m, 72, &[3, 3], Some(0x8000)),
        "fcntl(3, F_GETFL) = 0x8000 (flags O_RDONLY|O_LARGEFILE)"
    );
    assert_eq!(
        fmt(&m, 72, &[3, 3], Some(0)),
        "fcntl(3, F_GETFL) = 0 (flags O_RDONLY)"
    );
    assert_eq!(
        fmt(&m, 72, &[3, 4, 0o4000], Some(0)),
        "fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0"
    );
    assert_eq!(
        fmt(&m, 72, &[3, 1030, 3], Some(5)),
        "fcntl(3, F_DUPFD_CLOEXEC, 3) = 5"
    );
    assert_eq!(
        fmt(&m, 72, &[8, 99, 5], Some(-22)),
        "fcntl(8, 0x63 /* F_??? */, 0x5) = -1 EINVAL (Invalid argument)"
    );
    assert_eq!(
        fmt(&m, 16, &[1, 0x5401, 0x7ffe0000], Some(-25)),
        "ioctl(1, TCGETS, 0x7ffe0000) = -1 ENOTTY (Inappropriate ioctl for device)"
    );
}

#[test]
fn memory_calls() {
    let m = FakeMem::default();
    assert_eq!(fmt(&m, 12, &[0], Some(0x4c9000)), "brk(NULL) = 0x4c9000");
    assert_eq!(
        fmt(
            &m,
            9,
            &[0, 8192, 3, 0x22, u64::MAX, 0],
            Some(0x7f00_0000_0000)
        ),
        "mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"
    );
    assert_eq!(
        fmt(&m, 9, &[0, 4096, 1, 1, 3, 4096], Some(-12)),
        "mmap(NULL, 4096, PROT_READ, MAP_SHARED, 3, 0x1000) = -1 ENOMEM (Cannot allocate memory)"
    );
    assert_eq!(
        fmt(&m, 11, &[0x7f00_0000_0000, 4096], Some(0)),
        "munmap(0x7f0000000000, 4096) = 0"
    );
    assert_eq!(
        fmt(&m, 10, &[0x4000, 4096, 1], Some(0)),
        "mprotect(0x4000, 4096, PROT_READ) = 0"
    );
    assert_eq!(
        fmt(&m, 28, &[0x4000, 4096, 4], Some(0)),
        "madvise(0x4000, 4096, MADV_DONTNEED) = 0"
    );
    assert_eq!(
        fmt(&m, 25, &[0x4000, 4096, 8192, 1], Some(0x7000)),
        "mremap(0x4000, 4096, 8192, MREMAP_MAYMOVE) = 0x7000"
    );
    assert_eq!(
        fmt(
            &m,
            25,
            &[0x4000, 4096, 4096, 3, 0x5000_0000],
            Some(0x5000_0000)
        ),
        "mremap(0x4000, 4096, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, 0x50000000) = 0x50000000"
    );
}

#[test]
fn process_calls() {
    let mut m = FakeMem::default();
    assert_eq!(
        fmt(&m, 158, &[0x1002, 0x4c93c0], Some(0)),
        "arch_prctl(ARCH_SET_FS, 0x4c93c0) = 0"
    );
    m.put(0x800, &0x4c93c0u64.to_le_bytes());
    assert_eq!(
        fmt(&m, 158, &[0x1003, 0x800], Some(0)),
        "arch_prctl(ARCH_GET_FS, [0x4c93c0]) = 0"
    );
    assert_eq!(
        fmt(&m, 218, &[0x4c9690], Some(1)),
        "set_tid_address(0x4c9690) = 1"
    );
    assert_eq!(
        fmt(&m, 273, &[0x4c9660, 24], Some(0)),
        "set_robust_list(0x4c9660, 24) = 0"
    );
    assert_eq!(
        fmt(&m, 334, &[0x4cbca0, 0x20, 0, 0x53053053], Some(0)),
        "rseq(0x4cbca0, 0x20, 0, 0x53053053) = 0"
    );
    assert_eq!(fmt(&m, 231, &[0], None), "exit_group(0) = ?");
    assert_eq!(fmt(&m, 60, &[u64::MAX], None), "exit(-1) = ?");
    assert_eq!(fmt(&m, 39, &[], Some(1)), "getpid() = 1");
    assert_eq!(fmt(&m, 24, &[], Some(0)), "sched_yield() = 0");
    assert_eq!(
        fmt(&m, 62, &[99999, 9], Some(-3)),
        "kill(99999, SIGKILL) = -1 ESRCH (No such process)"
    );
    assert_eq!(
        fmt(&m, 234, &[1, 2, 36], Some(0)),
        "tgkill(1, 2, SIGRT_4) = 0"
    );
    m.put(0x900, &[3, 0, 0, 0]);
    assert_eq!(
        fmt(&m, 204, &[0, 128, 0x900], Some(4)),
        "sched_getaffinity(0, 128, [0 1]) = 4"
    );
}

#[test]
fn signal_calls() {
    let mut m = FakeMem::default();
    let sa: Vec<u8> = [0x401000u64, 0x0400_0000, 0x401234, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x1000, &sa);
    assert_eq!(
        fmt(&m, 13, &[2, 0x1000, 0, 8], Some(0)),
        "rt_sigaction(SIGINT, {sa_handler=0x401000, sa_mask=[], sa_flags=SA_RESTORER, sa_restorer=0x401234}, NULL, 8) = 0"
    );
    assert_eq!(
        fmt(&m, 13, &[15, 0, 0x1000, 8], Some(-22)),
        "rt_sigaction(SIGTERM, NULL, 0x1000, 8) = -1 EINVAL (Invalid argument)"
    );
    m.put(0x2000, &((1u64 << 1) | (1 << 14)).to_le_bytes());
    assert_eq!(
        fmt(&m, 14, &[0, 0x2000, 0, 8], Some(0)),
        "rt_sigprocmask(SIG_BLOCK, [INT TERM], NULL, 8) = 0"
    );
    assert_eq!(
        fmt(&m, 14, &[2, 0x2000, 0x2000, 8], Some(0)),
        "rt_sigprocmask(SIG_SETMASK, [INT TERM], [INT TERM], 8) = 0"
    );
    assert_eq!(
        fmt(&m, 14, &[0, 0x2000, 0, 4], Some(-22)),
        "rt_sigprocmask(SIG_BLOCK, 0x2000, NULL, 4) = -1 EINVAL (Invalid argument)"
    );
}

#[test]
fn time_and_misc() {
    let mut m = FakeMem::default();
    let ts: Vec<u8> = [1u64, 2].iter().flat_map(|v| v.to_le_bytes()).collect();
    m.put(0x1000, &ts);
    assert_eq!(
        fmt(&m, 228, &[1, 0x1000], Some(0)),
        "clock_gettime(CLOCK_MONOTONIC, {tv_sec=1, tv_nsec=2}) = 0"
    );
    assert_eq!(
        fmt(&m, 35, &[0x1000, 0], Some(0)),
        "nanosleep({tv_sec=1, tv_nsec=2}, NULL) = 0"
    );
    assert_eq!(
        fmt(&m, 230, &[0, 0, 0x1000, 0x1000], Some(-4)),
        "clock_nanosleep(CLOCK_REALTIME, 0, {tv_sec=1, tv_nsec=2}, {tv_sec=1, tv_nsec=2}) = -1 EINTR (Interrupted system call)"
    );
    assert_eq!(
        fmt(&m, 96, &[0x1000, 0], Some(0)),
        "gettimeofday({tv_sec=1, tv_usec=2}, NULL) = 0"
    );
    assert_eq!(
        fmt(&m, 201, &[0], Some(1795772829)),
        "time(NULL) = 1795772829 (2026-11-27T09:47:09+0000)"
    );
    m.put(0x2000, &[0x12, 0x34, 0x41]);
    assert_eq!(
        fmt(&m, 318, &[0x2000, 3, 1], Some(3)),
        r#"getrandom("\x12\x34\x41", 3, GRND_NONBLOCK) = 3"#
    );
    let rl: Vec<u8> = [8u64 << 20, u64::MAX]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x3000, &rl);
    assert_eq!(
        fmt(&m, 302, &[0, 3, 0, 0x3000], Some(0)),
        "prlimit64(0, RLIMIT_STACK, NULL, {rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}) = 0"
    );
    let mut uts = vec![0u8; 390];
    uts[..5].copy_from_slice(b"Linux");
    uts[65..72].copy_from_slice(b"sandbox");
    m.put(0x4000, &uts);
    assert_eq!(
        fmt(&m, 63, &[0x4000], Some(0)),
        r#"uname({sysname="Linux", nodename="sandbox", ...}) = 0"#
    );
}

#[test]
fn generic_and_unknown() {
    let m = FakeMem::default();
    assert_eq!(
        fmt(&m, 500, &[1, 2, 3, 4, 5, 6], Some(-38)),
        "syscall_0x1f4(0x1, 0x2, 0x3, 0x4, 0x5, 0x6) = -1 ENOSYS (Function not implemented)"
    );
    assert_eq!(
        fmt(&m, 206, &[7, 0, 0, 9, 9, 9], Some(-20)),
        "io_setup(0x7, 0) = -1 ENOTDIR (Not a directory)"
    );
    assert_eq!(
        fmt(&m, 217, &[7, 0, 0, 9, 9, 9], Some(-20)),
        "getdents64(7, NULL, 0) = -1 ENOTDIR (Not a directory)"
    );
    assert_eq!(fmt(&m, 81, &[3], Some(0)), "fchdir(3) = 0");
    assert_eq!(fmt(&m, 95, &[0o22], Some(0o22)), "umask(022) = 022");
    assert_eq!(
        fmt(&m, u64::MAX, &[], None).split('(').next(),
        Some("syscall_0xffffffffffffffff")
    );
}

#[test]
fn execve_line() {
    let mut m = FakeMem::default();
    m.put(0x1000, b"/bin/true\0");
    let argv: Vec<u8> = [0x1000u64, 0x1005, 0]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x2000, &argv);
    let envp: Vec<u8> = [0x1000u64; 35]
        .iter()
        .chain(&[0])
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x3f00, &envp);
    assert_eq!(
        fmt(&m, 59, &[0x1000, 0x2000, 0x3f00], Some(0)),
        r#"execve("/bin/true", ["/bin/true", "true"], 0x3f00 /* 35 vars */) = 0"#
    );
    let many: Vec<u8> = [0x1005u64; 40]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    m.put(0x5000, &many);
    let line = fmt(&m, 59, &[0x1000, 0x5000, 0x9000], Some(-2));
    assert!(line.ends_with(r#""true", ...], 0x9000) = -1 ENOENT (No such file or directory)"#));
}

#[test]
fn no_panics_on_garbage() {
    let mut m = FakeMem::default();
    m.put(0x1000, &[0xff; 4096]);
    let vals = [
        0,
        1,
        0x1000,
        0xfff,
        u64::MAX,
        1 << 63,
        0x7fff_ffff,
        0x8000_0000,
    ];
    for nr in 0..480u64 {
        for (i, &v) in vals.iter().enumerate() {
            let w = vals[(i + 3) % vals.len()];
            for ret in [
                None,
                Some(0),
                Some(-1),
                Some(-4095),
                Some(5),
                Some(i64::MAX),
                Some(i64::MIN),
            ] {
                let _ = fmt(&m, nr, &[v, w, v, w, v, w], ret);
                let _ = fmt(&m, nr, &[v, v, w, 8, v, v], ret);
            }
        }
    }
}
