#define _GNU_SOURCE
/* Advisory locks between processes: fcntl record locks (conflicts, F_GETLK's holder,
 * F_SETLKW waiting for another process), OFD locks, flock, and release at close and
 * exit. The child reports through a pipe so that the output order is fixed. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static int report = -1; /* the child's pipe to the parent, or -1 in the parent */

static void say(const char *fmt, ...) {
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (report >= 0)
        write(report, line, n);
    else
        fputs(line, stdout);
}

static void show(const char *what, int r) {
    say("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static int lock(int fd, int cmd, short type, off_t start, off_t len) {
    struct flock l = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &l);
}

int main(void) {
    char path[64];
    snprintf(path, sizeof path, "locks-%d.dat", getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    show("parent: write lock on 10..30", lock(fd, F_SETLK, F_WRLCK, 10, 20));
    show("parent: read lock on 40..", lock(fd, F_SETLK, F_RDLCK, 40, 0));
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        close(p[0]);
        report = p[1];
        show("child: write lock on 0..15", lock(fd, F_SETLK, F_WRLCK, 0, 15));
        struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 15};
        fcntl(fd, F_GETLK, &q);
        say("child: F_GETLK finds type %s at %ld len %ld, held by the parent: %s\n",
            q.l_type == F_WRLCK ? "F_WRLCK" : q.l_type == F_RDLCK ? "F_RDLCK" : "F_UNLCK",
            (long)q.l_start, (long)q.l_len, q.l_pid == getppid() ? "yes" : "no");
        show("child: read lock on 50..60 (readers share)", lock(fd, F_SETLK, F_RDLCK, 50, 10));
        show("child: write lock on 30..35 (free)", lock(fd, F_SETLK, F_WRLCK, 30, 5));
        show("child: OFD write lock on 100..", lock(fd, F_OFD_SETLK, F_WRLCK, 100, 0));
        int fd2 = open(path, O_RDWR);
        show("child: flock LOCK_EX|LOCK_NB", flock(fd2, LOCK_EX | LOCK_NB));
        write(report, "", 0);
        show("child: F_SETLKW on 12 (waits for the parent's unlock)",
             lock(fd, F_SETLKW, F_WRLCK, 12, 1));
        _exit(0);
    }
    close(p[1]);
    usleep(100000);
    int fd3 = open(path, O_RDWR);
    show("parent: flock LOCK_EX|LOCK_NB while the child holds one", flock(fd3, LOCK_EX | LOCK_NB));
    show("parent: OFD lock on 100.. held by the child's description",
         lock(fd3, F_OFD_SETLK, F_RDLCK, 100, 1));
    show("parent: unlock 10..30", lock(fd, F_SETLK, F_UNLCK, 10, 20));
    int status;
    waitpid(child, &status, 0);
    char buf[4096];
    long n, got = 0;
    while ((n = read(p[0], buf + got, sizeof buf - 1 - got)) > 0)
        got += n;
    buf[got] = 0;
    fputs(buf, stdout);
    printf("child exited %d\n", WEXITSTATUS(status));
    show("parent: flock LOCK_EX|LOCK_NB after the child exited", flock(fd3, LOCK_EX | LOCK_NB));
    show("parent: write lock on 0..200 after the child exited", lock(fd3, F_SETLK, F_WRLCK, 0, 200));
    close(fd3); /* closing any descriptor of the file drops this process's record locks */
    pid_t again = fork();
    if (again == 0)
        _exit(lock(fd, F_SETLK, F_WRLCK, 0, 200) == 0 ? 0 : 1);
    waitpid(again, &status, 0);
    printf("another process may lock after the close: %s\n", WEXITSTATUS(status) == 0 ? "yes" : "no");
    unlink(path);
    puts("done");
    return 0;
}
