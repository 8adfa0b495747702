//! eventfd and epoll (`programs/epoll_eventfd.c`), natively vs under the sentry: counter and
//! semaphore semantics, level- and edge-triggered interests on pipes and eventfds,
//! EPOLLONESHOT, epoll_ctl's errors, nested instances, and waits that a forked child or a
//! signal ends. The native output must also hold the key lines below, so the test cannot
//! pass by both sides printing nothing useful.

use guest_tests::assert_same;

#[test]
fn epoll_eventfd() {
    let native = assert_same("epoll_eventfd", &[]);
    assert_eq!(native.code(), 0, "native epoll_eventfd:\n{native}");
    native.assert_checks_pass();
    let out = native.stdout_str();
    for line in [
        "readlink /proc/self/fd/N: anon_inode:[eventfd]",
        "read (sum): 12",
        "read 4 bytes: -1 EINVAL(22)",
        "write 0xffffffffffffffff: -1 EINVAL(22)",
        "non-blocking read of 0: -1 EAGAIN(11)",
        "write 1 to a full eventfd: -1 EAGAIN(11)",
        "semaphore read 4: -1 EAGAIN(11)",
        "blocking read, a child writes 42 after 20 ms: 42",
        "readlink /proc/self/fd/N: anon_inode:[eventpoll]",
        "ADD a regular file: -1 EPERM(1)",
        "ADD again: -1 EEXIST(17)",
        "MOD not added: -1 ENOENT(2)",
        "ADD epfd to itself: -1 EINVAL(22)",
        "ADD ep to ep2 (a loop): -1 ELOOP(40)",
        "epoll_wait maxevents INT_MAX/12+1: -1 EINVAL(22)",
        "epoll_wait with nothing ready, timeout 0: 0",
        "LT again: 1 [0x1 data 10]",
        "ET again (no new edge): 0",
        "ET after another write: 1 [0x1 data 20]",
        "ET after another write (counter was not 0): 1 [0x1 data 2]",
        "ET after a read that leaves 2 (reads wake writers only): 0",
        "ONESHOT again (disabled): 0",
        "ONESHOT after MOD: 1 [0x1 data 6]",
        "after closing fd (a dup keeps the file): 1 [0x1 data 11]",
        "outer blocks until a child writes to the inner eventfd: 1 [0x1 data 300]",
        "blocks until a child writes after 20 ms: 1 [0x1 data 50]",
        "epoll_wait interrupted by a signal (SA_RESTART does not restart it): -1 EINTR(4)",
        "epoll_pwait with SIGUSR1 blocked, a child signals then writes: 1",
        "done",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "native epoll_eventfd output lacks {line:?}:\n{out}"
        );
    }
}

#[test]
fn epoll_instance_is_pollable() {
    let native = guest_tests::assert_same_with_lines(
        "epoll_polled",
        &[
            "poll on the epoll fd (a child writes later): 1",
            "revents 0x1",
            "select on the epoll fd: 1",
            "epoll_wait on the outer instance: 1",
            "data 9",
            "done",
        ],
    );
    native.assert_checks_pass();
}

#[test]
fn timerfd_read_poll_epoll() {
    let native = guest_tests::assert_same_with_lines(
        "timerfd",
        &[
            "link: anon_inode:[timerfd]",
            "ticks 1 after at least 45 ms: yes",
            "several expirations: yes",
            "read again at once: error Resource temporarily unavailable",
            "epoll data: 7",
            "old interval 20 ms",
            "nsec too big: error Invalid argument",
            "settime on an epoll descriptor: error Invalid argument",
        ],
    );
    native.assert_checks_pass();
}

#[test]
fn signalfd_reads_blocked_signals() {
    guest_tests::assert_same_with_lines(
        "signalfd",
        &[
            "link: anon_inode:[signalfd]",
            "read several: 384",
            "  signo 34 code -1 pid==me 1 uid==me 1 int 43",
            "  signo 17 code 1 pid==child 1 status 7",
            "read an unwatched signal: error Resource temporarily unavailable",
            "SIGUSR2 still pending: yes",
            "not a signalfd: error Invalid argument",
        ],
    );
}
