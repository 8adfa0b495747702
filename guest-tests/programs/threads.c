/* threads: POSIX threads and the kernel calls under them (clone CLONE_THREAD, futex, thread
 * groups, tgkill). pthread_create/join/exit/detach, thread ids, thread-local storage;
 * mutexes (normal, recursive, errorcheck, timed, robust), condition variables, barriers,
 * rwlocks, spinlocks and semaphores; a 64-thread lock stress; cancellation of threads
 * blocked in pthread_cond_wait and read(); how a thread group ends (pthread_exit from main,
 * exit/exit_group and fatal signals from any thread, the status of the last thread); signals
 * aimed at threads (pthread_kill, tgkill) or at the process (kill: taken by a thread that
 * does not block it), sigwait, per-thread masks and pending sets; execve and fork from a
 * thread; futex(2) called directly (errors, timeouts, wake counts, bitsets, requeue, a
 * shared futex across fork); sched_yield and sched_getaffinity.
 * Only the main thread prints; other threads record what they saw. Every wait that would
 * hang where a feature is missing is bounded (a few seconds) and then reported as failed.
 * Forked children never print (except exec'd copies of this program, which the parent waits
 * for); they report through exit codes and pipes.
 * Arguments name sections to run alone (`threads mutex futex`); without any, all run. */
// cflags: -pthread
#include "proc.h"
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <linux/futex.h>
#include <sys/mman.h>

static const char *self;

/* "label: 0" or "label: EBUSY(16)" for functions returning an error number. */
static void show_rc(const char *label, int rc) {
    if (rc == 0) printf("%s: 0\n", label);
    else if (rc == EDEADLK) printf("%s: EDEADLK(35)\n", label);
    else if (rc == EOWNERDEAD) printf("%s: EOWNERDEAD(130)\n", label);
    else printf("%s: %s\n", label, ename(rc));
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* An absolute CLOCK_REALTIME (or other clock) deadline ms milliseconds from now. */
static struct timespec deadline_in(clockid_t clk, long ms) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    ts.tv_sec += ms / 1000;
    ts.tv_nsec += (ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* pthread_join bounded by ms milliseconds: 0, or ETIMEDOUT if the thread did not end. */
static int join_within(pthread_t t, void **ret, long ms) {
    struct timespec dl = deadline_in(CLOCK_REALTIME, ms);
    int rc;
    do rc = pthread_timedjoin_np(t, ret, &dl); while (rc == EINTR);
    return rc;
}

/* Spins (yielding, then sleeping 1 ms) until *flag is nonzero or ms milliseconds pass. */
static int await_flag(atomic_int *flag, long ms) {
    long start = now_ms();
    for (int i = 0; !atomic_load(flag); i++) {
        if (now_ms() - start > ms) return 0;
        if (i < 1000) sched_yield();
        else msleep(1);
    }
    return 1;
}

/* Waits for a forked child for at most ms milliseconds, then SIGKILLs it; prints
 * "label: exited 3" / "label: killed by signal 11" / "label: did not end within N ms". */
static int wait_within(const char *label, pid_t pid, long ms) {
    long start = now_ms();
    for (;;) {
        int st = 0;
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid) {
            printf("%s: %s\n", label, status_str(st));
            return st;
        }
        if (r == -1 && errno != EINTR) {
            printf("%s: waitpid -1 %s\n", label, ename(errno));
            return -1;
        }
        if (now_ms() - start > ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            printf("%s: did not end within %ld ms\n", label, ms);
            return -1;
        }
        msleep(1);
    }
}

static void set_handler(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void thread_block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

static int thread_blocks(int sig) {
    sigset_t s;
    sigemptyset(&s);
    pthread_sigmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

static int thread_pending(int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, sig);
}

static void *plus100(void *arg) { return (void *)((long)arg + 100); }

/* ---- exec'd copy of the program: argv[1] names the mode ---- */

static int exec_mode(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (strcmp(argv[1], "exec-check") == 0 && argc == 4) {
        YESNO("exec'd image: getpid() == gettid()", getpid() == gettid());
        YESNO("exec'd image: pid is the old process's pid", getpid() == (pid_t)atol(argv[2]));
        YESNO("exec'd image: getppid() unchanged", getppid() == (pid_t)atol(argv[3]));
        /* The image can start threads of its own. */
        pthread_t t;
        void *ret = NULL;
        int rc = pthread_create(&t, NULL, plus100, (void *)5);
        if (rc == 0) rc = join_within(t, &ret, 5000);
        show_rc("exec'd image: pthread_create + join", rc);
        printf("exec'd image: the thread returned %ld\n", (long)ret);
        return 0;
    }
    printf("unknown mode %s\n", argv[1]);
    return 99;
}

/* ==== basics: create/join, ids, TLS ==== */

static __thread int tls_var = 7;
static __thread char tls_zero[64];

struct ids {
    pid_t pid, tid;
    pthread_t self;
    int tls_initial, tls_after, tls_zero_ok;
    int *tls_addr;
    pthread_barrier_t *bar;
};

static void *ids_thread(void *p) {
    struct ids *i = p;
    i->pid = getpid();
    i->tid = gettid();
    i->self = pthread_self();
    i->tls_initial = tls_var;
    int zero = 1;
    for (unsigned k = 0; k < sizeof tls_zero; k++) zero &= tls_zero[k] == 0;
    i->tls_zero_ok = zero;
    memset(tls_zero, 'x', sizeof tls_zero);
    tls_var = 1001;
    i->tls_addr = &tls_var;
    if (i->bar) pthread_barrier_wait(i->bar); /* both threads alive at once */
    i->tls_after = tls_var;
    return NULL;
}

static void *square(void *arg) { return (void *)((long)arg * (long)arg); }
static void *exit77(void *arg) {
    (void)arg;
    pthread_exit((void *)77);
}
static void *join_self(void *arg) {
    (void)arg;
    return (void *)(long)pthread_join(pthread_self(), NULL);
}

static void basics(void) {
    pthread_t t;
    void *ret = NULL;
    show_rc("pthread_create", pthread_create(&t, NULL, plus100, (void *)42));
    show_rc("pthread_join", pthread_join(t, &ret));
    printf("return value: %ld\n", (long)ret);
    pthread_create(&t, NULL, exit77, NULL);
    pthread_join(t, &ret);
    printf("pthread_exit value: %ld\n", (long)ret);

    pthread_t ts[8];
    long sum = 0;
    int ok = 1;
    for (long i = 0; i < 8; i++) ok &= pthread_create(&ts[i], NULL, square, (void *)i) == 0;
    for (int i = 0; i < 8; i++) {
        ok &= pthread_join(ts[i], &ret) == 0;
        sum += (long)ret;
    }
    printf("8 threads returning i*i: all created and joined: %s, sum %ld\n", ok ? "yes" : "no",
           sum);

    /* 200 threads one after the other (tids and stacks reused), then 50 alive at once. */
    ok = 1;
    for (long i = 0; i < 200; i++) {
        ok &= pthread_create(&t, NULL, plus100, (void *)i) == 0;
        ok &= pthread_join(t, &ret) == 0 && (long)ret == i + 100;
    }
    YESNO("200 sequential threads returned their values", ok);
    pthread_t many[50];
    ok = 1;
    for (long i = 0; i < 50; i++) ok &= pthread_create(&many[i], NULL, plus100, (void *)i) == 0;
    for (long i = 0; i < 50; i++) ok &= pthread_join(many[i], &ret) == 0 && (long)ret == i + 100;
    YESNO("50 concurrent threads returned their values", ok);

    /* Ids and thread-local storage, with two threads alive at once. */
    tls_var = 8;
    memset(tls_zero, 'm', sizeof tls_zero);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, 2);
    struct ids a = { .bar = &bar }, b = { .bar = &bar };
    pthread_t ta, tb;
    pthread_create(&ta, NULL, ids_thread, &a);
    pthread_create(&tb, NULL, ids_thread, &b);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    pthread_barrier_destroy(&bar);
    YESNO("main: gettid() == getpid()", gettid() == getpid());
    YESNO("thread: getpid() == main's getpid()", a.pid == getpid() && b.pid == getpid());
    YESNO("thread: gettid() != getpid()", a.tid != getpid() && b.tid != getpid());
    YESNO("two live threads have different tids", a.tid != b.tid);
    YESNO("thread: pthread_self() == the id pthread_create gave", pthread_equal(a.self, ta) &&
                                                                     pthread_equal(b.self, tb));
    YESNO("thread: pthread_self() != main's", !pthread_equal(a.self, pthread_self()));
    YESNO("TLS: thread starts with the initial value 7, not main's 8", a.tls_initial == 7 &&
                                                                         b.tls_initial == 7);
    YESNO("TLS: zero-initialised __thread array is zero in the thread", a.tls_zero_ok &&
                                                                           b.tls_zero_ok);
    YESNO("TLS: each thread kept its own value", a.tls_after == 1001 && b.tls_after == 1001);
    YESNO("TLS: main's value unchanged by the threads", tls_var == 8 && tls_zero[0] == 'm');
    YESNO("TLS: addresses differ between threads and main",
          a.tls_addr != b.tls_addr && a.tls_addr != &tls_var && b.tls_addr != &tls_var);

    show_rc("pthread_join(self) in main", pthread_join(pthread_self(), NULL));
    pthread_create(&t, NULL, join_self, NULL);
    pthread_join(t, &ret);
    show_rc("pthread_join(self) in a thread", (int)(long)ret);

    /* set_tid_address returns the caller's tid (in a child: main's clear_child_tid). */
    pid_t pid = fork();
    if (pid == 0) {
        static int word;
        _exit(syscall(SYS_set_tid_address, &word) == getpid() ? 0 : 1);
    }
    wait_within("child: set_tid_address() == getpid() (0: yes)", pid, 5000);
}

/* ==== mutexes ==== */

static pthread_mutex_t shared_m;
static long counter;

static void *trylock_result(void *arg) {
    pthread_mutex_t *m = arg ? arg : &shared_m;
    int rc = pthread_mutex_trylock(m);
    if (rc == 0) pthread_mutex_unlock(m);
    return (void *)(long)rc;
}

static void *unlock_result(void *arg) {
    (void)arg;
    return (void *)(long)pthread_mutex_unlock(&shared_m);
}

static void *timedlock_result(void *arg) {
    (void)arg;
    struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
    long start = now_ms();
    int rc = pthread_mutex_timedlock(&shared_m, &dl);
    if (rc == 0) pthread_mutex_unlock(&shared_m);
    return (void *)(long)(rc | (now_ms() - start >= 19 ? 0x10000 : 0));
}

static int in_thread(void *(*fn)(void *), void *arg) {
    pthread_t t;
    void *ret = (void *)-1L;
    if (pthread_create(&t, NULL, fn, arg) != 0) return -1;
    pthread_join(t, &ret);
    return (int)(long)ret;
}

static void init_mutex(pthread_mutex_t *m, int type) {
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, type);
    pthread_mutex_init(m, &a);
    pthread_mutexattr_destroy(&a);
}

static void *count_up(void *arg) {
    long n = (long)arg;
    for (long i = 0; i < n; i++) {
        pthread_mutex_lock(&shared_m);
        counter++;
        pthread_mutex_unlock(&shared_m);
    }
    return NULL;
}

static atomic_int robust_locked;
static void *lock_and_die(void *arg) {
    pthread_mutex_t *m = arg;
    int rc = pthread_mutex_lock(m);
    atomic_store(&robust_locked, 1);
    return (void *)(long)rc; /* ends holding the mutex */
}

static void mutexes(void) {
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    show_rc("normal: lock", pthread_mutex_lock(&m));
    show_rc("normal: trylock by the owner", pthread_mutex_trylock(&m));
    show_rc("normal: trylock from another thread", in_thread(trylock_result, &m));
    show_rc("normal: unlock", pthread_mutex_unlock(&m));
    show_rc("normal: trylock from another thread after unlock", in_thread(trylock_result, &m));

    init_mutex(&shared_m, PTHREAD_MUTEX_RECURSIVE);
    show_rc("recursive: lock", pthread_mutex_lock(&shared_m));
    show_rc("recursive: lock again", pthread_mutex_lock(&shared_m));
    show_rc("recursive: trylock again", pthread_mutex_trylock(&shared_m));
    show_rc("recursive: trylock from another thread", in_thread(trylock_result, NULL));
    show_rc("recursive: unlock 1", pthread_mutex_unlock(&shared_m));
    show_rc("recursive: unlock 2", pthread_mutex_unlock(&shared_m));
    show_rc("recursive: trylock from another thread while held once",
            in_thread(trylock_result, NULL));
    show_rc("recursive: unlock 3", pthread_mutex_unlock(&shared_m));
    show_rc("recursive: unlock once more", pthread_mutex_unlock(&shared_m));
    show_rc("recursive: trylock from another thread when free", in_thread(trylock_result, NULL));
    pthread_mutex_destroy(&shared_m);

    init_mutex(&shared_m, PTHREAD_MUTEX_ERRORCHECK);
    show_rc("errorcheck: lock", pthread_mutex_lock(&shared_m));
    show_rc("errorcheck: lock again", pthread_mutex_lock(&shared_m));
    show_rc("errorcheck: unlock from another thread", in_thread(unlock_result, NULL));
    int r = in_thread(timedlock_result, NULL);
    show_rc("errorcheck: timedlock (20 ms) from another thread", r & 0xffff);
    YESNO("errorcheck: timedlock waited at least 20 ms", r & 0x10000);
    show_rc("errorcheck: unlock", pthread_mutex_unlock(&shared_m));
    show_rc("errorcheck: unlock again", pthread_mutex_unlock(&shared_m));
    pthread_mutex_destroy(&shared_m);

    /* Contention: 4 threads x 20000 increments. */
    pthread_mutex_init(&shared_m, NULL);
    counter = 0;
    pthread_t ts[4];
    for (int i = 0; i < 4; i++) pthread_create(&ts[i], NULL, count_up, (void *)20000L);
    for (int i = 0; i < 4; i++) pthread_join(ts[i], NULL);
    printf("4 threads x 20000 locked increments: %ld\n", counter);
    pthread_mutex_destroy(&shared_m);

    /* Robust mutex: its owner ends while holding it; the kernel walks the owner's robust
     * list at exit, marks the word FUTEX_OWNER_DIED and the next locker gets EOWNERDEAD. */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_t rm;
    pthread_mutex_init(&rm, &a);
    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, lock_and_die, &rm);
    pthread_join(t, &ret);
    show_rc("robust: the owner's lock", (int)(long)ret);
    struct timespec dl = deadline_in(CLOCK_REALTIME, 2000);
    int rc = pthread_mutex_timedlock(&rm, &dl);
    show_rc("robust: lock after the owner thread ended", rc);
    if (rc == EOWNERDEAD) {
        show_rc("robust: pthread_mutex_consistent", pthread_mutex_consistent(&rm));
        show_rc("robust: unlock", pthread_mutex_unlock(&rm));
        show_rc("robust: lock again", pthread_mutex_lock(&rm));
        show_rc("robust: unlock again", pthread_mutex_unlock(&rm));
    }

    /* The same across processes: a process-shared robust mutex in a MAP_SHARED page whose
     * owner process dies holding it. */
    pthread_mutex_t *pm = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                               -1, 0);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(pm, &a);
    pthread_mutexattr_destroy(&a);
    pid_t pid = fork();
    if (pid == 0) _exit(pthread_mutex_lock(pm) == 0 ? 0 : 1);
    wait_within("robust pshared: child locked and exited", pid, 5000);
    dl = deadline_in(CLOCK_REALTIME, 2000);
    rc = pthread_mutex_timedlock(pm, &dl);
    show_rc("robust pshared: lock after the owner process died", rc);
    if (rc == EOWNERDEAD) {
        pthread_mutex_consistent(pm);
        show_rc("robust pshared: unlock", pthread_mutex_unlock(pm));
    }
    munmap(pm, PAGE);
}

/* ==== condition variables ==== */

static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t arrived_cv = PTHREAD_COND_INITIALIZER;
static int cv_waiting, cv_go, cv_woken, cv_tokens, cv_consumed;

static void *cv_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cm);
    cv_waiting++;
    pthread_cond_signal(&arrived_cv);
    while (!cv_go) pthread_cond_wait(&cv, &cm);
    cv_woken++;
    pthread_mutex_unlock(&cm);
    return NULL;
}

static void *cv_consumer(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cm);
    cv_waiting++;
    pthread_cond_signal(&arrived_cv);
    while (cv_tokens == 0) pthread_cond_wait(&cv, &cm);
    cv_tokens--;
    cv_consumed++;
    pthread_cond_signal(&arrived_cv);
    pthread_mutex_unlock(&cm);
    return NULL;
}

/* Waits (holding cm) until *what reaches n; bounded. */
static int cv_await(int *what, int n) {
    struct timespec dl = deadline_in(CLOCK_REALTIME, 5000);
    while (*what < n)
        if (pthread_cond_timedwait(&arrived_cv, &cm, &dl) == ETIMEDOUT) return 0;
    return 1;
}

static void conds(void) {
    enum { N = 6 };
    pthread_t ts[N];
    /* Broadcast: every waiter is inside pthread_cond_wait (it released cm) before it. */
    for (int i = 0; i < N; i++) pthread_create(&ts[i], NULL, cv_waiter, NULL);
    pthread_mutex_lock(&cm);
    YESNO("6 waiters arrived", cv_await(&cv_waiting, N));
    cv_go = 1;
    show_rc("pthread_cond_broadcast", pthread_cond_broadcast(&cv));
    pthread_mutex_unlock(&cm);
    int joined = 0;
    for (int i = 0; i < N; i++) joined += join_within(ts[i], NULL, 5000) == 0;
    printf("broadcast: threads ended %d, woken %d\n", joined, cv_woken);

    /* Signal: one token per signal, each consumed by exactly one waiter. */
    cv_waiting = 0;
    for (int i = 0; i < 3; i++) pthread_create(&ts[i], NULL, cv_consumer, NULL);
    pthread_mutex_lock(&cm);
    YESNO("3 consumers arrived", cv_await(&cv_waiting, 3));
    int seen[3];
    for (int k = 0; k < 3; k++) {
        cv_tokens++;
        pthread_cond_signal(&cv);
        cv_await(&cv_consumed, k + 1);
        seen[k] = cv_consumed;
    }
    pthread_mutex_unlock(&cm);
    joined = 0;
    for (int i = 0; i < 3; i++) joined += join_within(ts[i], NULL, 5000) == 0;
    printf("signal x3: consumed after each %d %d %d, tokens left %d, threads ended %d\n",
           seen[0], seen[1], seen[2], cv_tokens, joined);

    /* Timed waits. */
    pthread_mutex_lock(&cm);
    struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
    long start = now_ms();
    show_rc("pthread_cond_timedwait (20 ms, realtime)", pthread_cond_timedwait(&cv, &cm, &dl));
    YESNO("waited at least 20 ms", now_ms() - start >= 19);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t mcv;
    pthread_cond_init(&mcv, &ca);
    dl = deadline_in(CLOCK_MONOTONIC, 20);
    start = now_ms();
    show_rc("pthread_cond_timedwait (20 ms, monotonic)", pthread_cond_timedwait(&mcv, &cm, &dl));
    YESNO("waited at least 20 ms", now_ms() - start >= 19);
    dl.tv_sec = 0;
    dl.tv_nsec = 0;
    show_rc("pthread_cond_timedwait (deadline passed)", pthread_cond_timedwait(&mcv, &cm, &dl));
    show_rc("mutex still held after the timeouts (trylock)", pthread_mutex_trylock(&cm));
    pthread_mutex_unlock(&cm);
    pthread_cond_destroy(&mcv);
}

/* ==== barriers ==== */

static pthread_barrier_t bar;
static atomic_int serial_count[3];
static int slots[8];
static atomic_int phase_ok;

static void *bar_thread(void *arg) {
    long me = (long)arg;
    for (int round = 0; round < 3; round++) {
        slots[me] = round + 1;
        int rc = pthread_barrier_wait(&bar);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&serial_count[round], 1);
        else if (rc != 0) return (void *)1;
        int ok = 1;
        for (int k = 0; k < 8; k++) ok &= slots[k] >= round + 1;
        if (ok) atomic_fetch_add(&phase_ok, 1);
        pthread_barrier_wait(&bar); /* nobody starts the next round before all checked */
    }
    return NULL;
}

static void barriers(void) {
    show_rc("pthread_barrier_init(count 0)", pthread_barrier_init(&bar, NULL, 0));
    show_rc("pthread_barrier_init(count 8)", pthread_barrier_init(&bar, NULL, 8));
    pthread_t ts[8];
    for (long i = 0; i < 8; i++) pthread_create(&ts[i], NULL, bar_thread, (void *)i);
    int joined = 0;
    for (int i = 0; i < 8; i++) joined += join_within(ts[i], NULL, 5000) == 0;
    printf("8 threads x 3 rounds: ended %d, serial threads per round %d %d %d, "
           "saw every slot filled %d of 24\n",
           joined, atomic_load(&serial_count[0]), atomic_load(&serial_count[1]),
           atomic_load(&serial_count[2]), atomic_load(&phase_ok));
    show_rc("pthread_barrier_destroy", pthread_barrier_destroy(&bar));
}

/* ==== rwlocks ==== */

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t rw_hold, rw_release;
static long rw_a, rw_b;
static atomic_long rw_mismatch;

static void *rw_try(void *arg) {
    int rc;
    if (arg) {
        rc = pthread_rwlock_trywrlock(&rw);
    } else {
        rc = pthread_rwlock_tryrdlock(&rw);
    }
    if (rc == 0) pthread_rwlock_unlock(&rw);
    return (void *)(long)rc;
}

static void *rw_writer_holder(void *arg) {
    (void)arg;
    int rc = pthread_rwlock_wrlock(&rw);
    sem_post(&rw_hold);
    while (sem_wait(&rw_release) == -1 && errno == EINTR) {}
    pthread_rwlock_unlock(&rw);
    return (void *)(long)rc;
}

static void *rw_writer(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        pthread_rwlock_wrlock(&rw);
        rw_a++;
        rw_b++;
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void *rw_reader(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        pthread_rwlock_rdlock(&rw);
        if (rw_a != rw_b) atomic_fetch_add(&rw_mismatch, 1);
        pthread_rwlock_unlock(&rw);
    }
    return NULL;
}

static void rwlocks(void) {
    show_rc("rdlock", pthread_rwlock_rdlock(&rw));
    show_rc("rdlock again by the same thread", pthread_rwlock_rdlock(&rw));
    show_rc("another thread: tryrdlock while read-held", in_thread(rw_try, NULL));
    show_rc("another thread: trywrlock while read-held", in_thread(rw_try, (void *)1));
    show_rc("trywrlock by the reader itself", pthread_rwlock_trywrlock(&rw));
    pthread_rwlock_unlock(&rw);
    show_rc("unlock", pthread_rwlock_unlock(&rw));
    show_rc("another thread: trywrlock when free", in_thread(rw_try, (void *)1));

    sem_init(&rw_hold, 0, 0);
    sem_init(&rw_release, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, rw_writer_holder, NULL);
    while (sem_wait(&rw_hold) == -1 && errno == EINTR) {}
    show_rc("tryrdlock while another thread writes", pthread_rwlock_tryrdlock(&rw));
    show_rc("trywrlock while another thread writes", pthread_rwlock_trywrlock(&rw));
    struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
    show_rc("timedrdlock (20 ms) while another thread writes",
            pthread_rwlock_timedrdlock(&rw, &dl));
    dl = deadline_in(CLOCK_REALTIME, 20);
    show_rc("timedwrlock (20 ms) while another thread writes",
            pthread_rwlock_timedwrlock(&rw, &dl));
    sem_post(&rw_release);
    void *ret;
    pthread_join(t, &ret);
    show_rc("the writer's wrlock", (int)(long)ret);
    show_rc("wrlock after the writer left", pthread_rwlock_wrlock(&rw));
    show_rc("wrlock again by the writer itself", pthread_rwlock_wrlock(&rw));
    show_rc("rdlock by the writer itself", pthread_rwlock_rdlock(&rw));
    show_rc("unlock", pthread_rwlock_unlock(&rw));

    pthread_t ws[4], rs[4];
    for (int i = 0; i < 4; i++) {
        pthread_create(&ws[i], NULL, rw_writer, NULL);
        pthread_create(&rs[i], NULL, rw_reader, NULL);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(ws[i], NULL);
        pthread_join(rs[i], NULL);
    }
    printf("4 writers x 10000 + 4 readers x 10000: a %ld, b %ld, torn reads %ld\n", rw_a, rw_b,
           (long)atomic_load(&rw_mismatch));
}

/* ==== spinlocks ==== */

static pthread_spinlock_t spin;
static long spin_count;

static void *spin_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < 100000; i++) {
        pthread_spin_lock(&spin);
        spin_count++;
        pthread_spin_unlock(&spin);
    }
    return NULL;
}

static void *spin_try(void *arg) {
    (void)arg;
    int rc = pthread_spin_trylock(&spin);
    if (rc == 0) pthread_spin_unlock(&spin);
    return (void *)(long)rc;
}

static void spinlocks(void) {
    show_rc("pthread_spin_init", pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE));
    show_rc("pthread_spin_lock", pthread_spin_lock(&spin));
    show_rc("another thread: pthread_spin_trylock while held", in_thread(spin_try, NULL));
    show_rc("pthread_spin_unlock", pthread_spin_unlock(&spin));
    show_rc("another thread: pthread_spin_trylock when free", in_thread(spin_try, NULL));
    pthread_t ts[4];
    for (int i = 0; i < 4; i++) pthread_create(&ts[i], NULL, spin_thread, NULL);
    for (int i = 0; i < 4; i++) pthread_join(ts[i], NULL);
    printf("4 threads x 100000 spinlocked increments: %ld\n", spin_count);
    pthread_spin_destroy(&spin);
}

/* ==== semaphores ==== */

static sem_t sem_items;
static atomic_long sem_taken;

static void *sem_producer(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) sem_post(&sem_items);
    return NULL;
}

static void *sem_consumer(void *arg) {
    (void)arg;
    for (int i = 0; i < 10000; i++) {
        while (sem_wait(&sem_items) == -1 && errno == EINTR) {}
        atomic_fetch_add(&sem_taken, 1);
    }
    return NULL;
}

static void *sem_waiter(void *arg) {
    int r;
    while ((r = sem_wait(arg)) == -1 && errno == EINTR) {}
    return (void *)(long)r;
}

static void semaphores(void) {
    sem_t s;
    int v = -1;
    PSHOW("sem_init(2)", sem_init(&s, 0, 2));
    sem_getvalue(&s, &v);
    printf("sem_getvalue: %d\n", v);
    PSHOW("sem_trywait", sem_trywait(&s));
    PSHOW("sem_wait", sem_wait(&s));
    PSHOW("sem_trywait at 0", sem_trywait(&s));
    struct timespec dl = deadline_in(CLOCK_REALTIME, 20);
    long start = now_ms();
    PSHOW("sem_timedwait (20 ms) at 0", sem_timedwait(&s, &dl));
    YESNO("waited at least 20 ms", now_ms() - start >= 19);
    dl.tv_nsec = 1000000000L;
    PSHOW("sem_timedwait with tv_nsec 1e9", sem_timedwait(&s, &dl));
    PSHOW("sem_post", sem_post(&s));
    sem_getvalue(&s, &v);
    printf("sem_getvalue: %d\n", v);
    dl = deadline_in(CLOCK_REALTIME, 20);
    PSHOW("sem_timedwait with a count of 1", sem_timedwait(&s, &dl));
    PSHOW("sem_init(SEM_VALUE_MAX + 1)", sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1));

    /* A thread blocked in sem_wait is woken by sem_post. */
    sem_init(&s, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, sem_waiter, &s);
    msleep(10);
    PSHOW("sem_post to a waiting thread", sem_post(&s));
    void *ret = (void *)-2L;
    show_rc("the waiter ended", join_within(t, &ret, 5000));
    printf("its sem_wait: %ld\n", (long)ret);

    /* Producers and consumers. */
    sem_init(&sem_items, 0, 0);
    pthread_t p[2], c[2];
    for (int i = 0; i < 2; i++) {
        pthread_create(&c[i], NULL, sem_consumer, NULL);
        pthread_create(&p[i], NULL, sem_producer, NULL);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(p[i], NULL);
        pthread_join(c[i], NULL);
    }
    sem_getvalue(&sem_items, &v);
    printf("2 producers x 10000 posts, 2 consumers x 10000 waits: taken %ld, left %d\n",
           (long)atomic_load(&sem_taken), v);

    /* A process-shared semaphore in a MAP_SHARED page: the child waits, the parent posts. */
    sem_t *ps = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    sem_init(ps, 1, 0);
    pid_t pid = fork();
    if (pid == 0) {
        int r;
        while ((r = sem_wait(ps)) == -1 && errno == EINTR) {}
        _exit(r == 0 ? 0 : 1);
    }
    msleep(10);
    PSHOW("sem_post to the child's shared semaphore", sem_post(ps));
    wait_within("child blocked in sem_wait (0: woken)", pid, 5000);
    munmap(ps, PAGE);
}

/* ==== stress ==== */

static atomic_long atomic_total;

static void *atomic_adder(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000000; i++) atomic_fetch_add_explicit(&atomic_total, 1,
                                                                 memory_order_relaxed);
    return NULL;
}

static void stress(void) {
    pthread_mutex_init(&shared_m, NULL);
    counter = 0;
    enum { T = 64 };
    pthread_t ts[T];
    int created = 0, joined = 0;
    for (int i = 0; i < T; i++) created += pthread_create(&ts[i], NULL, count_up,
                                                          (void *)100000L) == 0;
    for (int i = 0; i < created; i++) joined += pthread_join(ts[i], NULL) == 0;
    printf("64 threads x 100000 mutex increments: created %d, joined %d, total %ld\n", created,
           joined, counter);
    for (int i = 0; i < 8; i++) pthread_create(&ts[i], NULL, atomic_adder, NULL);
    for (int i = 0; i < 8; i++) pthread_join(ts[i], NULL);
    printf("8 threads x 1000000 atomic increments: %ld\n", (long)atomic_load(&atomic_total));
}

/* ==== cancellation ==== */

static atomic_int cancel_ready, cleanup_ran, after_block;
static int cancel_pipe[2];

static void cleanup_unlock(void *arg) {
    atomic_store(&cleanup_ran, 1);
    pthread_mutex_unlock(arg);
}

static void cleanup_flag(void *arg) {
    (void)arg;
    atomic_store(&cleanup_ran, 1);
}

static void *cancel_in_cond_wait(void *arg) {
    (void)arg;
    pthread_mutex_lock(&cm);
    pthread_cleanup_push(cleanup_unlock, &cm);
    atomic_store(&cancel_ready, 1);
    for (;;) pthread_cond_wait(&cv, &cm);
    pthread_cleanup_pop(1);
    return NULL;
}

static void *cancel_in_read(void *arg) {
    (void)arg;
    char c;
    pthread_cleanup_push(cleanup_flag, NULL);
    atomic_store(&cancel_ready, 1);
    long r = read(cancel_pipe[0], &c, 1);
    atomic_store(&after_block, r == 1 ? 1 : 2);
    pthread_cleanup_pop(0);
    return NULL;
}

static void *cancel_disabled(void *arg) {
    sem_t *s = arg;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    atomic_store(&cancel_ready, 1);
    while (sem_wait(s) == -1 && errno == EINTR) {}
    atomic_store(&after_block, 1);
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();
    atomic_store(&after_block, 2);
    return NULL;
}

static void *cancel_in_sleep(void *arg) {
    (void)arg;
    atomic_store(&cancel_ready, 1);
    struct timespec ts = { 3, 0 };
    nanosleep(&ts, NULL);
    atomic_store(&after_block, 1);
    return NULL;
}

static void reset_cancel(void) {
    atomic_store(&cancel_ready, 0);
    atomic_store(&cleanup_ran, 0);
    atomic_store(&after_block, 0);
}

static void cancellation(void) {
    pthread_t t;
    void *ret = NULL;

    reset_cancel();
    pthread_create(&t, NULL, cancel_in_cond_wait, NULL);
    await_flag(&cancel_ready, 5000);
    msleep(10); /* most likely blocked by now; the outcome is the same either way */
    show_rc("pthread_cancel (thread in pthread_cond_wait)", pthread_cancel(t));
    int rc = join_within(t, &ret, 5000);
    show_rc("join", rc);
    YESNO("result is PTHREAD_CANCELED", rc == 0 && ret == PTHREAD_CANCELED);
    YESNO("cleanup handler ran", atomic_load(&cleanup_ran));
    show_rc("mutex free after the cleanup handler (trylock)", pthread_mutex_trylock(&cm));
    pthread_mutex_unlock(&cm);

    reset_cancel();
    pipe(cancel_pipe);
    pthread_create(&t, NULL, cancel_in_read, NULL);
    await_flag(&cancel_ready, 5000);
    msleep(10);
    show_rc("pthread_cancel (thread in read of an empty pipe)", pthread_cancel(t));
    rc = join_within(t, &ret, 5000);
    if (rc == ETIMEDOUT) { /* not cancelled: let it go */
        write(cancel_pipe[1], "x", 1);
        join_within(t, &ret, 5000);
    }
    show_rc("join", rc);
    YESNO("result is PTHREAD_CANCELED", rc == 0 && ret == PTHREAD_CANCELED);
    YESNO("cleanup handler ran", atomic_load(&cleanup_ran));
    YESNO("read never returned", atomic_load(&after_block) == 0);
    close(cancel_pipe[0]);
    close(cancel_pipe[1]);

    reset_cancel();
    pthread_create(&t, NULL, cancel_in_sleep, NULL);
    await_flag(&cancel_ready, 5000);
    msleep(10);
    long start = now_ms();
    show_rc("pthread_cancel (thread in nanosleep(3 s))", pthread_cancel(t));
    rc = join_within(t, &ret, 5000);
    YESNO("cancelled before the sleep ended", rc == 0 && ret == PTHREAD_CANCELED &&
                                                  atomic_load(&after_block) == 0 &&
                                                  now_ms() - start < 2500);

    reset_cancel();
    sem_t s;
    sem_init(&s, 0, 0);
    pthread_create(&t, NULL, cancel_disabled, &s);
    await_flag(&cancel_ready, 5000);
    show_rc("pthread_cancel (cancellation disabled)", pthread_cancel(t));
    sem_post(&s);
    rc = join_within(t, &ret, 5000);
    YESNO("acted on at pthread_testcancel after re-enabling",
          rc == 0 && ret == PTHREAD_CANCELED && atomic_load(&after_block) == 1);
}

/* ==== detach ==== */

static atomic_int detached_done;

static void *detached_thread(void *arg) {
    sem_t *s = arg;
    while (sem_wait(s) == -1 && errno == EINTR) {}
    atomic_store(&detached_done, 1);
    return NULL;
}

static void detach(void) {
    sem_t s;
    sem_init(&s, 0, 0);
    pthread_t t;
    pthread_create(&t, NULL, detached_thread, &s);
    show_rc("pthread_detach", pthread_detach(t));
    show_rc("pthread_join of the detached, running thread", pthread_join(t, NULL));
    show_rc("pthread_detach again", pthread_detach(t));
    sem_post(&s);
    YESNO("the detached thread ran to its end", await_flag(&detached_done, 5000));

    atomic_store(&detached_done, 0);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int ds = -1;
    pthread_attr_getdetachstate(&a, &ds);
    YESNO("attr detachstate is PTHREAD_CREATE_DETACHED", ds == PTHREAD_CREATE_DETACHED);
    show_rc("pthread_create detached", pthread_create(&t, &a, detached_thread, &s));
    pthread_attr_t got;
    pthread_getattr_np(t, &got);
    pthread_attr_getdetachstate(&got, &ds);
    pthread_attr_destroy(&got);
    YESNO("pthread_getattr_np says detached", ds == PTHREAD_CREATE_DETACHED);
    sem_post(&s);
    YESNO("the detached thread ran to its end", await_flag(&detached_done, 5000));

    /* Many detached threads that end on their own, then a normal one still works. */
    atomic_store(&detached_done, 0);
    for (int i = 0; i < 20; i++) {
        pthread_create(&t, &a, detached_thread, &s);
        sem_post(&s);
    }
    pthread_attr_destroy(&a);
    void *ret;
    pthread_create(&t, NULL, plus100, (void *)1);
    pthread_join(t, &ret);
    printf("a joinable thread after 20 detached ones returned %ld\n", (long)ret);
}

/* ==== how a thread group ends (each case in a forked child) ==== */

static pthread_t main_thread;
static int report_pipe;

static void *join_main_then(void *arg) {
    long how = (long)arg;
    void *ret = NULL;
    /* glibc's main thread is joinable; the kernel clears its tid (clear_child_tid) when
     * it exits, which is what this join waits for. */
    int rc = pthread_join(main_thread, &ret);
    char msg = (rc == 0 && (long)ret == 55) ? 'J' : 'x';
    write(report_pipe, &msg, 1);
    if (how == 1) exit(7);
    if (how == 2) syscall(SYS_exit, 9);
    return NULL; /* the last thread returning: exit(0) */
}

static void *exit_after_main_raw(void *arg) {
    (void)arg;
    /* The main thread exits raw (no glibc teardown); its tid word is still cleared by the
     * kernel (clear_child_tid), so pthread_join sees it gone. */
    int rc = pthread_join(main_thread, NULL);
    char msg = rc == 0 ? 'R' : 'x';
    write(report_pipe, &msg, 1);
    syscall(SYS_exit, 9);
    return NULL;
}

static void *exit3(void *arg) {
    (void)arg;
    exit(3);
}

static void *blocked_reader(void *arg) {
    char c;
    read((int)(long)arg, &c, 1);
    return NULL;
}

static void *underscore_exit4(void *arg) {
    (void)arg;
    msleep(5);
    _exit(4);
}

static void *raw_exit_group(void *arg) {
    (void)arg;
    syscall(SYS_exit_group, 12);
    return NULL;
}

static void *thread_exits_raw(void *arg) {
    (void)arg;
    syscall(SYS_exit, 21);
    return NULL;
}

static void child_report(const char *label, pid_t pid, int rd) {
    char buf[8];
    long n = read_full(rd, buf, sizeof buf);
    close(rd);
    printf("%s: reported \"%.*s\"\n", label, n > 0 ? (int)n : 0, buf);
    wait_within(label, pid, 5000);
}

static void group_exit(void) {
    /* main calls pthread_exit(55); the other thread joins main, reports, then ends. */
    static const char *labels[] = {
        "main pthread_exit, last thread returns",
        "main pthread_exit, last thread calls exit(7)",
        "main pthread_exit, last thread calls SYS_exit(9)",
    };
    for (long how = 0; how < 3; how++) {
        int p[2];
        pipe(p);
        pid_t pid = fork();
        if (pid == 0) {
            close(p[0]);
            report_pipe = p[1];
            main_thread = pthread_self();
            pthread_t t;
            pthread_create(&t, NULL, join_main_then, (void *)how);
            pthread_exit((void *)55);
        }
        close(p[1]);
        child_report(labels[how], pid, p[0]);
    }

    /* Raw SYS_exit(5) of the main thread, then SYS_exit(9) of the last thread: the
     * status is the group leader's (Linux reports the leader's exit code). */
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        report_pipe = p[1];
        main_thread = pthread_self();
        pthread_t t;
        pthread_create(&t, NULL, exit_after_main_raw, NULL);
        syscall(SYS_exit, 5);
    }
    close(p[1]);
    child_report("main SYS_exit(5), later the last thread SYS_exit(9)", pid, p[0]);

    /* A thread's raw SYS_exit(21) ends only that thread; main then returns 0. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, thread_exits_raw, NULL);
        int rc = join_within(t, NULL, 5000);
        _exit(rc == 0 ? 0 : 1);
    }
    wait_within("a thread's SYS_exit(21), then main _exit(0) after joining it", pid, 5000);

    /* exit() from a non-main thread while main blocks in pause(). */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exit3, NULL);
        for (;;) pause();
    }
    wait_within("thread exit(3), main in pause()", pid, 5000);

    /* _exit(4) from a thread while main joins a thread blocked in read(). */
    pid = fork();
    if (pid == 0) {
        int q[2];
        pipe(q);
        pthread_t r, t;
        pthread_create(&r, NULL, blocked_reader, (void *)(long)q[0]);
        pthread_create(&t, NULL, underscore_exit4, NULL);
        pthread_join(r, NULL);
        _exit(99);
    }
    wait_within("thread _exit(4), main in pthread_join, another thread in read()", pid, 5000);

    /* Raw exit_group(12) from a thread. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, raw_exit_group, NULL);
        for (;;) pause();
    }
    wait_within("thread SYS_exit_group(12), main in pause()", pid, 5000);

    /* main returns 11 while other threads block in read, pause and a condvar. */
    pid = fork();
    if (pid == 0) {
        int q[2];
        pipe(q);
        pthread_t t;
        pthread_create(&t, NULL, blocked_reader, (void *)(long)q[0]);
        atomic_store(&cancel_ready, 0);
        pthread_create(&t, NULL, cancel_in_cond_wait, NULL);
        await_flag(&cancel_ready, 5000);
        msleep(5);
        exit(11);
    }
    wait_within("main exit(11), threads blocked in read() and pthread_cond_wait", pid, 5000);
}

/* ==== fatal signals in a thread kill the whole process ==== */

static void *raise_segv(void *arg) {
    (void)arg;
    pthread_kill(pthread_self(), SIGSEGV);
    return NULL;
}

static void *null_write(void *arg) {
    (void)arg;
    *(volatile int *)BADPTR = 1;
    return NULL;
}

static void *do_abort(void *arg) {
    (void)arg;
    abort();
}

static atomic_int victim_tid;
static void *report_tid_then_block(void *arg) {
    (void)arg;
    atomic_store(&victim_tid, gettid());
    for (;;) pause();
    return NULL;
}

static void fatal(void) {
    struct {
        const char *label;
        void *(*fn)(void *);
    } cases[] = {
        { "thread pthread_kill(self, SIGSEGV), main in pause()", raise_segv },
        { "thread writes to an unmapped address, main in pause()", null_write },
        { "thread abort(), main in pause()", do_abort },
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            no_core();
            pthread_t t;
            pthread_create(&t, NULL, cases[i].fn, NULL);
            for (;;) pause();
        }
        wait_within(cases[i].label, pid, 5000);
    }

    /* Main tgkills a blocked thread with a default-terminate signal. */
    int sigs[] = { SIGTERM, SIGKILL, SIGUSR1 };
    for (int i = 0; i < 3; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            pthread_t t;
            pthread_create(&t, NULL, report_tid_then_block, NULL);
            await_flag(&victim_tid, 5000);
            syscall(SYS_tgkill, getpid(), atomic_load(&victim_tid), sigs[i]);
            for (;;) pause();
        }
        char label[96];
        snprintf(label, sizeof label, "main tgkill(thread, %s), both blocked",
                 sigs[i] == SIGTERM ? "SIGTERM" : sigs[i] == SIGKILL ? "SIGKILL" : "SIGUSR1");
        wait_within(label, pid, 5000);
    }

    /* Another process kills the whole group with SIGTERM while every thread blocks. */
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        pthread_t t;
        pthread_create(&t, NULL, report_tid_then_block, NULL);
        pthread_create(&t, NULL, report_tid_then_block, NULL);
        await_flag(&victim_tid, 5000);
        write(p[1], "r", 1);
        for (;;) pause();
    }
    close(p[1]);
    char c;
    read_full(p[0], &c, 1);
    close(p[0]);
    kill(pid, SIGTERM);
    wait_within("kill(process of 3 blocked threads, SIGTERM)", pid, 5000);
}

/* ==== signals and threads ==== */

static atomic_int handler_tid, handler_count, target_ready;
static void on_sig(int s) {
    (void)s;
    atomic_store(&handler_tid, gettid());
    atomic_fetch_add(&handler_count, 1);
}

static atomic_int target_tid;
/* Blocks SIGUSR1, reports its tid, then waits in sigsuspend with it unblocked. */
static void *sigsuspend_target(void *arg) {
    (void)arg;
    thread_block(SIGUSR1, SIG_BLOCK);
    atomic_store(&target_tid, gettid());
    atomic_store(&target_ready, 1);
    sigset_t none;
    sigemptyset(&none);
    long r = sigsuspend(&none);
    return (void *)(r == -1 && errno == EINTR ? 1L : 0L);
}

static pthread_barrier_t sig_bar;
/* Keeps SIGUSR2 blocked (inherited from main) until the barrier. */
static void *blocking_bystander(void *arg) {
    (void)arg;
    pthread_barrier_wait(&sig_bar);
    return NULL;
}

static void *unblocked_taker(void *arg) {
    (void)arg;
    atomic_store(&target_tid, gettid());
    thread_block(SIGUSR2, SIG_UNBLOCK);
    atomic_store(&target_ready, 1);
    long start = now_ms();
    while (atomic_load(&handler_count) == 0 && now_ms() - start < 5000) {
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *sigwaiter(void *arg) {
    (void)arg;
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    atomic_store(&target_tid, gettid());
    atomic_store(&target_ready, 1);
    int sig = 0;
    int rc = sigwait(&set, &sig);
    return (void *)(long)(rc == 0 ? sig : -rc);
}

struct mask_report {
    int inherited_block, after_own_block, pending_thread, pending_process;
};
static sem_t mask_sem1, mask_sem2;
static void *mask_thread(void *arg) {
    struct mask_report *r = arg;
    r->inherited_block = thread_blocks(SIGUSR1);
    thread_block(SIGUSR2, SIG_BLOCK);
    r->after_own_block = thread_blocks(SIGUSR2);
    sem_post(&mask_sem1);
    while (sem_wait(&mask_sem2) == -1 && errno == EINTR) {}
    /* main has now sent SIGUSR2 to this thread (blocked here) and SIGUSR1 to the
     * process (blocked everywhere). */
    r->pending_thread = thread_pending(SIGUSR2);
    r->pending_process = thread_pending(SIGUSR1);
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    int n = 0;
    while (sigtimedwait(&both, &si, &zero) > 0) n++;
    return (void *)(long)n;
}

static void *install_handler_thread(void *arg) {
    (void)arg;
    set_handler(SIGUSR1, on_sig, 0);
    return NULL;
}

static atomic_int restart_result;
static int restart_pipe[2];
static void *restart_reader(void *arg) {
    (void)arg;
    char buf[8];
    atomic_store(&target_tid, gettid());
    atomic_store(&target_ready, 1);
    long r = read(restart_pipe[0], buf, sizeof buf);
    atomic_store(&restart_result, (int)r);
    return NULL;
}

static void *ppoll_target(void *arg) {
    (void)arg;
    thread_block(SIGUSR1, SIG_BLOCK);
    atomic_store(&target_tid, gettid());
    atomic_store(&target_ready, 1);
    sigset_t none;
    sigemptyset(&none);
    int p[2];
    pipe(p);
    struct pollfd pfd = { p[0], POLLIN, 0 };
    struct timespec ts = { 5, 0 };
    long r = ppoll(&pfd, 1, &ts, &none);
    int e = errno;
    close(p[0]);
    close(p[1]);
    return (void *)(r == -1 && e == EINTR ? 1L : 0L);
}

static void reset_sig(void) {
    atomic_store(&handler_tid, 0);
    atomic_store(&handler_count, 0);
    atomic_store(&target_ready, 0);
    atomic_store(&target_tid, 0);
}

static void signals(void) {
    set_handler(SIGUSR1, on_sig, 0);
    set_handler(SIGUSR2, on_sig, 0);

    /* pthread_kill to self runs the handler before it returns. */
    reset_sig();
    show_rc("pthread_kill(self, SIGUSR1)", pthread_kill(pthread_self(), SIGUSR1));
    YESNO("handler ran on main before pthread_kill returned",
          atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == gettid());
    PSHOW("tgkill(getpid(), gettid(), 0)", syscall(SYS_tgkill, getpid(), gettid(), 0));
    PSHOW("tkill(gettid(), 0)", syscall(SYS_tkill, gettid(), 0));
    PSHOW("tgkill(getpid(), 999999, 0)", syscall(SYS_tgkill, getpid(), 999999, 0));
    PSHOW("tgkill(getpid(), gettid(), 65)", syscall(SYS_tgkill, getpid(), gettid(), 65));
    PSHOW("tgkill(0, gettid(), 0)", syscall(SYS_tgkill, 0, gettid(), 0));

    /* pthread_kill to another thread runs the handler on that thread. */
    reset_sig();
    pthread_t t;
    void *ret = NULL;
    pthread_create(&t, NULL, sigsuspend_target, NULL);
    await_flag(&target_ready, 5000);
    show_rc("pthread_kill(thread, SIGUSR1)", pthread_kill(t, SIGUSR1));
    int rc = join_within(t, &ret, 5000);
    YESNO("the target's sigsuspend returned EINTR", rc == 0 && (long)ret == 1);
    YESNO("handler ran once, on the target thread",
          atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == atomic_load(&target_tid));
    YESNO("main's tid is not the target's", atomic_load(&target_tid) != gettid());
    PSHOW("tgkill(getpid(), ended thread's tid, 0)",
          syscall(SYS_tgkill, getpid(), atomic_load(&target_tid), 0));
    PSHOW("tgkill(999999, this thread's tid, 0)", syscall(SYS_tgkill, 999999, gettid(), 0));

    /* The same with tgkill, to a thread blocked in ppoll with an empty mask. */
    reset_sig();
    pthread_create(&t, NULL, ppoll_target, NULL);
    await_flag(&target_ready, 5000);
    PSHOW("tgkill(getpid(), thread, SIGUSR1)",
          syscall(SYS_tgkill, getpid(), atomic_load(&target_tid), SIGUSR1));
    rc = join_within(t, &ret, 5000);
    YESNO("the target's ppoll returned EINTR", rc == 0 && (long)ret == 1);
    YESNO("handler ran once, on the target thread",
          atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == atomic_load(&target_tid));

    /* A process-directed kill() is taken by the one thread that does not block it. */
    reset_sig();
    thread_block(SIGUSR2, SIG_BLOCK); /* inherited by the threads created now */
    pthread_barrier_init(&sig_bar, NULL, 4);
    pthread_t by[3], taker;
    for (int i = 0; i < 3; i++) pthread_create(&by[i], NULL, blocking_bystander, NULL);
    pthread_create(&taker, NULL, unblocked_taker, NULL);
    await_flag(&target_ready, 5000);
    PSHOW("kill(getpid(), SIGUSR2) with only one thread not blocking it", kill(getpid(), SIGUSR2));
    join_within(taker, NULL, 6000);
    YESNO("handler ran once, in the unblocked thread",
          atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == atomic_load(&target_tid));
    pthread_barrier_wait(&sig_bar);
    for (int i = 0; i < 3; i++) pthread_join(by[i], NULL);
    pthread_barrier_destroy(&sig_bar);
    YESNO("SIGUSR2 not left pending", !thread_pending(SIGUSR2));

    /* Blocked everywhere: it stays pending for the process until a thread unblocks it. */
    reset_sig();
    PSHOW("kill(getpid(), SIGUSR2) while every thread blocks it", kill(getpid(), SIGUSR2));
    YESNO("pending", thread_pending(SIGUSR2));
    YESNO("handler not run", atomic_load(&handler_count) == 0);
    thread_block(SIGUSR2, SIG_UNBLOCK);
    YESNO("handler ran on main as soon as it unblocked",
          atomic_load(&handler_count) == 1 && atomic_load(&handler_tid) == gettid());

    /* sigwait in a dedicated thread: SIGUSR1 blocked in every thread. */
    thread_block(SIGUSR1, SIG_BLOCK);
    reset_sig();
    pthread_create(&t, NULL, sigwaiter, NULL);
    await_flag(&target_ready, 5000);
    PSHOW("kill(getpid(), SIGUSR1) to a sigwait thread", kill(getpid(), SIGUSR1));
    rc = join_within(t, &ret, 5000);
    printf("sigwait in the thread returned signal %ld (join %s)\n", (long)ret, rc ? "failed" : "ok");
    YESNO("no handler ran", atomic_load(&handler_count) == 0);
    reset_sig();
    pthread_create(&t, NULL, sigwaiter, NULL);
    await_flag(&target_ready, 5000);
    show_rc("pthread_kill(sigwait thread, SIGUSR1)", pthread_kill(t, SIGUSR1));
    rc = join_within(t, &ret, 5000);
    printf("sigwait in the thread returned signal %ld (join %s)\n", (long)ret, rc ? "failed" : "ok");

    /* Per-thread masks and pending sets. SIGUSR1 is blocked in main now. */
    sem_init(&mask_sem1, 0, 0);
    sem_init(&mask_sem2, 0, 0);
    struct mask_report mr;
    memset(&mr, 0, sizeof mr);
    pthread_create(&t, NULL, mask_thread, &mr);
    while (sem_wait(&mask_sem1) == -1 && errno == EINTR) {}
    YESNO("a new thread inherits its creator's mask", mr.inherited_block);
    YESNO("the thread blocked SIGUSR2 for itself", mr.after_own_block);
    YESNO("main's mask does not have SIGUSR2", !thread_blocks(SIGUSR2));
    YESNO("main's mask still has SIGUSR1", thread_blocks(SIGUSR1));
    show_rc("pthread_kill(thread, SIGUSR2) (blocked there)", pthread_kill(t, SIGUSR2));
    PSHOW("kill(getpid(), SIGUSR1) (blocked everywhere)", kill(getpid(), SIGUSR1));
    YESNO("main: SIGUSR2 (the thread's) is not pending here", !thread_pending(SIGUSR2));
    YESNO("main: SIGUSR1 (the process's) is pending here", thread_pending(SIGUSR1));
    sem_post(&mask_sem2);
    pthread_join(t, &ret);
    YESNO("thread: SIGUSR2 pending", mr.pending_thread);
    YESNO("thread: SIGUSR1 (the process's) pending", mr.pending_process);
    printf("thread: sigtimedwait took %ld signals\n", (long)ret);
    YESNO("main: SIGUSR1 no longer pending", !thread_pending(SIGUSR1));
    YESNO("handler never ran", atomic_load(&handler_count) == 0);
    thread_block(SIGUSR1, SIG_UNBLOCK);

    /* Dispositions are shared: a handler installed by a thread serves main. */
    set_handler(SIGUSR1, SIG_DFL, 0);
    in_thread(install_handler_thread, NULL);
    reset_sig();
    raise(SIGUSR1);
    YESNO("handler installed by a thread ran on main", atomic_load(&handler_count) == 1 &&
                                                          atomic_load(&handler_tid) == gettid());

    /* SA_RESTART read in a thread: the signal does not disturb it; data still arrives. */
    set_handler(SIGUSR1, on_sig, SA_RESTART);
    reset_sig();
    pipe(restart_pipe);
    pthread_create(&t, NULL, restart_reader, NULL);
    await_flag(&target_ready, 5000);
    msleep(10);
    pthread_kill(t, SIGUSR1);
    await_flag(&handler_count, 5000);
    write(restart_pipe[1], "hello", 5);
    rc = join_within(t, NULL, 5000);
    printf("SA_RESTART read in the signalled thread returned %d (join %s)\n",
           atomic_load(&restart_result), rc ? "failed" : "ok");
    YESNO("handler ran on the reader thread", atomic_load(&handler_tid) == atomic_load(&target_tid));
    close(restart_pipe[0]);
    close(restart_pipe[1]);
    set_handler(SIGUSR1, SIG_DFL, 0);
    set_handler(SIGUSR2, SIG_DFL, 0);
}

/* ==== execve and fork from a thread ==== */

static const char *exec_path;
static char exec_arg_pid[32], exec_arg_ppid[32];

static void *exec_self(void *arg) {
    (void)arg;
    char *argv[] = { (char *)exec_path, "exec-check", exec_arg_pid, exec_arg_ppid, NULL };
    execv(exec_path, argv);
    _exit(50);
}

static void *exec_true(void *arg) {
    (void)arg;
    char *argv[] = { "true", NULL };
    execv("/bin/true", argv);
    _exit(51);
}

static void *fork_in_thread(void *arg) {
    (void)arg;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        int ok = getpid() == gettid() && getppid() == parent;
        pthread_t t;
        void *ret = NULL;
        ok &= pthread_create(&t, NULL, plus100, (void *)1) == 0;
        ok &= join_within(t, &ret, 5000) == 0 && (long)ret == 101;
        _exit(ok ? 31 : 1);
    }
    return (void *)(long)pid;
}

static void *wait_for(void *arg) {
    int st = 0;
    pid_t r;
    do r = waitpid((pid_t)(long)arg, &st, 0); while (r == -1 && errno == EINTR);
    return (void *)(long)(r == (pid_t)(long)arg && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void exec_fork(void) {
    exec_path = self;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        snprintf(exec_arg_pid, sizeof exec_arg_pid, "%d", getpid());
        snprintf(exec_arg_ppid, sizeof exec_arg_ppid, "%d", getppid());
        int q[2];
        pipe(q);
        pthread_t t;
        pthread_create(&t, NULL, blocked_reader, (void *)(long)q[0]);
        pthread_create(&t, NULL, exec_self, NULL);
        for (;;) pause();
    }
    wait_within("thread execve of this program, main in pause(), another thread in read()", pid,
                5000);

    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, exec_true, NULL);
        for (;;) pause();
    }
    wait_within("thread execve(/bin/true)", pid, 5000);

    /* fork from a thread: the child is single-threaded, its pid is its tid, its parent is
     * the process; main (not the forking thread) can wait for it. */
    pthread_t t;
    void *ret;
    pthread_create(&t, NULL, fork_in_thread, NULL);
    pthread_join(t, &ret);
    pid = (pid_t)(long)ret;
    YESNO("fork in a thread returned a pid", pid > 0);
    wait_within("child forked by a thread (31: pid == tid, ppid ok, threads work)", pid, 5000);

    /* A child forked by main, reaped by another thread. */
    pid = fork();
    if (pid == 0) _exit(32);
    pthread_create(&t, NULL, wait_for, (void *)(long)pid);
    pthread_join(t, &ret);
    printf("a thread's waitpid of main's child: exit status %ld\n", (long)ret);
}

/* ==== futex(2) directly ==== */

static long futex(void *uaddr, int op, uint32_t val, const struct timespec *ts, void *uaddr2,
                  uint32_t val3) {
    return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* A thread waiting on *word == 0 with `op` (FUTEX_WAIT unless set), `bitset` for the
 * bitset ops and an optional relative timeout. */
struct fwaiter {
    uint32_t *word;
    uint32_t bitset;
    int op;
    const struct timespec *timeout;
    atomic_int arrived, done;
    long ret;
    int err;
};

static void *futex_waiter(void *arg) {
    struct fwaiter *w = arg;
    atomic_store(&w->arrived, 1);
    w->ret = futex(w->word, w->op, 0, w->timeout, NULL, w->bitset);
    w->err = errno;
    atomic_store(&w->done, 1);
    return NULL;
}

/* Wakes (op FUTEX_WAKE or FUTEX_WAKE_BITSET with bitset) until `want` waiters were woken
 * in total, retrying while they may still be on their way into the kernel; the total. */
static long wake_until(uint32_t *word, int op, uint32_t bitset, long want) {
    long total = 0;
    long start = now_ms();
    while (total < want && now_ms() - start < 5000) {
        long r = futex(word, op, INT_MAX, NULL, NULL, bitset);
        if (r > 0) total += r;
        if (total < want) msleep(1);
    }
    return total;
}

static void show_waiter(const char *label, struct fwaiter *w) {
    if (w->ret == -1) printf("%s: -1 %s\n", label, ename(w->err));
    else printf("%s: %ld\n", label, w->ret);
}

static void futexes(void) {
    static uint32_t word = 1, word2 = 0;
    struct timespec ts = { 0, 20 * 1000000L };
    PSHOW("FUTEX_WAIT, value differs", futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0));
    PSHOW("FUTEX_WAIT_PRIVATE, value differs", futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0));
    long start = now_ms();
    PSHOW("FUTEX_WAIT, 20 ms timeout", futex(&word, FUTEX_WAIT, 1, &ts, NULL, 0));
    YESNO("waited at least 20 ms", now_ms() - start >= 19);
    struct timespec dl = deadline_in(CLOCK_MONOTONIC, 20);
    start = now_ms();
    PSHOW("FUTEX_WAIT_BITSET, monotonic deadline in 20 ms",
          futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &dl, NULL, FUTEX_BITSET_MATCH_ANY));
    YESNO("waited at least 20 ms", now_ms() - start >= 19);
    dl = deadline_in(CLOCK_REALTIME, 20);
    PSHOW("FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, deadline in 20 ms",
          futex(&word, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 1, &dl, NULL,
                FUTEX_BITSET_MATCH_ANY));
    struct timespec zero = { 0, 0 };
    PSHOW("FUTEX_WAIT, zero timeout", futex(&word, FUTEX_WAIT, 1, &zero, NULL, 0));
    PSHOW("FUTEX_WAIT_BITSET, deadline 0 (past)",
          futex(&word, FUTEX_WAIT_BITSET, 1, &zero, NULL, FUTEX_BITSET_MATCH_ANY));
    struct timespec bad = { 0, 1000000000L };
    PSHOW("FUTEX_WAIT, tv_nsec 1e9", futex(&word, FUTEX_WAIT, 1, &bad, NULL, 0));
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    PSHOW("FUTEX_WAIT, tv_sec -1", futex(&word, FUTEX_WAIT, 1, &bad, NULL, 0));
    PSHOW("FUTEX_WAIT, unaligned", futex((char *)&word + 1, FUTEX_WAIT, 1, &zero, NULL, 0));
    PSHOW("FUTEX_WAIT, unmapped address", futex(BADPTR, FUTEX_WAIT, 1, &zero, NULL, 0));
    PSHOW("FUTEX_WAIT, timeout at an unmapped address",
          futex(&word, FUTEX_WAIT, 1, BADPTR, NULL, 0));
    PSHOW("FUTEX_WAIT_BITSET, bitset 0", futex(&word, FUTEX_WAIT_BITSET, 1, &zero, NULL, 0));
    PSHOW("FUTEX_WAKE, no waiters", futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0));
    PSHOW("FUTEX_WAKE_PRIVATE, no waiters", futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL,
                                                  0));
    PSHOW("FUTEX_WAKE, unaligned", futex((char *)&word + 2, FUTEX_WAKE, 1, NULL, NULL, 0));
    PSHOW("FUTEX_WAKE_PRIVATE, unmapped address", futex(BADPTR, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
                                                        0));
    PSHOW("FUTEX_WAKE (shared), unmapped address", futex(BADPTR, FUTEX_WAKE, 1, NULL, NULL, 0));
    PSHOW("FUTEX_WAKE_BITSET, bitset 0", futex(&word, FUTEX_WAKE_BITSET, 1, NULL, NULL, 0));
    PSHOW("FUTEX_CMP_REQUEUE, value differs",
          futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)(long)INT_MAX, &word2, 0));
    PSHOW("FUTEX_CMP_REQUEUE, no waiters",
          futex(&word, FUTEX_CMP_REQUEUE, 1, (void *)(long)INT_MAX, &word2, 1));
    PSHOW("FUTEX_CMP_REQUEUE, nr_wake -1",
          futex(&word, FUTEX_CMP_REQUEUE, -1, (void *)(long)INT_MAX, &word2, 1));
    PSHOW("FUTEX_REQUEUE, no waiters", futex(&word, FUTEX_REQUEUE, 1, (void *)1L, &word2, 0));
    static uint32_t opword = 5;
    PSHOW("FUTEX_WAKE_OP (ADD 3 if == 5), no waiters",
          futex(&word, FUTEX_WAKE_OP, 1, (void *)1L, &opword,
                FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5)));
    printf("FUTEX_WAKE_OP: second word now %u\n", opword);
    PSHOW("futex op 99", futex(&word, 99, 0, NULL, NULL, 0));

    /* FUTEX_WAKE of one waiting thread returns 1 (once it is really waiting). */
    static uint32_t w0 = 0;
    struct fwaiter a = { .word = &w0 };
    pthread_t ta, tb, tc;
    pthread_create(&ta, NULL, futex_waiter, &a);
    await_flag(&a.arrived, 5000);
    printf("FUTEX_WAKE of one waiting thread: woke %ld\n", wake_until(&w0, FUTEX_WAKE, 0, 1));
    join_within(ta, NULL, 5000);
    show_waiter("its FUTEX_WAIT", &a);

    /* Three waiters, FUTEX_WAKE_PRIVATE(INT_MAX). */
    struct fwaiter ws[3];
    pthread_t wt[3];
    for (int i = 0; i < 3; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].word = &w0;
        ws[i].op = FUTEX_WAIT_PRIVATE;
        pthread_create(&wt[i], NULL, futex_waiter, &ws[i]);
    }
    printf("FUTEX_WAKE_PRIVATE of three waiting threads: woke %ld in total\n",
           wake_until(&w0, FUTEX_WAKE_PRIVATE, 0, 3));
    int ok = 1;
    for (int i = 0; i < 3; i++) ok &= join_within(wt[i], NULL, 5000) == 0 && ws[i].ret == 0;
    YESNO("all three FUTEX_WAITs returned 0", ok);

    /* The private and shared keys of a private page differ: FUTEX_WAKE_PRIVATE does not
     * wake a FUTEX_WAIT (shared), which then times out after 50 ms. */
    struct timespec t50 = { 0, 50 * 1000000L };
    struct fwaiter sh = { .word = &w0, .op = FUTEX_WAIT, .timeout = &t50 };
    pthread_create(&ta, NULL, futex_waiter, &sh);
    await_flag(&sh.arrived, 5000);
    msleep(10);
    PSHOW("FUTEX_WAKE_PRIVATE with a thread in FUTEX_WAIT (shared) on the word",
          futex(&w0, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0));
    join_within(ta, NULL, 5000);
    show_waiter("the shared FUTEX_WAIT (50 ms)", &sh);

    /* Bitsets: a wake with bitset 2 wakes the waiter on 2, not the one on 1. */
    struct fwaiter b1 = { .word = &w0, .bitset = 1, .op = FUTEX_WAIT_BITSET };
    struct fwaiter b2 = { .word = &w0, .bitset = 2, .op = FUTEX_WAIT_BITSET };
    pthread_create(&ta, NULL, futex_waiter, &b1);
    pthread_create(&tb, NULL, futex_waiter, &b2);
    await_flag(&b1.arrived, 5000);
    printf("FUTEX_WAKE_BITSET(2): woke %ld\n", wake_until(&w0, FUTEX_WAKE_BITSET, 2, 1));
    join_within(tb, NULL, 5000);
    show_waiter("the bitset-2 waiter", &b2);
    msleep(5);
    YESNO("the bitset-1 waiter still waits", !atomic_load(&b1.done));
    printf("FUTEX_WAKE_BITSET(1): woke %ld\n", wake_until(&w0, FUTEX_WAKE_BITSET, 1, 1));
    join_within(ta, NULL, 5000);
    show_waiter("the bitset-1 waiter", &b1);

    /* FUTEX_CMP_REQUEUE moves two waiters from one word to another. */
    static uint32_t from = 0, to = 0;
    struct fwaiter r1 = { .word = &from }, r2 = { .word = &from };
    pthread_create(&ta, NULL, futex_waiter, &r1);
    pthread_create(&tb, NULL, futex_waiter, &r2);
    long moved = 0;
    start = now_ms();
    while (moved < 2 && now_ms() - start < 5000) {
        long r = futex(&from, FUTEX_CMP_REQUEUE, 0, (void *)(long)INT_MAX, &to, 0);
        if (r > 0) moved += r;
        if (moved < 2) msleep(1);
    }
    printf("FUTEX_CMP_REQUEUE(wake 0, requeue all): moved %ld in total\n", moved);
    PSHOW("FUTEX_WAKE on the old word", futex(&from, FUTEX_WAKE, INT_MAX, NULL, NULL, 0));
    YESNO("neither waiter woke yet", !atomic_load(&r1.done) && !atomic_load(&r2.done));
    printf("FUTEX_WAKE on the new word: woke %ld\n", wake_until(&to, FUTEX_WAKE, 0, 2));
    ok = join_within(ta, NULL, 5000) == 0 && join_within(tb, NULL, 5000) == 0;
    YESNO("both requeued waiters returned 0", ok && r1.ret == 0 && r2.ret == 0);

    /* A signal ends a FUTEX_WAIT (EINTR), or arrives before it (its handler changes the
     * word, so the wait sees another value: EAGAIN); either way the wait ends. */
    static uint32_t sw = 0;
    struct fwaiter s = { .word = &sw };
    set_handler(SIGUSR1, SIG_IGN, 0);
    pthread_create(&tc, NULL, futex_waiter, &s);
    await_flag(&s.arrived, 5000);
    msleep(10);
    /* SIG_IGN does not interrupt: the wait goes on. */
    pthread_kill(tc, SIGUSR1);
    msleep(5);
    YESNO("an ignored signal does not end FUTEX_WAIT", !atomic_load(&s.done));
    wake_until(&sw, FUTEX_WAKE, 0, 1);
    join_within(tc, NULL, 5000);
    show_waiter("then FUTEX_WAKE ends it", &s);
    set_handler(SIGUSR1, SIG_DFL, 0);

    /* A shared futex across fork: the child waits in a MAP_SHARED page, the parent wakes. */
    uint32_t *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    atomic_int *child_arrived = (atomic_int *)(shared + 16);
    pid_t pid = fork();
    if (pid == 0) {
        atomic_store(child_arrived, 1);
        long r = futex(shared, FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(r == 0 ? 0 : 1);
    }
    await_flag(child_arrived, 5000);
    printf("FUTEX_WAKE (shared) of the child's wait: woke %ld\n",
           wake_until(shared, FUTEX_WAKE, 0, 1));
    wait_within("child in FUTEX_WAIT on a MAP_SHARED word (0: returned 0)", pid, 5000);

    /* A private futex is keyed by address space: a private wake in the parent does not
     * reach the child waiting privately on the same shared page. */
    atomic_store(child_arrived, 0);
    pid = fork();
    if (pid == 0) {
        atomic_store(child_arrived, 1);
        long r = futex(shared, FUTEX_WAIT_PRIVATE, 0, &t50, NULL, 0);
        _exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
    }
    await_flag(child_arrived, 5000);
    msleep(10);
    PSHOW("FUTEX_WAKE_PRIVATE in the parent", futex(shared, FUTEX_WAKE_PRIVATE, INT_MAX, NULL,
                                                     NULL, 0));
    wait_within("child in FUTEX_WAIT_PRIVATE on the shared page (0: timed out)", pid, 5000);
    munmap(shared, PAGE);
}

/* ==== scheduling ==== */

static void *affinity_in_thread(void *arg) {
    (void)arg;
    cpu_set_t set;
    CPU_ZERO(&set);
    long r = sched_getaffinity(gettid(), sizeof set, &set);
    return (void *)(r == 0 && CPU_COUNT(&set) >= 1 ? 1L : 0L);
}

static void sched(void) {
    PSHOW("sched_yield", sched_yield());
    cpu_set_t set;
    CPU_ZERO(&set);
    PSHOW("sched_getaffinity(0)", sched_getaffinity(0, sizeof set, &set));
    YESNO("at least one CPU in the set", CPU_COUNT(&set) >= 1);
    long raw = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    YESNO("raw sched_getaffinity returns a positive size", raw > 0 && raw <= (long)sizeof set);
    PSHOW("sched_getaffinity(999999)", sched_getaffinity(999999, sizeof set, &set));
    PSHOW("raw sched_getaffinity, size 1", syscall(SYS_sched_getaffinity, 0, 1, &set));
    YESNO("sched_getaffinity(own tid) in a thread", in_thread(affinity_in_thread, NULL) == 1);
    show_rc("pthread_getaffinity_np", pthread_getaffinity_np(pthread_self(), sizeof set, &set));
    PSHOW("sched_getscheduler(0)", sched_getscheduler(0));
}

static const struct {
    const char *name, *title;
    void (*run)(void);
} sections[] = {
    { "basics", "create, join, ids, TLS", basics },
    { "mutex", "mutexes", mutexes },
    { "cond", "condition variables", conds },
    { "barrier", "barriers", barriers },
    { "rwlock", "rwlocks", rwlocks },
    { "spin", "spinlocks", spinlocks },
    { "sem", "semaphores", semaphores },
    { "stress", "stress", stress },
    { "cancel", "cancellation", cancellation },
    { "detach", "detached threads", detach },
    { "exit", "how a thread group ends", group_exit },
    { "fatal", "fatal signals in threads", fatal },
    { "signals", "signals and threads", signals },
    { "exec", "execve and fork from threads", exec_fork },
    { "futex", "futex(2)", futexes },
    { "sched", "scheduling", sched },
};

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec-check") == 0) return exec_mode(argc, argv);
    self = argv[0];
    signal(SIGCHLD, SIG_DFL);
    for (unsigned i = 0; i < sizeof sections / sizeof sections[0]; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++) wanted |= strcmp(argv[a], sections[i].name) == 0;
        if (!wanted) continue;
        printf("-- %s\n", sections[i].title);
        sections[i].run();
    }
    printf("done\n");
    return 0;
}
