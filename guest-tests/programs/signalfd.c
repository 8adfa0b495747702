/* signalfd: blocked signals read from a descriptor (siginfo fields, several per read,
 * real-time queueing), poll/epoll readiness, SIGCHLD from a child, mask updates, and
 * the argument errors. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static void print_info(const struct signalfd_siginfo *si) {
    printf("  signo %u code %d pid==me %d uid==me %d int %d\n", si->ssi_signo, si->ssi_code,
           si->ssi_pid == (unsigned)getpid(), si->ssi_uid == getuid(), si->ssi_int);
}

int main(void) {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGUSR2);
    sigaddset(&mask, SIGRTMIN);
    sigaddset(&mask, SIGCHLD);
    sigprocmask(SIG_BLOCK, &mask, NULL);

    int fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("created: %s\n", fd >= 0 ? "yes" : "no");
    char link[64], target[64] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("link: %s\n", target);

    struct signalfd_siginfo si[4];
    show("read with nothing pending", read(fd, si, sizeof si));
    struct pollfd p = {.fd = fd, .events = POLLIN};
    show("poll with nothing pending", poll(&p, 1, 0));

    kill(getpid(), SIGUSR1);
    show("poll after kill", poll(&p, 1, 0));
    printf("revents POLLIN: %s\n", p.revents & POLLIN ? "yes" : "no");
    show("read one", read(fd, si, sizeof si));
    print_info(&si[0]);

    /* Several at once, in signal order; real-time signals queue. */
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGRTMIN, v);
    v.sival_int = 43;
    sigqueue(getpid(), SIGRTMIN, v);
    raise(SIGUSR2);
    long n = read(fd, si, sizeof si);
    show("read several", n);
    for (long i = 0; i < n / (long)sizeof si[0]; i++)
        print_info(&si[i]);
    show("short buffer", read(fd, si, sizeof si[0] - 1));

    /* epoll sees it. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 5}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    show("epoll_wait empty", epoll_wait(ep, &got, 1, 0));
    kill(getpid(), SIGUSR2);
    show("epoll_wait", epoll_wait(ep, &got, 1, 1000));
    printf("epoll data %u\n", got.data.u32);
    read(fd, si, sizeof si);

    /* A blocking signalfd waits for the child's exit: SIGCHLD with its status. */
    int blocking = signalfd(-1, &mask, 0);
    pid_t child = fork();
    if (child == 0) {
        usleep(20000);
        _exit(7);
    }
    n = read(blocking, si, sizeof si[0]);
    show("blocking read for SIGCHLD", n);
    printf("  signo %u code %d pid==child %d status %d\n", si[0].ssi_signo, si[0].ssi_code,
           si[0].ssi_pid == (unsigned)child, si[0].ssi_status);
    waitpid(child, NULL, 0);

    /* Changing the mask through the same descriptor. */
    sigset_t only1;
    sigemptyset(&only1);
    sigaddset(&only1, SIGUSR1);
    show("update mask", signalfd(fd, &only1, 0));
    raise(SIGUSR2);
    show("read an unwatched signal", read(fd, si, sizeof si));
    raise(SIGUSR1);
    show("read a watched one", read(fd, si, sizeof si));
    sigset_t pending;
    sigpending(&pending);
    printf("SIGUSR2 still pending: %s\n", sigismember(&pending, SIGUSR2) ? "yes" : "no");
    struct timespec zero = {0, 0};
    sigtimedwait(&mask, NULL, &zero);

    /* Errors. */
    show("size 4", syscall(SYS_signalfd4, -1, &mask, 4, 0));
    show("bad flags", signalfd(-1, &mask, 0x10));
    show("not a signalfd", signalfd(ep, &mask, 0));
    show("bad fd", signalfd(999, &mask, 0));
    show("bad mask pointer", syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
    show("old signalfd syscall", syscall(SYS_signalfd, -1, &mask, 8));
    return 0;
}
