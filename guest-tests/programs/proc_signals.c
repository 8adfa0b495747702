/* proc_signals: signals between processes. SIGCHLD (siginfo for exit, kill, stop and
 * continue; SA_NOCLDSTOP; SIG_IGN and SA_NOCLDWAIT auto-reaping), kill of children (default
 * actions, inherited handlers, process groups, stopped children), kill's errors, EINTR versus
 * SA_RESTART for blocking read/write/waitpid/nanosleep interrupted by another process's
 * signals, pending and queued signals (sigpending, sigtimedwait, sigwaitinfo, sigqueue),
 * interval timers, SIGPIPE, and dispositions/mask/pending across fork and execve.
 * Races are avoided: a "pinger" child signals the parent every 20 ms until told to stop, so a
 * blocking call is always interrupted whatever the scheduling.
 * Arguments name sections to run alone (`proc_signals kill eintr`); without any, all run,
 * the ones that hang where a feature is missing (timers, job control) last. */
#include "proc.h"
#include <sys/time.h>

extern char **environ;
static const char *self;

static volatile sig_atomic_t usr1_count, alrm_count, chld_count;
static volatile int chld_code, chld_status, chld_pid;

static void on_usr1(int s) { (void)s; usr1_count++; }
static void on_alrm(int s) { (void)s; alrm_count++; }
static void exit7(int s) { (void)s; _exit(7); }
static void on_chld(int s, siginfo_t *si, void *uc) {
    (void)s; (void)uc;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid = si->si_pid;
    chld_count++;
}

static void set_handler(int sig, void (*h)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(how, &s, NULL);
}

static int is_pending(int sig) {
    sigset_t s;
    sigemptyset(&s);
    sigpending(&s);
    return sigismember(&s, sig);
}

/* "label: n" or "label: -1 ERRNO" for a result saved with its errno. */
static void show_ret(const char *label, long n, int e) {
    if (n == -1) printf("%s: -1 %s\n", label, ename(e));
    else printf("%s: %ld\n", label, n);
}

/* A child that sends SIGUSR1 to the parent every 20 ms until the parent closes *stop. */
static pid_t start_pinger(int *stop) {
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[1]);
        for (;;) {
            struct pollfd pfd = { p[0], POLLIN, 0 };
            if (poll(&pfd, 1, 20) != 0) _exit(0);
            kill(getppid(), SIGUSR1);
        }
    }
    close(p[0]);
    *stop = p[1];
    return pid;
}

static void stop_pinger(pid_t pid, int stop) {
    close(stop);
    int st;
    while (waitpid(pid, &st, 0) == -1 && errno == EINTR) {}
}

/* Waits (sigsuspend with nothing blocked) until the SIGCHLD handler has run n times. */
static int wait_sigchld(int n) {
    sigset_t none;
    sigemptyset(&none);
    int r = 0, e = 0;
    while (chld_count < n) {
        r = sigsuspend(&none);
        e = errno;
    }
    return r == -1 && e == EINTR;
}

/* ---- the exec'd copy ---- */

static int exec_report(void) {
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    YESNO("exec'd: SIGUSR1 (was handled) is SIG_DFL", sa.sa_handler == SIG_DFL);
    sigaction(SIGUSR2, NULL, &sa);
    YESNO("exec'd: SIGUSR2 (was ignored) is still SIG_IGN", sa.sa_handler == SIG_IGN);
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    YESNO("exec'd: SIGINT still blocked", sigismember(&mask, SIGINT));
    YESNO("exec'd: SIGTERM not blocked", !sigismember(&mask, SIGTERM));
    YESNO("exec'd: SIGINT still pending", is_pending(SIGINT));
    struct itimerval it;
    getitimer(ITIMER_REAL, &it);
    YESNO("exec'd: ITIMER_REAL survived execve", it.it_value.tv_sec > 0);
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    return 0;
}

/* ---- sections ---- */

static void sigchld_tests(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);
    block(SIGCHLD, SIG_BLOCK);

    chld_count = 0;
    pid_t pid = fork();
    if (pid == 0) _exit(3);
    YESNO("sigsuspend returned -1 EINTR after SIGCHLD", wait_sigchld(1));
    printf("exit: SIGCHLD si_code %d (CLD_EXITED=%d), si_status %d, si_pid matches: %s\n",
           chld_code, CLD_EXITED, chld_status, chld_pid == pid ? "yes" : "no");
    wait_show("exit child", pid);

    chld_count = 0;
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGKILL);
    wait_sigchld(1);
    printf("SIGKILL: SIGCHLD si_code %d (CLD_KILLED=%d), si_status %d, si_pid matches: %s\n",
           chld_code, CLD_KILLED, chld_status, chld_pid == pid ? "yes" : "no");
    wait_show("killed child", pid);

    block(SIGCHLD, SIG_UNBLOCK);

    int st = 0;
    /* SIG_IGN and SA_NOCLDWAIT: children are reaped automatically, wait fails with ECHILD
     * once they are gone. */
    signal(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0) _exit(1);
    PSHOW("SIGCHLD SIG_IGN: waitpid(child)", waitpid(pid, &st, 0));
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sa.sa_flags = SA_NOCLDWAIT;
    sigaction(SIGCHLD, &sa, NULL);
    pid = fork();
    if (pid == 0) _exit(1);
    PSHOW("SA_NOCLDWAIT: wait()", wait(&st));
    signal(SIGCHLD, SIG_DFL);
}

/* Job control: stopped and continued children. Last, as the most likely to be missing. */
static void stop_tests(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, NULL);
    block(SIGCHLD, SIG_BLOCK);
    pid_t pid;

    /* Stop, continue, terminate: a SIGCHLD and a wait status for each. */
    chld_count = 0;
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    int st = 0;
    PSHOW("kill(child, SIGSTOP)", kill(pid, SIGSTOP));
    wait_sigchld(1);
    printf("stop: SIGCHLD si_code %d (CLD_STOPPED=%d), si_status %d\n", chld_code, CLD_STOPPED,
           chld_status);
    PSHOW("waitpid(WNOHANG) without WUNTRACED", waitpid(pid, &st, WNOHANG));
    YESNO("waitpid(WUNTRACED) returned the child", waitpid(pid, &st, WUNTRACED) == pid);
    printf("status: %s\n", status_str(st));
    PSHOW("waitpid(WUNTRACED|WNOHANG) again: already reported", waitpid(pid, &st, WUNTRACED | WNOHANG));
    PSHOW("kill(child, SIGCONT)", kill(pid, SIGCONT));
    wait_sigchld(2);
    printf("continue: SIGCHLD si_code %d (CLD_CONTINUED=%d), si_status %d\n", chld_code,
           CLD_CONTINUED, chld_status);
    YESNO("waitpid(WCONTINUED) returned the child", waitpid(pid, &st, WCONTINUED) == pid);
    printf("status: %s\n", status_str(st));
    kill(pid, SIGTERM);
    wait_sigchld(3);
    printf("SIGTERM: SIGCHLD si_code %d, si_status %d\n", chld_code, chld_status);
    wait_show("stopped, continued then terminated child", pid);

    /* SA_NOCLDSTOP: no SIGCHLD when a child stops. */
    sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    chld_count = 0;
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGSTOP);
    YESNO("SA_NOCLDSTOP: waitpid(WUNTRACED) returned the child", waitpid(pid, &st, WUNTRACED) == pid);
    printf("status: %s\n", status_str(st));
    YESNO("SA_NOCLDSTOP: no SIGCHLD pending for the stop", !is_pending(SIGCHLD));
    /* SIGTERM stays pending in a stopped process until SIGCONT. */
    kill(pid, SIGTERM);
    PSHOW("waitpid(WNOHANG) after SIGTERM to the stopped child", waitpid(pid, &st, WNOHANG));
    kill(pid, SIGCONT);
    wait_show("stopped child sent SIGTERM then SIGCONT", pid);
    wait_sigchld(1);
    printf("SA_NOCLDSTOP: SIGCHLD for the death, si_code %d\n", chld_code);
    block(SIGCHLD, SIG_UNBLOCK);
    signal(SIGCHLD, SIG_DFL);
}

static void kill_tests(void) {
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    PSHOW("kill(child in pause, SIGTERM)", kill(pid, SIGTERM));
    wait_show("child sent SIGTERM", pid);

    /* The handler is inherited across fork. */
    set_handler(SIGUSR1, exit7, 0);
    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    signal(SIGUSR1, SIG_DFL);
    PSHOW("kill(child, SIGUSR1)", kill(pid, SIGUSR1));
    wait_show("child whose inherited SIGUSR1 handler calls _exit(7)", pid);

    pid = fork();
    if (pid == 0) {
        for (;;) pause();
    }
    kill(pid, SIGUSR2);
    wait_show("child sent SIGUSR2 (default action)", pid);
    pid = fork();
    if (pid == 0) {
        no_core();
        for (;;) pause();
    }
    kill(pid, SIGQUIT);
    int st = 0;
    waitpid(pid, &st, 0);
    printf("child sent SIGQUIT: WTERMSIG %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);

    PSHOW("kill(0, 0)", kill(0, 0));
    /* Our own group is group 1 when we are the sandbox's first process, and kill(-1)
       means "everyone else": probe a group of our own making instead. */
    {
        pid_t leader = fork();
        if (leader == 0) {
            setpgid(0, 0);
            pause();
            _exit(0);
        }
        setpgid(leader, leader);
        PSHOW("kill(-(a child's own group), 0)", kill(-leader, 0));
        kill(leader, SIGKILL);
        waitpid(leader, NULL, 0);
    }
    PSHOW("kill(getpid(), 0)", kill(getpid(), 0));
    PSHOW("kill(999999, 0)", kill(999999, 0));
    PSHOW("kill(-999999, 0)", kill(-999999, 0));
    PSHOW("kill(getpid(), 65)", kill(getpid(), 65));
    PSHOW("kill(getpid(), -1)", kill(getpid(), -1));

    /* A zombie still exists for kill. */
    pid = fork();
    if (pid == 0) _exit(0);
    siginfo_t si;
    waitid(P_PID, pid, &si, WEXITED | WNOWAIT);
    PSHOW("kill(zombie, 0)", kill(pid, 0));
    PSHOW("kill(zombie, SIGKILL)", kill(pid, SIGKILL));
    wait_show("zombie", pid);
    PSHOW("kill(reaped child, 0)", kill(pid, 0));

    /* kill(0, sig) in a new process group reaches the whole group. */
    pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        pid_t a = fork();
        if (a == 0) { for (;;) pause(); }
        pid_t b = fork();
        if (b == 0) { for (;;) pause(); }
        block(SIGTERM, SIG_BLOCK);
        if (kill(0, SIGTERM) != 0) _exit(100);
        int n = 0, s;
        if (waitpid(a, &s, 0) == a && WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM) n++;
        if (waitpid(b, &s, 0) == b && WIFSIGNALED(s) && WTERMSIG(s) == SIGTERM) n++;
        _exit(is_pending(SIGTERM) ? n : 50 + n);
    }
    wait_show("kill(0, SIGTERM) in a new group (2 grandchildren died, own SIGTERM pending)", pid);

    /* kill(-pgid, sig) from outside the group. */
    int p[2];
    pipe(p);
    pid_t a = fork();
    if (a == 0) {
        close(p[1]);
        setpgid(0, 0);
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    setpgid(a, a);
    pid_t b = fork();
    if (b == 0) {
        close(p[1]);
        setpgid(0, a);
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    setpgid(b, a);
    close(p[0]);
    PSHOW("kill(-group of two children, SIGKILL)", kill(-a, SIGKILL));
    wait_show("group leader", a);
    wait_show("group member", b);
    close(p[1]);
    PSHOW("kill(-gone group, 0)", kill(-a, 0));
}

static void eintr_tests(void) {
    int stop, st;
    char buf[16];

    /* Without SA_RESTART, a blocking read of an empty pipe fails with EINTR. */
    set_handler(SIGUSR1, on_usr1, 0);
    int p[2];
    pipe(p);
    usr1_count = 0;
    pid_t pinger = start_pinger(&stop);
    long n = read(p[0], buf, sizeof buf);
    int e = errno;
    stop_pinger(pinger, stop);
    show_ret("read without SA_RESTART", n, e);
    YESNO("handler ran", usr1_count > 0);

    /* nanosleep is interrupted too, with the remaining time. */
    usr1_count = 0;
    pinger = start_pinger(&stop);
    struct timespec ts = { 5, 0 }, rem = { 0, 0 };
    n = nanosleep(&ts, &rem);
    e = errno;
    stop_pinger(pinger, stop);
    show_ret("nanosleep(5 s)", n, e);
    YESNO("remaining time between 0 and 5 s", rem.tv_sec < 5 && (rem.tv_sec > 0 || rem.tv_nsec > 0));

    /* waitpid is interrupted without SA_RESTART. */
    pid_t child = fork();
    if (child == 0) {
        for (;;) pause();
    }
    pinger = start_pinger(&stop);
    n = waitpid(child, &st, 0);
    e = errno;
    stop_pinger(pinger, stop);
    printf("waitpid without SA_RESTART: %ld %s\n", n, n < 0 ? ename(e) : "(returned a pid)");
    kill(child, SIGKILL);
    wait_show("paused child", child);

    /* A blocking write into a full pipe: EINTR if nothing was written, else the count. */
    int fl = fcntl(p[1], F_GETFL);
    fcntl(p[1], F_SETFL, fl | O_NONBLOCK);
    static char big[100000];
    n = write(p[1], big, sizeof big);
    printf("non-blocking fill: %ld\n", n);
    fcntl(p[1], F_SETFL, fl);
    pinger = start_pinger(&stop);
    n = write(p[1], "x", 1);
    e = errno;
    stop_pinger(pinger, stop);
    show_ret("blocking write to a full pipe, interrupted", n, e);
    close(p[0]);
    close(p[1]);
    pipe(p);
    pinger = start_pinger(&stop);
    n = write(p[1], big, sizeof big);
    e = errno;
    stop_pinger(pinger, stop);
    show_ret("blocking write of 100000 bytes nobody reads, interrupted", n, e);
    close(p[0]);
    close(p[1]);

    /* With SA_RESTART the read is restarted and completes when the data comes. */
    set_handler(SIGUSR1, on_usr1, SA_RESTART);
    usr1_count = 0;
    pipe(p);
    child = fork();
    if (child == 0) {
        close(p[0]);
        for (int i = 0; i < 3; i++) {
            msleep(20);
            kill(getppid(), SIGUSR1);
        }
        msleep(20);
        write(p[1], "hello", 5);
        _exit(0);
    }
    close(p[1]);
    memset(buf, 0, sizeof buf);
    n = read(p[0], buf, sizeof buf);
    e = errno;
    wait_show("SA_RESTART child", child);
    printf("read with SA_RESTART: %ld %s\n", n, n < 0 ? ename(e) : buf);
    YESNO("handler ran before the data came", usr1_count > 0);
    close(p[0]);

    /* waitpid with SA_RESTART: restarted until the child exits. */
    usr1_count = 0;
    child = fork();
    if (child == 0) {
        for (int i = 0; i < 3; i++) {
            msleep(20);
            kill(getppid(), SIGUSR1);
        }
        msleep(20);
        _exit(4);
    }
    st = 0;
    n = waitpid(child, &st, 0);
    printf("waitpid with SA_RESTART returned the child: %s, %s\n", n == child ? "yes" : "no",
           status_str(st));
    YESNO("handler ran", usr1_count > 0);
    signal(SIGUSR1, SIG_DFL);
}

static void pending_tests(void) {
    /* A standard signal sent three times by a child while blocked: pending once. */
    block(SIGUSR2, SIG_BLOCK);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 3; i++) kill(getppid(), SIGUSR2);
        _exit(0);
    }
    wait_show("sender child", pid);
    YESNO("SIGUSR2 pending after the child's kill", is_pending(SIGUSR2));
    YESNO("SIGUSR1 not pending", !is_pending(SIGUSR1));

    /* Pending signals are not inherited by fork; the mask is. */
    pid_t child = fork();
    if (child == 0) {
        sigset_t mask;
        sigprocmask(SIG_BLOCK, NULL, &mask);
        _exit((is_pending(SIGUSR2) ? 1 : 0) | (sigismember(&mask, SIGUSR2) ? 0 : 2));
    }
    wait_show("fork child (0: nothing pending, SIGUSR2 blocked)", child);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec zero = { 0, 0 }, short_wait = { 0, 10 * 1000000L };
    PSHOW("sigtimedwait(SIGUSR2, 0 s)", sigtimedwait(&set, &si, &zero));
    printf("si_signo %d, si_code %d (SI_USER=%d), si_pid is the sender: %s\n", si.si_signo,
           si.si_code, SI_USER, si.si_pid == pid ? "yes" : "no");
    PSHOW("sigtimedwait again (coalesced)", sigtimedwait(&set, &si, &short_wait));
    YESNO("SIGUSR2 no longer pending", !is_pending(SIGUSR2));

    /* sigwaitinfo for a signal that a child sends later. */
    block(SIGUSR1, SIG_BLOCK);
    pid = fork();
    if (pid == 0) {
        msleep(20);
        kill(getppid(), SIGUSR1);
        _exit(0);
    }
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    memset(&si, 0, sizeof si);
    PSHOW("sigwaitinfo(SIGUSR1)", sigwaitinfo(&set, &si));
    YESNO("si_pid is the child", si.si_pid == pid);
    wait_show("late sender", pid);
    block(SIGUSR1, SIG_UNBLOCK);

    /* Real-time signals queue, in order, with their values. */
    int rt = SIGRTMIN + 1;
    block(rt, SIG_BLOCK);
    pid = fork();
    if (pid == 0) {
        for (int i = 1; i <= 3; i++) sigqueue(getppid(), rt, (union sigval){ .sival_int = i * 100 });
        kill(getppid(), rt);
        _exit(0);
    }
    wait_show("sigqueue child", pid);
    sigemptyset(&set);
    sigaddset(&set, rt);
    for (int i = 0; i < 4; i++) {
        memset(&si, 0, sizeof si);
        int r = sigtimedwait(&set, &si, &zero);
        printf("queued #%d: %s, si_code %d, value %d, from the child: %s\n", i + 1,
               r == rt ? "SIGRTMIN+1" : "other", si.si_code, si.si_code == SI_QUEUE ? si.si_value.sival_int : 0,
               si.si_pid == pid ? "yes" : "no");
    }
    PSHOW("sigtimedwait with the queue empty", sigtimedwait(&set, &si, &zero));
    block(rt, SIG_UNBLOCK);
    block(SIGUSR2, SIG_UNBLOCK);
}

static void timer_tests(void) {
    set_handler(SIGALRM, on_alrm, 0);
    alrm_count = 0;
    /* A 20 ms interval timer: pause() returns at the next expiry whatever the scheduling. */
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, old;
    PSHOW("setitimer(ITIMER_REAL, 20 ms interval)", setitimer(ITIMER_REAL, &it, NULL));
    PSHOW("pause()", pause());
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, &old);
    YESNO("SIGALRM handler ran", alrm_count > 0);
    YESNO("old timer had the 20 ms interval", old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 20000);
    getitimer(ITIMER_REAL, &it);
    YESNO("disarmed", it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0);

    /* One-shot, waited for with SIGALRM blocked until sigsuspend. */
    block(SIGALRM, SIG_BLOCK);
    alrm_count = 0;
    struct itimerval once = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &once, NULL);
    sigset_t none;
    sigemptyset(&none);
    PSHOW("sigsuspend until SIGALRM", sigsuspend(&none));
    printf("SIGALRM handler ran %d time(s)\n", (int)alrm_count);
    block(SIGALRM, SIG_UNBLOCK);

    /* Timers are not inherited by fork. */
    struct itimerval ten = { { 0, 0 }, { 10, 0 } };
    setitimer(ITIMER_REAL, &ten, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        struct itimerval c;
        getitimer(ITIMER_REAL, &c);
        _exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 ? 0 : 1);
    }
    wait_show("fork child's ITIMER_REAL is disarmed (0)", pid);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, NULL);

    PSHOW("alarm(5)", alarm(5));
    PSHOW("alarm(0) returns the seconds left", alarm(0));
    PSHOW("alarm(0) again", alarm(0));
    signal(SIGALRM, SIG_DFL);
}

static void sigpipe_tests(void) {
    int p[2];
    pipe(p);
    close(p[0]);
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("writer to a pipe without readers: %s\n", status_str(st));

    pid = fork();
    if (pid == 0) {
        block(SIGPIPE, SIG_BLOCK);
        long n = write(p[1], "x", 1);
        _exit(n == -1 && errno == EPIPE && is_pending(SIGPIPE) ? 0 : 1);
    }
    wait_show("writer with SIGPIPE blocked (0: EPIPE and SIGPIPE pending)", pid);

    signal(SIGPIPE, SIG_IGN);
    PSHOW("write with SIGPIPE ignored", write(p[1], "x", 1));
    signal(SIGPIPE, SIG_DFL);
    close(p[1]);
}

static void exec_tests(void) {
    pid_t pid = fork();
    if (pid == 0) {
        set_handler(SIGUSR1, on_usr1, 0);
        signal(SIGUSR2, SIG_IGN);
        block(SIGINT, SIG_BLOCK);
        raise(SIGINT);
        struct itimerval it = { { 0, 0 }, { 30, 0 } };
        setitimer(ITIMER_REAL, &it, NULL);
        char *args[] = { (char *)self, "exec-report", NULL };
        execve(self, args, environ);
        _exit(127);
    }
    wait_show("exec-report child", pid);
}

static const struct section { const char *name, *title; void (*run)(void); } sections[] = {
    { "sigchld", "SIGCHLD", sigchld_tests },
    { "kill", "kill", kill_tests },
    { "eintr", "EINTR and SA_RESTART", eintr_tests },
    { "pending", "pending and queued signals", pending_tests },
    { "sigpipe", "SIGPIPE", sigpipe_tests },
    { "exec", "across execve", exec_tests },
    { "timers", "timers", timer_tests },
    { "stop", "stopped and continued children", stop_tests },
};

/* No arguments: every section; else only the sections named (e.g. `proc_signals kill`). */
int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "exec-report") == 0) return exec_report();
    self = argv[0];
    /* Start from a known state whatever the caller left. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    signal(SIGCHLD, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);

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
