/* select_table: select looks only at descriptors the process's descriptor table has
 * room for (at least 64, grown as higher descriptors are used); closed ones below
 * that give EBADF. The table of a forked child is sized for its open descriptors,
 * so the child starts from a known size whatever the runner passed down. */
#include "common.h"
#include <sys/select.h>
#include <sys/wait.h>

static void probe(const char *label, int fd) {
    fd_set r;
    FD_ZERO(&r);
    FD_SET(fd, &r);
    struct timeval tv = {0, 0};
    SHOW(label, select(fd + 1, &r, NULL, NULL, &tv));
}

int main(void) {
    close_range(3, ~0U, 0);
    pid_t pid = fork();
    if (pid == 0) {
        probe("closed fd 63 (inside the table)", 63);
        probe("closed fd 90 (beyond the table)", 90);
        probe("closed fd 1000 (beyond the table)", 1000);
        SHOW("dup2 to 100", dup2(1, 100));
        SHOW("close 100", close(100));
        probe("closed fd 90 after the table grew", 90);
        probe("closed fd 127", 127);
        probe("closed fd 128 (beyond 128)", 128);
        SHOW("dup2 to 300", dup2(1, 300));
        probe("closed fd 511", 511);
        probe("closed fd 512", 512);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child status %d\n", status);
    return 0;
}
