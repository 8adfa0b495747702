/* syscall_fuzz: random arguments to every syscall that cannot kill, block or exec the
 * process (seeded from argv[1]); the sandbox must never fail internally, whatever the
 * program does to itself (dying by a signal is fine). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>
static unsigned long long s = 88172645463325252ULL;
static unsigned long long rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static long arg(void) {
    switch (rnd() % 8) {
    case 0: return 0; case 1: return -1; case 2: return rnd() % 64; case 3: return rnd();
    case 4: return 0x7fffffffe000; case 5: return 0xffffffff80000000; case 6: return 4096; default: return rnd() % 100000;
    }
}
int main(int argc, char **argv) {
    s += argc > 1 ? atoll(argv[1]) : 0;
    /* Read-only, so that a call scribbling over the stack (its own business) cannot
     * unskip exit and end the run with a random status. */
    static const int skip[] = {SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigreturn, SYS_pause, SYS_nanosleep,
                  SYS_clock_nanosleep, SYS_futex, SYS_read, SYS_splice, SYS_tee, SYS_vmsplice, SYS_pipe, SYS_pipe2, SYS_readv, SYS_pread64, SYS_preadv, SYS_preadv2, SYS_poll, SYS_ppoll,
                  SYS_select, SYS_pselect6,
                  SYS_rt_sigprocmask, SYS_rt_sigaction, SYS_execve, SYS_execveat, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3,
                  SYS_sched_yield, SYS_prctl, SYS_setrlimit, SYS_prlimit64, SYS_copy_file_range, SYS_sigaltstack, SYS_rseq,
                  SYS_set_robust_list, SYS_set_tid_address, SYS_shmat, SYS_wait4, SYS_waitid,
                  /* These block, or send the process signals that kill or stop it. */
                  SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
                  SYS_alarm, SYS_setitimer, SYS_timer_create, SYS_timer_settime, SYS_epoll_wait,
                  SYS_epoll_pwait, SYS_epoll_pwait2, SYS_socketpair, SYS_eventfd, SYS_eventfd2,
                  SYS_recvfrom, SYS_recvmsg, SYS_recvmmsg, SYS_sendto, SYS_sendmsg, SYS_sendmmsg,
                  SYS_accept, SYS_accept4, SYS_connect,
                  /* A FIFO made here blocks a later open of its name, on Linux too. */
                  SYS_mknod, SYS_mknodat,
                  /* These wait for a semaphore or message that nothing will ever post. */
                  SYS_semop, SYS_semtimedop, SYS_msgsnd, SYS_msgrcv};
    for (int i = 0; i < 20000; i++) {
        long nr = rnd() % 460, bad = 0;
        for (unsigned k = 0; k < sizeof skip / sizeof skip[0]; k++) if (skip[k] == nr) bad = 1;
        if (bad) continue;
        syscall(nr, arg(), arg(), arg(), arg(), arg(), arg());
    }
    puts("survived");
    return 0;
}
