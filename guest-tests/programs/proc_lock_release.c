#define _GNU_SOURCE
/* A process's record locks on a file go when it closes any descriptor of the file,
 * however it is closed: close, dup2 over it, close_range, close-on-exec at execve.
 * A child checks with F_GETLK after each. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *path = "lock_release.dat";

static int lock(int fd, short type) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(fd, F_SETLK, &fl);
}

/* What another process sees: the lock type on the file. */
static const char *seen(void) {
    int fds[2];
    if (pipe(fds) != 0)
        return "pipe failed";
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(path, O_RDWR);
        struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        char c = fcntl(fd, F_GETLK, &fl) != 0 ? '?' : fl.l_type == F_UNLCK ? 'u' : 'L';
        write(fds[1], &c, 1);
        _exit(0);
    }
    char c = '?';
    read(fds[0], &c, 1);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    close(fds[1]);
    return c == 'L' ? "locked" : c == 'u' ? "unlocked" : "error";
}

int main(int argc, char **argv) {
    if (argc > 1) { /* after execve: the close-on-exec descriptor took the lock along */
        printf("after execve closed a close-on-exec descriptor: %s\n", seen());
        puts("done");
        return 0;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int r = lock(fd, F_WRLCK);
    printf("lock: %d, another process sees it %s\n", r, seen());
    int other = open(path, O_RDONLY);
    int null = open("/dev/null", O_RDONLY);
    dup2(null, other);
    printf("after dup2 over another descriptor of the file: %s\n", seen());
    lock(fd, F_WRLCK);
    other = open(path, O_RDONLY);
    printf("locked again: %s\n", seen());
    close_range(other, other, 0);
    printf("after close_range of another descriptor: %s\n", seen());
    lock(fd, F_WRLCK);
    open(path, O_RDONLY | O_CLOEXEC);
    printf("locked again: %s\n", seen());
    fflush(stdout);
    execl("/proc/self/exe", argv[0], "again", (char *)NULL);
    perror("execl");
    return 1;
}
