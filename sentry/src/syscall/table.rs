//! What the sentry implements: one row per syscall, with its support level. Every
//! number not listed here returns ENOSYS.

use std::sync::OnceLock;

use syscalls::Sysno;

use super::{fs, memory, process, signal, time, Handler};

/// How completely a syscall is implemented.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    Full,
    /// Implemented with the limitation the note says.
    Partial(&'static str),
}

/// One implemented syscall.
pub struct SyscallDef {
    pub sysno: Sysno,
    pub handler: Handler,
    pub support: Support,
}

const fn full(sysno: Sysno, handler: Handler) -> SyscallDef {
    SyscallDef {
        sysno,
        handler,
        support: Support::Full,
    }
}

const fn partial(sysno: Sysno, handler: Handler, note: &'static str) -> SyscallDef {
    SyscallDef {
        sysno,
        handler,
        support: Support::Partial(note),
    }
}

const STDIO_ONLY: &str = "only the standard streams exist until the filesystem arrives";

/// The table.
pub static SYSCALLS: &[SyscallDef] = &[
    partial(Sysno::read, fs::sys_read, STDIO_ONLY),
    partial(Sysno::write, fs::sys_write, STDIO_ONLY),
    partial(Sysno::readv, fs::sys_readv, STDIO_ONLY),
    partial(Sysno::writev, fs::sys_writev, STDIO_ONLY),
    partial(Sysno::pread64, fs::sys_pread64, STDIO_ONLY),
    partial(Sysno::lseek, fs::sys_lseek, STDIO_ONLY),
    partial(
        Sysno::fcntl,
        fs::sys_fcntl,
        "DUPFD, DUPFD_CLOEXEC, GETFD, SETFD, GETFL, SETFL; other commands give EINVAL",
    ),
    full(Sysno::close, fs::sys_close),
    full(Sysno::dup, fs::sys_dup),
    full(Sysno::dup2, fs::sys_dup2),
    full(Sysno::dup3, fs::sys_dup3),
    partial(
        Sysno::fstat,
        fs::sys_fstat,
        "the standard streams report the host's stat",
    ),
    partial(
        Sysno::newfstatat,
        fs::sys_newfstatat,
        "descriptors (AT_EMPTY_PATH) only: no filesystem yet, every path is absent",
    ),
    partial(Sysno::ioctl, fs::sys_ioctl, "TCGETS and TIOCGWINSZ only"),
    full(Sysno::brk, memory::sys_brk),
    partial(
        Sysno::mmap,
        memory::sys_mmap,
        "anonymous mappings only; no file mappings yet",
    ),
    full(Sysno::munmap, memory::sys_munmap),
    full(Sysno::mprotect, memory::sys_mprotect),
    partial(
        Sysno::mremap,
        memory::sys_mremap,
        "old_size 0 (duplicating a shared mapping) gives EINVAL",
    ),
    partial(
        Sysno::madvise,
        memory::sys_madvise,
        "DONTNEED/FREE discard private pages; other advice is accepted as a hint",
    ),
    partial(
        Sysno::exit,
        process::sys_exit,
        "single-threaded: ends the process",
    ),
    full(Sysno::exit_group, process::sys_exit_group),
    partial(
        Sysno::arch_prctl,
        process::sys_arch_prctl,
        "FS/GS base and GET_CPUID; SET_CPUID gives ENODEV",
    ),
    full(Sysno::set_tid_address, process::sys_set_tid_address),
    full(Sysno::set_robust_list, process::sys_set_robust_list),
    partial(
        Sysno::rseq,
        process::sys_rseq,
        "one vCPU and no preemption: cpu_id is always 0, sections never abort",
    ),
    full(Sysno::uname, process::sys_uname),
    partial(
        Sysno::prctl,
        process::sys_prctl,
        "SET/GET_NAME, SET/GET_PDEATHSIG (recorded), SET/GET_DUMPABLE; others EINVAL",
    ),
    full(Sysno::getpid, process::sys_getpid),
    full(Sysno::gettid, process::sys_gettid),
    full(Sysno::getppid, process::sys_getppid),
    full(Sysno::getuid, process::sys_getuid),
    full(Sysno::geteuid, process::sys_geteuid),
    full(Sysno::getgid, process::sys_getgid),
    full(Sysno::getegid, process::sys_getegid),
    full(Sysno::getrandom, process::sys_getrandom),
    full(Sysno::prlimit64, process::sys_prlimit64),
    full(Sysno::getrlimit, process::sys_getrlimit),
    full(Sysno::setrlimit, process::sys_setrlimit),
    partial(
        Sysno::sched_getaffinity,
        process::sys_sched_getaffinity,
        "one CPU",
    ),
    full(Sysno::sched_yield, process::sys_sched_yield),
    full(Sysno::clock_gettime, time::sys_clock_gettime),
    full(Sysno::clock_getres, time::sys_clock_getres),
    full(Sysno::gettimeofday, time::sys_gettimeofday),
    full(Sysno::time, time::sys_time),
    partial(
        Sysno::nanosleep,
        time::sys_nanosleep,
        "not interruptible by signals yet",
    ),
    partial(
        Sysno::clock_nanosleep,
        time::sys_clock_nanosleep,
        "CPU-time clocks unsupported; not interruptible yet",
    ),
    partial(
        Sysno::rt_sigaction,
        signal::sys_rt_sigaction,
        "recorded; handlers are not run yet (faults terminate)",
    ),
    partial(
        Sysno::rt_sigprocmask,
        signal::sys_rt_sigprocmask,
        "recorded; no signal is delivered yet",
    ),
    partial(
        Sysno::kill,
        signal::sys_kill,
        "the sandbox has one process; handlers are not run yet",
    ),
    partial(
        Sysno::tkill,
        signal::sys_tkill,
        "one thread; handlers are not run yet",
    ),
    partial(
        Sysno::tgkill,
        signal::sys_tgkill,
        "one thread; handlers are not run yet",
    ),
];

/// The row for syscall number `nr`.
pub fn lookup(nr: u64) -> Option<&'static SyscallDef> {
    static BY_NUMBER: OnceLock<Vec<Option<&'static SyscallDef>>> = OnceLock::new();
    let index = BY_NUMBER.get_or_init(|| {
        let max = SYSCALLS
            .iter()
            .map(|d| d.sysno.id() as usize)
            .max()
            .unwrap_or(0);
        let mut v = vec![None; max + 1];
        for def in SYSCALLS {
            v[def.sysno.id() as usize] = Some(def);
        }
        v
    });
    usize::try_from(nr)
        .ok()
        .and_then(|i| index.get(i))
        .copied()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_found() {
        let mut seen = std::collections::HashSet::new();
        for def in SYSCALLS {
            assert!(
                seen.insert(def.sysno.id()),
                "{} listed twice",
                def.sysno.name()
            );
            assert!(std::ptr::eq(lookup(def.sysno.id() as u64).unwrap(), def));
        }
        assert!(lookup(500).is_none());
        assert!(lookup(u64::MAX).is_none());
    }
}
