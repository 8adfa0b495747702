//! The sentry's only direct host syscalls: the standard streams it passes through,
//! the host's random source, host files behind binds, the host signals it forwards,
//! and handing the VM's teardown past our exit. Everything else the guest asks for
//! is emulated.
#![allow(unsafe_code)]

use std::io;

fn check(rc: isize) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// read(2) on a host descriptor the sandbox was given.
pub fn read(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes for the whole call.
    check(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// write(2) on a host descriptor the sandbox was given.
pub fn write(fd: i32, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is a valid readable buffer of `buf.len()` bytes for the whole call.
    check(unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) })
}

/// The terminal attributes of `fd` as the kernel's `struct termios` (TCGETS).
pub fn tcgets(fd: i32) -> io::Result<[u8; 36]> {
    let mut raw = [0u8; 36];
    // SAFETY: TCGETS writes a kernel `struct termios`, which is 36 bytes on x86-64.
    check(unsafe { libc::ioctl(fd, libc::TCGETS, raw.as_mut_ptr()) } as isize)?;
    Ok(raw)
}

/// The window size of terminal `fd` as `struct winsize` (TIOCGWINSZ).
pub fn window_size(fd: i32) -> io::Result<[u8; 8]> {
    let mut raw = [0u8; 8];
    // SAFETY: TIOCGWINSZ writes a `struct winsize` of 8 bytes.
    check(unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, raw.as_mut_ptr()) } as isize)?;
    Ok(raw)
}

/// fstat(2) of a host descriptor the sandbox was given.
pub fn fstat(fd: i32) -> io::Result<libc::stat> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid, writable `struct stat`.
    check(unsafe { libc::fstat(fd, &mut st) } as isize)?;
    Ok(st)
}

/// Fills `buf` from the host's random source.
pub fn getrandom(buf: &mut [u8]) -> io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let rest = &mut buf[done..];
        // SAFETY: `rest` is a valid writable buffer of `rest.len()` bytes.
        match check(unsafe { libc::getrandom(rest.as_mut_ptr().cast(), rest.len(), 0) }) {
            Ok(n) => done += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The real user and group ids the sentry runs with.
pub fn ids() -> (u32, u32) {
    // SAFETY: getuid and getgid cannot fail and touch no memory.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// pread(2) on a host descriptor the sandbox was given.
pub fn pread(fd: i32, buf: &mut [u8], offset: i64) -> io::Result<usize> {
    // SAFETY: `buf` is a valid writable buffer of `buf.len()` bytes for the whole call.
    check(unsafe { libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), offset) })
}

/// lseek(2) on a host descriptor the sandbox was given.
pub fn lseek(fd: i32, offset: i64, whence: i32) -> io::Result<u64> {
    // SAFETY: lseek touches no memory of ours.
    check(unsafe { libc::lseek(fd, offset, whence) } as isize).map(|n| n as u64)
}

/// fcntl(F_GETFL) of a host descriptor the sandbox was given.
pub fn status_flags(fd: i32) -> io::Result<u32> {
    // SAFETY: F_GETFL touches no memory of ours.
    check(unsafe { libc::fcntl(fd, libc::F_GETFL) } as isize).map(|n| n as u32)
}

/// fcntl(F_SETFL) of a host descriptor the sandbox was given.
pub fn set_status_flags(fd: i32, flags: u32) -> io::Result<()> {
    // SAFETY: F_SETFL touches no memory of ours.
    check(unsafe { libc::fcntl(fd, libc::F_SETFL, flags as libc::c_int) } as isize).map(|_| ())
}

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

fn c_name(name: &[u8]) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// Opens the single component `name` under directory `dir` as an O_PATH descriptor,
/// never following a symlink: the sentry resolves links itself, inside the sandbox.
pub fn open_path_at(dir: RawFd, name: &[u8]) -> io::Result<OwnedFd> {
    let name = c_name(name)?;
    let flags = libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: `name` is a valid NUL-terminated string; the result is checked.
    let fd = unsafe { libc::openat(dir, name.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor we just opened and own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Opens a host directory given by the user (`--root`, `--bind`) as an O_PATH descriptor.
pub fn open_path(path: &std::path::Path) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    let name = c_name(path.as_os_str().as_bytes())?;
    // SAFETY: `name` is a valid NUL-terminated string; the result is checked.
    let fd = unsafe {
        libc::open(
            name.as_ptr(),
            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a descriptor we just opened and own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The target of the symlink an O_PATH descriptor refers to.
pub fn readlink_fd(fd: &OwnedFd) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let empty = c_name(b"")?;
    // SAFETY: `buf` is writable for its length; `empty` is a valid C string.
    let n = unsafe {
        libc::readlinkat(
            fd.as_raw_fd(),
            empty.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    let n = check(n)?;
    buf.truncate(n);
    Ok(buf)
}

/// renameat2(2) of single components under two host directories.
pub fn rename_at(
    old_dir: RawFd,
    old: &[u8],
    new_dir: RawFd,
    new: &[u8],
    flags: u32,
) -> io::Result<()> {
    let (old, new) = (c_name(old)?, c_name(new)?);
    // SAFETY: both names are valid C strings; the kernel only reads them.
    let rc = unsafe { libc::renameat2(old_dir, old.as_ptr(), new_dir, new.as_ptr(), flags) };
    check(rc as isize).map(|_| ())
}

/// Hard-links the file an O_PATH descriptor refers to as `name` under `dir`.
pub fn link_at(target: &OwnedFd, dir: RawFd, name: &[u8]) -> io::Result<()> {
    let src = c_name(format!("/proc/self/fd/{}", target.as_raw_fd()).as_bytes())?;
    let name = c_name(name)?;
    // SAFETY: both names are valid C strings; the kernel only reads them.
    let rc = unsafe {
        libc::linkat(
            libc::AT_FDCWD,
            src.as_ptr(),
            dir,
            name.as_ptr(),
            libc::AT_SYMLINK_FOLLOW,
        )
    };
    check(rc as isize).map(|_| ())
}

/// mkfifoat(3) of a single component under a host directory.
pub fn mkfifo_at(dir: RawFd, name: &[u8], mode: u32) -> io::Result<()> {
    let name = c_name(name)?;
    // SAFETY: `name` is a valid C string.
    let rc = unsafe { libc::mkfifoat(dir, name.as_ptr(), mode) };
    check(rc as isize).map(|_| ())
}

/// fstat(2) of any host descriptor we own (O_PATH included).
pub fn fstat_fd(fd: &OwnedFd) -> io::Result<libc::stat> {
    fstat(fd.as_raw_fd())
}

/// FIONREAD of a host descriptor the sandbox was given.
pub fn bytes_readable(fd: i32) -> io::Result<u32> {
    let mut n: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int to the pointer we pass.
    check(unsafe { libc::ioctl(fd, libc::FIONREAD, &mut n) } as isize)?;
    Ok(n.max(0) as u32)
}

/// poll(2) on host descriptors the sandbox was given; returns the revents.
pub fn poll(fds: &[(i32, i16)], timeout_ms: i32) -> io::Result<Vec<i16>> {
    let mut raw: Vec<libc::pollfd> = fds
        .iter()
        .map(|(fd, events)| libc::pollfd {
            fd: *fd,
            events: *events,
            revents: 0,
        })
        .collect();
    loop {
        // SAFETY: `raw` is a valid array of `raw.len()` pollfd structs.
        let rc = unsafe { libc::poll(raw.as_mut_ptr(), raw.len() as libc::nfds_t, timeout_ms) };
        match check(rc as isize) {
            Ok(_) => return Ok(raw.iter().map(|p| p.revents).collect()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The host CPU's time-stamp counter.
pub fn rdtsc() -> u64 {
    // SAFETY: rdtsc reads a counter; it has no memory effects and exists on every
    // x86-64 CPU.
    unsafe { core::arch::x86_64::_rdtsc() }
}

/// Host signals the sandbox forwards to its first process (Ctrl-C, `kill` of sentry).
pub const FORWARDED_SIGNALS: [i32; 6] = [
    libc::SIGHUP,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGTERM,
    libc::SIGUSR1,
    libc::SIGWINCH,
];

/// Blocks `FORWARDED_SIGNALS` in the calling thread, and so in every thread it starts
/// afterwards: they then wait for `wait_forwarded_signal`. Call before any thread.
pub fn block_forwarded_signals() -> io::Result<()> {
    // SAFETY: the set is initialized by sigemptyset before use; pthread_sigmask only
    // reads it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signo in FORWARDED_SIGNALS {
            libc::sigaddset(&mut set, signo);
        }
        let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
    }
    Ok(())
}

/// Waits for one of `FORWARDED_SIGNALS` sent to the sentry process.
pub fn wait_forwarded_signal() -> io::Result<i32> {
    // SAFETY: as in `block_forwarded_signals`; sigwait writes the signal number.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for signo in FORWARDED_SIGNALS {
            libc::sigaddset(&mut set, signo);
        }
        let mut signo = 0;
        let rc = libc::sigwait(&set, &mut signo);
        if rc != 0 {
            return Err(io::Error::from_raw_os_error(rc));
        }
        Ok(signo)
    }
}

/// CPUs this process may run on (its affinity mask), as `nproc` counts them.
pub fn affinity_cpu_count() -> Option<usize> {
    // SAFETY: an all-zero cpu_set_t is valid; the kernel fills at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is ours and its size is passed.
    let rc =
        unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    // SAFETY: `set` was filled by the kernel.
    (rc == 0).then(|| unsafe { libc::CPU_COUNT(&set) } as usize)
}

/// The CPU the calling thread runs on now.
pub fn current_cpu() -> Option<usize> {
    // SAFETY: sched_getcpu has no arguments and no memory effects.
    let cpu = unsafe { libc::sched_getcpu() };
    usize::try_from(cpu).ok()
}

/// The calling thread's id (for `keep_thread_off_cpu`).
pub fn thread_id() -> i32 {
    // SAFETY: gettid has no arguments and cannot fail.
    unsafe { libc::gettid() }
}

/// Lets thread `tid` run on any CPU of this process's mask but `cpu` (when another
/// remains): the scheduler moves it at once.
pub fn keep_thread_off_cpu(tid: i32, cpu: usize) -> io::Result<()> {
    // SAFETY: an all-zero cpu_set_t is valid; the kernel fills at most its size.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: `set` is ours and its size is passed (0: this thread's mask).
    check(unsafe { libc::sched_getaffinity(0, size, &mut set) } as isize)?;
    if cpu >= libc::CPU_SETSIZE as usize {
        return Ok(());
    }
    // SAFETY: `cpu` is below CPU_SETSIZE and `set` is initialized.
    unsafe { libc::CPU_CLR(cpu, &mut set) };
    // SAFETY: `set` is initialized.
    if unsafe { libc::CPU_COUNT(&set) } == 0 {
        return Ok(());
    }
    // SAFETY: `set` is a valid set of `size` bytes.
    check(unsafe { libc::sched_setaffinity(tid, size, &set) } as isize).map(|_| ())
}

/// This process's RLIMIT_NOFILE: (soft, hard).
pub fn nofile_limit() -> Option<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is ours and getrlimit fills exactly one rlimit.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) };
    (rc == 0).then_some((limit.rlim_cur, limit.rlim_max))
}

/// Lets the kernel tear the VM down after `sentry` has exited instead of before. The
/// VM lives as long as our address space (the vCPUs' shared pages are mapped in it),
/// and freeing it (KVM's shadow page tables, its debugfs files, guest memory) takes
/// the exiting process most of a millisecond here, all before the parent learns the
/// exit status. A helper process that shares the address space, but nothing else,
/// holds it past our exit and is killed by it (`PR_SET_PDEATHSIG`): the teardown
/// runs in the helper's exit. Call only right before exiting; on any failure the
/// teardown simply stays where it was.
pub fn defer_teardown_past_exit() {
    const STACK_SIZE: usize = 16 * 1024;
    /// The helper: on its own stack in our memory, so it makes raw syscalls only.
    extern "C" fn hold_address_space(parent: *mut libc::c_void) -> libc::c_int {
        // SAFETY: plain syscalls on no memory of ours; `close_range` drops only the
        // helper's copy of the descriptor table (it holds no pipe of the caller open).
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            if libc::getppid() != parent as usize as libc::pid_t
                || libc::syscall(libc::SYS_close_range, 0, libc::c_uint::MAX, 0) != 0
            {
                libc::_exit(0);
            }
            loop {
                libc::pause();
            }
        }
    }
    // SAFETY: a fresh private mapping, never unmapped: the process is about to exit.
    let stack = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            STACK_SIZE,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_STACK,
            -1,
            0,
        )
    };
    if stack == libc::MAP_FAILED {
        return;
    }
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the child runs `hold_address_space` on the top of `stack` (stacks grow
    // down) and touches no memory the caller uses but, on a failed call, this
    // thread's errno, which the exiting caller no longer reads; no exit signal, so
    // nothing is sent to us if it ends first.
    unsafe {
        libc::clone(
            hold_address_space,
            stack.cast::<u8>().add(STACK_SIZE).cast(),
            libc::CLONE_VM,
            parent as usize as *mut libc::c_void,
        );
    }
}
