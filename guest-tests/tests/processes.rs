//! Processes: fork/vfork/clone/execve/wait*, process groups and sessions, signals between
//! processes, pipes/FIFOs and file locks between processes (`programs/proc_*.c`), natively vs under
//! the sentry. Each program prints one line per check; the native output must also hold the
//! key lines below, so a test cannot pass by both sides printing nothing useful.

use guest_tests::{assert_same, Output};

/// Runs `name` on both sides, then checks the native run: exit 0, no failed `: no` check,
/// every line of `want` present, and the final `done`.
fn check(name: &str, want: &[&str]) -> Output {
    let native = assert_same(name, &[]);
    assert_eq!(native.code(), 0, "native {name}:\n{native}");
    native.assert_checks_pass();
    let out = native.stdout_str();
    for line in want.iter().chain(&["done"]) {
        assert!(
            out.lines().any(|l| l == *line),
            "native {name} output lacks {line:?}:\n{out}"
        );
    }
    native
}

#[test]
fn proc_fork() {
    check(
        "proc_fork",
        &[
            "fork: child pid > 0: yes",
            "WIFEXITED: 1, WEXITSTATUS: 42, WIFSIGNALED: 0",
            "child saw getppid() == parent pid and its own pid: yes",
            "child _exit(256): exited 0",
            "child exit(255): exited 255",
            "child exit_group(66): exited 66",
            "wait() x3 returned each child once: yes",
            "wait() with no children: -1 ECHILD(10)",
            "SIGKILL: WIFEXITED 0, WIFSIGNALED 1, WTERMSIG 9",
            "raise(SIGSEGV): WIFSIGNALED 1, WTERMSIG 11",
            "write to an unmapped address: WIFSIGNALED 1, WTERMSIG 11",
            "abort(): WIFSIGNALED 1, WTERMSIG 6",
            "waitpid(child, WNOHANG) while it runs: 0",
            "child after reading EOF: exited 5",
            "exited: si_signo 17, si_code 1 (CLD_EXITED=1), si_status 9, si_pid matches: yes",
            "killed: si_code 2 (CLD_KILLED=2), si_status 9",
            "child read 16 bytes: saw global 1, stack 10 before writing; 100 and 200 after",
            "parent sees global 2, stack 3",
            "heap child (0: saw all 'A', then its own 'B'): exited 0",
            "parent's heap buffer unchanged by the child: yes",
            "vfork: parent resumed after the child's write: flag 1234",
            "vfork child: exited 8",
            "exec'd child: argv[2]=hello-from-vfork",
            "vfork+execve child: exited 17",
            "fork+execve child: exited 17",
            "vfork child's execve errno: ENOENT(2)",
            "spawned child: argc=3 argv[2]=by-posix_spawn",
            "posix_spawn child: exited 23",
            "posix_spawn of a missing path: ENOENT(2)",
            "clone(SIGCHLD) child: exited 33",
            "execve of a missing path: -1 ENOENT(2)",
            "execve of a file without x bits: -1 EACCES(13)",
            "execve of garbage with x bits: -1 ENOEXEC(8)",
            "parent read from the child's inherited fd: 17 \"from child via 40\"",
            "exec'd child: F_GETFD of the O_CLOEXEC fd: -1 EBADF(9)",
            "exec'd child: F_GETFD of the inherited fd: 0",
            "read from the inherited pipe: 4 \"exec\"",
            "parent's offset after the child's write: 8",
            "setpgid child (31: inherited group and session, own group after): exited 31",
            "getsid(child) == child after its setsid: yes",
            "setsid child (31: new session and group, setsid and setpgid then EPERM): exited 31",
            "setpgid(child in another session, own group): -1 EPERM(1)",
            "getpgid(second child) == first child: yes",
            "grandchild's getppid() was the middle process: yes",
            "reparented: yes",
        ],
    );
}

#[test]
fn proc_signals() {
    check(
        "proc_signals",
        &[
            "sigsuspend returned -1 EINTR after SIGCHLD: yes",
            "exit: SIGCHLD si_code 1 (CLD_EXITED=1), si_status 3, si_pid matches: yes",
            "SIGKILL: SIGCHLD si_code 2 (CLD_KILLED=2), si_status 9, si_pid matches: yes",
            "stop: SIGCHLD si_code 5 (CLD_STOPPED=5), si_status 19",
            "status: stopped by signal 19",
            "continue: SIGCHLD si_code 6 (CLD_CONTINUED=6), si_status 18",
            "status: continued",
            "stopped, continued then terminated child: killed by signal 15",
            "SA_NOCLDSTOP: no SIGCHLD pending for the stop: yes",
            "waitpid(WNOHANG) after SIGTERM to the stopped child: 0",
            "SIGCHLD SIG_IGN: waitpid(child): -1 ECHILD(10)",
            "SA_NOCLDWAIT: wait(): -1 ECHILD(10)",
            "child sent SIGTERM: killed by signal 15",
            "child whose inherited SIGUSR1 handler calls _exit(7): exited 7",
            "kill(0, 0): 0",
            "kill(-(a child's own group), 0): 0",
            "kill(999999, 0): -1 ESRCH(3)",
            "kill(zombie, 0): 0",
            "kill(0, SIGTERM) in a new group (2 grandchildren died, own SIGTERM pending): exited 2",
            "group member: killed by signal 9",
            "read without SA_RESTART: -1 EINTR(4)",
            "nanosleep(5 s): -1 EINTR(4)",
            "waitpid without SA_RESTART: -1 EINTR(4)",
            "blocking write to a full pipe, interrupted: -1 EINTR(4)",
            "blocking write of 100000 bytes nobody reads, interrupted: 65536",
            "read with SA_RESTART: 5 hello",
            "waitpid with SA_RESTART returned the child: yes, exited 4",
            "SIGUSR2 pending after the child's kill: yes",
            "sigtimedwait(SIGUSR2, 0 s): 12",
            "si_signo 12, si_code 0 (SI_USER=0), si_pid is the sender: yes",
            "sigtimedwait again (coalesced): -1 EAGAIN(11)",
            "sigwaitinfo(SIGUSR1): 10",
            "queued #3: SIGRTMIN+1, si_code -1, value 300, from the child: yes",
            "pause(): -1 EINTR(4)",
            "sigsuspend until SIGALRM: -1 EINTR(4)",
            "alarm(0) returns the seconds left: 5",
            "writer to a pipe without readers: killed by signal 13",
            "write with SIGPIPE ignored: -1 EPIPE(32)",
            "exec'd: SIGUSR1 (was handled) is SIG_DFL: yes",
            "exec'd: SIGINT still pending: yes",
        ],
    );
}

#[test]
fn proc_pipes() {
    check(
        "proc_pipes",
        &[
            "F_GETPIPE_SZ: 65536",
            "write 65536 bytes: 65536",
            "write 1 more byte: -1 EAGAIN(11)",
            "FIONREAD says 65536",
            "non-blocking write of 65536 into a pipe holding 100: 61440",
            "F_SETPIPE_SZ 4096: 4096",
            "F_GETPIPE_SZ: 4096",
            "write 4096 bytes: 4096",
            "F_SETPIPE_SZ 4096 while holding 12288 bytes: -1 EBUSY(16)",
            "child -> parent: read 1048576 bytes, last read 0, every byte right: yes",
            "single blocking write of 1 MiB: 1048576",
            "reader child (0: got all of it): exited 0",
            "read with the child still holding a write end: -1 EAGAIN(11)",
            "blocking read after the last writer exits: 0",
            "revents 0x10 (POLLHUP=0x10)",
            "write with no reader: -1 EPIPE(32)",
            "poll(read end, 5000 ms) until the child writes: 1",
            "revents 0x1 (POLLIN=0x1)",
            "FIONREAD: 4",
            "read end set: yes",
            "two writers: 200 and 200 records, torn: 0, tail 0",
            "consumer: 5000 lines, 48893 bytes, last read 0",
            "producer after the reader closed: killed by signal 13",
            "open(O_WRONLY|O_NONBLOCK) with no reader: -1 ENXIO(6)",
            "read 17 bytes: \"through the fifo\"",
            "fifo reader (0: got the bytes): exited 0",
        ],
    );
}

#[test]
fn proc_deadlock() {
    check(
        "proc_deadlock",
        &[
            "parent: F_SETLKW on byte 1: -1 Resource deadlock avoided",
            "child: lock byte 1: 0, then waited for byte 0: 0",
        ],
    );
}

#[test]
fn proc_lock_release() {
    check(
        "proc_lock_release",
        &[
            "after dup2 over another descriptor of the file: unlocked",
            "after close_range of another descriptor: unlocked",
            "after execve closed a close-on-exec descriptor: unlocked",
        ],
    );
}

#[test]
fn proc_subreaper() {
    check(
        "proc_subreaper",
        &[
            "flag 1",
            "grandchild's parent is the subreaper: yes",
            "wait reaps the grandchild: yes, status 7",
            "the zombie grandchild is ours: yes, status 5",
        ],
    );
}

#[test]
fn first_process_is_no_session_leader() {
    let native = guest_tests::assert_same_with_lines(
        "first_session",
        &[
            "not a session leader at start: yes",
            "session leader after setsid: yes",
            "setsid again: -1 EPERM(1)",
        ],
    );
    native.assert_checks_pass();
}

#[test]
fn proc_states_sleeping_stopped_zombie() {
    check(
        "proc_state",
        &[
            "child blocked in read: S",
            "self: R",
            "status says sleeping: yes",
            "child after SIGSTOP: T",
            "child exited, not waited for: Z",
            "reaped: gone from /proc: yes",
        ],
    );
}

#[test]
fn proc_locks() {
    check(
        "proc_locks",
        &[
            "child: write lock on 0..15: -1 Resource temporarily unavailable",
            "child: F_GETLK finds type F_WRLCK at 10 len 20, held by the parent: yes",
            "child: read lock on 50..60 (readers share): 0 ",
            "child: flock LOCK_EX|LOCK_NB: 0 ",
            "parent: flock LOCK_EX|LOCK_NB while the child holds one: -1 Resource temporarily unavailable",
            "child: F_SETLKW on 12 (waits for the parent's unlock): 0 ",
            "parent: flock LOCK_EX|LOCK_NB after the child exited: 0 ",
            "another process may lock after the close: yes",
        ],
    );
}

/// A fork bomb under `--pids 12` never has more than 12 processes (zombies count, as
/// for Linux's pids limit; fork gives EAGAIN), and the sandbox ends normally. Not
/// differential: natively nothing would stop it.
#[test]
fn fork_bomb_is_stopped_by_pids() {
    let out = guest_tests::Run::program("fork_bomb")
        .sentry_flag("--pids")
        .sentry_flag("12")
        .sentry();
    assert_eq!(out.code(), 0, "{out}");
    let text = out.stdout_str();
    assert!(text.starts_with("fork failed with EAGAIN: yes\n"), "{out}");
    let most: u32 = text
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!((2..=12).contains(&most), "{out}");
}

#[test]
fn proc_misc() {
    check(
        "proc_misc",
        &[
            "grandchild gone after its parent exited (EOF): yes",
            "RUSAGE_CHILDREN grew by the child's CPU time (> 50 ms): yes",
            "times() reports children's user time: yes",
            "orphan's /proc/self/stat ppid == getppid(): yes",
        ],
    );
}

#[test]
fn pidfd_open_poll_signal_waitid() {
    guest_tests::assert_same_with_lines(
        "pidfd",
        &[
            "link: anon_inode:[pidfd]",
            "poll while it runs: 0",
            "revents POLLIN: yes",
            "signal a zombie: 0",
            "  pid==child 1 code 2 status 15",
            "signal after reaping: error No such process",
            "no such process: error No such process",
            "waitid on a non-pidfd: error Bad file descriptor",
        ],
    );
}

#[test]
fn sysv_semaphore_sets() {
    guest_tests::assert_same_with_lines(
        "sysv_sem",
        &[
            "after: 0 4 3",
            "unchanged: 0 4 3",
            "blocking semop until the child adds: 0",
            "semtimedop timeout: error Resource temporarily unavailable",
            "GETNCNT 0 with a waiter: 1",
            "waiting while the set is removed: error Identifier removed",
            "semop on a missing semaphore: error File too large",
            "semop past SEMVMX: error Numerical result out of range",
        ],
    );
}

#[test]
fn sysv_message_queues() {
    guest_tests::assert_same_with_lines(
        "sysv_msg",
        &[
            "type -4: lowest type up to 4: 4 bytes, type 1, 'one'",
            "MSG_EXCEPT 1: 4 bytes, type 6, 'six'",
            "too small without MSG_NOERROR: error Argument list too long",
            "blocking receive: 15 bytes, type 7, 'from the child'",
            "send 60 more, IPC_NOWAIT: error Resource temporarily unavailable",
            "waiting while the queue is removed: error Identifier removed",
            "type 0 send: error Invalid argument",
        ],
    );
}
