//! Threads: `programs/threads.c`, one section per test (pthreads, the futex calls under
//! them, thread groups: exit, fatal signals, signals aimed at threads or the process,
//! execve and fork from a thread), natively vs under the sentry, plus a Python program
//! using `threading` and `concurrent.futures`. The native output must also hold the key
//! lines below, so a test cannot pass by both sides printing nothing useful.

use guest_tests::{Output, Run};

/// Runs `threads SECTION` on both sides, then checks the native run: exit 0, no failed
/// `: no` check, every line of `want` present, and the final `done`.
fn check(section: &str, want: &[&str]) -> Output {
    let native = Run::program("threads").args([section]).assert_same();
    assert_eq!(native.code(), 0, "native threads {section}:\n{native}");
    native.assert_checks_pass();
    let out = native.stdout_str();
    for line in want.iter().chain(&["done"]) {
        assert!(
            out.lines().any(|l| l == *line),
            "native threads {section} output lacks {line:?}:\n{out}"
        );
    }
    native
}

#[test]
fn threads_basics() {
    check(
        "basics",
        &[
            "pthread_create: 0",
            "pthread_join: 0",
            "return value: 142",
            "pthread_exit value: 77",
            "8 threads returning i*i: all created and joined: yes, sum 140",
            "200 sequential threads returned their values: yes",
            "50 concurrent threads returned their values: yes",
            "main: gettid() == getpid(): yes",
            "thread: getpid() == main's getpid(): yes",
            "thread: gettid() != getpid(): yes",
            "two live threads have different tids: yes",
            "thread: pthread_self() == the id pthread_create gave: yes",
            "TLS: thread starts with the initial value 7, not main's 8: yes",
            "TLS: each thread kept its own value: yes",
            "TLS: main's value unchanged by the threads: yes",
            "pthread_join(self) in main: EDEADLK(35)",
            "child: set_tid_address() == getpid() (0: yes): exited 0",
        ],
    );
}

#[test]
fn threads_mutex() {
    check(
        "mutex",
        &[
            "normal: trylock from another thread: EBUSY(16)",
            "normal: trylock from another thread after unlock: 0",
            "recursive: lock again: 0",
            "recursive: trylock from another thread while held once: EBUSY(16)",
            "recursive: unlock once more: EPERM(1)",
            "errorcheck: lock again: EDEADLK(35)",
            "errorcheck: unlock from another thread: EPERM(1)",
            "errorcheck: timedlock (20 ms) from another thread: ETIMEDOUT(110)",
            "errorcheck: unlock again: EPERM(1)",
            "4 threads x 20000 locked increments: 80000",
            "robust: lock after the owner thread ended: EOWNERDEAD(130)",
            "robust: lock again: 0",
            "robust pshared: child locked and exited: exited 0",
            "robust pshared: lock after the owner process died: EOWNERDEAD(130)",
        ],
    );
}

#[test]
fn threads_cond() {
    check(
        "cond",
        &[
            "6 waiters arrived: yes",
            "broadcast: threads ended 6, woken 6",
            "signal x3: consumed after each 1 2 3, tokens left 0, threads ended 3",
            "pthread_cond_timedwait (20 ms, realtime): ETIMEDOUT(110)",
            "pthread_cond_timedwait (20 ms, monotonic): ETIMEDOUT(110)",
            "pthread_cond_timedwait (deadline passed): ETIMEDOUT(110)",
            "mutex still held after the timeouts (trylock): EBUSY(16)",
        ],
    );
}

#[test]
fn threads_barrier() {
    check(
        "barrier",
        &[
            "pthread_barrier_init(count 0): EINVAL(22)",
            "8 threads x 3 rounds: ended 8, serial threads per round 1 1 1, \
             saw every slot filled 24 of 24",
        ],
    );
}

#[test]
fn threads_rwlock() {
    check(
        "rwlock",
        &[
            "another thread: tryrdlock while read-held: 0",
            "another thread: trywrlock while read-held: EBUSY(16)",
            "tryrdlock while another thread writes: EBUSY(16)",
            "timedrdlock (20 ms) while another thread writes: ETIMEDOUT(110)",
            "timedwrlock (20 ms) while another thread writes: ETIMEDOUT(110)",
            "wrlock again by the writer itself: EDEADLK(35)",
            "4 writers x 10000 + 4 readers x 10000: a 40000, b 40000, torn reads 0",
        ],
    );
}

#[test]
fn threads_spin() {
    check(
        "spin",
        &[
            "another thread: pthread_spin_trylock while held: EBUSY(16)",
            "another thread: pthread_spin_trylock when free: 0",
            "4 threads x 100000 spinlocked increments: 400000",
        ],
    );
}

#[test]
fn threads_sem() {
    check(
        "sem",
        &[
            "sem_trywait at 0: -1 EAGAIN(11)",
            "sem_timedwait (20 ms) at 0: -1 ETIMEDOUT(110)",
            "sem_timedwait with tv_nsec 1e9: -1 EINVAL(22)",
            "sem_timedwait with a count of 1: 0",
            "its sem_wait: 0",
            "2 producers x 10000 posts, 2 consumers x 10000 waits: taken 20000, left 0",
            "child blocked in sem_wait (0: woken): exited 0",
        ],
    );
}

#[test]
fn threads_stress() {
    check(
        "stress",
        &[
            "64 threads x 100000 mutex increments: created 64, joined 64, total 6400000",
            "8 threads x 1000000 atomic increments: 8000000",
        ],
    );
}

#[test]
fn threads_cancel() {
    check(
        "cancel",
        &[
            "pthread_cancel (thread in pthread_cond_wait): 0",
            "result is PTHREAD_CANCELED: yes",
            "cleanup handler ran: yes",
            "mutex free after the cleanup handler (trylock): 0",
            "pthread_cancel (thread in read of an empty pipe): 0",
            "read never returned: yes",
            "cancelled before the sleep ended: yes",
            "acted on at pthread_testcancel after re-enabling: yes",
        ],
    );
}

#[test]
fn threads_detach() {
    check(
        "detach",
        &[
            "pthread_detach: 0",
            "pthread_join of the detached, running thread: EINVAL(22)",
            "the detached thread ran to its end: yes",
            "pthread_getattr_np says detached: yes",
            "a joinable thread after 20 detached ones returned 101",
        ],
    );
}

#[test]
fn threads_group_exit() {
    check(
        "exit",
        &[
            "main pthread_exit, last thread returns: reported \"J\"",
            "main pthread_exit, last thread returns: exited 0",
            "main pthread_exit, last thread calls exit(7): exited 7",
            "main pthread_exit, last thread calls SYS_exit(9): exited 9",
            "main SYS_exit(5), later the last thread SYS_exit(9): reported \"R\"",
            "main SYS_exit(5), later the last thread SYS_exit(9): exited 9",
            "a thread's SYS_exit(21), then main _exit(0) after joining it: exited 0",
            "thread exit(3), main in pause(): exited 3",
            "thread _exit(4), main in pthread_join, another thread in read(): exited 4",
            "thread SYS_exit_group(12), main in pause(): exited 12",
            "main exit(11), threads blocked in read() and pthread_cond_wait: exited 11",
        ],
    );
}

#[test]
fn threads_fatal_signals() {
    check(
        "fatal",
        &[
            "thread pthread_kill(self, SIGSEGV), main in pause(): killed by signal 11",
            "thread writes to an unmapped address, main in pause(): killed by signal 11",
            "thread abort(), main in pause(): killed by signal 6",
            "main tgkill(thread, SIGTERM), both blocked: killed by signal 15",
            "main tgkill(thread, SIGKILL), both blocked: killed by signal 9",
            "main tgkill(thread, SIGUSR1), both blocked: killed by signal 10",
            "kill(process of 3 blocked threads, SIGTERM): killed by signal 15",
        ],
    );
}

#[test]
fn threads_signals() {
    check(
        "signals",
        &[
            "handler ran on main before pthread_kill returned: yes",
            "tgkill(getpid(), 999999, 0): -1 ESRCH(3)",
            "tgkill(getpid(), gettid(), 65): -1 EINVAL(22)",
            "tgkill(0, gettid(), 0): -1 EINVAL(22)",
            "the target's sigsuspend returned EINTR: yes",
            "handler ran once, on the target thread: yes",
            "tgkill(getpid(), ended thread's tid, 0): -1 ESRCH(3)",
            "tgkill(999999, this thread's tid, 0): -1 ESRCH(3)",
            "the target's ppoll returned EINTR: yes",
            "handler ran once, in the unblocked thread: yes",
            "handler ran on main as soon as it unblocked: yes",
            "sigwait in the thread returned signal 10 (join ok)",
            "a new thread inherits its creator's mask: yes",
            "main: SIGUSR2 (the thread's) is not pending here: yes",
            "main: SIGUSR1 (the process's) is pending here: yes",
            "thread: SIGUSR2 pending: yes",
            "thread: SIGUSR1 (the process's) pending: yes",
            "thread: sigtimedwait took 2 signals",
            "handler installed by a thread ran on main: yes",
            "SA_RESTART read in the signalled thread returned 5 (join ok)",
            "handler ran on the reader thread: yes",
        ],
    );
}

#[test]
fn threads_exec_and_fork() {
    check(
        "exec",
        &[
            "exec'd image: getpid() == gettid(): yes",
            "exec'd image: pid is the old process's pid: yes",
            "exec'd image: getppid() unchanged: yes",
            "exec'd image: the thread returned 105",
            "thread execve of this program, main in pause(), another thread in read(): exited 0",
            "thread execve(/bin/true): exited 0",
            "child forked by a thread (31: pid == tid, ppid ok, threads work): exited 31",
            "a thread's waitpid of main's child: exit status 32",
        ],
    );
}

#[test]
fn threads_futex() {
    check(
        "futex",
        &[
            "FUTEX_WAIT, value differs: -1 EAGAIN(11)",
            "FUTEX_WAIT, 20 ms timeout: -1 ETIMEDOUT(110)",
            "FUTEX_WAIT_BITSET, monotonic deadline in 20 ms: -1 ETIMEDOUT(110)",
            "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, deadline in 20 ms: -1 ETIMEDOUT(110)",
            "FUTEX_WAIT, tv_nsec 1e9: -1 EINVAL(22)",
            "FUTEX_WAIT, unaligned: -1 EINVAL(22)",
            "FUTEX_WAIT, unmapped address: -1 EFAULT(14)",
            "FUTEX_WAKE, no waiters: 0",
            "FUTEX_WAKE_PRIVATE, unmapped address: 0",
            "FUTEX_WAKE (shared), unmapped address: -1 EFAULT(14)",
            "FUTEX_CMP_REQUEUE, value differs: -1 EAGAIN(11)",
            "FUTEX_WAKE_OP: second word now 8",
            "futex op 99: -1 ENOSYS(38)",
            "FUTEX_WAKE of one waiting thread: woke 1",
            "its FUTEX_WAIT: 0",
            "FUTEX_WAKE_PRIVATE of three waiting threads: woke 3 in total",
            "FUTEX_WAKE_PRIVATE with a thread in FUTEX_WAIT (shared) on the word: 0",
            "the shared FUTEX_WAIT (50 ms): -1 ETIMEDOUT(110)",
            "FUTEX_WAKE_BITSET(2): woke 1",
            "the bitset-1 waiter still waits: yes",
            "FUTEX_CMP_REQUEUE(wake 0, requeue all): moved 2 in total",
            "FUTEX_WAKE on the old word: 0",
            "FUTEX_WAKE on the new word: woke 2",
            "an ignored signal does not end FUTEX_WAIT: yes",
            "FUTEX_WAKE (shared) of the child's wait: woke 1",
            "child in FUTEX_WAIT on a MAP_SHARED word (0: returned 0): exited 0",
            "FUTEX_WAKE_PRIVATE in the parent: 0",
            "child in FUTEX_WAIT_PRIVATE on the shared page (0: timed out): exited 0",
        ],
    );
}

#[test]
fn threads_sched() {
    check(
        "sched",
        &[
            "sched_yield: 0",
            "sched_getaffinity(0): 0",
            "at least one CPU in the set: yes",
            "raw sched_getaffinity returns a positive size: yes",
            "sched_getaffinity(own tid) in a thread: yes",
            "pthread_getaffinity_np: 0",
        ],
    );
}

/// Python threads: a ThreadPoolExecutor, locks, a barrier, a bounded queue, a condition and
/// an event, native thread ids; every result is independent of scheduling.
const PY_THREADS: &str = r#"
import concurrent.futures, os, queue, threading
def sq(n): return sum(i * i for i in range(n))
with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
    print('pool map:', sum(ex.map(sq, range(0, 3000, 100))))
    futs = [ex.submit(pow, 3, k, 1000003) for k in range(50)]
    print('pool submit:', sum(f.result() for f in concurrent.futures.as_completed(futs)))
lock = threading.Lock(); n = [0]
def inc():
    for _ in range(20000):
        with lock: n[0] += 1
ts = [threading.Thread(target=inc) for _ in range(8)]
for t in ts: t.start()
for t in ts: t.join()
print('locked counter:', n[0])
bar = threading.Barrier(5); seen = []; sl = threading.Lock()
def phase(i):
    for r in range(3):
        with sl: seen.append((r, i))
        bar.wait()
ts = [threading.Thread(target=phase, args=(i,)) for i in range(5)]
for t in ts: t.start()
for t in ts: t.join()
print('barrier rounds in order:', [r for r, _ in seen] == sorted(r for r, _ in seen))
q = queue.Queue(maxsize=10); out = []
def prod(base):
    for i in range(1000): q.put(base + i)
def cons():
    while (x := q.get()) is not None: out.append(x)
cs = [threading.Thread(target=cons) for _ in range(3)]
ps = [threading.Thread(target=prod, args=(k * 1000,)) for k in range(4)]
for t in cs + ps: t.start()
for t in ps: t.join()
for _ in cs: q.put(None)
for t in cs: t.join()
print('queue:', len(out), sum(out), sorted(out) == list(range(4000)))
cond = threading.Condition(); ready = [0]; go = threading.Event()
def waiter():
    with cond:
        ready[0] += 1; cond.notify_all()
    go.wait()
ws = [threading.Thread(target=waiter) for _ in range(4)]
for t in ws: t.start()
with cond: cond.wait_for(lambda: ready[0] == 4)
go.set()
for t in ws: t.join()
print('event released', ready[0])
ids = {}
def ident(i): ids[i] = (threading.get_native_id(), os.getpid())
ts = [threading.Thread(target=ident, args=(i,)) for i in range(4)]
for t in ts: t.start()
for t in ts: t.join()
print('native ids distinct and != pid:', len({v[0] for v in ids.values()}) == 4
      and all(v[0] != v[1] == os.getpid() for v in ids.values()))
print('main is MainThread:', threading.current_thread() is threading.main_thread(),
      'active:', threading.active_count())
print('timeout:', threading.Event().wait(0.02), (l := threading.Lock()).acquire(),
      l.acquire(timeout=0.02))
"#;

/// What `PY_THREADS` prints: sum over n in 0, 100, .., 2900 of (n-1)n(2n-1)/6; the sum of
/// 3^k mod 1000003 for k < 50; 8 x 20000; 0 + .. + 3999.
const PY_THREADS_WANT: &str = "pool map: 63032232250
pool submit: 19859320
locked counter: 160000
barrier rounds in order: True
queue: 4000 7998000 True
event released 4
native ids distinct and != pid: True
main is MainThread: True active: 1
timeout: False True False
";

#[test]
fn python_threading_and_thread_pool() {
    let native = Run::host("/usr/bin/python3")
        .args(["-c", PY_THREADS])
        .assert_same();
    assert_eq!(native.code(), 0, "native python3:\n{native}");
    assert_eq!(
        native.stdout_str(),
        PY_THREADS_WANT,
        "native python3:\n{native}"
    );
}

/// `programs/thread_fs.c`: the working directory and umask are the process's (CLONE_FS).
#[test]
fn threads_share_cwd_and_umask() {
    let native = guest_tests::assert_same_with_lines(
        "thread_fs",
        &[
            "main sees cwd /usr",
            "main sees umask 027",
            "after the child's chdir: cwd /usr",
            "after the child's umask: 027",
        ],
    );
    native.assert_checks_pass();
}

/// `programs/thread_syscalls.c`: threads whose quick calls are served at the same time
/// (each vCPU has its own mailbox) each get their own results.
#[test]
fn threads_get_their_own_syscall_results() {
    let native = guest_tests::assert_same_with_lines(
        "thread_syscalls",
        &["4 threads x 20000 rounds of gettid, fstat and lseek"],
    );
    native.assert_checks_pass();
}
