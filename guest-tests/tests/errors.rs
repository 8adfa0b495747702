//! `sentry run` on things it must refuse: a missing program (127), and files that are not a
//! static x86-64 ELF executable (126). Each gives exactly one line on stderr and no panic.

use guest_tests::{require_kvm, scratch_path, Output, Run, Status};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

fn refused(program: &Path, status: i32) -> Output {
    let out = Run::host(program).args(["arg"]).sentry();
    assert_eq!(
        out.status,
        Status::Code(status),
        "sentry run -- {}:\n{out}",
        program.display()
    );
    let lines = out.stderr_lines();
    assert_eq!(lines.len(), 1, "expected exactly one stderr line:\n{out}");
    let text = out.stderr_str().to_lowercase();
    assert!(
        !text.contains("panicked") && !text.contains("backtrace"),
        "{out}"
    );
    assert!(out.stdout.is_empty(), "{out}");
    out
}

fn executable(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_path(name);
    fs::write(&path, bytes).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A minimal ELF header (+ one PT_LOAD) of the given class and machine.
fn elf(class64: bool, machine: u16) -> Vec<u8> {
    let mut h = vec![0x7f, b'E', b'L', b'F', if class64 { 2 } else { 1 }, 1, 1, 0];
    h.resize(16, 0);
    h.extend(2u16.to_le_bytes()); // ET_EXEC
    h.extend(machine.to_le_bytes());
    h.extend(1u32.to_le_bytes()); // EV_CURRENT
    let word = |h: &mut Vec<u8>, v: u64| {
        if class64 {
            h.extend(v.to_le_bytes())
        } else {
            h.extend((v as u32).to_le_bytes())
        }
    };
    let (ehsize, phentsize) = if class64 { (64u16, 56u16) } else { (52, 32) };
    word(&mut h, 0x400000 + ehsize as u64 + phentsize as u64); // e_entry
    word(&mut h, ehsize as u64); // e_phoff
    word(&mut h, 0); // e_shoff
    h.extend(0u32.to_le_bytes()); // e_flags
    for v in [ehsize, phentsize, 1, 0, 0, 0] {
        h.extend(v.to_le_bytes());
    }
    // PT_LOAD, flags R+X, whole file at 0x400000
    let size = (ehsize + phentsize + 16) as u64;
    if class64 {
        h.extend(1u32.to_le_bytes());
        h.extend(5u32.to_le_bytes());
        for v in [0u64, 0x400000, 0x400000, size, size, 0x1000] {
            h.extend(v.to_le_bytes());
        }
    } else {
        for v in [
            1u32,
            0,
            0x400000,
            0x400000,
            size as u32,
            size as u32,
            5,
            0x1000,
        ] {
            h.extend(v.to_le_bytes());
        }
    }
    h.resize(size as usize, 0xf4); // hlt
    h
}

#[test]
fn missing_program_is_127() {
    require_kvm();
    refused(Path::new("/nonexistent/gt-no-such-program"), 127);
}

#[test]
fn missing_bare_name_is_127() {
    require_kvm();
    refused(Path::new("gt-no-such-program-in-path"), 127);
}

#[test]
fn text_file_is_126() {
    let path = executable("text", b"this is not an ELF file\njust text\n");
    refused(&path, 126);
}

#[test]
fn elf32_is_126() {
    // A real 32-bit binary when gcc -m32 works, else a hand-made ELF32 header.
    let src = scratch_path("m32.c");
    fs::write(&src, "int main(void) { return 0; }\n").unwrap();
    let out = scratch_path("m32");
    let built = Command::new("gcc")
        .args(["-m32", "-static", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .is_ok_and(|o| o.status.success());
    let path = if built {
        out
    } else {
        executable("elf32", &elf(false, 3))
    };
    refused(&path, 126);
}

#[test]
fn elf64_other_machine_is_126() {
    let path = executable("aarch64", &elf(true, 183)); // EM_AARCH64
    refused(&path, 126);
}

#[test]
fn dynamically_linked_runs_like_native() {
    let bytes = fs::read("/bin/false").expect("/bin/false");
    assert!(
        bytes.windows(12).any(|w| w == b"/lib64/ld-li"),
        "/bin/false should be dynamic"
    );
    guest_tests::assert_same_host("/bin/false", &[]);
}

#[test]
fn missing_interpreter_is_126() {
    // /bin/true with its PT_INTERP pointing nowhere (same length, so offsets hold).
    let mut bytes = fs::read("/bin/true").expect("/bin/true");
    let from = b"/lib64/ld-linux-x86-64.so.2";
    let to = b"/lib64/ld-absent-x86-64.so.";
    let at = bytes
        .windows(from.len())
        .position(|w| w == from)
        .expect("/bin/true names ld-linux");
    bytes[at..at + to.len()].copy_from_slice(to);
    let path = executable("no-interp", &bytes);
    refused(&path, 126);
}

#[test]
fn empty_file_is_126() {
    let path = executable("empty", b"");
    refused(&path, 126);
}
