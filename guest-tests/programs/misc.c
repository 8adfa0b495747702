/* misc: process identity, uname, rlimits, affinity and sched_yield. */
#include "common.h"
#include <sched.h>
#include <sys/resource.h>
#include <sys/utsname.h>

int main(void) {
    YESNO("getpid == gettid", getpid() == gettid());
    YESNO("getpid > 0", getpid() > 0);
    /* The sandbox's first process is pid 1 with parent 0, as in a pid namespace. */
    YESNO("getppid != getpid", getppid() != getpid());
    YESNO("getpid stable", getpid() == syscall(SYS_getpid));

    struct utsname u;
    SHOW("uname", uname(&u));
    printf("sysname=%s\nmachine=%s\n", u.sysname, u.machine);
    YESNO("release nonempty", u.release[0] != 0);
    SHOW("uname bad pointer", syscall(SYS_uname, BADPTR));

    struct rlimit rl;
    SHOW("getrlimit RLIMIT_STACK", getrlimit(RLIMIT_STACK, &rl));
    YESNO("stack cur > 0", rl.rlim_cur > 0);
    YESNO("stack cur <= max", rl.rlim_cur <= rl.rlim_max);
    struct rlimit old;
    SHOW("prlimit64 RLIMIT_STACK", syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, &old));
    YESNO("prlimit64 agrees with getrlimit", old.rlim_cur == rl.rlim_cur && old.rlim_max == rl.rlim_max);
    SHOW("getrlimit RLIMIT_NOFILE", getrlimit(RLIMIT_NOFILE, &rl));
    YESNO("nofile cur > 0", rl.rlim_cur > 0);
    SHOW("getrlimit bad resource", getrlimit(100, &rl));
    SHOW("prlimit64 bad resource", syscall(SYS_prlimit64, 0, 100, NULL, &old));

    cpu_set_t set;
    CPU_ZERO(&set);
    long bytes = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
    YESNO("sched_getaffinity returns a positive byte count", bytes > 0);
    YESNO("byte count is a multiple of 8", bytes > 0 && bytes % 8 == 0);
    YESNO("at least one cpu", CPU_COUNT(&set) >= 1);
    SHOW("sched_getaffinity bad pointer", syscall(SYS_sched_getaffinity, 0, sizeof set, BADPTR));
    SHOW("sched_yield", sched_yield());
    return 0;
}
