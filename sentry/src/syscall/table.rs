//! What the sentry implements: one row per syscall, with its support level. Every
//! number not listed here returns ENOSYS.

use std::sync::OnceLock;

use syscalls::Sysno;

use super::{
    attr, creds, epoll, fd, futex, io, lifecycle, memfd, memory, msg, path, poll, process, sem,
    shm, signal, socket, stat, time, timer, Handler,
};

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

const EPOLL_WAIT_NOTE: &str = "edge-triggered: a read that leaves data in a pipe or socket counts as an edge; host streams are polled every 10 ms";
const EPOLL_FD_NOTE: &str =
    "poll/select see an epoll fd's readiness but are not woken by it (a nested epoll_wait is)";

/// The table.
pub static SYSCALLS: &[SyscallDef] = &[
    // Data transfer.
    full(Sysno::read, io::sys_read),
    full(Sysno::write, io::sys_write),
    full(Sysno::readv, io::sys_readv),
    full(Sysno::writev, io::sys_writev),
    full(Sysno::pread64, io::sys_pread64),
    full(Sysno::pwrite64, io::sys_pwrite64),
    full(Sysno::preadv, io::sys_preadv),
    full(Sysno::pwritev, io::sys_pwritev),
    partial(
        Sysno::preadv2,
        io::sys_preadv2,
        "RWF_NOWAIT and RWF_APPEND give EOPNOTSUPP",
    ),
    partial(
        Sysno::pwritev2,
        io::sys_pwritev2,
        "RWF_NOWAIT and RWF_APPEND give EOPNOTSUPP",
    ),
    full(Sysno::lseek, io::sys_lseek),
    full(Sysno::sendfile, io::sys_sendfile),
    full(Sysno::copy_file_range, io::sys_copy_file_range),
    // Descriptors.
    full(Sysno::close, fd::sys_close),
    full(Sysno::close_range, fd::sys_close_range),
    full(Sysno::dup, fd::sys_dup),
    full(Sysno::dup2, fd::sys_dup2),
    full(Sysno::dup3, fd::sys_dup3),
    partial(
        Sysno::fcntl,
        fd::sys_fcntl,
        "DUPFD(_CLOEXEC), GET/SETFD, GET/SETFL, GET/SETPIPE_SZ, ADD/GET_SEALS, record and OFD locks (no deadlock detection)",
    ),
    partial(
        Sysno::ioctl,
        fd::sys_ioctl,
        "TCGETS and TIOCGWINSZ on the standard streams, FIONREAD",
    ),
    full(Sysno::getdents64, fd::sys_getdents64),
    full(Sysno::fadvise64, fd::sys_fadvise64),
    partial(
        Sysno::pipe,
        fd::sys_pipe,
        "O_DIRECT is accepted but packets are not kept apart",
    ),
    partial(
        Sysno::pipe2,
        fd::sys_pipe2,
        "O_DIRECT is accepted but packets are not kept apart",
    ),
    // Sockets: AF_UNIX pairs, and named stream/seqpacket sockets.
    partial(
        Sysno::socket,
        socket::sys_socket,
        "AF_UNIX stream, seqpacket and dgram; other families give EAFNOSUPPORT (no network)",
    ),
    partial(
        Sysno::bind,
        socket::sys_bind,
        "AF_UNIX paths (in the sandbox's own filesystems; a host rw bind gives EOPNOTSUPP), abstract names, autobind",
    ),
    full(Sysno::listen, socket::sys_listen),
    partial(
        Sysno::connect,
        socket::sys_connect,
        "AF_UNIX: stream and seqpacket sockets to a listener of the sandbox, datagram sockets to a bound one",
    ),
    full(Sysno::accept, socket::sys_accept),
    full(Sysno::accept4, socket::sys_accept4),
    partial(
        Sysno::socketpair,
        socket::sys_socketpair,
        "AF_UNIX stream, dgram and seqpacket; AF_INET/INET6/NETLINK/PACKET give EOPNOTSUPP, other families EAFNOSUPPORT",
    ),
    partial(
        Sysno::sendto,
        socket::sys_sendto,
        "socketpair sockets; MSG_OOB gives EOPNOTSUPP; a datagram sent to a name fails as no name is bound (ENOENT/ECONNREFUSED)",
    ),
    partial(
        Sysno::sendmsg,
        socket::sys_sendmsg,
        "as sendto; SCM_RIGHTS passes descriptors, SCM_CREDENTIALS is checked and dropped",
    ),
    partial(
        Sysno::recvfrom,
        socket::sys_recvfrom,
        "socketpair sockets; MSG_OOB gives EINVAL (stream) or EOPNOTSUPP",
    ),
    partial(
        Sysno::recvmsg,
        socket::sys_recvmsg,
        "AF_UNIX sockets; SCM_RIGHTS descriptors are delivered, credentials never (SO_PASSCRED is only recorded)",
    ),
    full(Sysno::shutdown, socket::sys_shutdown),
    full(Sysno::getsockname, socket::sys_getsockname),
    full(Sysno::getpeername, socket::sys_getpeername),
    partial(
        Sysno::getsockopt,
        socket::sys_getsockopt,
        "SOL_SOCKET options of AF_UNIX sockets; other levels give EOPNOTSUPP",
    ),
    partial(
        Sysno::setsockopt,
        socket::sys_setsockopt,
        "SOL_SOCKET: SNDBUF/RCVBUF (FORCE variants bounded as well), RCVTIMEO/SNDTIMEO and RCVLOWAT honoured by send*/recv* (not read/write); others recorded; SO_PEEK_OFF other than -1 gives EOPNOTSUPP",
    ),
    full(Sysno::flock, fd::sys_flock),
    full(Sysno::fsync, fd::sys_fsync),
    full(Sysno::fdatasync, fd::sys_fsync),
    full(Sysno::syncfs, fd::sys_fsync),
    full(Sysno::sync, fd::sys_sync),
    full(Sysno::ftruncate, fd::sys_ftruncate),
    partial(
        Sysno::fallocate,
        fd::sys_fallocate,
        "mode 0 only; other modes give EOPNOTSUPP",
    ),
    full(Sysno::fchmod, attr::sys_fchmod),
    full(Sysno::fchown, attr::sys_fchown),
    full(Sysno::fchdir, path::sys_fchdir),
    // Paths.
    full(Sysno::open, path::sys_open),
    full(Sysno::openat, path::sys_openat),
    partial(
        Sysno::openat2,
        path::sys_openat2,
        "RESOLVE_* flags give EINVAL; O_TMPFILE gives EOPNOTSUPP",
    ),
    full(Sysno::creat, path::sys_creat),
    full(Sysno::mkdir, path::sys_mkdir),
    full(Sysno::mkdirat, path::sys_mkdirat),
    partial(
        Sysno::mknod,
        path::sys_mknod,
        "regular files and FIFOs; device nodes give EPERM",
    ),
    partial(
        Sysno::mknodat,
        path::sys_mknodat,
        "regular files and FIFOs; device nodes give EPERM",
    ),
    full(Sysno::rmdir, path::sys_rmdir),
    full(Sysno::unlink, path::sys_unlink),
    full(Sysno::unlinkat, path::sys_unlinkat),
    full(Sysno::rename, path::sys_rename),
    full(Sysno::renameat, path::sys_renameat),
    partial(
        Sysno::renameat2,
        path::sys_renameat2,
        "NOREPLACE and EXCHANGE; WHITEOUT gives EINVAL",
    ),
    full(Sysno::link, path::sys_link),
    full(Sysno::linkat, path::sys_linkat),
    full(Sysno::symlink, path::sys_symlink),
    full(Sysno::symlinkat, path::sys_symlinkat),
    full(Sysno::readlink, path::sys_readlink),
    full(Sysno::readlinkat, path::sys_readlinkat),
    full(Sysno::access, path::sys_access),
    full(Sysno::faccessat, path::sys_faccessat),
    full(Sysno::faccessat2, path::sys_faccessat2),
    full(Sysno::chdir, path::sys_chdir),
    full(Sysno::getcwd, path::sys_getcwd),
    full(Sysno::umask, path::sys_umask),
    full(Sysno::truncate, attr::sys_truncate),
    full(Sysno::chmod, attr::sys_chmod),
    full(Sysno::fchmodat, attr::sys_fchmodat),
    full(Sysno::chown, attr::sys_chown),
    full(Sysno::lchown, attr::sys_lchown),
    full(Sysno::fchownat, attr::sys_fchownat),
    partial(
        Sysno::utimensat,
        attr::sys_utimensat,
        "times before 1970 are stored as 1970",
    ),
    partial(Sysno::utimes, attr::sys_utimes, "as utimensat"),
    partial(Sysno::futimesat, attr::sys_futimesat, "as utimensat"),
    partial(Sysno::utime, attr::sys_utime, "as utimensat"),
    partial(
        Sysno::getxattr,
        attr::sys_getxattr,
        "no extended attributes are stored: ENODATA",
    ),
    partial(
        Sysno::lgetxattr,
        attr::sys_lgetxattr,
        "no extended attributes are stored: ENODATA",
    ),
    partial(
        Sysno::fgetxattr,
        attr::sys_fgetxattr,
        "no extended attributes are stored: ENODATA",
    ),
    partial(
        Sysno::listxattr,
        attr::sys_listxattr,
        "no extended attributes are stored: empty list",
    ),
    partial(
        Sysno::llistxattr,
        attr::sys_llistxattr,
        "no extended attributes are stored: empty list",
    ),
    partial(
        Sysno::flistxattr,
        attr::sys_flistxattr,
        "no extended attributes are stored: empty list",
    ),
    partial(
        Sysno::setxattr,
        attr::sys_setxattr,
        "extended attributes cannot be set: EOPNOTSUPP",
    ),
    partial(
        Sysno::lsetxattr,
        attr::sys_lsetxattr,
        "extended attributes cannot be set: EOPNOTSUPP",
    ),
    partial(
        Sysno::fsetxattr,
        attr::sys_fsetxattr,
        "extended attributes cannot be set: EOPNOTSUPP",
    ),
    full(Sysno::stat, stat::sys_stat),
    full(Sysno::lstat, stat::sys_lstat),
    full(Sysno::fstat, stat::sys_fstat),
    full(Sysno::newfstatat, stat::sys_newfstatat),
    full(Sysno::statx, stat::sys_statx),
    full(Sysno::statfs, stat::sys_statfs),
    full(Sysno::fstatfs, stat::sys_fstatfs),
    partial(
        Sysno::poll,
        poll::sys_poll,
        "filesystem files are always ready",
    ),
    partial(
        Sysno::ppoll,
        poll::sys_ppoll,
        "filesystem files are always ready",
    ),
    partial(
        Sysno::select,
        poll::sys_select,
        "filesystem files are always ready; the timeout is not updated",
    ),
    partial(
        Sysno::pselect6,
        poll::sys_pselect6,
        "filesystem files are always ready; the timeout is not updated",
    ),
    partial(
        Sysno::eventfd,
        epoll::sys_eventfd,
        "reads and writes of 0 bytes return 0 (Linux: EINVAL); pread reads (Linux: ESPIPE)",
    ),
    partial(
        Sysno::eventfd2,
        epoll::sys_eventfd2,
        "reads and writes of 0 bytes return 0 (Linux: EINVAL); pread reads (Linux: ESPIPE)",
    ),
    full(Sysno::getdents, fd::sys_getdents),
    full(Sysno::readahead, fd::sys_readahead),
    full(Sysno::sync_file_range, fd::sys_sync_file_range),
    partial(
        Sysno::mlock,
        memory::sys_mlock,
        "without CAP_IPC_LOCK (uid 0), RLIMIT_MEMLOCK bounds each call, not the total",
    ),
    partial(Sysno::mlock2, memory::sys_mlock2, "as mlock"),
    full(Sysno::munlock, memory::sys_munlock),
    partial(
        Sysno::mlockall,
        memory::sys_mlockall,
        "MCL_FUTURE needs nothing: nothing is paged out",
    ),
    full(Sysno::munlockall, memory::sys_munlockall),
    partial(
        Sysno::ioprio_get,
        process::sys_ioprio_get,
        "the calling thread, its process group or its user only (others: ESRCH)",
    ),
    partial(
        Sysno::ioprio_set,
        process::sys_ioprio_set,
        "as ioprio_get; recorded (no block I/O to order)",
    ),
    partial(
        Sysno::get_robust_list,
        process::sys_get_robust_list,
        "the calling thread's only (others: ESRCH)",
    ),
    partial(
        Sysno::capget,
        creds::sys_capget,
        "uid 0 has every capability, others none; other processes: ESRCH",
    ),
    partial(
        Sysno::signalfd,
        signal::sys_signalfd,
        "reads the signals of the thread that made it and of its process (Linux: of the reader)",
    ),
    partial(
        Sysno::signalfd4,
        signal::sys_signalfd4,
        "reads the signals of the thread that made it and of its process (Linux: of the reader)",
    ),
    partial(
        Sysno::shmget,
        shm::sys_shmget,
        "SHM_HUGETLB gives EINVAL; ids are table slots (no sequence numbers)",
    ),
    partial(
        Sysno::shmat,
        shm::sys_shmat,
        "shm_nattch counts mappings: one split by a partial munmap counts twice",
    ),
    partial(
        Sysno::shmdt,
        shm::sys_shmdt,
        "shm_lpid is not updated when a process exits attached",
    ),
    partial(
        Sysno::shmctl,
        shm::sys_shmctl,
        "SHM_LOCK only marks the mode (nothing is paged out); no /proc/sysvipc/shm",
    ),
    partial(
        Sysno::msgget,
        msg::sys_msgget,
        "ids are table slots (no sequence numbers)",
    ),
    full(Sysno::msgsnd, msg::sys_msgsnd),
    partial(Sysno::msgrcv, msg::sys_msgrcv, "MSG_COPY gives EINVAL"),
    partial(Sysno::msgctl, msg::sys_msgctl, "no /proc/sysvipc/msg"),
    partial(
        Sysno::semget,
        sem::sys_semget,
        "ids are table slots (no sequence numbers)",
    ),
    partial(
        Sysno::semop,
        sem::sys_semop,
        "SEM_UNDO is accepted but nothing is undone at exit",
    ),
    partial(Sysno::semtimedop, sem::sys_semtimedop, "as semop"),
    partial(Sysno::semctl, sem::sys_semctl, "no /proc/sysvipc/sem"),
    full(Sysno::pidfd_open, signal::sys_pidfd_open),
    partial(
        Sysno::pidfd_send_signal,
        signal::sys_pidfd_send_signal,
        "a caller-made siginfo gives EINVAL",
    ),
    full(Sysno::timerfd_create, timer::sys_timerfd_create),
    partial(
        Sysno::timerfd_settime,
        timer::sys_timerfd_settime,
        "TFD_TIMER_CANCEL_ON_SET never cancels: the sandbox's clock is never set",
    ),
    full(Sysno::timerfd_gettime, timer::sys_timerfd_gettime),
    partial(
        Sysno::memfd_create,
        memfd::sys_memfd_create,
        "MFD_HUGETLB gives EINVAL; F_SEAL_WRITE is granted while writable shared mappings exist (Linux: EBUSY)",
    ),
    partial(Sysno::epoll_create, epoll::sys_epoll_create, EPOLL_FD_NOTE),
    partial(Sysno::epoll_create1, epoll::sys_epoll_create1, EPOLL_FD_NOTE),
    partial(
        Sysno::epoll_ctl,
        epoll::sys_epoll_ctl,
        "EPOLLEXCLUSIVE is a plain interest; sysfs files give EPERM (Linux can poll them)",
    ),
    partial(
        Sysno::epoll_wait,
        epoll::sys_epoll_wait,
        EPOLL_WAIT_NOTE,
    ),
    partial(
        Sysno::epoll_pwait,
        epoll::sys_epoll_pwait,
        EPOLL_WAIT_NOTE,
    ),
    partial(
        Sysno::epoll_pwait2,
        epoll::sys_epoll_pwait2,
        EPOLL_WAIT_NOTE,
    ),
    // Memory.
    full(Sysno::brk, memory::sys_brk),
    partial(
        Sysno::mmap,
        memory::sys_mmap,
        "MAP_HUGETLB gives EINVAL; pages a mapping already holds stay when the file shrinks (no SIGBUS for them)",
    ),
    full(Sysno::munmap, memory::sys_munmap),
    partial(
        Sysno::mincore,
        memory::sys_mincore,
        "at most 1 GiB per call",
    ),
    partial(
        Sysno::futex,
        futex::sys_futex,
        "WAIT/WAKE(_BITSET), (CMP_)REQUEUE, WAKE_OP (its update is not atomic against other vCPUs); PI ops give ENOSYS"),
    partial(
        Sysno::msync,
        memory::sys_msync,
        "writes shared file pages back to the file (read and write see them at once anyway)",
    ),
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
    full(Sysno::exit, process::sys_exit),
    full(Sysno::exit_group, process::sys_exit_group),
    partial(
        Sysno::arch_prctl,
        process::sys_arch_prctl,
        "FS/GS base and GET_CPUID; SET_CPUID gives ENODEV",
    ),
    full(Sysno::set_tid_address, process::sys_set_tid_address),
    full(Sysno::set_robust_list, process::sys_set_robust_list),
    full(Sysno::uname, process::sys_uname),
    partial(
        Sysno::prctl,
        process::sys_prctl,
        "SET/GET_NAME, SET/GET_PDEATHSIG (sent when the parent process exits), SET/GET_DUMPABLE; others EINVAL",
    ),
    full(Sysno::getpid, process::sys_getpid),
    full(Sysno::gettid, process::sys_gettid),
    full(Sysno::getppid, lifecycle::sys_getppid),
    full(Sysno::fork, lifecycle::sys_fork),
    partial(
        Sysno::vfork,
        lifecycle::sys_vfork,
        "the child runs on a copy of the parent's memory while the parent waits",
    ),
    partial(
        Sysno::clone,
        lifecycle::sys_clone,
        "threads and processes; a process sharing files, fs or handlers (without CLONE_THREAD), CLONE_VM without CLONE_VFORK or CLONE_THREAD, CLONE_PIDFD and namespaces give EINVAL; a vfork child runs on a copy",
    ),
    partial(
        Sysno::clone3,
        lifecycle::sys_clone3,
        "as clone; set_tid and cgroup give EINVAL",
    ),
    full(Sysno::execve, lifecycle::sys_execve),
    full(Sysno::execveat, lifecycle::sys_execveat),
    partial(
        Sysno::wait4,
        lifecycle::sys_wait4,
        "no stopped/continued children (no job control); rusage has user time only",
    ),
    partial(
        Sysno::waitid,
        lifecycle::sys_waitid,
        "exited children only (no job control)",
    ),
    full(Sysno::setpgid, lifecycle::sys_setpgid),
    full(Sysno::getpgid, lifecycle::sys_getpgid),
    full(Sysno::getpgrp, lifecycle::sys_getpgrp),
    full(Sysno::setsid, lifecycle::sys_setsid),
    full(Sysno::getsid, lifecycle::sys_getsid),
    full(Sysno::getuid, process::sys_getuid),
    full(Sysno::setuid, creds::sys_setuid),
    full(Sysno::setgid, creds::sys_setgid),
    full(Sysno::setreuid, creds::sys_setreuid),
    full(Sysno::setregid, creds::sys_setregid),
    full(Sysno::setresuid, creds::sys_setresuid),
    full(Sysno::setresgid, creds::sys_setresgid),
    full(Sysno::getresuid, creds::sys_getresuid),
    full(Sysno::getresgid, creds::sys_getresgid),
    full(Sysno::setfsuid, creds::sys_setfsuid),
    full(Sysno::setfsgid, creds::sys_setfsgid),
    full(Sysno::geteuid, process::sys_geteuid),
    full(Sysno::getgid, process::sys_getgid),
    full(Sysno::getegid, process::sys_getegid),
    full(Sysno::getgroups, process::sys_getgroups),
    partial(
        Sysno::setgroups,
        process::sys_setgroups,
        "only the empty set",
    ),
    full(Sysno::getrandom, process::sys_getrandom),
    full(Sysno::prlimit64, process::sys_prlimit64),
    full(Sysno::getrlimit, process::sys_getrlimit),
    full(Sysno::setrlimit, process::sys_setrlimit),
    full(Sysno::sched_getaffinity, process::sys_sched_getaffinity),
    partial(
        Sysno::sched_setaffinity,
        process::sys_sched_setaffinity,
        "checked and accepted; the host schedules vCPU threads",
    ),
    partial(
        Sysno::membarrier,
        process::sys_membarrier,
        "QUERY, GLOBAL, (REGISTER_)PRIVATE_EXPEDITED: other threads are kicked, not waited for",
    ),
    full(Sysno::sched_yield, process::sys_sched_yield),
    partial(
        Sysno::sched_getscheduler,
        process::sys_sched_getscheduler,
        "every task runs under SCHED_OTHER",
    ),
    partial(
        Sysno::sched_setscheduler,
        process::sys_sched_setscheduler,
        "SCHED_OTHER/BATCH/IDLE accepted; real-time policies give EPERM",
    ),
    full(Sysno::sched_getparam, process::sys_sched_getparam),
    partial(
        Sysno::sched_setparam,
        process::sys_sched_setparam,
        "priority 0 only (SCHED_OTHER)",
    ),
    full(Sysno::sched_get_priority_max, process::sys_sched_get_priority_max),
    full(Sysno::sched_get_priority_min, process::sys_sched_get_priority_min),
    full(Sysno::sched_rr_get_interval, process::sys_sched_rr_get_interval),
    full(Sysno::sysinfo, process::sys_sysinfo),
    partial(
        Sysno::getrusage,
        process::sys_getrusage,
        "user time and max RSS only",
    ),
    full(Sysno::times, process::sys_times),
    full(Sysno::getpriority, process::sys_getpriority),
    partial(
        Sysno::setpriority,
        process::sys_setpriority,
        "recorded; the scheduler ignores it",
    ),
    partial(
        Sysno::personality,
        process::sys_personality,
        "recorded; no flag changes behaviour",
    ),
    partial(Sysno::getcpu, process::sys_getcpu, "one CPU: always 0"),
    full(Sysno::sigaltstack, signal::sys_sigaltstack),
    full(Sysno::clock_gettime, time::sys_clock_gettime),
    full(Sysno::clock_getres, time::sys_clock_getres),
    full(Sysno::gettimeofday, time::sys_gettimeofday),
    full(Sysno::time, time::sys_time),
    full(Sysno::nanosleep, time::sys_nanosleep),
    partial(
        Sysno::clock_nanosleep,
        time::sys_clock_nanosleep,
        "CPU-time clocks give EINVAL/EOPNOTSUPP",
    ),
    partial(
        Sysno::rt_sigaction,
        signal::sys_rt_sigaction,
        "SA_SIGINFO, SA_ONSTACK, SA_NODEFER, SA_RESETHAND, SA_RESTART, SA_NOCLDWAIT",
    ),
    partial(
        Sysno::rt_sigprocmask,
        signal::sys_rt_sigprocmask,
        "blocked signals stay pending until unblocked",
    ),
    partial(Sysno::rt_sigreturn, signal::sys_rt_sigreturn, "restores the frame the sentry built for a handler"),
    full(Sysno::kill, signal::sys_kill),
    full(Sysno::tkill, signal::sys_tkill),
    full(Sysno::tgkill, signal::sys_tgkill),
    full(Sysno::rt_sigsuspend, signal::sys_rt_sigsuspend),
    full(Sysno::pause, signal::sys_pause),
    full(Sysno::rt_sigpending, signal::sys_rt_sigpending),
    full(Sysno::rt_sigtimedwait, signal::sys_rt_sigtimedwait),
    full(Sysno::rt_sigqueueinfo, signal::sys_rt_sigqueueinfo),
    full(Sysno::alarm, timer::sys_alarm),
    partial(
        Sysno::setitimer,
        timer::sys_setitimer,
        "ITIMER_REAL only (VIRTUAL/PROF give EINVAL)",
    ),
    partial(
        Sysno::getitimer,
        timer::sys_getitimer,
        "ITIMER_REAL only (VIRTUAL/PROF give EINVAL)",
    ),
    partial(
        Sysno::timer_create,
        timer::sys_timer_create,
        "REALTIME/MONOTONIC/BOOTTIME clocks; SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID (own thread)",
    ),
    full(Sysno::timer_settime, timer::sys_timer_settime),
    full(Sysno::timer_gettime, timer::sys_timer_gettime),
    full(Sysno::timer_getoverrun, timer::sys_timer_getoverrun),
    full(Sysno::timer_delete, timer::sys_timer_delete),
    full(Sysno::rt_tgsigqueueinfo, signal::sys_rt_tgsigqueueinfo),
];

/// Whether syscall `nr` only changes the address space (brk, mmap, munmap, ...).
pub fn changes_mappings(nr: u64) -> bool {
    [
        Sysno::brk,
        Sysno::mmap,
        Sysno::munmap,
        Sysno::mprotect,
        Sysno::mremap,
        Sysno::madvise,
    ]
    .iter()
    .any(|s| s.id() as u64 == nr)
}

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
