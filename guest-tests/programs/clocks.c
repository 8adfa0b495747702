/* clocks: clock_gettime/getres, nanosleep, clock_nanosleep, gettimeofday and time. */
#include "common.h"
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }
static long long now(clockid_t c) {
    struct timespec t = {0, 0};
    if (clock_gettime(c, &t) != 0) return -1;
    return ns(t);
}

int main(void) {
    struct timespec t, prev;
    int ok = 1;
    clock_gettime(CLOCK_MONOTONIC, &prev);
    for (int i = 0; i < 100000; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t);
        ok &= ns(t) >= ns(prev) && t.tv_nsec >= 0 && t.tv_nsec < 1000000000;
        prev = t;
    }
    printf("monotonic non-decreasing: %s\n", ok ? "ok" : "NO");

    clock_gettime(CLOCK_REALTIME, &t);
    YESNO("realtime after 2020", t.tv_sec > 1577836800);
    YESNO("realtime before 2100", t.tv_sec < 4102444800);

    clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME,
                       CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};
    const char *names[] = {"REALTIME", "MONOTONIC", "MONOTONIC_RAW", "BOOTTIME",
                           "PROCESS_CPUTIME_ID", "THREAD_CPUTIME_ID"};
    for (int i = 0; i < 6; i++) {
        int r = clock_getres(ids[i], &t);
        printf("clock_getres %s: %d %ld.%09ld\n", names[i], r, (long)t.tv_sec, t.tv_nsec);
        YESNO("  gettime works", clock_gettime(ids[i], &t) == 0);
    }
    YESNO("coarse monotonic within 1 s",
          llabs(now(CLOCK_MONOTONIC_COARSE) - now(CLOCK_MONOTONIC)) < 1000000000LL);
    long long mono = now(CLOCK_MONOTONIC);
    YESNO("boottime >= monotonic", now(CLOCK_BOOTTIME) >= mono);

    long long t0 = now(CLOCK_MONOTONIC);
    struct timespec req = {0, 10 * 1000 * 1000};
    SHOW("nanosleep 10 ms", nanosleep(&req, NULL));
    long long slept = now(CLOCK_MONOTONIC) - t0;
    YESNO("slept >= 10 ms", slept >= 10000000LL);
    YESNO("slept < 5 s", slept < 5000000000LL);

    long long target = now(CLOCK_MONOTONIC) + 20000000LL;
    struct timespec abs = {target / 1000000000LL, target % 1000000000LL};
    printf("clock_nanosleep TIMER_ABSTIME: %d\n", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL));
    YESNO("woke after the deadline", now(CLOCK_MONOTONIC) >= target);
    req.tv_nsec = 1000000;
    printf("clock_nanosleep relative: %d\n", clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL));

    struct timeval tv;
    SHOW("gettimeofday", gettimeofday(&tv, NULL));
    clock_gettime(CLOCK_REALTIME, &t);
    YESNO("gettimeofday within 1 s of CLOCK_REALTIME", llabs((long long)tv.tv_sec - t.tv_sec) <= 1);
    time_t tt = time(NULL);
    YESNO("time() within 1 s of CLOCK_REALTIME", llabs((long long)tt - t.tv_sec) <= 1);

    long long c0 = now(CLOCK_PROCESS_CPUTIME_ID), w0 = now(CLOCK_MONOTONIC);
    volatile unsigned long spin = 0;
    while (now(CLOCK_MONOTONIC) - w0 < 30000000LL) spin++;
    YESNO("process cputime advanced while spinning", now(CLOCK_PROCESS_CPUTIME_ID) > c0);

    /* errors, with raw syscalls (no vDSO) */
    SHOW("clock_gettime bad clock", syscall(SYS_clock_gettime, 1000, &t));
    SHOW("clock_getres bad clock", syscall(SYS_clock_getres, 1000, &t));
    SHOW("clock_gettime bad pointer", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BADPTR));
    SHOW("clock_getres NULL", syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
    struct timespec bad = {0, 1000000000};
    SHOW("nanosleep tv_nsec 1e9", nanosleep(&bad, NULL));
    bad.tv_sec = -1, bad.tv_nsec = 0;
    SHOW("nanosleep negative", nanosleep(&bad, NULL));
    SHOW("nanosleep bad pointer", syscall(SYS_nanosleep, BADPTR, NULL));
    printf("clock_nanosleep bad clock: %d\n", clock_nanosleep(1000, 0, &req, NULL));
    printf("clock_nanosleep THREAD_CPUTIME: %d\n", clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL));
    return 0;
}
