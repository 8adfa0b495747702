//! The texts of a process's /proc files (stat, status, statm, maps, fdinfo), in
//! Linux's formats, from a `ProcessState`.

use std::fmt::Write;

use crate::kernel::process::{FdInfo, MapInfo, ProcessState};

const PAGE: u64 = 4096;
/// Clock ticks per second as user space sees them (USER_HZ).
const USER_HZ: u128 = 100;

/// Sizes in bytes of a process's kinds of memory, from its mappings.
#[derive(Default)]
struct MemBreakdown {
    exe: u64,
    lib: u64,
    data: u64,
    stack: u64,
}

fn breakdown(st: &ProcessState) -> MemBreakdown {
    let mut m = MemBreakdown::default();
    for map in &st.maps {
        let len = map.end.saturating_sub(map.start);
        if map.label == "[stack]" {
            m.stack += len;
        } else if map.exec && !map.label.is_empty() && map.label.as_bytes() == st.exe.as_slice() {
            m.exe += len;
        } else if map.exec && map.label.starts_with('/') {
            m.lib += len;
        } else if map.write && !map.shared {
            m.data += len;
        }
    }
    m
}

/// /proc/[pid]/stat: Linux's 52 fields; what the sandbox does not track is 0.
pub(super) fn stat(pid: i32, st: &ProcessState, state: char) -> Vec<u8> {
    let start_ticks = st.start_time.as_nanos() * USER_HZ / 1_000_000_000;
    let mut out = format!("{pid} (").into_bytes();
    out.extend_from_slice(&st.comm);
    let fields: Vec<String> = vec![
        state.to_string(),             // 3 state
        st.ppid.to_string(),           // 4 ppid
        st.pgid.to_string(),           // 5 pgrp
        st.sid.to_string(),            // 6 session
        "0".into(),                    // 7 tty_nr
        "-1".into(),                   // 8 tpgid
        "4194304".into(),              // 9 flags (PF_RANDOMIZE)
        "0".into(),                    // 10 minflt
        "0".into(),                    // 11 cminflt
        "0".into(),                    // 12 majflt
        "0".into(),                    // 13 cmajflt
        "0".into(),                    // 14 utime
        "0".into(),                    // 15 stime
        "0".into(),                    // 16 cutime
        "0".into(),                    // 17 cstime
        "20".into(),                   // 18 priority
        "0".into(),                    // 19 nice
        st.threads.max(1).to_string(), // 20 num_threads
        "0".into(),                    // 21 itrealvalue
        start_ticks.to_string(),       // 22 starttime
        st.vm_bytes.to_string(),       // 23 vsize
        st.resident_pages.to_string(), // 24 rss
        u64::MAX.to_string(),          // 25 rsslim (RLIM_INFINITY)
    ];
    out.extend_from_slice(b")");
    for f in &fields {
        out.push(b' ');
        out.extend_from_slice(f.as_bytes());
    }
    // 26..37 startcode .. cnswap, 38 exit_signal (SIGCHLD), 39..52 processor .. exit_code.
    out.extend_from_slice(" 0".repeat(12).as_bytes());
    out.extend_from_slice(b" 17");
    out.extend_from_slice(" 0".repeat(14).as_bytes());
    out.push(b'\n');
    out
}

/// A CPU bitmap as Linux's "%*pb": hex in 32-bit groups separated by commas, as wide
/// as `cpus` bits need.
fn cpu_mask(cpus: u32) -> String {
    let cpus = cpus.max(1);
    let groups = cpus.div_ceil(32);
    let mut s = String::new();
    for g in (0..groups).rev() {
        let bits = (cpus - g * 32).min(32);
        let mask = if bits == 32 {
            u32::MAX
        } else {
            (1u32 << bits) - 1
        };
        if g == groups - 1 {
            let _ = write!(s, "{:0width$x}", mask, width = bits.div_ceil(4) as usize);
        } else {
            let _ = write!(s, ",{mask:08x}");
        }
    }
    s
}

/// The CPU list "0" or "0-N".
pub(super) fn cpu_list(cpus: u32) -> String {
    match cpus {
        0 | 1 => "0".into(),
        n => format!("0-{}", n - 1),
    }
}

/// A comm as status's Name line shows it (Linux escapes whitespace and backslash).
fn escape_name(comm: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(comm.len());
    for &b in comm {
        match b {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            _ => out.push(b),
        }
    }
    out
}

/// The descriptor table size status shows: 64 at least, doubled past the highest fd.
fn fd_size(fds: &[FdInfo]) -> u64 {
    let max = fds
        .iter()
        .map(|f| u64::try_from(f.fd).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let mut size = 64u64;
    while size <= max && size < 1 << 40 {
        size *= 2;
    }
    size
}

/// /proc/[pid]/status. `cpus` and the guest's memory size (bytes, for the SigQ
/// limit) come from the system.
pub(super) fn status(
    pid: i32,
    st: &ProcessState,
    state: (char, &str),
    cpus: u32,
    mem_total: u64,
) -> Vec<u8> {
    let m = breakdown(st);
    let kb = |bytes: u64| bytes / 1024;
    let rss_kb = st.resident_pages * (PAGE / 1024);
    // Linux: max_threads = pages / (8 * THREAD_SIZE / PAGE_SIZE), RLIMIT_SIGPENDING half.
    let sigpending = (mem_total / (8 * 16384) / 2).max(1);
    let caps = if st.uid == 0 {
        "000001ffffffffff"
    } else {
        "0000000000000000"
    };
    let mut out = b"Name:\t".to_vec();
    out.extend(escape_name(&st.comm));
    let mut s = String::new();
    let (u, g) = (st.uid, st.gid);
    let _ = write!(
        s,
        "\nUmask:\t{:04o}\nState:\t{} ({})\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\n\
         PPid:\t{}\nTracerPid:\t0\nUid:\t{u}\t{u}\t{u}\t{u}\nGid:\t{g}\t{g}\t{g}\t{g}\n\
         FDSize:\t{}\nGroups:\t \nNStgid:\t{pid}\nNSpid:\t{pid}\nNSpgid:\t{}\n\
         NSsid:\t{}\nKthread:\t0\n",
        st.umask & 0o7777,
        state.0,
        state.1,
        st.ppid,
        fd_size(&st.fds),
        st.pgid,
        st.sid,
    );
    let vm: [(&str, u64); 16] = [
        ("VmPeak", kb(st.vm_bytes)),
        ("VmSize", kb(st.vm_bytes)),
        ("VmLck", 0),
        ("VmPin", 0),
        ("VmHWM", rss_kb),
        ("VmRSS", rss_kb),
        ("RssAnon", rss_kb),
        ("RssFile", 0),
        ("RssShmem", 0),
        ("VmData", kb(m.data)),
        ("VmStk", kb(m.stack)),
        ("VmExe", kb(m.exe)),
        ("VmLib", kb(m.lib)),
        ("VmPTE", 0),
        ("VmSwap", 0),
        ("HugetlbPages", 0),
    ];
    for (key, value) in vm {
        let _ = writeln!(s, "{key}:\t{value:>8} kB");
    }
    let _ = write!(
        s,
        "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t{}\nSigQ:\t0/{sigpending}\n\
         SigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n\
         SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n\
         SigCgt:\t0000000000000000\nCapInh:\t0000000000000000\nCapPrm:\t{caps}\n\
         CapEff:\t{caps}\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n\
         NoNewPrivs:\t0\nSeccomp:\t0\nSeccomp_filters:\t0\n\
         Cpus_allowed:\t{}\nCpus_allowed_list:\t{}\nMems_allowed:\t1\n\
         Mems_allowed_list:\t0\nvoluntary_ctxt_switches:\t0\n\
         nonvoluntary_ctxt_switches:\t0\n",
        st.threads.max(1),
        cpu_mask(cpus),
        cpu_list(cpus),
    );
    out.extend_from_slice(s.as_bytes());
    out
}

/// /proc/[pid]/statm: size resident shared text lib data dt, in pages.
pub(super) fn statm(st: &ProcessState) -> Vec<u8> {
    let m = breakdown(st);
    format!(
        "{} {} 0 {} 0 {} 0\n",
        st.vm_bytes / PAGE,
        st.resident_pages,
        m.exe / PAGE,
        (m.data + m.stack) / PAGE
    )
    .into_bytes()
}

/// One line of /proc/[pid]/maps, as Linux's show_map_vma: the label starts at column
/// 74 (the header is padded to 72 characters, then one space).
fn map_line(out: &mut String, m: &MapInfo) {
    let start = out.len();
    let _ = write!(
        out,
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        m.start,
        m.end,
        if m.read { 'r' } else { '-' },
        if m.write { 'w' } else { '-' },
        if m.exec { 'x' } else { '-' },
        if m.shared { 's' } else { 'p' },
        m.offset,
        ((m.dev >> 8) & 0xfff) | ((m.dev >> 32) & !0xfff),
        (m.dev & 0xff) | ((m.dev >> 12) & !0xff),
        m.ino
    );
    if !m.label.is_empty() {
        let width = out.len() - start;
        out.extend(std::iter::repeat_n(' ', 72usize.saturating_sub(width)));
        out.push(' ');
        out.push_str(&m.label);
    }
    out.push('\n');
}

/// /proc/[pid]/maps.
pub(super) fn maps(st: &ProcessState) -> Vec<u8> {
    let mut s = String::new();
    for m in &st.maps {
        map_line(&mut s, m);
    }
    s.into_bytes()
}

/// /proc/[pid]/fdinfo/N.
pub(super) fn fdinfo(fd: &FdInfo) -> Vec<u8> {
    format!(
        "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t0\nino:\t0\n",
        fd.pos, fd.flags
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::tests::sample_state;
    use super::*;

    #[test]
    fn stat_has_52_fields() {
        let st = sample_state(b"my prog");
        let text = String::from_utf8(stat(42, &st, 'R')).unwrap();
        assert!(
            text.starts_with("42 (my prog) R 1 7 7 0 -1 4194304 0 "),
            "{text}"
        );
        let after = text.rsplit_once(')').unwrap().1;
        let fields: Vec<&str> = after.split_whitespace().collect();
        assert_eq!(fields.len() + 2, 52, "{text}");
        // Fields are numbered from 1; `fields[0]` is field 3.
        assert_eq!(fields[20 - 3], "1");
        assert_eq!(fields[22 - 3], "150"); // 1.5 s
        assert_eq!(fields[23 - 3], "8388608");
        assert_eq!(fields[24 - 3], "100");
        assert_eq!(fields[38 - 3], "17");
        assert!(text.ends_with(" 0\n"));
    }

    #[test]
    fn status_lines() {
        let st = sample_state(b"a\tb");
        let text = String::from_utf8(status(42, &st, ('R', "running"), 2, 1 << 30)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Name:\ta\\tb");
        assert_eq!(lines[1], "Umask:\t0022");
        assert!(lines.contains(&"State:\tR (running)"));
        assert!(lines.contains(&"Tgid:\t42"));
        assert!(lines.contains(&"PPid:\t1"));
        assert!(lines.contains(&"Uid:\t1000\t1000\t1000\t1000"));
        assert!(lines.contains(&"Gid:\t100\t100\t100\t100"));
        assert!(lines.contains(&"FDSize:\t128"));
        assert!(lines.contains(&"VmPeak:\t    8192 kB"));
        assert!(lines.contains(&"VmRSS:\t     400 kB"));
        assert!(lines.contains(&"VmStk:\t     132 kB"));
        assert!(lines.contains(&"VmExe:\t       8 kB"));
        assert!(lines.contains(&"Threads:\t1"));
        assert!(lines.contains(&"SigQ:\t0/4096"));
        assert!(lines.contains(&"Cpus_allowed:\t3"));
        assert!(lines.contains(&"Cpus_allowed_list:\t0-1"));
        assert!(lines.contains(&"CapEff:\t0000000000000000"));
        assert!(lines.iter().all(|l| l.contains(":\t")), "{text}");
    }

    #[test]
    fn masks() {
        assert_eq!(cpu_mask(1), "1");
        assert_eq!(cpu_mask(8), "ff");
        assert_eq!(cpu_mask(32), "ffffffff");
        assert_eq!(cpu_mask(33), "1,ffffffff");
        assert_eq!(cpu_mask(70), "3f,ffffffff,ffffffff");
    }

    #[test]
    fn statm_and_maps() {
        let st = sample_state(b"x");
        assert_eq!(statm(&st), b"2048 100 0 2 0 33 0\n");
        let text = String::from_utf8(maps(&st)).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "00400000-00402000 r-xp 00000000 00:00 0                                  /bin/prog"
        );
        assert_eq!(lines[0].find("/bin/prog"), Some(73));
        assert_eq!(lines[1], "00402000-00403000 rw-s 00000000 00:00 0 ");
        let stack = lines.iter().find(|l| l.ends_with("[stack]")).unwrap();
        assert_eq!(stack.find('['), Some(73));
        assert!(stack.starts_with("7ffffffde000-7ffffffff000 rw-p "));
    }

    #[test]
    fn fdinfo_text() {
        let fd = FdInfo {
            fd: 3,
            target: b"/x".to_vec(),
            flags: 0o100002,
            pos: 17,
        };
        assert_eq!(
            fdinfo(&fd),
            b"pos:\t17\nflags:\t0100002\nmnt_id:\t0\nino:\t0\n"
        );
    }
}
