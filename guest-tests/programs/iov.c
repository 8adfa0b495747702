/* iov: writev to stdout and readv from stdin (a regular file the harness fills). */
#include "common.h"
#include <limits.h>
#include <sys/uio.h>

static volatile int minus_one = -1, too_many = IOV_MAX + 1;

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char a[] = "one ", b[] = "", c[] = "two ", d[] = "three\n";
    struct iovec w[] = {{a, 4}, {b, 0}, {c, 4}, {d, 6}};
    SHOW("writev", writev(1, w, 4));
    SHOW("writev 0 iovecs", writev(1, w, 0));
    SHOW("writev -1 iovecs", writev(1, w, minus_one));
    SHOW("writev IOV_MAX+1 iovecs", writev(1, w, too_many));
    struct iovec bad[] = {{BADPTR, 4}};
    SHOW("writev bad base", writev(1, bad, 1));
    SHOW("writev bad iov array", writev(1, BADPTR, 2));

    char x[4] = {0}, y[6] = {0}, z[200] = {0};
    struct iovec r[] = {{x, 3}, {y, 5}, {z, sizeof z - 1}};
    SHOW("readv", readv(0, r, 3));
    printf("x=[%s] y=[%s] z=[%s]\n", x, y, z);
    SHOW("readv at EOF", readv(0, r, 3));
    SHOW("lseek back", lseek(0, 6, SEEK_SET));
    memset(y, 0, sizeof y);
    struct iovec r2[] = {{y, 5}};
    SHOW("readv after lseek", readv(0, r2, 1));
    printf("y=[%s]\n", y);
    memset(y, 0, sizeof y);
    SHOW("pread at 0", pread(0, y, 5, 0));
    printf("y=[%s]\n", y);
    return 0;
}
