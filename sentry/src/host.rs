//! The sentry's only direct host syscalls: the standard streams it passes through and
//! the host's random source. Everything else the guest asks for is emulated.
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
