/* proc_subreaper: with PR_SET_CHILD_SUBREAPER, orphaned descendants are reparented to
 * this process instead of init: it sees them as children (getppid, wait), also one
 * that was a zombie already when its parent died. */
#include "common.h"
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static volatile sig_atomic_t sigchld;
static void on_chld(int s) { (void)s; sigchld++; }

static int scenario(void) {
    int flag = -1;
    SHOW("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &flag));
    printf("flag %d\n", flag);
    SHOW("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
    SHOW("PR_GET_CHILD_SUBREAPER", prctl(PR_GET_CHILD_SUBREAPER, &flag));
    printf("flag %d\n", flag);
    pid_t me = getpid();
    int p[2];
    if (pipe(p) != 0)
        return 1;

    /* A living grandchild outlives its parent. */
    pid_t a = fork();
    if (a == 0) {
        if (fork() == 0) {
            usleep(200 * 1000);
            char c = getppid() == me ? 'y' : 'n';
            write(p[1], &c, 1);
            _exit(7);
        }
        _exit(0);
    }
    int status;
    waitpid(a, &status, 0);
    printf("middle child exited %d\n", WEXITSTATUS(status));
    char c = 0;
    read(p[0], &c, 1);
    printf("grandchild's parent is the subreaper: %s\n", c == 'y' ? "yes" : "no");
    pid_t got = wait(&status);
    printf("wait reaps the grandchild: %s, status %d\n", got > 0 && got != a ? "yes" : "no",
           WEXITSTATUS(status));

    /* A grandchild that is a zombie when its parent dies. */
    signal(SIGCHLD, on_chld);
    a = fork();
    if (a == 0) {
        if (fork() == 0)
            _exit(5);
        usleep(100 * 1000);
        _exit(0);
    }
    waitpid(a, &status, 0);
    usleep(100 * 1000);
    printf("SIGCHLD: %s\n", sigchld >= 1 ? "yes" : "no");
    got = waitpid(-1, &status, WNOHANG);
    printf("the zombie grandchild is ours: %s, status %d\n", got > 0 ? "yes" : "no",
           WEXITSTATUS(status));
    SHOW("no more children", waitpid(-1, &status, WNOHANG));
    return 0;
}

int main(void) {
    /* Run by a child: in the sandbox the first process is init, which gets orphans
     * anyway. */
    fflush(stdout);
    pid_t s = fork();
    if (s == 0) {
        int r = scenario();
        fflush(stdout);
        _exit(r);
    }
    int status;
    waitpid(s, &status, 0);
    printf("scenario exited %d\n", WEXITSTATUS(status));
    puts("done");
    return 0;
}
