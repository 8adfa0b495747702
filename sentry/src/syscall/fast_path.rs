//! Which syscalls the syscall server (`kernel::syscall_server`) may serve from a
//! mailbox while the task's vCPU waits in the guest. Such a call must never sleep
//! (the server serves every running task in turn), or else reach its wait before it
//! has changed anything (the wait then hands it back, `Task::must_not_sleep`); it
//! must need nothing of the vCPU but the arguments (no registers, segment bases or
//! FPU state), and must leave anything else it causes (a signal, an exit) for the
//! vCPU's thread to notice afterwards.
//! Everything else takes the VM exit, as every call does without the server.

use syscalls::Sysno;

use super::Args;
use crate::fs::inode::FileType;
use crate::kernel::task::Task;

/// Calls that are servable whatever their arguments.
const ALWAYS: &[Sysno] = &[
    // Memory.
    Sysno::brk,
    Sysno::mmap,
    Sysno::munmap,
    Sysno::mprotect,
    Sysno::madvise,
    Sysno::mincore,
    // Files and paths (an open of a FIFO is handed back: it may wait for a peer).
    Sysno::open,
    Sysno::openat,
    Sysno::close,
    Sysno::dup,
    Sysno::lseek,
    Sysno::getdents64,
    Sysno::stat,
    Sysno::lstat,
    Sysno::fstat,
    Sysno::newfstatat,
    Sysno::statx,
    Sysno::statfs,
    Sysno::fstatfs,
    Sysno::access,
    Sysno::faccessat,
    Sysno::faccessat2,
    Sysno::readlink,
    Sysno::readlinkat,
    Sysno::getcwd,
    Sysno::umask,
    Sysno::chdir,
    Sysno::fchdir,
    Sysno::dup2,
    Sysno::dup3,
    Sysno::pipe,
    Sysno::pipe2,
    Sysno::fadvise64,
    // Changes to names and attributes (never a wait; not sync, which may take long).
    Sysno::mkdir,
    Sysno::mkdirat,
    Sysno::rmdir,
    Sysno::unlink,
    Sysno::unlinkat,
    Sysno::rename,
    Sysno::renameat,
    Sysno::renameat2,
    Sysno::link,
    Sysno::linkat,
    Sysno::symlink,
    Sysno::symlinkat,
    Sysno::truncate,
    Sysno::ftruncate,
    Sysno::chmod,
    Sysno::fchmod,
    Sysno::fchmodat,
    Sysno::chown,
    Sysno::fchown,
    Sysno::lchown,
    Sysno::fchownat,
    Sysno::fsync,
    Sysno::fdatasync,
    // Identity, limits and the system.
    Sysno::getpid,
    Sysno::getppid,
    Sysno::gettid,
    Sysno::getuid,
    Sysno::geteuid,
    Sysno::getgid,
    Sysno::getegid,
    Sysno::getresuid,
    Sysno::getresgid,
    Sysno::getgroups,
    Sysno::getpgrp,
    Sysno::getpgid,
    Sysno::getsid,
    Sysno::uname,
    Sysno::sysinfo,
    Sysno::getrlimit,
    Sysno::prlimit64,
    // Not getrusage or times: the task's CPU time is brought up to date at exits.
    Sysno::sched_getaffinity,
    Sysno::getcpu,
    Sysno::getrandom,
    Sysno::clock_getres,
    // Not the clock reads: the clock is a TSC formula, and the server's core may
    // read a TSC a little apart from the vCPU's (its vDSO serves them anyway).
    // Thread bookkeeping and signal dispositions (a signal they unblock is
    // delivered by the vCPU's thread: the server asks for the vCPU).
    Sysno::set_tid_address,
    Sysno::set_robust_list,
    Sysno::get_robust_list,
    Sysno::rseq,
    Sysno::rt_sigaction,
    Sysno::rt_sigprocmask,
];

/// Whether the server may serve syscall `nr` with `args` for `task`.
pub fn servable(task: &Task, nr: u64, args: &Args) -> bool {
    let Some(sysno) = Sysno::new(nr as usize) else {
        return false;
    };
    if ALWAYS.contains(&sysno) {
        return true;
    }
    match sysno {
        // Data of regular files never makes a reader or writer wait.
        Sysno::pread64
        | Sysno::pwrite64
        | Sysno::readv
        | Sysno::writev
        | Sysno::preadv
        | Sysno::pwritev => is_regular_file(task, args.i32(0)),
        // A pipe read that would wait has taken nothing yet, nor has a write of at
        // most PIPE_BUF bytes (it is all or nothing): the server hands such a call
        // back to the vCPU's thread, which waits (`Task::must_not_sleep`).
        Sysno::read => is_regular_file(task, args.i32(0)) || is_pipe(task, args.i32(0)),
        Sysno::write => {
            const PIPE_BUF: u64 = 4096;
            is_regular_file(task, args.i32(0))
                || (args.u64(2) <= PIPE_BUF && is_pipe(task, args.i32(0)))
        }
        // Waking never waits (FUTEX_WAKE, private or not).
        Sysno::futex => {
            const FUTEX_WAKE: u32 = 1;
            const FUTEX_PRIVATE_FLAG: u32 = 128;
            args.u32(1) & !FUTEX_PRIVATE_FLAG == FUTEX_WAKE
        }
        Sysno::fcntl => {
            const F_SETLKW: u32 = 7;
            const F_OFD_SETLKW: u32 = 38;
            !matches!(args.u32(1), F_SETLKW | F_OFD_SETLKW)
        }
        Sysno::ioctl => {
            const TCGETS: u32 = 0x5401;
            const TIOCGWINSZ: u32 = 0x5413;
            const FIONREAD: u32 = 0x541b;
            const FIOCLEX: u32 = 0x5451;
            const FIONCLEX: u32 = 0x5450;
            matches!(
                args.u32(1),
                TCGETS | TIOCGWINSZ | FIONREAD | FIOCLEX | FIONCLEX
            )
        }
        _ => false,
    }
}

/// Whether `fd` is a file of the sandbox's filesystems whose inode passes `test`.
fn node_is(task: &Task, fd: i32, test: impl Fn(&dyn crate::fs::inode::Inode) -> bool) -> bool {
    task.fds
        .get(fd)
        .is_ok_and(|file| file.dentry().is_some_and(|d| test(d.inode.as_ref())))
}

fn is_pipe(task: &Task, fd: i32) -> bool {
    node_is(task, fd, |inode| {
        inode.as_any().is::<crate::fs::pipe::PipeEnd>()
    })
}

fn is_regular_file(task: &Task, fd: i32) -> bool {
    node_is(task, fd, |inode| inode.file_type() == FileType::Regular)
}
