//! A static Go program (built here with `go build`, CGO off) natively and in the
//! sandbox: the Go runtime runs goroutines on clone threads with futexes, preempts
//! them with SIGURG, uses sigaltstack, timers and madvise.

use std::path::PathBuf;
use std::process::Command;

use guest_tests::{work_dir, Run};

fn build() -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("go");
    let out = work_dir().join("gotest");
    let status = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(".")
        .current_dir(&src)
        .env("CGO_ENABLED", "0")
        .status()
        .unwrap_or_else(|e| panic!("running go build: {e} (run scripts/setup.sh)"));
    assert!(status.success(), "go build failed");
    out
}

#[test]
fn goroutines_channels_preemption_timers_gc() {
    let native = Run::host(build()).assert_same();
    assert_eq!(
        native.stdout_str(),
        "total 4950 squares 100 9801\nspinning goroutines preempted and stopped\n\
         timer fired, gc ran: true\n"
    );
}
