/* fd_limit: RLIMIT_NOFILE is the host's as the sandbox starts, and it bounds every
 * way of making a descriptor (open, dup2, F_DUPFD, poll's nfds, getdtablesize). */
#include "common.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>

int main(void) {
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    printf("RLIMIT_NOFILE: %llu %llu\n", (unsigned long long)r.rlim_cur,
           (unsigned long long)r.rlim_max);
    struct rlimit low = {64, r.rlim_max};
    printf("setrlimit to 64: %d\n", setrlimit(RLIMIT_NOFILE, &low));
    printf("getdtablesize: %d\n", getdtablesize());
    int last = -1, fd;
    while ((fd = open("/dev/null", O_RDONLY)) >= 0)
        last = fd;
    printf("opens stop after fd %d with %s\n", last, errname(errno));
    close(last);
    printf("dup2 to 64: %s\n", dup2(0, 64) < 0 ? errname(errno) : "made");
    printf("dup2 to 63: %d\n", dup2(0, 63));
    printf("F_DUPFD from 64: %s\n", fcntl(0, F_DUPFD, 64) < 0 ? errname(errno) : "made");
    struct pollfd p[65] = {{0}};
    for (int i = 0; i < 65; i++)
        p[i].fd = -1;
    printf("poll of 65 fds: %s\n", poll(p, 65, 0) < 0 ? errname(errno) : "polled");
    printf("poll of 64 fds: %d\n", poll(p, 64, 0));
    printf("soft above hard: %s\n",
           setrlimit(RLIMIT_NOFILE, &(struct rlimit){r.rlim_max + 1, r.rlim_max}) < 0
               ? errname(errno)
               : "set");
    struct rlimit back = {r.rlim_cur, r.rlim_max};
    printf("back to the start: %d\n", setrlimit(RLIMIT_NOFILE, &back));
    printf("open after that: %s\n", open("/dev/null", O_RDONLY) >= 64 ? "fd 64 or above" : "lower");
    return 0;
}
