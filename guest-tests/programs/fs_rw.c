/* fs_rw: read/write/pread/pwrite/readv/writev/preadv/pwritev(2) round trips, offsets shared
 * through dup, lseek (SET/CUR/END, holes past EOF, errors), and the fixture's binary files. */
#include "fsutil.h"
#include <sys/uio.h>

static unsigned long sum(const unsigned char *p, long n) {
    unsigned long h = 5381;
    for (long i = 0; i < n; i++) h = h * 33 + p[i];
    return h;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[256];

    /* binary.bin holds 0..255 */
    static unsigned char bin[512];
    long n = slurp("binary.bin", (char *)bin, sizeof bin);
    int ok = n == 256;
    for (int i = 0; ok && i < 256; i++) ok = bin[i] == i;
    YESNO("binary.bin is bytes 0..255", ok);

    /* big.bin: 100 KiB, byte i = (i*7 + i/251) % 256, read in odd-sized chunks */
    static unsigned char big[200000];
    int fd = open("big.bin", O_RDONLY);
    long total = 0, r, calls = 0;
    while ((r = read(fd, big + total, 4093)) > 0) { total += r; calls++; }
    printf("big.bin size: %ld (last read %ld)\n", total, r);
    ok = total == 102400;
    for (long i = 0; ok && i < total; i++) ok = big[i] == (unsigned char)((i * 7 + i / 251) % 256);
    YESNO("big.bin pattern", ok);
    printf("big.bin hash: %lu\n", sum(big, total));
    SHOW("read at EOF", read(fd, buf, 10));
    SHOW("pread at 102395 (5 left)", pread(fd, buf, 10, 102395));
    SHOW("pread past EOF", pread(fd, buf, 10, 200000));
    SHOW("pread negative offset", pread(fd, buf, 10, -1));
    SHOW("lseek SEEK_END", lseek(fd, 0, SEEK_END));
    SHOW("lseek SEEK_END -100", lseek(fd, -100, SEEK_END));
    SHOW("lseek SEEK_CUR +50", lseek(fd, 50, SEEK_CUR));
    SHOW("lseek SEEK_CUR -1000000", lseek(fd, -1000000, SEEK_CUR));
    SHOW("offset unchanged after EINVAL", lseek(fd, 0, SEEK_CUR));
    SHOW("lseek SEEK_SET -1", lseek(fd, -1, SEEK_SET));
    SHOW("lseek bad whence", lseek(fd, 0, 42));
    SHOW("lseek SEEK_SET past EOF", lseek(fd, 1 << 20, SEEK_SET));
    SHOW("read past EOF", read(fd, buf, 10));
    SHOW("lseek SEEK_DATA 0", lseek(fd, 0, SEEK_DATA));
    SHOW("lseek SEEK_HOLE 0", lseek(fd, 0, SEEK_HOLE));
    SHOW("lseek SEEK_DATA past EOF", lseek(fd, 200000, SEEK_DATA));
    close(fd);
    SHOW("lseek closed fd", lseek(fd, 0, SEEK_SET));

    /* empty file */
    fd = open("empty", O_RDONLY);
    SHOW("read empty", read(fd, buf, sizeof buf));
    SHOW("lseek empty SEEK_END", lseek(fd, 0, SEEK_END));
    close(fd);

    /* write/read round trip with a shared offset through dup */
    fd = open("rw.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    int d = dup(fd);
    SHOW("write 'hello '", write(fd, "hello ", 6));
    SHOW("write via dup 'world'", write(d, "world", 5));
    SHOW("offset via fd", lseek(fd, 0, SEEK_CUR));
    SHOW("offset via dup", lseek(d, 0, SEEK_CUR));
    SHOW("lseek dup to 6", lseek(d, 6, SEEK_SET));
    n = read(fd, buf, sizeof buf);
    show_bytes("read fd after dup seek", buf, n);
    SHOW("pwrite at 0 'J'", pwrite(fd, "J", 1, 0));
    SHOW("offset unchanged by pwrite", lseek(fd, 0, SEEK_CUR));
    n = pread(d, buf, 11, 0);
    show_bytes("pread 0..11", buf, n);
    SHOW("write 0 bytes", write(fd, buf, 0));
    SHOW("read 0 bytes", read(fd, buf, 0));
    SHOW("write bad pointer", write(fd, BADPTR, 4));
    SHOW("read into bad pointer", pread(fd, BADPTR, 4, 0));
    close(d);

    /* lseek past EOF then write: the gap reads as zeros */
    SHOW("lseek to 20", lseek(fd, 20, SEEK_SET));
    SHOW("write at 20", write(fd, "Z", 1));
    SHOW("size with hole", size_of("rw.txt"));
    n = pread(fd, buf, sizeof buf, 0);
    show_bytes("contents with hole", buf, n);
    SHOW("SEEK_END +4096", lseek(fd, 4096, SEEK_END));
    SHOW("write after big hole", write(fd, "E", 1));
    SHOW("size", size_of("rw.txt"));
    n = pread(fd, buf, 8, 4096 + 21 - 4);
    show_bytes("tail of hole", buf, n);
    close(fd);

    /* readv / writev */
    fd = open("vec.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    struct iovec wv[3] = { { "abc", 3 }, { "", 0 }, { "defgh", 5 } };
    SHOW("writev 3 iovecs", writev(fd, wv, 3));
    char a[2], b[4], c[10];
    struct iovec rv[3] = { { a, 2 }, { b, 4 }, { c, 10 } };
    lseek(fd, 0, SEEK_SET);
    SHOW("readv", readv(fd, rv, 3));
    show_bytes("readv a", a, 2);
    show_bytes("readv b", b, 4);
    show_bytes("readv c", c, 2);
    struct iovec pw[2] = { { "XY", 2 }, { "Z", 1 } };
    SHOW("pwritev at 1", pwritev(fd, pw, 2, 1));
    SHOW("offset after pwritev", lseek(fd, 0, SEEK_CUR));
    memset(c, 0, sizeof c);
    struct iovec pr[2] = { { a, 2 }, { c, 10 } };
    SHOW("preadv at 0", preadv(fd, pr, 2, 0));
    show_bytes("preadv a", a, 2);
    show_bytes("preadv c", c, 6);
    struct iovec one = { "Q", 1 };
    SHOW("pwritev2 offset -1 (current)", pwritev2(fd, &one, 1, -1, 0));
    SHOW("offset after pwritev2 -1", lseek(fd, 0, SEEK_CUR));
    SHOW("pwritev2 at 0", pwritev2(fd, &one, 1, 0, 0));
    struct iovec rd = { c, 10 };
    SHOW("preadv2 at 0", preadv2(fd, &rd, 1, 0, 0));
    show_bytes("preadv2", c, 9);
    SHOW("preadv2 bad flags", preadv2(fd, &rd, 1, 0, 0x1000));
    SHOW("readv iovcnt -1", readv(fd, rv, -1));
    SHOW("readv iovcnt 0", readv(fd, rv, 0));
    SHOW("writev bad iov pointer", writev(fd, BADPTR, 1));
    close(fd);
    show_file("vec.txt", "vec.txt");

    /* O_APPEND with writev; two fds on the same file have separate offsets */
    fd = open("vec.txt", O_WRONLY | O_APPEND);
    SHOW("writev O_APPEND", writev(fd, wv, 3));
    close(fd);
    int f1 = open("vec.txt", O_RDONLY), f2 = open("vec.txt", O_RDONLY);
    SHOW("read f1 4", read(f1, buf, 4));
    SHOW("f2 offset independent", lseek(f2, 0, SEEK_CUR));
    close(f1);
    close(f2);
    show_file("vec.txt after append", "vec.txt");

    /* a read-write file: overwrite in the middle keeps the rest */
    fd = open("lines.txt", O_RDWR);
    SHOW("overwrite 'PEAR'", write(fd, "PEAR", 4));
    close(fd);
    show_file("lines.txt", "lines.txt");
    return 0;
}
