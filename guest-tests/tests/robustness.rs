//! The sentry never fails internally on anything a guest does: random syscall
//! arguments (seeded, so a failure can be replayed) end with the program's own exit or
//! signal, never with the sentry's internal-error status or a panic message.

use guest_tests::{Run, Status};

/// Runs `program` with seeds `seeds` and checks every run ended normally or by a signal,
/// within the harness's time limit (a hang names its seed instead of stalling CI).
fn survives(name: &str, seeds: std::ops::RangeInclusive<u32>, must_exit_zero: bool) {
    let program = Run::program(name);
    for seed in seeds {
        let out = program.clone().args([seed.to_string()]).sentry();
        let stderr = out.stderr_str();
        assert!(
            !stderr.contains("internal error") && !stderr.contains("panicked"),
            "seed {seed}: the sentry failed internally: {stderr}"
        );
        let expected = match out.status {
            Status::Code(0) => true,
            Status::Code(128..=192) => !must_exit_zero,
            _ => false,
        };
        assert!(
            expected,
            "seed {seed}: unexpected end: {}: {stderr}",
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
    let run = Run::program("page_cache_pressure");
    let data = guest_tests::scratch_path("pressure.bin");
    let bytes: Vec<u8> = (0..24u32 << 20).map(|i| (i % 251) as u8 | 1).collect();
    std::fs::write(&data, bytes).expect("write the data file");
    // 64 MiB of guest memory: 24 MiB cached, then 40 MiB anonymous.
    let out = run
        .sentry_flag("--memory")
        .sentry_flag("64M")
        .args([data.as_os_str(), "40".as_ref()])
        .sentry();
    assert_eq!(out.stdout_str(), "ok 1\n", "{out}");
    assert_eq!(out.status, Status::Code(0), "{out}");
}
