//! Process start-up and exit: printf, exit codes, argv/envp/auxv.

use guest_tests::{assert_same, Run};

fn hello(args: &[&str], code: i32, stdout: &str) {
    let native = assert_same("hello", args);
    assert_eq!(native.code(), code, "native exit status");
    assert_eq!(native.stdout_str(), stdout, "native stdout");
}

#[test]
fn hello_exit_0() {
    hello(&[], 0, "hello, world\n");
}

#[test]
fn hello_exit_3() {
    hello(&["3"], 3, "hello, world\n");
}

#[test]
fn hello_exit_255() {
    hello(&["255"], 255, "hello, world\n");
}

#[test]
fn hello_exit_256_wraps_to_0() {
    hello(&["256"], 0, "hello, world\n");
}

#[test]
fn hello_exit_1000_wraps_to_232() {
    hello(&["1000"], 232, "hello, world\n");
}

#[test]
fn hello_underscore_exit_7() {
    hello(&["7", "_exit"], 7, "hello, world\nvia _exit\n");
}

#[test]
fn hello_underscore_exit_loses_unflushed_output() {
    hello(&["9", "unflushed"], 9, "");
}

#[test]
fn hello_return_from_main_42() {
    hello(&["42", "return"], 42, "hello, world\nvia return\n");
}

#[test]
fn args_env_auxv() {
    let native = Run::program("args")
        .args(["one", "two words", "", "ünïcödé", "--flag=x"])
        .env("GT_VAR", "xyz")
        .env("GT_EMPTY", "")
        .assert_same();
    native.assert_checks_pass();
    let out = native.stdout_str();
    for line in [
        "argc=6",
        "argv[2]=\"two words\"",
        "argv[3]=\"\"",
        "GT_VAR=xyz",
        "GT_EMPTY=[]",
        "AT_PAGESZ=4096",
        "AT_PHENT=56",
        "AT_SECURE=0",
        "AT_CLKTCK=100",
        "AT_PLATFORM=x86_64",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "native output lacks {line:?}:\n{out}"
        );
    }
}

#[test]
fn args_none() {
    let native = Run::program("args").assert_same();
    native.assert_checks_pass();
    assert!(native.stdout_str().starts_with("argc=1\n"));
}
