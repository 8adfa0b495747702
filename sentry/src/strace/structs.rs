//! Decoding of the structs syscalls pass by pointer (stat, timespec, iovec, sigaction ...).
//!
//! Every decoder reads only the fields it prints and falls back to the pointer in hex
//! when the memory is unreadable, as strace does.

use super::args::{self, hex, ptr, u32_at, u64_at, MAX_STRLEN};
use super::flags::{self, LOCK_TYPE, SA_FLAGS, SEEK};
use super::signals::format_sigset;
use super::TraceMemory;

/// Reads `len` bytes at `addr`, or yields the pointer text to print instead.
fn read(mem: &dyn TraceMemory, addr: u64, len: usize) -> Result<Vec<u8>, String> {
    if addr == 0 {
        return Err(ptr(addr));
    }
    mem.read_bytes(addr, len).ok_or_else(|| ptr(addr))
}

/// Runs `f` on `len` bytes at `addr`, or prints the pointer.
fn with(mem: &dyn TraceMemory, addr: u64, len: usize, f: impl FnOnce(&[u8]) -> String) -> String {
    match read(mem, addr, len) {
        Ok(b) => f(&b),
        Err(p) => p,
    }
}

/// `struct stat` abbreviated as strace prints it: the mode, then the device for
/// character/block devices or the size otherwise.
pub fn stat(mem: &dyn TraceMemory, addr: u64) -> String {
    // x86-64 layout: st_mode at 24, st_rdev at 40, st_size at 48.
    with(mem, addr, 56, |b| {
        let mode = u32_at(b, 24);
        let fmt = mode & 0o170000;
        let tail = if fmt == 0o020000 || fmt == 0o060000 {
            let (maj, min) = split_dev(u64_at(b, 40));
            format!("st_rdev=makedev({}, {})", hex(maj), hex(min))
        } else {
            format!("st_size={}", u64_at(b, 48) as i64)
        };
        format!("{{st_mode={}, {tail}, ...}}", file_mode(mode))
    })
}

/// Linux's `dev_t` encoding: 12 bits of major and 20 of minor, split across the word.
fn split_dev(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

/// `S_IFREG|S_ISUID|0755`.
pub fn file_mode(mode: u32) -> String {
    const TYPES: &[(u32, &str)] = &[
        (0o140000, "S_IFSOCK"),
        (0o120000, "S_IFLNK"),
        (0o100000, "S_IFREG"),
        (0o060000, "S_IFBLK"),
        (0o040000, "S_IFDIR"),
        (0o020000, "S_IFCHR"),
        (0o010000, "S_IFIFO"),
    ];
    const SPECIAL: &[(u32, &str)] = &[
        (0o4000, "S_ISUID"),
        (0o2000, "S_ISGID"),
        (0o1000, "S_ISVTX"),
    ];
    let mut parts: Vec<String> = Vec::new();
    let mut perm = mode;
    if let Some((t, name)) = TYPES.iter().find(|(t, _)| mode & 0o170000 == *t) {
        parts.push((*name).to_string());
        perm &= !t;
    }
    for (bit, name) in SPECIAL {
        if mode & bit != 0 {
            parts.push((*name).to_string());
            perm &= !bit;
        }
    }
    parts.push(args::octal(u64::from(perm)));
    parts.join("|")
}

/// `{tv_sec=1, tv_nsec=2}`.
pub fn timespec(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 16, |b| {
        format!(
            "{{tv_sec={}, tv_nsec={}}}",
            u64_at(b, 0) as i64,
            u64_at(b, 8) as i64
        )
    })
}

/// `{tv_sec=1, tv_usec=2}`.
pub fn timeval(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 16, |b| {
        format!(
            "{{tv_sec={}, tv_usec={}}}",
            u64_at(b, 0) as i64,
            u64_at(b, 8) as i64
        )
    })
}

/// `{tz_minuteswest=0, tz_dsttime=0}`.
pub fn timezone(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 8, |b| {
        format!(
            "{{tz_minuteswest={}, tz_dsttime={}}}",
            u32_at(b, 0) as i32,
            u32_at(b, 4) as i32
        )
    })
}

/// Seconds since the epoch as strace's UTC comment: `2026-11-27T09:47:09+0000`.
pub fn iso_time(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Civil-from-days (Howard Hinnant's algorithm), in i64 so no input overflows.
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe.saturating_add(era.saturating_mul(400)) + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}+0000",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// One resource limit value: `RLIM64_INFINITY`, `8192*1024`, or plain decimal.
fn rlim(v: u64) -> String {
    if v == u64::MAX {
        "RLIM64_INFINITY".to_string()
    } else if v > 1024 && v.is_multiple_of(1024) {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}

/// `{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}`.
pub fn rlimit(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 16, |b| {
        format!(
            "{{rlim_cur={}, rlim_max={}}}",
            rlim(u64_at(b, 0)),
            rlim(u64_at(b, 8))
        )
    })
}

/// `{sysname="Linux", nodename="sandbox", ...}` (fields are 65 bytes each).
pub fn utsname(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 130, |b| {
        let (sys, node) = b.split_at(65.min(b.len()));
        format!(
            "{{sysname={}, nodename={}, ...}}",
            args::field_str(sys),
            args::field_str(node)
        )
    })
}

/// An iovec array. `data` is how many bytes of content to show in total (`readv`'s
/// result); `None` shows each buffer's own length (`writev`). At most 32 entries.
pub fn iovecs(mem: &dyn TraceMemory, addr: u64, count: u64, data: Option<u64>) -> String {
    if count == 0 {
        return "[]".to_string();
    }
    let shown = count.min(MAX_STRLEN as u64) as usize;
    let Some(words) = (addr != 0)
        .then(|| args::read_u64s(mem, addr, shown * 2))
        .flatten()
    else {
        return ptr(addr);
    };
    let mut left = data;
    let mut items: Vec<String> = words
        .chunks_exact(2)
        .map(|iov| {
            let (base, len) = (iov[0], iov[1]);
            let take = match left.as_mut() {
                Some(l) => {
                    let t = len.min(*l);
                    *l -= t;
                    t
                }
                None => len,
            };
            format!(
                "{{iov_base={}, iov_len={len}}}",
                args::buf(mem, base, take, false)
            )
        })
        .collect();
    if count > shown as u64 {
        items.push("...".to_string());
    }
    format!("[{}]", items.join(", "))
}

/// The kernel's `struct sigaction`: handler, flags, restorer, then the mask.
pub fn sigaction(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 32, |b| {
        let (handler, fl, restorer, mask) =
            (u64_at(b, 0), u64_at(b, 8), u64_at(b, 16), u64_at(b, 24));
        let handler = match handler {
            0 => "SIG_DFL".to_string(),
            1 => "SIG_IGN".to_string(),
            h => hex(h),
        };
        let mut s = format!(
            "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
            format_sigset(mask),
            flags::flags(fl, SA_FLAGS, "SA")
        );
        // The restorer is only meaningful (and only shown) with SA_RESTORER.
        if fl & 0x0400_0000 != 0 {
            s.push_str(&format!(", sa_restorer={}", ptr(restorer)));
        }
        s.push('}');
        s
    })
}

/// A 64-bit signal mask argument; strace only decodes the kernel's 8-byte size.
pub fn sigset(mem: &dyn TraceMemory, addr: u64, size: u64) -> String {
    if size != 8 {
        return ptr(addr);
    }
    with(mem, addr, 8, |b| format_sigset(u64_at(b, 0)))
}

/// A CPU mask as the list of set CPUs: `[0 1]`. `len` bytes are valid (capped).
pub fn cpu_set(mem: &dyn TraceMemory, addr: u64, len: u64) -> String {
    let len = len.min(1024) as usize;
    with(mem, addr, len, |b| {
        let cpus: Vec<String> = b
            .iter()
            .enumerate()
            .flat_map(|(i, byte)| {
                (0..8)
                    .filter(move |bit| byte & (1 << bit) != 0)
                    .map(move |bit| i * 8 + bit)
            })
            .map(|c| c.to_string())
            .collect();
        format!("[{}]", cpus.join(" "))
    })
}

/// `struct flock`; `with_pid` for the F_GETLK result.
pub fn flock(mem: &dyn TraceMemory, addr: u64, with_pid: bool) -> String {
    with(mem, addr, 28, |b| {
        let ty = u32_at(b, 0) & 0xffff;
        let whence = u32_at(b, 0) >> 16;
        let mut s = format!(
            "{{l_type={}, l_whence={}, l_start={}, l_len={}",
            flags::xlat(u64::from(ty), LOCK_TYPE, "F"),
            flags::xlat(u64::from(whence), SEEK, "SEEK"),
            u64_at(b, 8) as i64,
            u64_at(b, 16) as i64
        );
        if with_pid {
            s.push_str(&format!(", l_pid={}", u32_at(b, 24) as i32));
        }
        s.push('}');
        s
    })
}

/// `struct f_owner_ex` for F_GETOWN_EX/F_SETOWN_EX: `{type=F_OWNER_TID, pid=0}`.
pub fn owner_ex(mem: &dyn TraceMemory, addr: u64) -> String {
    const TYPES: flags::Table = &[(0, "F_OWNER_TID"), (1, "F_OWNER_PID"), (2, "F_OWNER_PGRP")];
    with(mem, addr, 8, |b| {
        format!(
            "{{type={}, pid={}}}",
            flags::xlat(u64::from(u32_at(b, 0)), TYPES, "F_OWNER"),
            u32_at(b, 4) as i32
        )
    })
}

/// A NULL-terminated array of string pointers (`execve`'s argv): at most 32 entries,
/// each cut at 32 bytes.
pub fn string_array(mem: &dyn TraceMemory, addr: u64) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    let mut items = Vec::new();
    for i in 0..=MAX_STRLEN as u64 {
        let Some(p) = addr
            .checked_add(i * 8)
            .and_then(|a| args::read_u64s(mem, a, 1))
            .and_then(|w| w.first().copied())
        else {
            return ptr(addr);
        };
        if p == 0 {
            break;
        }
        if i == MAX_STRLEN as u64 {
            items.push("...".to_string());
            break;
        }
        items.push(args::cstr(mem, p, MAX_STRLEN));
    }
    format!("[{}]", items.join(", "))
}

/// `execve`'s envp as strace summarizes it: `0x7ffe... /* 35 vars */`. Counting stops
/// after a page of pointers so a hostile array costs a bounded read.
pub fn env_summary(mem: &dyn TraceMemory, addr: u64) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    let page_left = (4096 - (addr % 4096)) / 8;
    let mut count = 0u64;
    let mut cur = addr;
    let mut chunk = page_left.max(1);
    while count < 512 {
        let Some(words) = args::read_u64s(mem, cur, chunk as usize) else {
            return ptr(addr);
        };
        if let Some(end) = words.iter().position(|&w| w == 0) {
            return format!("{} /* {} vars */", ptr(addr), count + end as u64);
        }
        count += chunk;
        let Some(next) = cur.checked_add(chunk * 8) else {
            break;
        };
        cur = next;
        chunk = 512;
    }
    ptr(addr)
}

/// An `int` behind a pointer: `[5]`.
pub fn int_ptr(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 4, |b| format!("[{}]", u32_at(b, 0) as i32))
}

/// A `u64` behind a pointer in hex (`arch_prctl(ARCH_GET_FS, [0x4c93c0])`).
pub fn hex_u64_ptr(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 8, |b| format!("[{}]", hex(u64_at(b, 0))))
}

/// `int[2]` from pipe/pipe2: `[3, 4]`.
pub fn int_pair(mem: &dyn TraceMemory, addr: u64) -> String {
    with(mem, addr, 8, |b| {
        format!("[{}, {}]", u32_at(b, 0) as i32, u32_at(b, 4) as i32)
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::FakeMem;
    use super::*;

    #[test]
    fn modes_and_dates() {
        assert_eq!(file_mode(0o100644), "S_IFREG|0644");
        assert_eq!(file_mode(0o41777), "S_IFDIR|S_ISVTX|0777");
        assert_eq!(file_mode(0o104755), "S_IFREG|S_ISUID|0755");
        assert_eq!(file_mode(0o20620), "S_IFCHR|0620");
        assert_eq!(iso_time(1795772829), "2026-11-27T09:47:09+0000");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00+0000");
        assert_eq!(iso_time(-1), "1969-12-31T23:59:59+0000");
        let _ = iso_time(i64::MAX);
        let _ = iso_time(i64::MIN);
        assert_eq!(split_dev(0x8800), (0x88, 0));
        assert_eq!(split_dev(0x103), (1, 3));
    }

    #[test]
    fn stat_struct() {
        let mut m = FakeMem::default();
        let mut st = [0u8; 144];
        st[24..28].copy_from_slice(&0o20620u32.to_le_bytes());
        st[40..48].copy_from_slice(&0x8800u64.to_le_bytes());
        m.put(0x1000, &st);
        assert_eq!(
            stat(&m, 0x1000),
            "{st_mode=S_IFCHR|0620, st_rdev=makedev(0x88, 0), ...}"
        );
        st[24..28].copy_from_slice(&0o100644u32.to_le_bytes());
        st[48..56].copy_from_slice(&1221u64.to_le_bytes());
        m.put(0x2000, &st);
        assert_eq!(
            stat(&m, 0x2000),
            "{st_mode=S_IFREG|0644, st_size=1221, ...}"
        );
        assert_eq!(stat(&m, 0x5000), "0x5000");
        assert_eq!(stat(&m, 0), "NULL");
    }

    #[test]
    fn iovec_lists() {
        let mut m = FakeMem::default();
        m.put(0x100, b"ab\n");
        let mut iov = Vec::new();
        for (b, l) in [(0x100u64, 1u64), (0x101, 2), (0, 0), (0x9001, 3)] {
            iov.extend_from_slice(&b.to_le_bytes());
            iov.extend_from_slice(&l.to_le_bytes());
        }
        m.put(0x2fc0, &iov);
        assert_eq!(
            iovecs(&m, 0x2fc0, 2, None),
            r#"[{iov_base="a", iov_len=1}, {iov_base="b\n", iov_len=2}]"#
        );
        assert_eq!(
            iovecs(&m, 0x2fc0, 4, None),
            r#"[{iov_base="a", iov_len=1}, {iov_base="b\n", iov_len=2}, {iov_base=NULL, iov_len=0}, {iov_base=0x9001, iov_len=3}]"#
        );
        assert_eq!(
            iovecs(&m, 0x2fc0, 2, Some(2)),
            r#"[{iov_base="a", iov_len=1}, {iov_base="b", iov_len=2}]"#
        );
        assert_eq!(iovecs(&m, 0x2fc0, 0, None), "[]");
        // Huge counts read at most 32 entries (here unreadable: the pointer).
        assert_eq!(iovecs(&m, 0x2fc0, u64::MAX, None), "0x2fc0");
        let big: Vec<u8> = (0..40)
            .flat_map(|_| [0x100u64, 1].map(u64::to_le_bytes))
            .flatten()
            .collect();
        m.put(0x4000, &big);
        let s = iovecs(&m, 0x4000, 40, None);
        assert!(s.ends_with("{iov_base=\"a\", iov_len=1}, ...]"));
        assert_eq!(s.matches("iov_base").count(), 32);
    }

    #[test]
    fn misc_structs() {
        let mut m = FakeMem::default();
        let mut sa = Vec::new();
        for v in [0x401000u64, 0x0400_0000, 0x401234, 1 << 9] {
            sa.extend_from_slice(&v.to_le_bytes());
        }
        m.put(0x1000, &sa);
        assert_eq!(
            sigaction(&m, 0x1000),
            "{sa_handler=0x401000, sa_mask=[USR1], sa_flags=SA_RESTORER, sa_restorer=0x401234}"
        );
        let rl: Vec<u8> = [8u64 << 20, u64::MAX]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        m.put(0x2000, &rl);
        assert_eq!(
            rlimit(&m, 0x2000),
            "{rlim_cur=8192*1024, rlim_max=RLIM64_INFINITY}"
        );
        assert_eq!(rlim(1024), "1024");
        assert_eq!(rlim(2048), "2*1024");
        let mut uts = vec![0u8; 390];
        uts[..5].copy_from_slice(b"Linux");
        uts[65..72].copy_from_slice(b"sandbox");
        m.put(0x3000, &uts);
        assert_eq!(
            utsname(&m, 0x3000),
            r#"{sysname="Linux", nodename="sandbox", ...}"#
        );
        m.put(0x4000, &[3, 0]);
        assert_eq!(cpu_set(&m, 0x4000, 2), "[0 1]");
        assert_eq!(cpu_set(&m, 0x4000, u64::MAX), "[0 1]");
        assert_eq!(cpu_set(&m, 0x9000, 8), "0x9000");
    }
}
