/* proc_state: /proc/[pid]/stat and status show a process blocked in a wait as
 * sleeping (S), one stopped by SIGSTOP as T, an exited one not yet reaped as a zombie
 * (Z, until its parent waits for it), and the reader itself as running (R). */
#include "common.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>

static char state_of(const char *path) {
    char buf[512] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return '?';
    read(fd, buf, sizeof buf - 1);
    close(fd);
    char *close_paren = strrchr(buf, ')');
    return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

int main(void) {
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(p[0], &c, 1); /* blocks until the parent writes */
        _exit(0);
    }
    usleep(200 * 1000);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", child);
    printf("child blocked in read: %c\n", state_of(path));
    printf("self: %c\n", state_of("/proc/self/stat"));
    snprintf(path, sizeof path, "/proc/%d/status", child);
    char buf[2048] = {0};
    int fd = open(path, O_RDONLY);
    read(fd, buf, sizeof buf - 1);
    close(fd);
    YESNO("status says sleeping", strstr(buf, "State:\tS (sleeping)") != NULL);
    snprintf(path, sizeof path, "/proc/%d/stat", child);
    kill(child, SIGSTOP);
    usleep(100 * 1000);
    printf("child after SIGSTOP: %c\n", state_of(path));
    kill(child, SIGCONT);
    write(p[1], "x", 1);
    usleep(200 * 1000);
    printf("child exited, not waited for: %c\n", state_of(path));
    waitpid(child, NULL, 0);
    YESNO("reaped: gone from /proc", access(path, F_OK) != 0);
    puts("done");
    return 0;
}
