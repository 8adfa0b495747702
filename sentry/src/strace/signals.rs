//! Signal names, signal sets (`[INT TERM]`, `~[RTMIN RT_1]`) and `siginfo` lines.

use super::SignalEvent;

/// Names of signals 1..=31 without the `SIG` prefix (x86-64 numbering).
const NAMES: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

/// Highest signal number the kernel knows (`_NSIG`).
const NSIG: i32 = 64;

/// The name without `SIG` (`INT`, `RTMIN`, `RT_3`), or `None` outside 1..=64.
fn short_name(signo: i32) -> Option<String> {
    match signo {
        1..=31 => NAMES.get(signo as usize - 1).map(|s| (*s).to_string()),
        32 => Some("RTMIN".to_string()),
        33..=NSIG => Some(format!("RT_{}", signo - 32)),
        _ => None,
    }
}

/// `SIGSEGV`, `SIGRTMIN`, `SIGRT_2`; numbers without a name print in decimal, as strace does.
pub fn signal_name(signo: i32) -> String {
    match short_name(signo) {
        Some(n) => format!("SIG{n}"),
        None => signo.to_string(),
    }
}

/// Formats a 64-bit kernel signal mask. When more than half the signals are set strace
/// prints the complement after `~`, which keeps "everything but X" masks short.
pub fn format_sigset(mask: u64) -> String {
    let (prefix, bits) = if mask.count_ones() > (NSIG as u32) / 2 {
        ("~", !mask)
    } else {
        ("", mask)
    };
    let names: Vec<String> = (1..=NSIG)
        .filter(|s| bits & (1u64 << (s - 1)) != 0)
        .filter_map(short_name)
        .collect();
    format!("{prefix}[{}]", names.join(" "))
}

/// Name of `si_code` for `signo`, or `None` when strace would print a number.
fn si_code_name(signo: i32, code: i32) -> Option<&'static str> {
    let generic = match code {
        0 => Some("SI_USER"),
        0x80 => Some("SI_KERNEL"),
        -1 => Some("SI_QUEUE"),
        -2 => Some("SI_TIMER"),
        -3 => Some("SI_MESGQ"),
        -4 => Some("SI_ASYNCIO"),
        -5 => Some("SI_SIGIO"),
        -6 => Some("SI_TKILL"),
        -7 => Some("SI_DETHREAD"),
        -60 => Some("SI_ASYNCNL"),
        _ => None,
    };
    if generic.is_some() {
        return generic;
    }
    let table: &[&str] = match signo {
        libc::SIGSEGV => &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
        libc::SIGBUS => &[
            "BUS_ADRALN",
            "BUS_ADRERR",
            "BUS_OBJERR",
            "BUS_MCEERR_AR",
            "BUS_MCEERR_AO",
        ],
        libc::SIGILL => &[
            "ILL_ILLOPC",
            "ILL_ILLOPN",
            "ILL_ILLADR",
            "ILL_ILLTRP",
            "ILL_PRVOPC",
            "ILL_PRVREG",
            "ILL_COPROC",
            "ILL_BADSTK",
        ],
        libc::SIGFPE => &[
            "FPE_INTDIV",
            "FPE_INTOVF",
            "FPE_FLTDIV",
            "FPE_FLTOVF",
            "FPE_FLTUND",
            "FPE_FLTRES",
            "FPE_FLTINV",
            "FPE_FLTSUB",
        ],
        libc::SIGTRAP => &["TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
        libc::SIGCHLD => &[
            "CLD_EXITED",
            "CLD_KILLED",
            "CLD_DUMPED",
            "CLD_TRAPPED",
            "CLD_STOPPED",
            "CLD_CONTINUED",
        ],
        libc::SIGIO => &[
            "POLL_IN", "POLL_OUT", "POLL_MSG", "POLL_ERR", "POLL_PRI", "POLL_HUP",
        ],
        _ => &[],
    };
    usize::try_from(code)
        .ok()
        .and_then(|c| c.checked_sub(1))
        .and_then(|i| table.get(i))
        .copied()
}

/// `--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---`.
/// The sentry does not record the sender of user signals, so `si_pid`/`si_uid` are left out.
pub fn format_signal(ev: &SignalEvent) -> String {
    let name = signal_name(ev.signo);
    let code = match si_code_name(ev.signo, ev.code) {
        Some(c) => c.to_string(),
        None => ev.code.to_string(),
    };
    let mut info = format!("si_signo={name}, si_code={code}");
    if let Some(addr) = ev.addr {
        info.push_str(", si_addr=");
        info.push_str(&super::args::ptr(addr));
    }
    format!("--- {name} {{{info}}} ---")
}

/// `+++ killed by SIGSEGV (core dumped) +++`.
pub fn format_killed(signo: i32, core_dumped: bool) -> String {
    let core = if core_dumped { " (core dumped)" } else { "" };
    format!("+++ killed by {}{core} +++", signal_name(signo))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(signal_name(11), "SIGSEGV");
        assert_eq!(signal_name(31), "SIGSYS");
        assert_eq!(signal_name(32), "SIGRTMIN");
        assert_eq!(signal_name(34), "SIGRT_2");
        assert_eq!(signal_name(64), "SIGRT_32");
        assert_eq!(signal_name(0), "0");
        assert_eq!(signal_name(70), "70");
        assert_eq!(signal_name(i32::MIN), i32::MIN.to_string());
    }

    #[test]
    fn sets() {
        assert_eq!(format_sigset(0), "[]");
        assert_eq!(format_sigset(u64::MAX), "~[]");
        assert_eq!(format_sigset((1 << 1) | (1 << 14)), "[INT TERM]");
        assert_eq!(format_sigset(!((1u64 << 31) | (1 << 32))), "~[RTMIN RT_1]");
        assert_eq!(
            format_sigset((1 << 1) | (1 << 31) | (1 << 32) | (1 << 63)),
            "[INT RTMIN RT_1 RT_32]"
        );
    }

    #[test]
    fn siginfo_lines() {
        let ev = SignalEvent {
            signo: 11,
            code: 1,
            addr: Some(0x10),
        };
        assert_eq!(
            format_signal(&ev),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x10} ---"
        );
        let ev = SignalEvent {
            signo: 11,
            code: 0x80,
            addr: Some(0),
        };
        assert_eq!(
            format_signal(&ev),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=NULL} ---"
        );
        let ev = SignalEvent {
            signo: 2,
            code: 0,
            addr: None,
        };
        assert_eq!(
            format_signal(&ev),
            "--- SIGINT {si_signo=SIGINT, si_code=SI_USER} ---"
        );
        let ev = SignalEvent {
            signo: 11,
            code: 99,
            addr: None,
        };
        assert_eq!(
            format_signal(&ev),
            "--- SIGSEGV {si_signo=SIGSEGV, si_code=99} ---"
        );
        assert_eq!(
            format_killed(11, true),
            "+++ killed by SIGSEGV (core dumped) +++"
        );
        assert_eq!(format_killed(9, false), "+++ killed by SIGKILL +++");
    }
}
