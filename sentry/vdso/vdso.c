/* The sandbox's vDSO: time without a VM exit. The sentry fills the page just below
 * this image ("vvar") with its clock's TSC parameters once; every reading here is
 * the same clock the sentry's syscalls read. Unknown clocks fall back to the syscall. */
#include <stdint.h>
#include <stddef.h>

struct timespec_k { int64_t tv_sec; int64_t tv_nsec; };
struct timeval_k { int64_t tv_sec; int64_t tv_usec; };
struct timezone_k { int tz_minuteswest; int tz_dsttime; };

/* Must match sentry/src/services/clock.rs (VvarPage). */
struct vvar {
    uint64_t ready;        /* non-zero once the parameters below are valid */
    uint64_t tsc_base;     /* guest TSC at mono_base_ns */
    uint64_t mono_base_ns; /* CLOCK_MONOTONIC at tsc_base */
    uint64_t real_base_ns; /* CLOCK_REALTIME at tsc_base */
    uint64_t mult;         /* ns = (ticks * mult) >> shift */
    uint64_t shift;
};

extern const char __ehdr_start[] __attribute__((visibility("hidden")));

static inline const volatile struct vvar *vvar(void) {
    return (const volatile struct vvar *)(__ehdr_start - 4096);
}

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static long syscall2(long nr, long a, long b) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

static uint64_t mono_ns(const volatile struct vvar *v) {
    uint64_t ticks = rdtsc() - v->tsc_base;
    return v->mono_base_ns + (uint64_t)(((unsigned __int128)ticks * v->mult) >> v->shift);
}

static uint64_t real_ns(const volatile struct vvar *v) {
    return mono_ns(v) - v->mono_base_ns + v->real_base_ns;
}

int __vdso_clock_gettime(int id, struct timespec_k *ts) {
    const volatile struct vvar *v = vvar();
    uint64_t ns;
    if (!v->ready)
        return (int)syscall2(228, id, (long)ts);
    switch (id) {
    case 1: case 4: case 6: case 7: /* MONOTONIC, _RAW, _COARSE, BOOTTIME */
        ns = mono_ns(v);
        break;
    case 0: case 5: /* REALTIME, _COARSE */
        ns = real_ns(v);
        break;
    case 11: /* TAI */
        ns = real_ns(v) + 37000000000ull;
        break;
    default:
        return (int)syscall2(228, id, (long)ts);
    }
    ts->tv_sec = (int64_t)(ns / 1000000000ull);
    ts->tv_nsec = (int64_t)(ns % 1000000000ull);
    return 0;
}

int __vdso_gettimeofday(struct timeval_k *tv, struct timezone_k *tz) {
    const volatile struct vvar *v = vvar();
    if (!v->ready)
        return (int)syscall2(96, (long)tv, (long)tz);
    if (tv) {
        uint64_t ns = real_ns(v);
        tv->tv_sec = (int64_t)(ns / 1000000000ull);
        tv->tv_usec = (int64_t)(ns % 1000000000ull / 1000);
    }
    if (tz) {
        tz->tz_minuteswest = 0;
        tz->tz_dsttime = 0;
    }
    return 0;
}

int64_t __vdso_time(int64_t *t) {
    const volatile struct vvar *v = vvar();
    int64_t now;
    if (!v->ready)
        return syscall2(201, (long)t, 0);
    now = (int64_t)(real_ns(v) / 1000000000ull);
    if (t)
        *t = now;
    return now;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *unused) {
    (void)unused;
    if (cpu)
        *cpu = 0;
    if (node)
        *node = 0;
    return 0;
}

int __vdso_clock_getres(int id, struct timespec_k *res) {
    return (int)syscall2(229, id, (long)res);
}

int clock_gettime(int, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct timeval_k *, struct timezone_k *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
int clock_getres(int, struct timespec_k *) __attribute__((weak, alias("__vdso_clock_getres")));
