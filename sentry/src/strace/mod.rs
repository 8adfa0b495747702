//! `--strace`: formats each syscall the sentry handled the way strace(1) prints it.
//!
//! Interface used by the rest of the sentry (keep these signatures):
//! - `format_syscall(&SyscallEvent, &dyn TraceMemory) -> String` (one line, no newline)
//! - `format_exited(code) -> String`, `format_killed(signo, core_dumped) -> String`
//! - `format_signal(&SignalEvent) -> String`

mod args;
mod decode;
mod errno_text;
mod flags;
mod futex;
mod nargs;
mod signals;
mod structs;
mod tty;

use decode::{Call, Ret};

pub use errno_text::errno_name;

/// Read access to the traced task's memory, used to decode strings and structs.
pub trait TraceMemory {
    /// Reads `len` bytes at guest virtual address `addr`; `None` if any byte is unmapped.
    fn read_bytes(&self, addr: u64, len: usize) -> Option<Vec<u8>>;
}

/// One completed syscall.
#[derive(Clone, Copy, Debug)]
pub struct SyscallEvent {
    pub nr: u64,
    pub args: [u64; 6],
    /// The raw value returned to the guest: `-errno` on failure. `None` when the call
    /// does not return (exit, exit_group, a successful execve ...): printed as `= ?`.
    pub ret: Option<i64>,
}

/// A signal delivered to (or killing) the task, for `--- SIGSEGV {...} ---` lines.
#[derive(Clone, Copy, Debug)]
pub struct SignalEvent {
    pub signo: i32,
    pub code: i32,
    /// The faulting address for SIGSEGV/SIGBUS/SIGILL/SIGFPE/SIGTRAP.
    pub addr: Option<u64>,
}

/// Formats one completed syscall as strace prints it: `name(args) = result`.
///
/// Unlike strace, the result is not padded to column 40, and there is no pid prefix.
pub fn format_syscall(ev: &SyscallEvent, mem: &dyn TraceMemory) -> String {
    let sysno = usize::try_from(ev.nr).ok().and_then(syscalls::Sysno::new);
    let name = match sysno {
        Some(s) => s.name().to_string(),
        None => format!("syscall_{:#x}", ev.nr),
    };
    let call = Call {
        a: ev.args,
        ret: ev.ret,
        mem,
    };
    let typed = sysno.and_then(|s| decode::decode(s.name(), &call));
    let (args, style) = typed.unwrap_or_else(|| {
        // Generic: as many args as the call takes (all six if unknown), in hex.
        let n = sysno.and_then(|s| nargs::nargs(s.name())).unwrap_or(6);
        (
            ev.args.iter().take(n).map(|&v| args::hex(v)).collect(),
            Ret::Dec,
        )
    });
    format!(
        "{name}({}) = {}",
        args.join(", "),
        format_ret(ev.ret, style)
    )
}

/// The text after `= `.
fn format_ret(ret: Option<i64>, style: Ret) -> String {
    let Some(r) = ret else {
        return "?".to_string();
    };
    if (-4095..=-1).contains(&r) {
        return errno_text::format_error(-r as i32);
    }
    let u = r as u64;
    match style {
        Ret::Dec => r.to_string(),
        Ret::Hex => args::hex(u),
        Ret::Octal => args::octal(u),
        Ret::FdFlags if u == 0 => "0".to_string(),
        Ret::FdFlags => format!(
            "{} (flags {})",
            args::hex(u),
            flags::flags(u, flags::FD_FLAGS, "FD")
        ),
        Ret::FileFlags => format!("{} (flags {})", args::hex(u), flags::open_flags(u)),
        Ret::Time => format!("{r} ({})", structs::iso_time(r)),
    }
}

/// `+++ exited with 0 +++`.
pub fn format_exited(code: i32) -> String {
    format!("+++ exited with {code} +++")
}

/// `+++ killed by SIGSEGV (core dumped) +++`.
pub fn format_killed(signo: i32, core_dumped: bool) -> String {
    signals::format_killed(signo, core_dumped)
}

/// `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`.
pub fn format_signal(ev: &SignalEvent) -> String {
    signals::format_signal(ev)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_support;
