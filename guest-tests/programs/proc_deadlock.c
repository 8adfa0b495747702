#define _GNU_SOURCE
/* F_SETLKW deadlock detection: the parent holds byte 0 and the child byte 1; the
 * child sleeps waiting for byte 0, so the parent asking for byte 1 would wait forever
 * and gets EDEADLK instead (OFD locks have no such check). After the parent unlocks,
 * the child gets its lock. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int lock(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

int main(void) {
    char path[] = "deadlock.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || write(fd, "xy", 2) != 2)
        return 1;
    unlink(path);
    int ready[2];
    if (pipe(ready) != 0)
        return 1;
    printf("parent: lock byte 0: %d\n", lock(fd, F_SETLK, F_WRLCK, 0, 1));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int r = lock(fd, F_SETLK, F_WRLCK, 1, 1);
        write(ready[1], "r", 1);
        int w = lock(fd, F_SETLKW, F_WRLCK, 0, 1);
        printf("child: lock byte 1: %d, then waited for byte 0: %d\n", r, w);
        fflush(stdout);
        _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    usleep(200 * 1000); /* the child is asleep in F_SETLKW by now */
    int r = lock(fd, F_SETLKW, F_WRLCK, 1, 1);
    printf("parent: F_SETLKW on byte 1: %d %s\n", r, r < 0 ? strerror(errno) : "");
    fflush(stdout);
    int unlocked = lock(fd, F_SETLK, F_UNLCK, 0, 1);
    int status;
    waitpid(pid, &status, 0);
    printf("parent: unlock byte 0: %d\n", unlocked);
    printf("parent: F_SETLKW on byte 1 after the child exited: %d\n", lock(fd, F_SETLKW, F_WRLCK, 1, 1));
    puts("done");
    return 0;
}
