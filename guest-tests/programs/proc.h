/* proc.h: helpers for the proc_*.c programs (processes, signals between processes, pipes).
 * Children never print (except exec'd copies of the program, which the parent waits for
 * before printing again): they report through exit codes or pipes, so the output order is
 * fixed. stdout is unbuffered so that nothing buffered is duplicated by fork. */
#ifndef GT_PROC_H
#define GT_PROC_H
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

/* errname() plus the errnos of process and pipe calls. */
static __attribute__((unused)) const char *ename(int e) {
    switch (e) {
    case ESRCH: return "ESRCH(3)";
    case ENOEXEC: return "ENOEXEC(8)";
    case ECHILD: return "ECHILD(10)";
    case EPIPE: return "EPIPE(32)";
    case ETIMEDOUT: return "ETIMEDOUT(110)";
    }
    return errname(e);
}

/* Like SHOW/SHOW_OK, with ename(). */
#define PSHOW(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ == -1) printf("%s: -1 %s\n", label, ename(e_)); \
    else printf("%s: %ld\n", label, r_); \
} while (0)
#define PSHOW_OK(label, expr) do { \
    errno = 0; long r_ = (long)(expr); int e_ = errno; \
    if (r_ == -1) printf("%s: -1 %s\n", label, ename(e_)); \
    else printf("%s: ok\n", label); \
} while (0)

/* Sleeps ms milliseconds, resuming after signal handlers. */
static __attribute__((unused)) void msleep(long ms) {
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

/* "exited 3", "killed by signal 9", "stopped by signal 19", "continued". */
static __attribute__((unused)) const char *status_str(int st) {
    static char buf[64];
    if (WIFEXITED(st)) snprintf(buf, sizeof buf, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) snprintf(buf, sizeof buf, "killed by signal %d", WTERMSIG(st));
    else if (WIFSTOPPED(st)) snprintf(buf, sizeof buf, "stopped by signal %d", WSTOPSIG(st));
    else if (WIFCONTINUED(st)) snprintf(buf, sizeof buf, "continued");
    else snprintf(buf, sizeof buf, "unknown status 0x%x", st);
    return buf;
}

/* Waits for pid (restarting on EINTR) and prints "label: exited 3" or the wait error. */
static __attribute__((unused)) int wait_show(const char *label, pid_t pid) {
    int st = 0;
    pid_t r;
    do r = waitpid(pid, &st, 0); while (r == -1 && errno == EINTR);
    if (r == -1) { printf("%s: waitpid -1 %s\n", label, ename(errno)); return -1; }
    if (r != pid) { printf("%s: waitpid returned another pid\n", label); return -1; }
    printf("%s: %s\n", label, status_str(st));
    return st;
}

/* Reads exactly n bytes unless EOF or an error comes first; returns the count or -1. */
static __attribute__((unused)) long read_full(int fd, void *buf, long n) {
    long total = 0;
    while (total < n) {
        long r = read(fd, (char *)buf + total, n - total);
        if (r == -1 && errno == EINTR) continue;
        if (r == -1) return total ? total : -1;
        if (r == 0) break;
        total += r;
    }
    return total;
}

/* Writes all n bytes (restarting on EINTR and short writes); returns n or -1. */
static __attribute__((unused)) long write_full(int fd, const void *buf, long n) {
    long total = 0;
    while (total < n) {
        long r = write(fd, (const char *)buf + total, n - total);
        if (r == -1 && errno == EINTR) continue;
        if (r == -1) return -1;
        total += r;
    }
    return total;
}

/* No core files from children killed on purpose. */
static __attribute__((unused)) void no_core(void) {
    struct rlimit rl = { 0, 0 };
    setrlimit(RLIMIT_CORE, &rl);
}

#endif
