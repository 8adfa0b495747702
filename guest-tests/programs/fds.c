/* fds: dup/dup2/dup3/fcntl on stdout, fstat, ioctl and the EBADF/EFAULT/EINVAL cases.
 * stdin is /dev/null and stdout a pipe (the harness guarantees both). */
#include "common.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

static void put(int fd, const char *s) {
    long n = write(fd, s, strlen(s));
    printf("write to fd %d: %ld\n", fd, n);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[16];
    SHOW("write bad pointer", write(1, BADPTR, 10));
    SHOW("write 0 bytes", write(1, buf, 0));
    SHOW("read closed fd", read(50, buf, sizeof buf));
    SHOW("write closed fd", write(50, "x", 1));
    SHOW("read stdout (write end of a pipe)", read(1, buf, sizeof buf));
    SHOW("write stdin (/dev/null, read-only)", write(0, "x", 1));
    SHOW("read /dev/null", read(0, buf, sizeof buf));

    int d = dup(1);
    printf("dup(1) = %d\n", d);
    put(d, "through dup\n");
    SHOW("dup2(1, 10)", dup2(1, 10));
    put(10, "through dup2\n");
    SHOW("dup3(1, 11, O_CLOEXEC)", dup3(1, 11, O_CLOEXEC));
    put(11, "through dup3\n");
    SHOW("F_GETFD 10", fcntl(10, F_GETFD));
    SHOW("F_GETFD 11", fcntl(11, F_GETFD));
    SHOW("dup2 same fd", dup2(1, 1));
    SHOW("dup3 same fd", dup3(1, 1, 0));
    SHOW("dup3 bad flags", dup3(1, 12, 0x1234));
    SHOW("dup2 to -1", dup2(1, -1));
    SHOW("dup of closed fd", dup(99));
    SHOW("F_DUPFD 20", fcntl(1, F_DUPFD, 20));
    SHOW("F_DUPFD_CLOEXEC 20 (20 taken)", fcntl(1, F_DUPFD_CLOEXEC, 20));
    SHOW("F_GETFL stdout access mode", fcntl(1, F_GETFL) & O_ACCMODE);
    SHOW("close 10", close(10));
    SHOW("close 10 again", close(10));
    SHOW("write to closed 10", write(10, "x", 1));
    SHOW("close -1", close(-1));

    struct stat st;
    SHOW("fstat(1)", fstat(1, &st));
    YESNO("stdout is a FIFO", S_ISFIFO(st.st_mode));
    SHOW("fstat(0)", fstat(0, &st));
    YESNO("stdin is a char device", S_ISCHR(st.st_mode));
    printf("stdin rdev: %u:%u\n", major(st.st_rdev), minor(st.st_rdev));
    SHOW("fstat bad fd", fstat(99, &st));
    SHOW("fstat bad pointer", syscall(SYS_fstat, 1, BADPTR));

    struct winsize ws;
    SHOW("TIOCGWINSZ on stdout pipe", ioctl(1, TIOCGWINSZ, &ws));
    SHOW("TIOCGWINSZ on /dev/null", ioctl(0, TIOCGWINSZ, &ws));
    SHOW("ioctl bad fd", ioctl(99, TIOCGWINSZ, &ws));
    SHOW("isatty(1)", isatty(1));
    SHOW("lseek on pipe", lseek(1, 0, SEEK_CUR));

    SHOW("close(0)", close(0));
    SHOW("dup(1) takes the lowest fd", dup(1));
    put(0, "through fd 0\n");
    return 0;
}
