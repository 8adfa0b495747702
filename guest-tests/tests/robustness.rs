//! The sentry never fails internally on anything a guest does: random syscall
//! arguments (seeded, so a failure can be replayed) end with the program's own exit or
//! signal, never with the sentry's internal-error status or a panic message.

use std::process::Command;

use guest_tests::{compile, require_kvm, sentry_bin};

/// Runs `program` with seeds `seeds` and checks every run ended normally or by a signal.
fn survives(name: &str, seeds: std::ops::RangeInclusive<u32>, must_exit_zero: bool) {
    require_kvm();
    let program = compile(name);
    for seed in seeds {
        let out = Command::new(sentry_bin())
            .args(["run", "--"])
            .arg(&program)
            .arg(seed.to_string())
            .output()
            .expect("run the sentry");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let code = out.status.code();
        assert!(
            !stderr.contains("internal error") && !stderr.contains("panicked"),
            "seed {seed}: the sentry failed internally: {stderr}"
        );
        let expected = if must_exit_zero {
            matches!(code, Some(0))
        } else {
            matches!(code, Some(0) | Some(128..=192))
        };
        assert!(
            expected,
            "seed {seed}: unexpected status {:?}: {stderr}",
            out.status
        );
    }
}

#[test]
fn random_syscall_arguments_never_break_the_sentry() {
    survives("syscall_fuzz", 1..=40, false);
}

#[test]
fn random_paths_never_break_the_sentry() {
    // Path calls cannot hurt the program itself, so each run must finish cleanly.
    survives("path_fuzz", 1..=20, true);
}

#[test]
fn cached_file_pages_make_room_under_memory_pressure() {
    require_kvm();
    let program = compile("page_cache_pressure");
    let data = guest_tests::scratch_path("pressure.bin");
    let bytes: Vec<u8> = (0..24u32 << 20).map(|i| (i % 251) as u8 | 1).collect();
    std::fs::write(&data, bytes).expect("write the data file");
    // 64 MiB of guest memory: 24 MiB cached, then 40 MiB anonymous.
    let out = Command::new(sentry_bin())
        .args(["run", "--memory", "64M", "--"])
        .arg(&program)
        .arg(&data)
        .arg("40")
        .output()
        .expect("run the sentry");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ok 1\n", "{out:?}");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}
