// cflags: -pthread
/* sigaltstack: which stack handlers run on, what sigaltstack reports inside and
 * outside them, the ucontext's uc_stack, SS_AUTODISARM, and the argument errors. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static char alt[65536] __attribute__((aligned(16)));
static char alt2[65536] __attribute__((aligned(16)));

static int on(const char *stack, const void *p) {
    return (const char *)p >= stack && (const char *)p < stack + sizeof alt;
}

/* What the handler saw, printed after it returns. */
static struct {
    int on_alt, query_rc, query_errno, change_rc, change_errno;
    long uc_flags, uc_size, uc_sp_is_alt;
    int oss_flags, oss_sp_is_alt;
    long oss_size;
    int nested_on_alt;
} seen;

static void nested(int sig) {
    int local;
    (void)sig;
    seen.nested_on_alt = on(alt, &local);
}

/* When set, the handler points its uc_stack at alt2: sigreturn installs it. */
static int rewrite_uc_stack;

static void handler(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    stack_t oss, ss = {.ss_sp = alt2, .ss_size = sizeof alt2};
    int local;
    (void)sig;
    (void)si;
    seen.on_alt = on(alt, &local);
    seen.uc_flags = uc->uc_stack.ss_flags;
    seen.uc_size = (long)uc->uc_stack.ss_size;
    seen.uc_sp_is_alt = uc->uc_stack.ss_sp == alt;
    memset(&oss, 0x55, sizeof oss);
    seen.query_rc = sigaltstack(NULL, &oss);
    seen.query_errno = seen.query_rc ? errno : 0;
    seen.oss_flags = oss.ss_flags;
    seen.oss_size = (long)oss.ss_size;
    seen.oss_sp_is_alt = oss.ss_sp == alt;
    seen.change_rc = sigaltstack(&ss, NULL);
    seen.change_errno = seen.change_rc ? errno : 0;
    raise(SIGUSR2);
    if (rewrite_uc_stack) {
        uc->uc_stack.ss_sp = alt2;
        uc->uc_stack.ss_size = sizeof alt2;
        uc->uc_stack.ss_flags = 0;
    }
}

static void report(const char *what) {
    printf("%s: on alt %d, uc_stack flags %#lx size %ld sp==alt %ld\n", what, seen.on_alt,
           seen.uc_flags, seen.uc_size, seen.uc_sp_is_alt);
    printf("%s: query %d/%d flags %#x size %ld sp==alt %d; change %d/%d; nested on alt %d\n",
           what, seen.query_rc, seen.query_errno, seen.oss_flags, seen.oss_size,
           seen.oss_sp_is_alt, seen.change_rc, seen.change_errno, seen.nested_on_alt);
    memset(&seen, 0, sizeof seen);
}

static void show_current(const char *what) {
    stack_t oss;
    memset(&oss, 0x55, sizeof oss);
    int rc = sigaltstack(NULL, &oss);
    printf("%s: %d flags %#x size %ld sp==alt %d sp==alt2 %d sp null %d\n", what, rc,
           oss.ss_flags, (long)oss.ss_size, oss.ss_sp == alt, oss.ss_sp == alt2,
           oss.ss_sp == NULL);
}

/* A new thread starts with the stack disabled (whatever its creator had). */
static void *thread_main(void *arg) {
    (void)arg;
    show_current("new thread");
    pthread_kill(pthread_self(), SIGUSR1);
    report("new thread");
    return NULL;
}

static void try_set(const char *what, void *sp, size_t size, int flags) {
    stack_t ss = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};
    errno = 0;
    int rc = sigaltstack(&ss, NULL);
    printf("%s: %d %s\n", what, rc, rc ? strerror(errno) : "ok");
}

int main(void) {
    struct sigaction sa = {0};
    show_current("initial");

    sa.sa_handler = nested;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR2, &sa, NULL);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    raise(SIGUSR1);
    report("no alt stack");

    try_set("enable", alt, sizeof alt, 0);
    show_current("enabled");
    raise(SIGUSR1);
    report("SA_ONSTACK");
    show_current("after handler");

    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    report("without SA_ONSTACK");
    show_current("restored from uc_stack");
    rewrite_uc_stack = 1;
    raise(SIGUSR1);
    report("rewriting uc_stack");
    show_current("after rewriting uc_stack");
    rewrite_uc_stack = 0;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);

    try_set("legacy SS_ONSTACK flag", alt, sizeof alt, SS_ONSTACK);
    show_current("legacy");
    raise(SIGUSR1);
    report("legacy");

    try_set("autodisarm", alt, sizeof alt, SS_AUTODISARM);
    show_current("autodisarm");
    raise(SIGUSR1);
    report("autodisarm");
    show_current("after autodisarm handler");

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        show_current("forked child");
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);

    pthread_t thread;
    pthread_create(&thread, NULL, thread_main, NULL);
    pthread_join(thread, NULL);

    try_set("disable", NULL, 0, SS_DISABLE);
    show_current("disabled");
    raise(SIGUSR1);
    report("disabled");
    try_set("disable with a stack", alt, sizeof alt, SS_DISABLE);
    show_current("disabled again");
    try_set("SS_DISABLE|SS_ONSTACK", alt, sizeof alt, SS_DISABLE | SS_ONSTACK);
    try_set("unknown flag 4", alt, sizeof alt, 4);
    try_set("too small", alt, 1024, 0);
    try_set("MINSIGSTKSZ exactly", alt, 2048, 0);
    show_current("small");
    try_set("size 0 disabled", alt, 0, SS_DISABLE);
    show_current("end");

    errno = 0;
    long rc = syscall(SYS_sigaltstack, (void *)8, NULL);
    printf("bad new pointer: %ld %s\n", rc, rc ? strerror(errno) : "ok");
    errno = 0;
    rc = syscall(SYS_sigaltstack, NULL, (void *)8);
    printf("bad old pointer: %ld %s\n", rc, rc ? strerror(errno) : "ok");
    return 0;
}
