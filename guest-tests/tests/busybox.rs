//! A real static binary: Debian's busybox-static applets, natively vs under the sentry.

use guest_tests::{busybox, Run};

fn bb(args: &[&str], status: i32, stdout: &str) {
    let native = Run::host(busybox()).args(args).assert_same();
    assert_eq!(native.code(), status, "native busybox {args:?}:\n{native}");
    assert_eq!(native.stdout_str(), stdout, "native busybox {args:?}");
}

#[test]
fn echo() {
    bb(&["echo", "hello"], 0, "hello\n");
}

#[test]
fn true_() {
    bb(&["true"], 0, "");
}

#[test]
fn false_() {
    bb(&["false"], 1, "");
}

#[test]
fn seq_1_10() {
    bb(&["seq", "1", "10"], 0, "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n");
}

#[test]
fn seq_5_down_to_1() {
    bb(&["seq", "5", "-1", "1"], 0, "5\n4\n3\n2\n1\n");
}

#[test]
fn expr_multiply() {
    bb(&["expr", "6", "*", "7"], 0, "42\n");
}

#[test]
fn expr_false_comparison() {
    bb(&["expr", "1", "=", "2"], 1, "0\n");
}

#[test]
fn basename() {
    bb(&["basename", "/a/b/c.txt", ".txt"], 0, "c\n");
}

#[test]
fn printf() {
    bb(
        &["printf", "%s-%d-%x|%5.2f\\n", "abc", "42", "255", "3.14159"],
        0,
        "abc-42-ff| 3.14\n",
    );
}

#[test]
fn cat_stdin() {
    let native = Run::host(busybox())
        .args(["cat"])
        .stdin(b"line one\nline two\n")
        .assert_same();
    assert_eq!(native.stdout_str(), "line one\nline two\n");
}

#[test]
fn sort_stdin() {
    let native = Run::host(busybox())
        .args(["sort"])
        .stdin(b"pear\napple\nfig\n")
        .assert_same();
    assert_eq!(native.stdout_str(), "apple\nfig\npear\n");
}

#[test]
fn sha256sum_stdin() {
    let native = Run::host(busybox())
        .args(["sha256sum"])
        .stdin(b"abc")
        .assert_same();
    assert!(native
        .stdout_str()
        .starts_with("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
}

#[test]
fn bare_name_is_searched_in_path() {
    // `sentry run -- busybox ...` must find /bin/busybox through $PATH like a shell does.
    busybox();
    let native = Run::host("busybox")
        .args(["echo", "found", "via", "PATH"])
        .assert_same();
    assert_eq!(native.stdout_str(), "found via PATH\n");
}
