/* Process odds and ends: PR_SET_PDEATHSIG fires when the parent exits, the CPU time
 * of waited-for children shows in getrusage(RUSAGE_CHILDREN) and times(), and an
 * orphan's /proc/self/stat names its new parent. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        pid_t grandchild = fork();
        if (grandchild == 0) {
            close(p[0]);
            prctl(PR_SET_PDEATHSIG, SIGTERM);
            int sig = 0;
            prctl(PR_GET_PDEATHSIG, &sig);
            write(p[1], sig == SIGTERM ? "y" : "n", 1);
            for (;;)
                pause();
        }
        char c;
        close(p[1]);
        read(p[0], &c, 1); /* the grandchild is set up */
        _exit(c == 'y' ? 0 : 1);
    }
    close(p[1]);
    int status;
    waitpid(child, &status, 0);
    printf("child (PR_GET_PDEATHSIG gave SIGTERM: 0): exited %d\n", WEXITSTATUS(status));
    char c;
    /* The pipe reaches EOF once the grandchild is gone: killed when its parent exited. */
    long n = read(p[0], &c, 1);
    printf("grandchild gone after its parent exited (EOF): %s\n", n == 0 ? "yes" : "no");

    struct rusage before;
    getrusage(RUSAGE_CHILDREN, &before);
    pid_t busy = fork();
    if (busy == 0) {
        volatile unsigned long x = 0;
        for (unsigned long i = 0; i < 300000000UL; i++)
            x += i;
        _exit(0);
    }
    struct rusage during;
    getrusage(RUSAGE_CHILDREN, &during);
    waitpid(busy, &status, 0);
    struct rusage after;
    getrusage(RUSAGE_CHILDREN, &after);
    double b = during.ru_utime.tv_sec + during.ru_utime.tv_usec / 1e6 - before.ru_utime.tv_sec -
               before.ru_utime.tv_usec / 1e6;
    double a = after.ru_utime.tv_sec + after.ru_utime.tv_usec / 1e6 - before.ru_utime.tv_sec -
               before.ru_utime.tv_usec / 1e6;
    printf("RUSAGE_CHILDREN unchanged before the wait: %s\n", b == 0 ? "yes" : "no");
    printf("RUSAGE_CHILDREN grew by the child's CPU time (> 50 ms): %s\n", a > 0.05 ? "yes" : "no");
    struct tms t;
    times(&t);
    printf("times() reports children's user time: %s\n", t.tms_cutime > 0 ? "yes" : "no");
    /* An orphan: its /proc/self/stat ppid follows getppid() after reparenting. */
    int q[2], r[2];
    pipe(q);
    pipe(r);
    pid_t middle = fork();
    if (middle == 0) {
        if (fork() == 0) {
            char b;
            close(q[1]);
            close(r[0]);
            read(q[0], &b, 1); /* EOF once the middle process and main closed q */
            FILE *f = fopen("/proc/self/stat", "r");
            char line[512] = "";
            int ppid = -1;
            if (f && fgets(line, sizeof line, f) && strrchr(line, ')'))
                sscanf(strrchr(line, ')') + 4, "%d", &ppid);
            write(r[1], ppid == getppid() ? "y" : "n", 1);
            _exit(0);
        }
        _exit(0);
    }
    close(q[1]);
    close(r[1]);
    waitpid(middle, &status, 0);
    close(q[0]);
    char answer = '?';
    read(r[0], &answer, 1);
    printf("orphan's /proc/self/stat ppid == getppid(): %s\n", answer == 'y' ? "yes" : "no");
    puts("done");
    return 0;
}
