/* fs_dev: devfs: /dev/null, zero, full, random, urandom, tty, stdin/stdout/stderr, /dev/fd. */
#include "fsutil.h"

static void kind(const char *path) {
    struct stat st;
    if (stat(path, &st) < 0) { printf("stat %s: -1 %s\n", path, errname(errno)); return; }
    printf("stat %s: %s\n", path, S_ISCHR(st.st_mode) ? "chr" : S_ISDIR(st.st_mode) ? "dir"
           : S_ISREG(st.st_mode) ? "reg" : S_ISFIFO(st.st_mode) ? "fifo" : "other");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[4096];

    kind("/dev");
    kind("/dev/null");
    kind("/dev/zero");
    kind("/dev/full");
    kind("/dev/random");
    kind("/dev/urandom");
    struct stat st;
    lstat("/dev/fd", &st);
    printf("/dev/fd is a symlink: %s\n", S_ISLNK(st.st_mode) ? "yes" : "no");
    SHOW("open /dev/nonexistent", open("/dev/nonexistent", O_RDONLY));

    /* /dev/null */
    int fd = open("/dev/null", O_RDWR);
    SHOW("read /dev/null", read(fd, buf, sizeof buf));
    SHOW("write /dev/null", write(fd, "swallowed", 9));
    static char mib[1 << 20];
    SHOW("write 1 MiB to /dev/null", write(fd, mib, sizeof mib));
    SHOW("lseek /dev/null", lseek(fd, 100, SEEK_SET));
    SHOW("read /dev/null again", read(fd, buf, 10));
    close(fd);

    /* /dev/zero */
    fd = open("/dev/zero", O_RDWR);
    memset(buf, 'x', sizeof buf);
    SHOW("read /dev/zero 4096", read(fd, buf, sizeof buf));
    int zero = 1;
    for (int i = 0; i < 4096; i++) zero &= buf[i] == 0;
    YESNO("all zero", zero);
    SHOW("write /dev/zero", write(fd, "x", 1));
    SHOW("pread /dev/zero", pread(fd, buf, 10, 12345));
    close(fd);

    /* /dev/full */
    fd = open("/dev/full", O_RDWR);
    SHOW("write /dev/full", write(fd, "x", 1));
    buf[0] = 'x';
    SHOW("read /dev/full", read(fd, buf, 16));
    YESNO("/dev/full reads zeros", buf[0] == 0);
    close(fd);

    /* /dev/urandom and /dev/random */
    char a[64], b[64];
    fd = open("/dev/urandom", O_RDONLY);
    SHOW("read /dev/urandom", read(fd, a, sizeof a));
    SHOW("read /dev/urandom again", read(fd, b, sizeof b));
    YESNO("two reads differ", memcmp(a, b, sizeof a) != 0);
    SHOW("write /dev/urandom (accepted)", write(open("/dev/urandom", O_WRONLY), "seed", 4));
    close(fd);
    fd = open("/dev/random", O_RDONLY);
    SHOW("read /dev/random", read(fd, a, 16));
    close(fd);

    /* the standard streams: stdin is a file given by the harness (or /dev/null) */
    SHOW("open /dev/stdin", open("/dev/stdin", O_RDONLY) >= 0 ? 0 : -1);
    fd = open("/dev/stdout", O_WRONLY);
    SHOW("open /dev/stdout", fd >= 0 ? 0 : -1);
    SHOW("write via /dev/stdout", write(fd, "via /dev/stdout\n", 16));
    close(fd);
    fd = open("/dev/fd/1", O_WRONLY);
    SHOW("write via /dev/fd/1", write(fd, "via /dev/fd/1\n", 14));
    close(fd);
    int h = open("hello.txt", O_RDONLY);
    snprintf(buf, sizeof buf, "/dev/fd/%d", h);
    show_file("read /dev/fd/N of hello.txt", buf);
    lseek(h, 7, SEEK_SET);
    fd = open(buf, O_RDONLY);
    SHOW("reopened /dev/fd/N has its own offset", lseek(fd, 0, SEEK_CUR));
    close(fd);
    close(h);
    SHOW("open /dev/fd/99", open("/dev/fd/99", O_RDONLY));
    fd = open("/dev/tty", O_RDWR);
    printf("open /dev/tty: %s\n", fd >= 0 ? "ok" : errno == ENXIO || errno == ENOENT ? "no tty" : "other error");
    return 0;
}
