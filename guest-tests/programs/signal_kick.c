/* signal_kick: a signal that arrives while the program makes syscalls is delivered
 * even when the program then runs on without making any: a timer fires during a burst
 * of quick calls, then the program spins (no syscalls) until its handler has run.
 * Prints how many of the rounds had to wait more than ~0.3 s for their handler. */
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/time.h>
#include <x86intrin.h>

static volatile sig_atomic_t fired;
static void on_alarm(int sig) {
    (void)sig;
    fired = 1;
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    int late = 0, rounds = 1000;
    for (int i = 0; i < rounds; i++) {
        fired = 0;
        struct itimerval t = {{0, 0}, {0, 50 + (i % 11) * 23}};
        setitimer(ITIMER_REAL, &t, NULL);
        for (int k = 0; k < 200 && !fired; k++)
            syscall(SYS_getppid);
        uint64_t start = __rdtsc();
        while (!fired && __rdtsc() - start < 1000000000ULL)
            ;
        if (!fired) {
            late++;
            while (!fired) /* it comes with the next syscall, at the latest */
                syscall(SYS_getppid);
        }
    }
    printf("rounds: %d\n", rounds);
    printf("handler ran without waiting for another syscall: %s\n", late == 0 ? "yes" : "no");
    return 0;
}
