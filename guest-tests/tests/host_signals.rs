//! Signals sent to `sentry` itself (Ctrl-C, `kill`) reach the sandbox's first process:
//! a shell blocked reading its (host) stdin runs its trap, and without a trap the
//! default action decides sentry's exit status (128 + N).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use guest_tests::{require_kvm, sentry_bin};

/// Runs `script` under `sh -c` in the sandbox with a stdin that never delivers, sends
/// `signal` to sentry once the script has started, returns (status, stdout).
fn signal_while_reading(script: &str, signal: &str) -> (Option<i32>, String) {
    require_kvm();
    let mut child = Command::new(sentry_bin())
        .args(["run", "--", "/bin/sh", "-c", script])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting sentry");
    // Let the shell set its trap and block in read.
    std::thread::sleep(Duration::from_millis(500));
    let killed = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("running kill");
    assert!(killed.success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for sentry") {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("sentry did not end after {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut out = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut out);
    }
    drop(child.stdin.take());
    (status.code(), out)
}

#[test]
fn sigint_runs_the_guest_trap() {
    let (code, out) = signal_while_reading(
        "trap 'echo got INT; exit 7' INT; echo ready; read x; echo read returned",
        "-INT",
    );
    assert_eq!(out, "ready\ngot INT\n");
    assert_eq!(code, Some(7));
}

#[test]
fn sigterm_without_a_trap_ends_the_sandbox_with_128_plus_15() {
    let (code, out) = signal_while_reading("echo ready; read x; echo read returned", "-TERM");
    assert_eq!(out, "ready\n");
    assert_eq!(code, Some(128 + 15));
}

/// SIGKILL to `sentry` ends the whole sandbox: no guest process outlives it (its
/// output closes), whatever host processes the sandbox is made of.
#[test]
fn sigkill_to_sentry_ends_the_whole_sandbox() {
    use std::io::BufRead;
    require_kvm();
    let mut child = Command::new(sentry_bin())
        .args([
            "run",
            "--",
            "/bin/sh",
            "-c",
            "echo ready; read x; echo read returned",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting sentry");
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let _ = tx.send(line.unwrap_or_default());
        }
        // Dropping `tx` tells the test that the output closed.
    });
    let first = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the sandbox never said ready");
    assert_eq!(first, "ready");
    // Kept open (Child::wait would close it): only the sandbox's death may end it.
    let stdin = child.stdin.take();
    child.kill().expect("SIGKILL to sentry");
    let status = child.wait().expect("waiting for sentry");
    assert_eq!(
        std::os::unix::process::ExitStatusExt::signal(&status),
        Some(9)
    );
    match rx.recv_timeout(Duration::from_secs(10)) {
        Ok(line) => panic!("the sandbox went on after sentry was killed: {line:?}"),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {}
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            panic!("the sandbox outlived sentry: its stdout stayed open")
        }
    }
    drop(stdin);
}
