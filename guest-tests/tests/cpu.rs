//! CPU state: SSE/AVX arithmetic, registers across syscalls, TLS/FS base, and faults that
//! kill the program with SIGILL, SIGFPE, SIGTRAP or SIGABRT.

use guest_tests::assert_same;

fn checked(name: &str) {
    let native = assert_same(name, &[]);
    native.assert_checks_pass();
    assert_eq!(native.code(), 0, "native run of {name} failed:\n{native}");
}

#[test]
fn sse_floating_point() {
    let native = assert_same("sse", &[]);
    assert!(
        native.stdout_str().contains("1/3 = 0.33333333333333331\n"),
        "{native}"
    );
    assert!(!native.stdout_str().contains("mode kept = 0"), "{native}");
}

#[test]
fn avx_vectors() {
    checked("avx");
}

#[test]
fn registers_preserved_across_syscalls() {
    let native = assert_same("regs", &[]);
    native.assert_checks_pass();
    let out = native.stdout_str();
    assert!(
        out.contains("x87 control word kept: 0xf7f\n") && out.contains("mxcsr kept: 0x7f80\n"),
        "{out}"
    );
}

#[test]
fn syscall_return_state_matches_linux() {
    let native = assert_same("syscall_return", &[]);
    native.assert_checks_pass();
    assert!(
        native
            .stdout_str()
            .contains("mmap of the last page: ENOMEM(12)\n"),
        "{native}"
    );
}

#[test]
fn signal_during_quick_syscalls_is_not_lost() {
    // A timer's signal lands while the program's syscalls are served from the mailbox
    // (often inside the syscall entry); its handler must run without a later syscall.
    let native = assert_same("signal_kick", &[]);
    native.assert_checks_pass();
    assert!(native.stdout_str().contains("rounds: 1000\n"), "{native}");
}

#[test]
fn thread_local_storage() {
    checked("tls");
}

fn fatal(how: &str, status: i32) {
    let native = assert_same("fatal_signals", &[how]);
    assert_eq!(
        native.code(),
        status,
        "native run should die with status {status}:\n{native}"
    );
    assert_eq!(native.stdout_str(), format!("about to {how}\n"));
}

#[test]
fn sigill_ud2() {
    fatal("ud2", 132);
}

#[test]
fn sigtrap_int3() {
    fatal("int3", 133);
}

#[test]
fn sigabrt_abort() {
    fatal("abort", 134);
}

#[test]
fn sigfpe_divide_by_zero() {
    fatal("div0", 136);
}

#[test]
fn signal_handlers_run_and_return() {
    guest_tests::assert_same("signal_handlers", &[]);
}

#[test]
fn handlers_use_the_alternate_signal_stack_as_linux() {
    guest_tests::assert_same_with_lines(
        "sigaltstack",
        &[
            "SA_ONSTACK: on alt 1, uc_stack flags 0 size 65536 sp==alt 1",
            "SA_ONSTACK: query 0/0 flags 0x1 size 65536 sp==alt 1; change -1/1; nested on alt 1",
            "after autodisarm handler: 0 flags 0x80000000 size 65536 sp==alt 1 sp==alt2 0 sp null 0",
            "after rewriting uc_stack: 0 flags 0 size 65536 sp==alt 0 sp==alt2 1 sp null 0",
        ],
    );
}
