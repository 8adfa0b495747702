/* timerfd: one-shot and periodic timers read, polled and watched by epoll; settime
 * and gettime values; ABSTIME on both clocks; the argument errors. Times are checked
 * against ranges (the machine is shared), expiration counts exactly where they are
 * determined. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static long ms_between(struct timespec a, struct timespec b) {
    return (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
}

static struct itimerspec spec(long value_ms, long interval_ms) {
    struct itimerspec s = {{interval_ms / 1000, (interval_ms % 1000) * 1000000},
                           {value_ms / 1000, (value_ms % 1000) * 1000000}};
    return s;
}

int main(void) {
    struct timespec t0, t1;
    uint64_t ticks = 0;
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    printf("created: %s\n", fd >= 0 ? "yes" : "no");
    char link[64], target[64] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("link: %s\n", target);

    /* A disarmed timer: gettime is zero, a non-blocking read has nothing. */
    struct itimerspec cur;
    show("gettime disarmed", timerfd_gettime(fd, &cur));
    printf("disarmed value %ld.%09ld interval %ld\n", (long)cur.it_value.tv_sec,
           cur.it_value.tv_nsec, (long)cur.it_interval.tv_sec);

    /* One shot of 50 ms: a blocking read waits for it and counts 1. */
    struct itimerspec s = spec(50, 0), old;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show("settime 50 ms", timerfd_settime(fd, 0, &s, &old));
    timerfd_gettime(fd, &cur);
    printf("remaining within 50 ms: %s\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 50000000 ? "yes" : "no");
    show("blocking read", read(fd, &ticks, 8));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("ticks %llu after at least 45 ms: %s\n", (unsigned long long)ticks, ms_between(t0, t1) >= 45 ? "yes" : "no");
    timerfd_gettime(fd, &cur);
    printf("expired one-shot gettime zero: %s\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0 ? "yes" : "no");

    /* Periodic: 20 ms, then read after ~110 ms sees several expirations at once. */
    close(fd);
    fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    show("read before arming", read(fd, &ticks, 8));
    s = spec(20, 20);
    timerfd_settime(fd, 0, &s, NULL);
    usleep(110000);
    show("periodic read", read(fd, &ticks, 8));
    printf("several expirations: %s\n", ticks >= 3 ? "yes" : "no");
    show("read again at once", read(fd, &ticks, 8));
    show("short buffer", read(fd, &ticks, 4));
    show("write", write(fd, &ticks, 8));
    timerfd_gettime(fd, &cur);
    printf("interval kept: %ld ms\n", cur.it_interval.tv_nsec / 1000000);

    /* poll and epoll see it readable when it expires. */
    struct pollfd p = {.fd = fd, .events = POLLIN};
    show("poll", poll(&p, 1, 1000));
    printf("poll revents POLLIN: %s\n", p.revents & POLLIN ? "yes" : "no");
    read(fd, &ticks, 8);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7}, got;
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    show("epoll_wait", epoll_wait(ep, &got, 1, 1000));
    printf("epoll data: %llu\n", (unsigned long long)got.data.u64);

    /* Disarm returns the old setting. */
    s = spec(0, 0);
    show("disarm", timerfd_settime(fd, 0, &s, &old));
    printf("old interval %ld ms\n", old.it_interval.tv_nsec / 1000000);
    usleep(30000);
    read(fd, &ticks, 8);
    show("read after disarm", read(fd, &ticks, 8));

    /* ABSTIME: a time already past fires at once; on CLOCK_REALTIME too. */
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    s.it_interval.tv_sec = 0;
    s.it_interval.tv_nsec = 0;
    /* A millisecond ago (a sandbox's monotonic clock may be under a second old). */
    s.it_value = now;
    if (s.it_value.tv_nsec >= 1000000) {
        s.it_value.tv_nsec -= 1000000;
    } else {
        s.it_value.tv_sec -= 1;
        s.it_value.tv_nsec += 999000000;
    }
    show("abstime in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &s, NULL));
    usleep(1000);
    show("read", read(fd, &ticks, 8));
    printf("ticks %llu\n", (unsigned long long)ticks);
    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    clock_gettime(CLOCK_REALTIME, &now);
    s.it_value = now;
    s.it_value.tv_nsec += 30000000;
    if (s.it_value.tv_nsec >= 1000000000) {
        s.it_value.tv_nsec -= 1000000000;
        s.it_value.tv_sec++;
    }
    show("realtime abstime +30 ms", timerfd_settime(rt, TFD_TIMER_ABSTIME, &s, NULL));
    show("read at once", read(rt, &ticks, 8));
    p.fd = rt;
    show("poll until it fires", poll(&p, 1, 2000));
    show("read", read(rt, &ticks, 8));

    /* Errors. */
    errno = 0;
    show("bad clock", timerfd_create(99, 0));
    show("CLOCK_PROCESS_CPUTIME_ID", timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
    show("bad create flags", timerfd_create(CLOCK_MONOTONIC, 0x10));
    show("bad settime flags", timerfd_settime(fd, 0x10, &s, NULL));
    s.it_value.tv_nsec = 1000000000;
    show("nsec too big", timerfd_settime(fd, 0, &s, NULL));
    s.it_value.tv_nsec = 0;
    s.it_value.tv_sec = -1;
    show("negative seconds", timerfd_settime(fd, 0, &s, NULL));
    show("settime bad pointer", syscall(SYS_timerfd_settime, fd, 0, (void *)8, NULL));
    show("gettime bad pointer", syscall(SYS_timerfd_gettime, fd, (void *)8));
    show("settime on an epoll descriptor", timerfd_settime(ep, 0, &s, NULL));
    show("gettime bad fd", timerfd_gettime(999, &cur));
    return 0;
}
