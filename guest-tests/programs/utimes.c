/* utimes: the older time-setting calls (utime, utimes, futimesat) next to utimensat,
 * with their errors. Runs in a scratch directory (the harness's fixture copy). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static void show(const char *what, long rc) {
    struct stat st;
    if (rc != 0) {
        printf("%s: %ld %s\n", what, rc, strerror(errno));
        return;
    }
    stat("times.dat", &st);
    printf("%s: ok atime %lld.%09ld mtime %lld.%09ld\n", what, (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* A time set to "now" is checked for being recent, not printed. */
static void show_now(const char *what, long rc) {
    struct stat st;
    struct timespec now;
    if (rc != 0) {
        printf("%s: %ld %s\n", what, rc, strerror(errno));
        return;
    }
    stat("times.dat", &st);
    clock_gettime(CLOCK_REALTIME, &now);
    int recent = now.tv_sec - st.st_mtim.tv_sec < 60 && now.tv_sec - st.st_atim.tv_sec < 60;
    printf("%s: ok, now: %s\n", what, recent ? "yes" : "no");
}

int main(void) {
    int fd = open("times.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return 1;
    struct utimbuf ub = {.actime = 1000000000, .modtime = 1200000000};
    show("utime", utime("times.dat", &ub));
    show_now("utime NULL", utime("times.dat", NULL));

    struct timeval tv[2] = {{1300000000, 123456}, {1400000000, 654321}};
    show("utimes", utimes("times.dat", tv));
    show_now("utimes NULL", utimes("times.dat", NULL));
    struct timeval bad[2] = {{1, 1000000}, {2, 0}};
    errno = 0;
    show("utimes usec 1000000", utimes("times.dat", bad));
    bad[0].tv_usec = -1;
    errno = 0;
    show("utimes usec -1", utimes("times.dat", bad));

    int dir = open(".", O_RDONLY | O_DIRECTORY);
    tv[0].tv_sec = 1500000000;
    show("futimesat", syscall(SYS_futimesat, dir, "times.dat", tv));
    tv[1].tv_sec = 1600000000;
    show("futimesat on the fd, NULL path", syscall(SYS_futimesat, fd, NULL, tv));
    errno = 0;
    show("futimesat AT_FDCWD, NULL path", syscall(SYS_futimesat, AT_FDCWD, NULL, tv));
    errno = 0;
    show("utimensat AT_FDCWD, NULL path", syscall(SYS_utimensat, AT_FDCWD, NULL, NULL, 0));
    errno = 0;
    show("futimesat bad fd", syscall(SYS_futimesat, 999, "times.dat", tv));
    errno = 0;
    show("futimesat not a directory", syscall(SYS_futimesat, fd, "times.dat", tv));

    errno = 0;
    show("utime missing file", utime("no-such-file", &ub));
    errno = 0;
    show("utimes missing file", utimes("no-such-file", tv));
    errno = 0;
    show("utime bad times pointer", syscall(SYS_utime, "times.dat", (void *)8));
    errno = 0;
    show("utimes bad times pointer", syscall(SYS_utimes, "times.dat", (void *)8));
    errno = 0;
    show("utimes bad path pointer", syscall(SYS_utimes, (void *)8, tv));
    close(dir);
    close(fd);
    unlink("times.dat");
    return 0;
}
