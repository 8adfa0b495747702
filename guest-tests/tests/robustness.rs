//! The sentry never fails internally on anything a guest does: random syscall
//! arguments (seeded, so a failure can be replayed) end with the program's own exit or
//! signal, never with the sentry's internal-error status or a panic message.

use std::process::Command;

use guest_tests::{compile, require_kvm, sentry_bin};

#[test]
fn random_syscall_arguments_never_break_the_sentry() {
    require_kvm();
    let program = compile("syscall_fuzz");
    for seed in 1..=40 {
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
        assert!(
            matches!(code, Some(0) | Some(128..=192)),
            "seed {seed}: unexpected status {:?}: {stderr}",
            out.status
        );
    }
}
