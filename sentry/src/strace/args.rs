//! Scalar, pointer and string argument printing, and bounded reads of guest memory.

use super::TraceMemory;

/// strace's default `-s 32`: strings and arrays show at most this many elements.
pub const MAX_STRLEN: usize = 32;
/// Longest path strace prints (`PATH_MAX`); paths are not cut at `MAX_STRLEN`.
pub const PATH_MAX: usize = 4096;
const PAGE: u64 = 4096;
/// Strings are read in chunks this size (never crossing a page) to avoid over-reading.
const CHUNK: u64 = 256;

/// A pointer: `NULL` or lowercase hex.
pub fn ptr(addr: u64) -> String {
    if addr == 0 {
        "NULL".to_string()
    } else {
        format!("{addr:#x}")
    }
}

/// Hex the way C's `%#lx` prints it: `0` for zero (no prefix), else `0x...`.
pub fn hex(v: u64) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Octal the way C's `%#03o` prints it (`000`, `0644`, `017777`).
pub fn octal(v: u64) -> String {
    format!("0{:02o}", v)
}

/// An `int` argument (file descriptors, pids): the low 32 bits, signed.
pub fn int(v: u64) -> String {
    (v as u32 as i32).to_string()
}

/// A directory file descriptor: `AT_FDCWD` or the number.
pub fn dirfd(v: u64) -> String {
    if v as u32 as i32 == libc::AT_FDCWD {
        "AT_FDCWD".to_string()
    } else {
        int(v)
    }
}

/// Reads `n` little-endian u64 words.
pub fn read_u64s(mem: &dyn TraceMemory, addr: u64, n: usize) -> Option<Vec<u64>> {
    let bytes = mem.read_bytes(addr, n.checked_mul(8)?)?;
    Some(le_words(&bytes))
}

/// Splits bytes into little-endian u64 words (a short tail is dropped).
pub fn le_words(bytes: &[u8]) -> Vec<u64> {
    bytes
        .chunks_exact(8)
        .map(|c| {
            c.iter()
                .rev()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b))
        })
        .collect()
}

/// Little-endian u32 at `off` of `bytes` (0 when out of range; callers size their reads).
pub fn u32_at(bytes: &[u8], off: usize) -> u32 {
    off.checked_add(4)
        .and_then(|end| bytes.get(off..end))
        .map_or(0, |b| {
            b.iter()
                .rev()
                .fold(0u32, |acc, x| (acc << 8) | u32::from(*x))
        })
}

/// Little-endian u64 at `off` of `bytes` (0 when out of range).
pub fn u64_at(bytes: &[u8], off: usize) -> u64 {
    off.checked_add(8)
        .and_then(|end| bytes.get(off..end))
        .and_then(|b| le_words(b).first().copied())
        .unwrap_or(0)
}

/// C-style quoting of `bytes` inside double quotes, plus `...` when `truncated`.
/// Non-printables are octal, shortest form unless an octal digit follows; `hex`
/// forces `\xNN` for every byte (strace does that for `getrandom`).
pub fn quote(bytes: &[u8], truncated: bool, hex: bool) -> String {
    let mut s = String::with_capacity(bytes.len() + 8);
    s.push('"');
    for (i, &b) in bytes.iter().enumerate() {
        if hex {
            s.push_str(&format!("\\x{b:02x}"));
            continue;
        }
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\t' => s.push_str("\\t"),
            b'\n' => s.push_str("\\n"),
            0x0b => s.push_str("\\v"),
            0x0c => s.push_str("\\f"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => {
                let next_is_digit = matches!(bytes.get(i + 1), Some(b'0'..=b'7'));
                if next_is_digit {
                    s.push_str(&format!("\\{b:03o}"));
                } else {
                    s.push_str(&format!("\\{b:o}"));
                }
            }
        }
    }
    s.push('"');
    if truncated {
        s.push_str("...");
    }
    s
}

/// A buffer of known length (`write`'s data, `read`'s result): at most 32 bytes are read.
pub fn buf(mem: &dyn TraceMemory, addr: u64, len: u64, hex: bool) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    if len == 0 {
        return "\"\"".to_string();
    }
    let shown = len.min(MAX_STRLEN as u64) as usize;
    match mem.read_bytes(addr, shown) {
        Some(bytes) => quote(&bytes, len > shown as u64, hex),
        None => ptr(addr),
    }
}

/// Reads a NUL-terminated string of at most `max` bytes, page by page so a string that
/// ends just before an unmapped page still reads. Returns the bytes and whether it was cut.
pub fn read_cstr(mem: &dyn TraceMemory, addr: u64, max: usize) -> Option<(Vec<u8>, bool)> {
    let mut out = Vec::new();
    let mut cur = addr;
    while out.len() < max {
        let to_page_end = PAGE - (cur % PAGE);
        let chunk = to_page_end.min(CHUNK).min((max - out.len()) as u64) as usize;
        let bytes = mem.read_bytes(cur, chunk)?;
        if let Some(nul) = bytes.iter().position(|&b| b == 0) {
            out.extend_from_slice(&bytes[..nul]);
            return Some((out, false));
        }
        out.extend_from_slice(&bytes);
        cur = cur.checked_add(chunk as u64)?;
    }
    // Cut: strace still shows it as truncated only if a NUL does not follow right away.
    let more = mem.read_bytes(cur, 1).is_none_or(|b| b.first() != Some(&0));
    Some((out, more))
}

/// A NUL-terminated string shown with at most `max` bytes; unreadable prints the pointer.
pub fn cstr(mem: &dyn TraceMemory, addr: u64, max: usize) -> String {
    if addr == 0 {
        return ptr(addr);
    }
    match read_cstr(mem, addr, max) {
        Some((bytes, cut)) => quote(&bytes, cut, false),
        None => ptr(addr),
    }
}

/// A path argument (up to `PATH_MAX` bytes).
pub fn path(mem: &dyn TraceMemory, addr: u64) -> String {
    cstr(mem, addr, PATH_MAX)
}

/// A NUL-terminated string in a fixed-size field (`utsname`), cut at 32 like strace.
pub fn field_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    let s = &bytes[..end];
    let shown = s.len().min(MAX_STRLEN);
    quote(&s[..shown], s.len() > shown, false)
}

#[cfg(test)]
mod tests {
    use super::super::tests_support::FakeMem;
    use super::*;

    #[test]
    fn scalars() {
        assert_eq!(ptr(0), "NULL");
        assert_eq!(ptr(0x7ffe1234), "0x7ffe1234");
        assert_eq!(hex(0), "0");
        assert_eq!(hex(255), "0xff");
        assert_eq!(octal(0), "000");
        assert_eq!(octal(0o644), "0644");
        assert_eq!(octal(0o17777), "017777");
        assert_eq!(int(u64::MAX), "-1");
        assert_eq!(dirfd((-100i64) as u64), "AT_FDCWD");
        assert_eq!(dirfd(0xffff_ff9c), "AT_FDCWD");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            quote(b"hi\n\t\"\\\x01\x7f\xff end\0", false, false),
            r#""hi\n\t\"\\\1\177\377 end\0""#
        );
        assert_eq!(
            quote(b"\x012\x000a\x1b[0m\r\x0b\x0c\x07\x08", false, false),
            r#""\0012\0000a\33[0m\r\v\f\7\10""#
        );
        assert_eq!(quote(b"a'?", true, false), r#""a'?"..."#);
        assert_eq!(quote(b"\x12\x34", false, true), r#""\x12\x34""#);
    }

    #[test]
    fn buffers() {
        let mut m = FakeMem::default();
        m.put(0x1000, b"0123456789012345678901234567890123456789");
        assert_eq!(buf(&m, 0x1000, 3, false), "\"012\"");
        assert_eq!(
            buf(&m, 0x1000, 33, false),
            "\"01234567890123456789012345678901\"..."
        );
        assert_eq!(buf(&m, 0x1000, 1 << 40, false).len(), 37);
        assert_eq!(buf(&m, 0x9000, 3, false), "0x9000");
        assert_eq!(buf(&m, 0x9000, 0, false), "\"\"");
        assert_eq!(buf(&m, 0, 3, false), "NULL");
    }

    #[test]
    fn cstrings() {
        let mut m = FakeMem::default();
        // Ends right at a page boundary with the next page unmapped.
        m.put(0x1ffa, b"/etc\0\0");
        assert_eq!(path(&m, 0x1ffa), "\"/etc\"");
        m.put(0x3ffc, b"abcd");
        assert_eq!(path(&m, 0x3ffc), "0x3ffc");
        m.put(0x5000, b"abcdef\0");
        assert_eq!(cstr(&m, 0x5000, 3), "\"abc\"...");
        assert_eq!(cstr(&m, 0x5000, 6), "\"abcdef\"");
        assert_eq!(cstr(&m, u64::MAX - 2, 4096), format!("{:#x}", u64::MAX - 2));
        assert_eq!(field_str(b"Linux\0\0\0"), "\"Linux\"");
    }
}
