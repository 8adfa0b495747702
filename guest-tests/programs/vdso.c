/* vdso: the vDSO exists (AT_SYSINFO_EHDR), and its clocks agree with the syscalls':
 * readings interleaved with raw syscalls never go backwards, and realtime from both
 * paths is within a second. */
#include "common.h"
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(void) {
    unsigned char *ehdr = (unsigned char *)getauxval(AT_SYSINFO_EHDR);
    YESNO("AT_SYSINFO_EHDR present", ehdr != NULL);
    YESNO("it is an ELF image", ehdr && ehdr[0] == 0x7f && ehdr[1] == 'E' && ehdr[2] == 'L' && ehdr[3] == 'F');
    int backwards = 0;
    for (int i = 0; i < 200; i++) {
        struct timespec a, b, c;
        clock_gettime(CLOCK_MONOTONIC, &a);
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
        clock_gettime(CLOCK_MONOTONIC, &c);
        if (ns(b) < ns(a) || ns(c) < ns(b))
            backwards++;
    }
    printf("monotonic readings going backwards: %d\n", backwards);
    struct timespec r1, r2;
    struct timeval tv;
    clock_gettime(CLOCK_REALTIME, &r1);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &r2);
    gettimeofday(&tv, NULL);
    long long diff = ns(r2) - ns(r1);
    YESNO("realtime: vDSO and syscall within a second", diff > -1000000000LL && diff < 1000000000LL);
    YESNO("gettimeofday agrees with clock_gettime", tv.tv_sec - r2.tv_sec <= 1 && tv.tv_sec >= r2.tv_sec);
    YESNO("time() agrees", time(NULL) - tv.tv_sec <= 1);
    return 0;
}
