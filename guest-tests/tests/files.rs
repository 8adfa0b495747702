//! The filesystem, program by program: each `fs_*.c` runs natively and under the sentry, each
//! in its own fresh copy of the fixture tree (`guest_tests::fixture`) as cwd; outputs must be
//! identical and the sentry's host copy must be left exactly as created.

use guest_tests::{Output, Run};

/// Runs `programs/NAME.c` in a fixture, compares, checks its yes/no lines and that the native
/// output contains each of `lines` (a guard that the program tests what it claims to).
fn fs(name: &str, args: &[&str], lines: &[&str]) -> Output {
    let native = Run::program(name)
        .args(args)
        .env("GT_PROC", "here")
        .in_fixture()
        .assert_same();
    native.assert_checks_pass();
    assert_eq!(native.code(), 0, "native run of {name} failed:\n{native}");
    let out = native.stdout_str();
    for line in lines {
        assert!(
            out.lines().any(|l| l == *line),
            "native {name} output lacks {line:?}:\n{out}"
        );
    }
    native
}

#[test]
fn open_flags_and_errors() {
    fs(
        "fs_open",
        &[],
        &[
            "O_CREAT|O_EXCL again: -1 EEXIST(17)",
            "open hello.txt O_DIRECTORY: -1 ENOTDIR(20)",
            "open a O_WRONLY: -1 EISDIR(21)",
            "open rel_link O_NOFOLLOW: -1 ELOOP(40)",
            "new.txt after append: \"abcdefG\"",
            "close_range bad (first > last): -1 EINVAL(22)",
        ],
    );
}

#[test]
fn read_write_and_seek() {
    fs(
        "fs_rw",
        &[],
        &[
            "big.bin size: 102400 (last read 0)",
            "read fd after dup seek: \"world\"",
            "contents with hole: \"Jello world\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00Z\"",
            "lseek SEEK_SET -1: -1 EINVAL(22)",
            "preadv2: \"QXYZefghQ\"",
        ],
    );
}

#[test]
fn stat_family() {
    fs(
        "fs_stat",
        &[],
        &[
            "stat a: dir mode 0755 nlink 3 own me",
            "lstat rel_link: lnk mode 0777 size 9 nlink 1 own me",
            "stat hardlink.txt: reg mode 0644 size 7 nlink 2 own me",
            "stat private.txt: reg mode 0600 size 7 nlink 1 own me",
            "stat l1: -1 ELOOP(40)",
            "statx two.txt: 0 type reg mode 0644 size 4 nlink 1",
        ],
    );
}

#[test]
fn directories_and_cwd() {
    fs(
        "fs_dirs",
        &[],
        &[
            "list a (4 entries): ../d ./d b/d one.txt/f",
            "rmdir non-empty: -1 ENOTEMPTY(39)",
            "rmdir file: -1 ENOTDIR(20)",
            "unlink dir: -1 EISDIR(21)",
            "getcwd: <start>/a/b",
            "getcwd (.. of / is /): /",
        ],
    );
}

#[test]
fn rename_link_symlink_readlink() {
    fs(
        "fs_rename",
        &[],
        &[
            "renameat2 NOREPLACE onto existing: -1 EEXIST(17)",
            "y.txt: \"x\\n\"",
            "rename dir over non-empty dir: -1 ENOTEMPTY(39)",
            "rename file over dir: -1 EISDIR(21)",
            "readlink of a file: -1 EINVAL(22)",
            "readlink a/b/up_link: 15 \"../../hello.txt\"",
        ],
    );
}

#[test]
fn attributes_times_umask_sync_statfs() {
    fs(
        "fs_attr",
        &[],
        &[
            "hello.txt: \"hello\\x00\\x00\\x00\"",
            "lines.txt: atime 1000000000.123456789 mtime 1234567890.987654321",
            "creat 0666 under umask 077: 0600 reg",
            "fsync: 0",
            "access private.txt X_OK: -1 EACCES(13)",
        ],
    );
}

#[test]
fn sendfile_copy_range_fionread_fifo_poll() {
    fs(
        "fs_copy",
        &[],
        &[
            "sent.bin: 156 bytes, contents right: yes",
            "available at 6: 7",
            "S_ISFIFO: yes, mode 0640, size 0",
            "readable in 1 out 1, writable out 1",
        ],
    );
}

#[test]
fn path_walk() {
    fs(
        "fs_walk",
        &[],
        &[
            "chain of 40 links: \"hello, world\\n\"",
            "chain of 41 links: -1 ELOOP(40)",
            "open 300-byte name: -1 ENAMETOOLONG(36)",
            "stat 5000-byte path: -1 ENAMETOOLONG(36)",
            "hello.txt/x: -1 ENOTDIR(20)",
            "no hello.txt in /tmp: -1 ENOENT(2)",
            "rename /dev/shm -> cwd (another mount): -1 EXDEV(18)",
        ],
    );
}

#[test]
fn devfs() {
    fs(
        "fs_dev",
        &[],
        &[
            "read /dev/null: 0",
            "write /dev/full: -1 ENOSPC(28)",
            "two reads differ: yes",
        ],
    );
}

#[test]
fn procfs_and_sysfs() {
    fs(
        "fs_proc",
        &["one", "two words", ""],
        &[
            "fds at start: 0 1 2",
            "fds after 2 opens: 0 1 2 3 4",
            "maps has a [stack] line: yes",
            "root link: /",
        ],
    );
}

#[test]
fn utime_utimes_futimesat() {
    fs(
        "utimes",
        &[],
        &[
            "utimes: ok atime 1300000000.123456000 mtime 1400000000.654321000",
            "futimesat on the fd, NULL path: ok atime 1500000000.123456000 mtime 1600000000.654321000",
            "utimes usec 1000000: -1 Invalid argument",
            "utimensat AT_FDCWD, NULL path: -1 Bad address",
        ],
    );
}

#[test]
fn memfd_create_and_seals() {
    fs(
        "memfd",
        &[],
        &[
            "link: /memfd:first (deleted)",
            "read after map store: via map",
            "truncate to 5: error Operation not permitted",
            "write sealed: error Operation not permitted",
            "shared writable map of a write-sealed file: Operation not permitted",
            "get seals now: 14",
            "get seals of a plain file: error Invalid argument",
            "name of 250 bytes: error Invalid argument",
        ],
    );
}

#[test]
fn getdents_readahead_sync_file_range_mlock_ioprio_capget() {
    fs(
        "misc_syscalls",
        &[],
        &[
            "getdents took more than one call: yes",
            "getdents buffer too small: error Invalid argument",
            "sync_file_range pipe: error Illegal seek",
            "mlock over a hole: error Cannot allocate memory",
            "mlockall MCL_ONFAULT alone: error Invalid argument",
            "ioprio_get after set: 16388",
            "robust list set: yes len 24",
            "preferred version: 0x20080522",
        ],
    );
}
