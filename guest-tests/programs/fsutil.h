/* fsutil.h: helpers for the fs_*.c programs, which run with a fresh fixture tree as cwd
 * (see guest-tests/src/fixture.rs for its contents). */
#ifndef GT_FSUTIL_H
#define GT_FSUTIL_H
#include "common.h"
#include <fcntl.h>
#include <sys/stat.h>

/* Reads up to max bytes of path into buf; returns the count or -1 (errno set). */
static __attribute__((unused)) long slurp(const char *path, char *buf, long max) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    long total = 0, n;
    while (total < max && (n = read(fd, buf + total, max - total)) > 0) total += n;
    int e = errno;
    close(fd);
    errno = e;
    return n < 0 ? -1 : total;
}

/* Prints `label: "contents"` (C-escaped, at most 200 bytes) or `label: -1 ERRNO`. */
static __attribute__((unused)) void show_file(const char *label, const char *path) {
    char buf[201];
    errno = 0;
    long n = slurp(path, buf, 200);
    if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    printf("%s: \"", label);
    for (long i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n') printf("\\n");
        else if (c == '"' || c == '\\') printf("\\%c", c);
        else if (c < 32 || c > 126) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
}

/* Prints `label: "bytes"` for n bytes of buf (escaped), or the errno when n is -1. */
static __attribute__((unused)) void show_bytes(const char *label, const char *buf, long n) {
    if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    printf("%s: \"", label);
    for (long i = 0; i < n; i++) {
        unsigned char c = buf[i];
        if (c == '\n') printf("\\n");
        else if (c < 32 || c > 126) printf("\\x%02x", c);
        else putchar(c);
    }
    printf("\"\n");
}

/* Creates path with the given contents (O_TRUNC); returns 0 or -1. */
static __attribute__((unused)) int put_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return -1;
    long n = write(fd, s, strlen(s));
    close(fd);
    return n == (long)strlen(s) ? 0 : -1;
}

/* Prints `label: 0NNN TYPE` from lstat (mode bits & type), or the errno. */
static __attribute__((unused)) void show_mode(const char *label, const char *path) {
    struct stat st;
    if (lstat(path, &st) < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    const char *t = S_ISREG(st.st_mode) ? "reg" : S_ISDIR(st.st_mode) ? "dir"
                  : S_ISLNK(st.st_mode) ? "lnk" : S_ISFIFO(st.st_mode) ? "fifo"
                  : S_ISCHR(st.st_mode) ? "chr" : "other";
    printf("%s: %04o %s\n", label, (unsigned)(st.st_mode & 07777), t);
}

/* Size from stat (following links), or -1. */
static __attribute__((unused)) long size_of(const char *path) {
    struct stat st;
    return stat(path, &st) < 0 ? -1 : (long)st.st_size;
}
#endif
