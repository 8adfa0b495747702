//! Assorted syscalls: clocks, getrandom, unknown syscall numbers, process identity, file
//! descriptors, writev/readv.

use guest_tests::{assert_same, Run};

fn checked(name: &str) -> String {
    let native = assert_same(name, &[]);
    native.assert_checks_pass();
    assert_eq!(native.code(), 0, "native run of {name} failed:\n{native}");
    native.stdout_str()
}

#[test]
fn clocks() {
    let out = checked("clocks");
    assert!(
        out.contains("clock_getres MONOTONIC: 0 0.000000001\n"),
        "{out}"
    );
}

#[test]
fn getrandom() {
    let out = checked("getrandom");
    assert!(
        out.contains("differ: yes\n") && out.contains("bad pointer: -1 EFAULT(14)\n"),
        "{out}"
    );
}

#[test]
fn unknown_syscalls_enosys() {
    let out = checked("nosys");
    assert!(out.contains("syscall(500): -1 ENOSYS(38)\n"), "{out}");
    assert!(out.contains("syscall(100000): -1 ENOSYS(38)\n"), "{out}");
}

#[test]
fn identities_uname_rlimits() {
    let out = checked("misc");
    assert!(out.contains("sysname=Linux\nmachine=x86_64\n"), "{out}");
}

#[test]
fn fds_dup_fstat_ioctl() {
    let out = checked("fds");
    assert!(
        out.contains("TIOCGWINSZ on stdout pipe: -1 ENOTTY(25)\n"),
        "{out}"
    );
    assert!(
        out.contains("through dup3\n") && out.contains("through fd 0\n"),
        "{out}"
    );
}

#[test]
fn writev_readv() {
    let native = Run::program("iov")
        .stdin(b"hello readv world, this is the harness input\n")
        .assert_same();
    let out = native.stdout_str();
    assert!(out.starts_with("one two three\nwritev: 14\n"), "{out}");
    assert!(
        out.contains("x=[hel] y=[lo re] z=[adv world, this is the harness input\n]"),
        "{out}"
    );
}

#[test]
fn readv_empty_stdin() {
    let native = assert_same("iov", &[]);
    assert!(native.stdout_str().contains("readv: 0\n"), "{native}");
}

#[test]
fn vdso_clocks_agree_with_syscalls() {
    let native = guest_tests::assert_same("vdso", &[]);
    native.assert_checks_pass();
}

#[test]
fn select_sees_only_the_descriptor_table() {
    checked("select_table");
}

#[test]
fn stream_offsets() {
    let out = checked("stream_offsets");
    assert!(out.contains("pread eventfd: -1 Illegal seek\n"), "{out}");
    assert!(out.contains("lseek epoll: 0 \n"), "{out}");
}

#[test]
fn standard_streams_keep_their_access_modes() {
    let out = checked("stdio_modes");
    assert!(out.contains("read(1): -1 EBADF(9)\n"), "{out}");
    assert!(out.contains("sendfile(1, 2): -1 EBADF(9)\n"), "{out}");
}

/// `programs/fd_limit.c`: RLIMIT_NOFILE starts as the host's and bounds open, dup2,
/// F_DUPFD, poll and getdtablesize.
#[test]
fn descriptor_limit_is_the_hosts_and_bounds_every_descriptor() {
    guest_tests::assert_same_with_lines(
        "fd_limit",
        &[
            "getdtablesize: 64",
            "opens stop after fd 63 with EMFILE(24)",
            "dup2 to 64: EBADF(9)",
            "F_DUPFD from 64: EINVAL(22)",
            "poll of 65 fds: EINVAL(22)",
        ],
    );
}
