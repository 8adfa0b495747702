//! Typed argument decoding for the syscalls the sentry commonly serves.
//!
//! Output arguments (buffers and structs the kernel fills) are decoded only when the
//! call succeeded; on failure strace shows their pointer, and so do we.

use super::args::{self, buf, dirfd, hex, int, octal, path, ptr};
use super::flags::{self as fl, flags, xlat};
use super::signals::signal_name;
use super::{futex, structs, tty, TraceMemory};

/// How the return value prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// Signed decimal.
    Dec,
    /// An address (`mmap`, `brk`).
    Hex,
    /// A file mode (`umask`).
    Octal,
    /// `fcntl(F_GETFD)`: `0x1 (flags FD_CLOEXEC)`.
    FdFlags,
    /// `fcntl(F_GETFL)`: `0x8002 (flags O_RDWR|O_LARGEFILE)`.
    FileFlags,
    /// `time`: seconds plus the date in a comment.
    Time,
}

/// One syscall's raw arguments and result, plus the memory to decode them from.
pub struct Call<'a> {
    pub a: [u64; 6],
    pub ret: Option<i64>,
    pub mem: &'a dyn TraceMemory,
}

const EINTR: i64 = 4;

impl Call<'_> {
    /// Whether the call returned without an error.
    fn ok(&self) -> bool {
        matches!(self.ret, Some(r) if !(-4095..=-1).contains(&r))
    }

    /// The non-negative result of a successful call (a byte count), else 0.
    fn count(&self) -> u64 {
        match self.ret {
            Some(r) if r >= 0 => r as u64,
            _ => 0,
        }
    }

    /// An output buffer holding the result's byte count.
    fn out_buf(&self, addr: u64, hex: bool) -> String {
        if self.ok() {
            buf(self.mem, addr, self.count(), hex)
        } else {
            ptr(addr)
        }
    }

    /// An output struct, decoded with `f` on success.
    fn out(&self, addr: u64, f: impl FnOnce(&dyn TraceMemory, u64) -> String) -> String {
        if self.ok() {
            f(self.mem, addr)
        } else {
            ptr(addr)
        }
    }

    /// A `rem` timespec, written by the kernel only when the sleep was interrupted.
    fn remaining(&self, addr: u64) -> String {
        if self.ret == Some(-EINTR) {
            structs::timespec(self.mem, addr)
        } else {
            ptr(addr)
        }
    }
}

/// Decodes `name`'s arguments, or `None` to print them generically in hex.
pub fn decode(name: &str, c: &Call) -> Option<(Vec<String>, Ret)> {
    let a = c.a;
    let m = c.mem;
    let sig = |v: u64| signal_name(v as u32 as i32);
    let dec = |v: u64| v.to_string();
    let sdec = |v: u64| (v as i64).to_string();
    let mut ret = Ret::Dec;
    let args: Vec<String> = match name {
        "read" => vec![int(a[0]), c.out_buf(a[1], false), dec(a[2])],
        "pread64" => vec![int(a[0]), c.out_buf(a[1], false), dec(a[2]), sdec(a[3])],
        "write" => vec![int(a[0]), buf(m, a[1], a[2], false), dec(a[2])],
        "pwrite64" => vec![int(a[0]), buf(m, a[1], a[2], false), dec(a[2]), sdec(a[3])],
        "readv" => {
            let iov = if c.ok() {
                structs::iovecs(m, a[1], u64::from(a[2] as u32), Some(c.count()))
            } else {
                ptr(a[1])
            };
            vec![int(a[0]), iov, int(a[2])]
        }
        "writev" => vec![
            int(a[0]),
            structs::iovecs(m, a[1], u64::from(a[2] as u32), None),
            int(a[2]),
        ],
        "open" => open_args(m, None, a[0], a[1], a[2]),
        "openat" => open_args(m, Some(a[0]), a[1], a[2], a[3]),
        "creat" => vec![path(m, a[0]), octal(a[1] & 0xffff_ffff)],
        "close" | "dup" | "exit" | "exit_group" | "fsync" | "fdatasync" | "fchdir" => {
            vec![int(a[0])]
        }
        "dup2" => vec![int(a[0]), int(a[1])],
        "dup3" => vec![int(a[0]), int(a[1]), fl::o_flags(a[2])],
        "pipe" => vec![c.out(a[0], structs::int_pair)],
        "pipe2" => vec![c.out(a[0], structs::int_pair), fl::o_flags(a[1])],
        "fstat" => vec![int(a[0]), c.out(a[1], structs::stat)],
        "stat" | "lstat" => vec![path(m, a[0]), c.out(a[1], structs::stat)],
        "newfstatat" => vec![
            dirfd(a[0]),
            path(m, a[1]),
            c.out(a[2], structs::stat),
            flags(a[3], fl::AT_FLAGS, "AT"),
        ],
        "lseek" => vec![int(a[0]), sdec(a[1]), xlat(a[2], fl::SEEK, "SEEK")],
        "sendfile" => vec![int(a[0]), int(a[1]), ptr(a[2]), dec(a[3])],
        "getdents64" => vec![int(a[0]), ptr(a[1]), dec(a[2])],
        "rename" | "link" | "symlink" => vec![path(m, a[0]), path(m, a[1])],
        "renameat" => vec![dirfd(a[0]), path(m, a[1]), dirfd(a[2]), path(m, a[3])],
        "symlinkat" => vec![path(m, a[0]), dirfd(a[1]), path(m, a[2])],
        "linkat" => vec![
            dirfd(a[0]),
            path(m, a[1]),
            dirfd(a[2]),
            path(m, a[3]),
            flags(a[4], fl::AT_FLAGS, "AT"),
        ],
        "truncate" => vec![path(m, a[0]), dec(a[1])],
        "ftruncate" => vec![int(a[0]), dec(a[1])],
        "statfs" => vec![path(m, a[0]), ptr(a[1])],
        "fstatfs" => vec![int(a[0]), ptr(a[1])],
        "ioctl" => {
            let mut v = vec![int(a[0])];
            v.extend(tty::ioctl_args(m, a[1], a[2], c.ok()));
            v
        }
        "brk" => {
            ret = Ret::Hex;
            vec![ptr(a[0])]
        }
        "mmap" => {
            ret = Ret::Hex;
            vec![
                ptr(a[0]),
                dec(a[1]),
                flags(a[2], fl::PROT, "PROT"),
                fl::map_flags(a[3]),
                int(a[4]),
                hex(a[5]),
            ]
        }
        "munmap" => vec![ptr(a[0]), dec(a[1])],
        "mprotect" => vec![ptr(a[0]), dec(a[1]), flags(a[2], fl::PROT, "PROT")],
        "madvise" => vec![ptr(a[0]), dec(a[1]), xlat(a[2], fl::MADV, "MADV")],
        "mremap" => {
            ret = Ret::Hex;
            let mut v = vec![
                ptr(a[0]),
                dec(a[1]),
                dec(a[2]),
                flags(a[3], fl::MREMAP, "MREMAP"),
            ];
            // The new address is only an argument with MREMAP_FIXED.
            if a[3] & 2 != 0 {
                v.push(ptr(a[4]));
            }
            v
        }
        "arch_prctl" => {
            let code = xlat(a[0], fl::ARCH_PRCTL, "ARCH");
            let arg = match a[0] {
                0x1003 | 0x1004 => c.out(a[1], structs::hex_u64_ptr),
                _ => hex(a[1]),
            };
            vec![code, arg]
        }
        "set_tid_address" => vec![hex(a[0])],
        "set_robust_list" => vec![ptr(a[0]), dec(a[1])],
        "rseq" => vec![
            hex(a[0]),
            hex(a[1] & 0xffff_ffff),
            hex(a[2] & 0xffff_ffff),
            hex(a[3] & 0xffff_ffff),
        ],
        "uname" => vec![c.out(a[0], structs::utsname)],
        "getrandom" => vec![
            c.out_buf(a[0], true),
            dec(a[1]),
            flags(a[2], fl::GRND, "GRND"),
        ],
        "clock_gettime" | "clock_getres" => {
            vec![fl::clock(a[0]), c.out(a[1], structs::timespec)]
        }
        "clock_settime" => vec![fl::clock(a[0]), structs::timespec(m, a[1])],
        "gettimeofday" => vec![
            c.out(a[0], structs::timeval),
            c.out(a[1], structs::timezone),
        ],
        "time" => {
            ret = Ret::Time;
            let t = match c.ret {
                Some(t) if c.ok() && a[0] != 0 => {
                    format!("[{t} /* {} */]", structs::iso_time(t))
                }
                _ => ptr(a[0]),
            };
            vec![t]
        }
        "nanosleep" => vec![structs::timespec(m, a[0]), c.remaining(a[1])],
        "clock_nanosleep" => vec![
            fl::clock(a[0]),
            flags(a[1], fl::TIMER_FLAGS, "TIMER"),
            structs::timespec(m, a[2]),
            c.remaining(a[3]),
        ],
        "rt_sigaction" => vec![
            sig(a[0]),
            structs::sigaction(m, a[1]),
            c.out(a[2], structs::sigaction),
            dec(a[3]),
        ],
        "rt_sigprocmask" => vec![
            xlat(u64::from(a[0] as u32), fl::SIGPROCMASK_HOW, "SIG"),
            structs::sigset(m, a[1], a[3]),
            c.out(a[2], |m, p| structs::sigset(m, p, a[3])),
            dec(a[3]),
        ],
        "prlimit64" => vec![
            int(a[0]),
            xlat(u64::from(a[1] as u32), fl::RLIMIT, "RLIMIT"),
            structs::rlimit(m, a[2]),
            c.out(a[3], structs::rlimit),
        ],
        "getrlimit" => vec![
            xlat(u64::from(a[0] as u32), fl::RLIMIT, "RLIMIT"),
            c.out(a[1], structs::rlimit),
        ],
        "setrlimit" => vec![
            xlat(u64::from(a[0] as u32), fl::RLIMIT, "RLIMIT"),
            structs::rlimit(m, a[1]),
        ],
        "sched_getaffinity" => vec![
            int(a[0]),
            dec(a[1]),
            c.out(a[2], |m, p| structs::cpu_set(m, p, c.count())),
        ],
        "sched_setaffinity" => vec![int(a[0]), dec(a[1]), structs::cpu_set(m, a[2], a[1])],
        "access" => vec![path(m, a[0]), flags(a[1], fl::ACCESS_MODE, "R")],
        "faccessat" => vec![
            dirfd(a[0]),
            path(m, a[1]),
            flags(a[2], fl::ACCESS_MODE, "R"),
        ],
        "faccessat2" => vec![
            dirfd(a[0]),
            path(m, a[1]),
            flags(a[2], fl::ACCESS_MODE, "R"),
            flags(a[3], fl::AT_FLAGS, "AT"),
        ],
        "readlink" => vec![path(m, a[0]), c.out_buf(a[1], false), dec(a[2])],
        "readlinkat" => vec![
            dirfd(a[0]),
            path(m, a[1]),
            c.out_buf(a[2], false),
            dec(a[3]),
        ],
        "getcwd" => {
            let p = c.out(a[0], |m, p| args::cstr(m, p, c.count() as usize));
            vec![p, dec(a[1])]
        }
        "chdir" | "rmdir" | "unlink" => vec![path(m, a[0])],
        "mkdir" | "chmod" => vec![path(m, a[0]), octal(a[1] & 0xffff_ffff)],
        "fchmod" => vec![int(a[0]), octal(a[1] & 0xffff_ffff)],
        "mkdirat" => vec![dirfd(a[0]), path(m, a[1]), octal(a[2] & 0xffff_ffff)],
        "unlinkat" => vec![dirfd(a[0]), path(m, a[1]), flags(a[2], fl::AT_FLAGS, "AT")],
        "umask" => {
            ret = Ret::Octal;
            vec![octal(a[0] & 0xffff_ffff)]
        }
        "fcntl" => return Some(fcntl_args(c)),
        "execve" => vec![
            path(m, a[0]),
            structs::string_array(m, a[1]),
            structs::env_summary(m, a[2]),
        ],
        "futex" => futex::futex_args(m, a),
        "kill" | "tkill" => vec![int(a[0]), sig(a[1])],
        "tgkill" => vec![int(a[0]), int(a[1]), sig(a[2])],
        "sched_yield" | "getpid" | "gettid" | "getppid" | "getuid" | "geteuid" | "getgid"
        | "getegid" | "getpgrp" | "setsid" | "pause" => vec![],
        _ => return None,
    };
    Some((args, ret))
}

/// `open`/`openat`: the mode is shown only when the flags make the kernel use it.
fn open_args(m: &dyn TraceMemory, dir: Option<u64>, p: u64, oflags: u64, mode: u64) -> Vec<String> {
    let mut v: Vec<String> = dir.map(dirfd).into_iter().collect();
    v.push(path(m, p));
    v.push(fl::open_flags(oflags));
    if fl::open_has_mode(oflags) {
        v.push(octal(mode & 0xffff_ffff));
    }
    v
}

/// `fcntl`: the third argument's type and the result's format depend on the command.
fn fcntl_args(c: &Call) -> (Vec<String>, Ret) {
    let [fd, cmd, arg, ..] = c.a;
    let cmd = u64::from(cmd as u32);
    let mut v = vec![int(fd), xlat(cmd, fl::FCNTL_CMD, "F")];
    let mut ret = Ret::Dec;
    match cmd {
        1 => ret = Ret::FdFlags,
        3 => ret = Ret::FileFlags,
        9 | 11 | 1025 | 1032 | 1034 => {}
        2 => v.push(flags(arg, fl::FD_FLAGS, "FD")),
        4 => v.push(fl::open_flags(arg)),
        5 | 36 => v.push(if c.ok() {
            structs::flock(c.mem, arg, true)
        } else {
            structs::flock(c.mem, arg, false)
        }),
        6 | 7 | 37 | 38 => v.push(structs::flock(c.mem, arg, false)),
        15 => v.push(structs::owner_ex(c.mem, arg)),
        16 => v.push(c.out(arg, structs::owner_ex)),
        0 | 8 | 10 | 1024 | 1026 | 1030 | 1031 | 1033 => v.push(int(arg)),
        _ => v.push(hex(arg)),
    }
    (v, ret)
}
