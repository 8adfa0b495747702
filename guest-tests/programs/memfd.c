/* memfd: memfd_create's anonymous files (names, flags, what fstat and /proc show),
 * their data through read/write/mmap, and file seals (F_ADD_SEALS, F_GET_SEALS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static long rc_of(long rc) { return rc < 0 ? -errno : rc; }

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror((int)-rc));
    else
        printf("%s: %ld\n", what, rc);
}

static int create(const char *name, unsigned flags) {
    errno = 0;
    return (int)syscall(SYS_memfd_create, name, flags);
}

int main(void) {
    int fd = create("first", MFD_CLOEXEC);
    printf("created: %s\n", fd >= 0 ? "yes" : "no");
    struct stat st;
    fstat(fd, &st);
    printf("mode %o nlink %ld size %ld uid==me %d\n", st.st_mode, (long)st.st_nlink,
           (long)st.st_size, st.st_uid == getuid());
    char link[64], target[256] = {0};
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("link: %s\n", target);
    printf("cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    printf("flags: %#o\n", fcntl(fd, F_GETFL) & O_ACCMODE);

    show("write", rc_of(write(fd, "hello memfd", 11)));
    char buf[32] = {0};
    show("pread", rc_of(pread(fd, buf, sizeof buf, 0)));
    printf("data: %s\n", buf);
    show("ftruncate 8192", rc_of(ftruncate(fd, 8192)));
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap shared: %s\n", p == MAP_FAILED ? "failed" : "ok");
    if (p != MAP_FAILED) {
        memcpy(p + 4096, "via map", 7);
        memset(buf, 0, sizeof buf);
        pread(fd, buf, 7, 4096);
        printf("read after map store: %s\n", buf);
        munmap(p, 8192);
    }

    /* Without MFD_ALLOW_SEALING the file is sealed against sealing. */
    show("get seals", rc_of(fcntl(fd, F_GET_SEALS)));
    show("add seals", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    close(fd);

    fd = create("sealed", MFD_ALLOW_SEALING);
    printf("cloexec without MFD_CLOEXEC: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    write(fd, "0123456789", 10);
    show("get seals (sealing allowed)", rc_of(fcntl(fd, F_GET_SEALS)));
    show("add unknown seal", rc_of(fcntl(fd, F_ADD_SEALS, 0x100)));
    show("add shrink", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK)));
    show("truncate to 5", rc_of(ftruncate(fd, 5)));
    show("truncate to 20", rc_of(ftruncate(fd, 20)));
    show("add grow", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)));
    show("truncate to 30", rc_of(ftruncate(fd, 30)));
    show("write past the end", rc_of(pwrite(fd, "x", 1, 20)));
    show("write inside", rc_of(pwrite(fd, "ab", 2, 0)));
    show("add write", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    show("write sealed", rc_of(pwrite(fd, "cd", 2, 0)));
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("shared writable map of a write-sealed file: %s\n",
           p == MAP_FAILED ? strerror(errno) : "ok");
    p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
    printf("shared read-only map: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
    p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("private writable map: %s\n", p == MAP_FAILED ? strerror(errno) : "ok");
    show("get seals now", rc_of(fcntl(fd, F_GET_SEALS)));
    show("add seal", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL)));
    show("add after seal", rc_of(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)));
    memset(buf, 0, sizeof buf);
    pread(fd, buf, sizeof buf - 1, 0);
    printf("contents: %s\n", buf);
    close(fd);

    /* A read-only descriptor cannot add seals. */
    fd = create("ro", MFD_ALLOW_SEALING);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    int ro = open(link, O_RDONLY);
    show("reopen read-only", ro >= 0 ? 0 : -errno);
    show("add seals read-only", rc_of(fcntl(ro, F_ADD_SEALS, F_SEAL_GROW)));
    show("get seals read-only", rc_of(fcntl(ro, F_GET_SEALS)));
    close(ro);
    close(fd);

    /* Seals on an ordinary file. */
    int plain = open("/proc/self/exe", O_RDONLY);
    show("get seals of a plain file", rc_of(fcntl(plain, F_GET_SEALS)));
    close(plain);

    char longname[300];
    memset(longname, 'n', sizeof longname);
    longname[249] = 0;
    fd = create(longname, 0);
    show("name of 249 bytes", fd >= 0 ? 0 : -errno);
    close(fd);
    longname[249] = 'n';
    longname[250] = 0;
    show("name of 250 bytes", create(longname, 0) >= 0 ? 0 : -errno);
    show("unknown flag", create("x", 0x40) >= 0 ? 0 : -errno);
    show("bad name pointer", create((const char *)8, 0) >= 0 ? 0 : -errno);
    fd = create("", 0);
    show("empty name", fd >= 0 ? 0 : -errno);
    memset(target, 0, sizeof target);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    readlink(link, target, sizeof target - 1);
    printf("empty name link: %s\n", target);
    return 0;
}
