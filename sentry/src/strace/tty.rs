//! `ioctl`: request names, and the terminal structs (termios, winsize) behind them.

use super::args::{hex, ptr, u32_at};
use super::flags::{flags, Table};
use super::structs;
use super::TraceMemory;

const TCGETS: u64 = 0x5401;
const TCSETS: u64 = 0x5402;
const TCSETSW: u64 = 0x5403;
const TCSETSF: u64 = 0x5404;
const TIOCGPGRP: u64 = 0x540f;
const TIOCSPGRP: u64 = 0x5410;
const TIOCOUTQ: u64 = 0x5411;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCSWINSZ: u64 = 0x5414;
const FIONREAD: u64 = 0x541b;
const FIONBIO: u64 = 0x5421;
const TIOCGSID: u64 = 0x5429;
const TIOCGPTN: u64 = 0x8004_5430;
const TIOCSPTLCK: u64 = 0x4004_5431;
const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
const FIOASYNC: u64 = 0x5452;

/// Request names. The TCSETS family shares numbers with OSS sound ioctls, and strace
/// names both.
const REQUESTS: Table = &[
    (TCGETS, "TCGETS"),
    (TCSETS, "SNDCTL_TMR_START or TCSETS"),
    (TCSETSW, "SNDCTL_TMR_STOP or TCSETSW"),
    (TCSETSF, "SNDCTL_TMR_CONTINUE or TCSETSF"),
    (0x5409, "TCSBRK"),
    (0x540a, "TCXONC"),
    (0x540b, "TCFLSH"),
    (0x540c, "TIOCEXCL"),
    (0x540d, "TIOCNXCL"),
    (0x540e, "TIOCSCTTY"),
    (TIOCGPGRP, "TIOCGPGRP"),
    (TIOCSPGRP, "TIOCSPGRP"),
    (TIOCOUTQ, "TIOCOUTQ"),
    (0x5412, "TIOCSTI"),
    (TIOCGWINSZ, "TIOCGWINSZ"),
    (TIOCSWINSZ, "TIOCSWINSZ"),
    (FIONREAD, "FIONREAD"),
    (FIONBIO, "FIONBIO"),
    (0x5422, "TIOCNOTTY"),
    (TIOCGSID, "TIOCGSID"),
    (TIOCGPTN, "TIOCGPTN"),
    (TIOCSPTLCK, "TIOCSPTLCK"),
    (FIONCLEX, "FIONCLEX"),
    (FIOCLEX, "FIOCLEX"),
    (FIOASYNC, "FIOASYNC"),
];

/// The request name, or its `_IOC(dir, type, nr, size)` breakdown.
fn request_name(req: u64) -> String {
    let req = req & 0xffff_ffff;
    if let Some((_, n)) = REQUESTS.iter().find(|(v, _)| *v == req) {
        return (*n).to_string();
    }
    let dir = match req >> 30 {
        0 => "_IOC_NONE",
        1 => "_IOC_WRITE",
        2 => "_IOC_READ",
        _ => "_IOC_READ|_IOC_WRITE",
    };
    format!(
        "_IOC({dir}, {}, {}, {})",
        hex((req >> 8) & 0xff),
        hex(req & 0xff),
        hex((req >> 16) & 0x3fff)
    )
}

/// The arguments after the fd: the request and, if it takes one, the decoded argument.
/// Output structs are decoded only when the call succeeded.
pub fn ioctl_args(mem: &dyn TraceMemory, req: u64, arg: u64, ok: bool) -> Vec<String> {
    let name = request_name(req);
    let decoded = match req & 0xffff_ffff {
        FIOCLEX | FIONCLEX | 0x5422 => return vec![name],
        TCGETS if ok => termios(mem, arg),
        TCSETS | TCSETSW | TCSETSF => termios(mem, arg),
        TIOCGWINSZ if ok => winsize(mem, arg),
        TIOCSWINSZ => winsize(mem, arg),
        TIOCGPGRP | FIONREAD | TIOCOUTQ | TIOCGSID | TIOCGPTN if ok => structs::int_ptr(mem, arg),
        TIOCSPGRP | FIONBIO | FIOASYNC | TIOCSPTLCK => structs::int_ptr(mem, arg),
        TCGETS | TIOCGWINSZ | TIOCGPGRP | FIONREAD | TIOCOUTQ | TIOCGSID | TIOCGPTN => ptr(arg),
        _ => hex(arg),
    };
    vec![name, decoded]
}

const IFLAG: Table = &[
    (0x1, "IGNBRK"),
    (0x2, "BRKINT"),
    (0x4, "IGNPAR"),
    (0x8, "PARMRK"),
    (0x10, "INPCK"),
    (0x20, "ISTRIP"),
    (0x40, "INLCR"),
    (0x80, "IGNCR"),
    (0x100, "ICRNL"),
    (0x200, "IUCLC"),
    (0x400, "IXON"),
    (0x800, "IXANY"),
    (0x1000, "IXOFF"),
    (0x2000, "IMAXBEL"),
    (0x4000, "IUTF8"),
];

const OFLAG: Table = &[
    (0x1, "OPOST"),
    (0x2, "OLCUC"),
    (0x4, "ONLCR"),
    (0x8, "OCRNL"),
    (0x10, "ONOCR"),
    (0x20, "ONLRET"),
    (0x40, "OFILL"),
    (0x80, "OFDEL"),
];

const LFLAG: Table = &[
    (0x1, "ISIG"),
    (0x2, "ICANON"),
    (0x4, "XCASE"),
    (0x8, "ECHO"),
    (0x10, "ECHOE"),
    (0x20, "ECHOK"),
    (0x40, "ECHONL"),
    (0x80, "NOFLSH"),
    (0x100, "TOSTOP"),
    (0x8000, "IEXTEN"),
    (0x200, "ECHOCTL"),
    (0x400, "ECHOPRT"),
    (0x800, "ECHOKE"),
    (0x1000, "FLUSHO"),
    (0x4000, "PENDIN"),
    (0x10000, "EXTPROC"),
];

const CFLAG: Table = &[
    (0x40, "CSTOPB"),
    (0x80, "CREAD"),
    (0x100, "PARENB"),
    (0x200, "PARODD"),
    (0x400, "HUPCL"),
    (0x800, "CLOCAL"),
    (0x4000_0000, "CMSPAR"),
    (0x8000_0000, "CRTSCTS"),
];

const BAUD: [&str; 16] = [
    "B0", "B50", "B75", "B110", "B134", "B150", "B200", "B300", "B600", "B1200", "B1800", "B2400",
    "B4800", "B9600", "B19200", "B38400",
];
const BAUD_EX: [&str; 15] = [
    "B57600", "B115200", "B230400", "B460800", "B500000", "B576000", "B921600", "B1000000",
    "B1152000", "B1500000", "B2000000", "B2500000", "B3000000", "B3500000", "B4000000",
];

/// Prepends `parts` to a flag decoding of `rest` (which may print `0` when empty).
fn with_fields(mut parts: Vec<String>, rest: u32, table: Table, prefix: &str) -> String {
    if rest != 0 {
        parts.push(flags(u64::from(rest), table, prefix));
    }
    parts.join("|")
}

/// Output delay fields first (`NL0|CR0|TAB0|BS0|VT0|FF0`), then the flags.
fn oflag(v: u32) -> String {
    let fields = vec![
        format!("NL{}", (v >> 8) & 1),
        format!("CR{}", (v >> 9) & 3),
        format!("TAB{}", (v >> 11) & 3),
        format!("BS{}", (v >> 13) & 1),
        format!("VT{}", (v >> 14) & 1),
        format!("FF{}", (v >> 15) & 1),
    ];
    with_fields(fields, v & !0xff00, OFLAG, "O")
}

/// Baud rate and character size first (`B38400|CS8`), then the flags.
fn cflag(v: u32) -> String {
    let baud = v & 0x100f;
    let baud_name = if baud & 0x1000 == 0 {
        BAUD.get(baud as usize).map(|s| (*s).to_string())
    } else {
        BAUD_EX.get((baud & 0xf) as usize).map(|s| (*s).to_string())
    };
    let baud_name = baud_name.unwrap_or_else(|| hex(u64::from(baud)));
    let fields = vec![baud_name, format!("CS{}", 5 + ((v >> 4) & 3))];
    with_fields(fields, v & !0x103f, CFLAG, "C")
}

/// `struct termios`, summarized by its four flag words as strace does.
pub fn termios(mem: &dyn TraceMemory, addr: u64) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    match mem.read_bytes(addr, 16) {
        Some(b) => format!(
            "{{c_iflag={}, c_oflag={}, c_cflag={}, c_lflag={}, ...}}",
            flags(u64::from(u32_at(&b, 0)), IFLAG, "I"),
            oflag(u32_at(&b, 4)),
            cflag(u32_at(&b, 8)),
            flags(u64::from(u32_at(&b, 12)), LFLAG, "E")
        ),
        None => ptr(addr),
    }
}

/// `struct winsize`: four shorts.
fn winsize(mem: &dyn TraceMemory, addr: u64) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    match mem.read_bytes(addr, 8) {
        Some(b) => {
            let (a, c) = (u32_at(&b, 0), u32_at(&b, 4));
            format!(
                "{{ws_row={}, ws_col={}, ws_xpixel={}, ws_ypixel={}}}",
                a & 0xffff,
                a >> 16,
                c & 0xffff,
                c >> 16
            )
        }
        None => ptr(addr),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::FakeMem;
    use super::*;

    #[test]
    fn requests() {
        assert_eq!(request_name(0x5401), "TCGETS");
        assert_eq!(request_name(0x1234), "_IOC(_IOC_NONE, 0x12, 0x34, 0)");
        assert_eq!(request_name(0x8008_7401), "_IOC(_IOC_READ, 0x74, 0x1, 0x8)");
        let m = FakeMem::default();
        assert_eq!(ioctl_args(&m, 0x5401, 0x7ffe, false), ["TCGETS", "0x7ffe"]);
        assert_eq!(ioctl_args(&m, 0x5451, 0, true), ["FIOCLEX"]);
        assert_eq!(ioctl_args(&m, 0x1234, 0, false)[1], "0");
    }

    #[test]
    fn termios_struct() {
        let mut m = FakeMem::default();
        let words: Vec<u8> = [0x500u32, 0x5, 0xbf, 0x8a3b]
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect();
        m.put(0x1000, &words);
        assert_eq!(
            termios(&m, 0x1000),
            "{c_iflag=ICRNL|IXON, c_oflag=NL0|CR0|TAB0|BS0|VT0|FF0|OPOST|ONLCR, \
             c_cflag=B38400|CS8|CREAD, \
             c_lflag=ISIG|ICANON|ECHO|ECHOE|ECHOK|IEXTEN|ECHOCTL|ECHOKE, ...}"
        );
        m.put(0x2000, &[24, 0, 80, 0, 0, 0, 0, 0]);
        assert_eq!(
            ioctl_args(&m, TIOCGWINSZ, 0x2000, true)[1],
            "{ws_row=24, ws_col=80, ws_xpixel=0, ws_ypixel=0}"
        );
    }
}
