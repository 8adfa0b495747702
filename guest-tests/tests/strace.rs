//! `sentry run --strace` against strace(1), and `--stats`.

use guest_tests::{busybox, Output, Run, Status};

/// strace pads ` = ret` to a column; the sentry need not. Collapse the padding.
fn normalise(line: &str) -> String {
    match line.rfind(") ") {
        Some(i) if line[i + 1..].trim_start().starts_with("= ") => {
            format!("{}) {}", &line[..i], line[i + 1..].trim_start())
        }
        _ => line.trim_end().to_string(),
    }
}

fn lines_with(out: &Output, prefixes: &[&str]) -> Vec<String> {
    out.stderr_str()
        .lines()
        .map(normalise)
        .filter(|l| prefixes.iter().any(|p| l.starts_with(p)))
        .collect()
}

fn native_strace(run: &Run) -> Output {
    run.native_wrapped(&["strace", "-qq", "-e", "trace=write,exit_group"])
}

fn compare_writes(run: Run, code: i32) {
    let native = native_strace(&run);
    let sentry = run.clone().sentry_flag("--strace").sentry();
    let want = lines_with(&native, &["write(1,", "exit_group("]);
    assert!(
        want.len() >= 2,
        "native strace printed no write/exit_group lines:\n{native}"
    );
    assert_eq!(sentry.status, Status::Code(code), "sentry:\n{sentry}");
    assert_eq!(
        sentry.stdout, native.stdout,
        "stdout differs:\nnative:\n{native}\nsentry:\n{sentry}"
    );
    let got = lines_with(&sentry, &["write(1,", "exit_group("]);
    assert_eq!(
        got, want,
        "strace lines differ:\nnative:\n{native}\nsentry:\n{sentry}"
    );
    let last = sentry.stderr_lines().last().cloned().unwrap_or_default();
    assert_eq!(
        last,
        format!("+++ exited with {code} +++"),
        "sentry:\n{sentry}"
    );
}

#[test]
fn strace_hello() {
    compare_writes(Run::program("hello"), 0);
}

#[test]
fn strace_hello_exit_3() {
    compare_writes(Run::program("hello").args(["3", "_exit"]), 3);
}

#[test]
fn strace_long_string_is_truncated_like_strace() {
    let text = "tab\there, \"quotes\", a backslash \\ and more than thirty-two bytes in all";
    compare_writes(Run::host(busybox()).args(["echo", text]), 0);
}

/// Replaces the hex digits of `si_addr=0x...` so random mmap addresses compare equal.
fn mask_addr(line: &str) -> String {
    match line.find("si_addr=0x") {
        Some(i) => {
            let start = i + "si_addr=0x".len();
            let end = line[start..]
                .find(|c: char| !c.is_ascii_hexdigit())
                .map_or(line.len(), |n| start + n);
            format!("{}ADDR{}", &line[..start], &line[end..])
        }
        None => line.to_string(),
    }
}

fn compare_segv(name: &str, fixed_addr: bool) {
    let run = Run::program(name);
    let native = native_strace(&run);
    let sentry = run.clone().sentry_flag("--strace").sentry();
    assert_eq!(native.status, Status::Code(139), "native:\n{native}");
    assert_eq!(sentry.status, Status::Code(139), "sentry:\n{sentry}");
    assert_eq!(
        sentry.stdout, native.stdout,
        "stdout differs:\nnative:\n{native}\nsentry:\n{sentry}"
    );
    let signal_line = |out: &Output| {
        let l = lines_with(out, &["--- SIGSEGV"]);
        assert_eq!(l.len(), 1, "expected one --- SIGSEGV line:\n{out}");
        if fixed_addr {
            l[0].clone()
        } else {
            mask_addr(&l[0])
        }
    };
    assert_eq!(
        signal_line(&sentry),
        signal_line(&native),
        "native:\n{native}\nsentry:\n{sentry}"
    );
    for out in [&native, &sentry] {
        let last = out.stderr_lines().last().cloned().unwrap_or_default();
        assert!(
            last.starts_with("+++ killed by SIGSEGV"),
            "last line {last:?}:\n{out}"
        );
    }
}

#[test]
fn strace_segv_at_0x10() {
    compare_segv("segv_unmapped", true);
}

#[test]
fn strace_segv_after_munmap() {
    compare_segv("segv_after_munmap", false);
}

#[test]
fn strace_segv_write_readonly() {
    compare_segv("segv_write_readonly", false);
}

#[test]
fn stats_mentions_exits() {
    let run = Run::program("hello");
    let native = run.native();
    let sentry = run.clone().sentry_flag("--stats").sentry();
    assert_eq!(sentry.status, native.status, "sentry:\n{sentry}");
    assert_eq!(sentry.stdout, native.stdout, "sentry:\n{sentry}");
    assert!(
        sentry.stderr_str().contains("exits"),
        "--stats printed no \"exits\":\n{sentry}"
    );
}

/// The first line is the program's own execve, as strace(1) shows it (the envp
/// pointer, a host address natively, is masked).
#[test]
fn strace_shows_the_first_execve() {
    let run = Run::program("hello").args(["a b", "c"]);
    let native = run.native_wrapped(&["strace", "-qq", "-e", "trace=execve"]);
    let sentry = run.clone().sentry_flag("--strace").sentry();
    let first_execve = |out: &Output| {
        let line = out
            .stderr_str()
            .lines()
            .map(normalise)
            .find(|l| l.starts_with("execve("))
            .unwrap_or_default();
        // execve("path", [argv], 0x7ffc... /* N vars */) = 0
        match (line.rfind("], 0x"), line.find(" /*")) {
            (Some(a), Some(b)) if a < b => format!("{}], ENVP{}", &line[..a], &line[b..]),
            _ => line,
        }
    };
    let want = first_execve(&native);
    assert!(want.ends_with("vars */) = 0"), "native strace:\n{native}");
    assert_eq!(first_execve(&sentry), want, "sentry:\n{sentry}");
    let first = sentry.stderr_lines().first().cloned().unwrap_or_default();
    assert!(first.starts_with("execve("), "sentry:\n{sentry}");
}
