/* pidfd: a descriptor for a process (pidfd_open) that polls readable once it exits,
 * signals it (pidfd_send_signal) and waits for it (waitid P_PIDFD); the errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif
#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

int main(void) {
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int fd = pidfd_open(child, 0);
    printf("opened: %s\n", fd >= 0 ? "yes" : "no");
    char link[64], target[64] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("link: %s\n", target);
    printf("cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);

    struct pollfd p = {.fd = fd, .events = POLLIN};
    show("poll while it runs", poll(&p, 1, 0));
    show("signal 0", syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0));
    show("bad flags", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 1));
    show("SIGTERM", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    show("poll until it exits", poll(&p, 1, 2000));
    printf("revents POLLIN: %s\n", p.revents & POLLIN ? "yes" : "no");
    show("signal a zombie", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));

    siginfo_t info;
    memset(&info, 0, sizeof info);
    show("waitid P_PIDFD", waitid(P_PIDFD, fd, &info, WEXITED));
    printf("  pid==child %d code %d status %d\n", info.si_pid == child, info.si_code, info.si_status);
    show("signal after reaping", syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    show("waitid again", waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG));
    close(fd);

    fd = pidfd_open(getpid(), PIDFD_NONBLOCK);
    show("own process, non-blocking", fd >= 0 ? 0 : -1);
    printf("O_NONBLOCK: %d\n", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    show("waitid on itself", waitid(P_PIDFD, fd, &info, WEXITED | WNOHANG));
    show("read", read(fd, link, sizeof link));

    show("pid 0", pidfd_open(0, 0));
    show("negative pid", pidfd_open(-1, 0));
    show("no such process", pidfd_open(999999, 0));
    show("bad flags", pidfd_open(getpid(), 1));
    show("send on a non-pidfd", syscall(SYS_pidfd_send_signal, 0, 0, NULL, 0));
    show("send on a bad fd", syscall(SYS_pidfd_send_signal, 999, 0, NULL, 0));
    show("waitid on a non-pidfd", waitid(P_PIDFD, 0, &info, WEXITED));
    return 0;
}
