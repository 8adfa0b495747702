/* syscall_return: what a program sees of the way back from a syscall, whichever way the
 * sandbox serves it (a VM exit, or the mailbox without one): RCX holds the return
 * address and R11 the flags, the flags themselves (CF, DF...) are restored, nothing
 * below the red zone is written, the last user page is nobody's, and a signal unblocked
 * by a syscall is delivered before the syscall returns. Lines "name: yes/no". */
#include "common.h"
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/times.h>
#include <time.h>

#define LAST_PAGE 0x7ffffffff000UL

struct after {
    uint64_t rcx, r11, flags_before, flags_after, expected_rip;
};

/* getpid with CF and DF set; records RCX, R11 and the flags before and after. */
__attribute__((noinline)) static void flags_syscall(long nr, struct after *a) {
    __asm__ volatile(
        "sub $128, %%rsp\n\t"
        "push %%rdi\n\t"
        "stc\n\t"
        "std\n\t"
        "pushfq\n\t"
        "pop %%rdx\n\t"
        "mov %%rdx, 16(%%rdi)\n\t"
        "lea 1f(%%rip), %%rdx\n\t"
        "mov %%rdx, 32(%%rdi)\n\t"
        "syscall\n\t"
        "1:\n\t"
        "pushfq\n\t"
        "pop %%rdx\n\t"
        "cld\n\t"
        "pop %%rdi\n\t"
        "mov %%rcx, 0(%%rdi)\n\t"
        "mov %%r11, 8(%%rdi)\n\t"
        "mov %%rdx, 24(%%rdi)\n\t"
        "add $128, %%rsp\n\t"
        : "+a"(nr)
        : "D"(a)
        : "rcx", "rdx", "r11", "memory", "cc");
}

/* Fills 2 KiB below the red zone with a pattern, makes syscall `nr` (no arguments)
 * and counts the bytes that changed. */
__attribute__((noinline)) static long stack_bytes_changed(long nr) {
    long changed;
    __asm__ volatile(
        "mov %%rsp, %%rsi\n\t"
        "lea -2176(%%rsp), %%rdi\n\t"
        "mov $2048, %%rcx\n\t"
        "mov $0x5a, %%al\n\t"
        "rep stosb\n\t"
        "mov %1, %%rax\n\t"
        "syscall\n\t"
        "lea -2176(%%rsp), %%rdi\n\t"
        "xor %0, %0\n\t"
        "mov $2048, %%rcx\n\t"
        "2:\n\t"
        "cmpb $0x5a, (%%rdi)\n\t"
        "je 3f\n\t"
        "inc %0\n\t"
        "3:\n\t"
        "inc %%rdi\n\t"
        "dec %%rcx\n\t"
        "jnz 2b\n\t"
        : "=&d"(changed)
        : "r"(nr)
        : "rax", "rcx", "rsi", "rdi", "r11", "memory", "cc");
    return changed;
}

static volatile sig_atomic_t usr1_seen;
static void on_usr1(int sig) {
    (void)sig;
    usr1_seen = 1;
}

int main(void) {
    const uint64_t CF = 1, DF = 1 << 10;
    struct after a = {0};
    flags_syscall(SYS_getpid, &a);
    printf("cf kept: %s\n", (a.flags_after & CF) ? "yes" : "no");
    printf("df kept: %s\n", (a.flags_after & DF) ? "yes" : "no");
    printf("rcx is the return address: %s\n", a.rcx == a.expected_rip ? "yes" : "no");
    printf("r11 is the flags: %s\n", (a.r11 & (CF | DF)) == (CF | DF) ? "yes" : "no");
    printf("flags as before: %s\n",
           (a.flags_after & 0xcd5) == (a.flags_before & 0xcd5) ? "yes" : "no");
    flags_syscall(SYS_umask, &a); /* umask(garbage rdi): still a served call */
    printf("flags kept across umask: %s\n", (a.flags_after & (CF | DF)) == (CF | DF) ? "yes" : "no");

    printf("stack below the red zone untouched (getpid): %s\n",
           stack_bytes_changed(SYS_getpid) == 0 ? "yes" : "no");
    printf("stack below the red zone untouched (sched_yield): %s\n",
           stack_bytes_changed(SYS_sched_yield) == 0 ? "yes" : "no");

    /* The last page below 2^47 belongs to no one (Linux's TASK_SIZE ends before it). */
    void *p = mmap((void *)LAST_PAGE, 4096, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("mmap of the last page: %s\n", p == MAP_FAILED ? errname(errno) : "mapped");
    int fds[2];
    if (pipe(fds) == 0) {
        long n = write(fds[1], (void *)LAST_PAGE, 8);
        printf("write from the last page: %s\n", n < 0 ? errname(errno) : "wrote");
        if (write(fds[1], "12345678", 8) != 8)
            printf("pipe write failed\n");
        n = read(fds[0], (void *)LAST_PAGE, 8);
        printf("read into the last page: %s\n",
               n < 0 ? errname(errno) : "read");
        close(fds[0]);
        close(fds[1]);
    }
    struct stat st;
    printf("stat into the last page: %s\n",
           stat("/", (struct stat *)LAST_PAGE) < 0 ? errname(errno) : "ok");
    printf("stat still works: %s\n", stat("/", &st) == 0 ? "yes" : "no");
    unsigned char vec;
    printf("mincore of the last page: %s\n",
           mincore((void *)LAST_PAGE, 4096, &vec) < 0 ? errname(errno) : "ok");

    /* A signal made pending while blocked runs as the unblocking call returns. */
    signal(SIGUSR1, on_usr1);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    kill(getpid(), SIGUSR1);
    int before = usr1_seen;
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    int at_return = usr1_seen;
    printf("pending while blocked: %s\n", before == 0 ? "yes" : "no");
    printf("delivered when unblocked: %s\n", at_return == 1 ? "yes" : "no");

    /* CPU time counts up to the call that asks for it, after a stretch of guest code
     * and quick calls: fixed work that takes well over 30 ms of CPU. */
    volatile unsigned long spin = 0;
    for (int round = 0; round < 1200; round++) {
        getppid();
        for (int k = 0; k < 200000; k++)
            spin++;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
                  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    printf("getrusage counts the work: %s\n", cpu_ms >= 60 ? "yes" : "no");
    struct tms tm;
    times(&tm);
    long ticks = (long)(tm.tms_utime + tm.tms_stime);
    printf("times counts it too: %s\n", ticks * 1000 / sysconf(_SC_CLK_TCK) >= 60 ? "yes" : "no");

    /* Many quick calls in a row return their own results. */
    int good = 1;
    pid_t pid = getpid();
    umask(022);
    for (int i = 0; i < 20000 && good; i++) {
        if (syscall(SYS_getpid) != pid || umask(022) != 022)
            good = 0;
    }
    printf("20000 getpid and umask calls right: %s\n", good ? "yes" : "no");
    return 0;
}
