/* fs_copy: sendfile and copy_file_range between files, ioctl(FIONREAD) on a regular file,
 * mknod/mknodat of FIFOs and regular files, poll/ppoll/select/pselect6 on regular files. */
#include "fsutil.h"
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/sendfile.h>

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[512];
    struct stat st;

    /* sendfile */
    int in = open("binary.bin", O_RDONLY);
    int out = open("sent.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    SHOW("sendfile 100 bytes", sendfile(out, in, NULL, 100));
    SHOW("in offset advanced", lseek(in, 0, SEEK_CUR));
    off_t off = 200;
    SHOW("sendfile from offset 200", sendfile(out, in, &off, 1000));
    printf("offset now %ld, in fd offset still %ld\n", (long)off, (long)lseek(in, 0, SEEK_CUR));
    SHOW("sendfile at EOF", sendfile(out, in, &off, 10));
    SHOW("sendfile 0 bytes", sendfile(out, in, NULL, 0));
    SHOW("sendfile to O_RDONLY fd", sendfile(in, in, NULL, 10));
    SHOW("sendfile bad fd", sendfile(out, 99, NULL, 10));
    int dirfd = open("a", O_RDONLY);
    SHOW("sendfile from a dir", sendfile(out, dirfd, NULL, 10));
    close(dirfd);
    close(out);
    long n = slurp("sent.bin", buf, sizeof buf);
    int ok = n == 156;
    for (int i = 0; ok && i < 100; i++) ok = (unsigned char)buf[i] == i;
    for (int i = 0; ok && i < 56; i++) ok = (unsigned char)buf[100 + i] == 200 + i;
    printf("sent.bin: %ld bytes, contents right: %s\n", n, ok ? "yes" : "no");
    out = open("sent.bin", O_WRONLY | O_APPEND);
    lseek(in, 0, SEEK_SET);
    SHOW("sendfile to O_APPEND fd", sendfile(out, in, NULL, 4));
    close(out);

    /* sendfile of a large file in one call */
    int big = open("big.bin", O_RDONLY);
    out = open("big.copy", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    long total = 0;
    while ((n = sendfile(out, big, NULL, 1 << 20)) > 0) total += n;
    printf("sendfile big.bin: %ld bytes\n", total);
    close(out);
    static char x[200000], y[200000];
    long nx = slurp("big.bin", x, sizeof x), ny = slurp("big.copy", y, sizeof y);
    YESNO("big.copy == big.bin", nx == ny && memcmp(x, y, nx) == 0);

    /* copy_file_range */
    out = open("cfr.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    lseek(big, 0, SEEK_SET);
    SHOW("copy_file_range 5000", copy_file_range(big, NULL, out, NULL, 5000, 0));
    SHOW("in offset", lseek(big, 0, SEEK_CUR));
    SHOW("out offset", lseek(out, 0, SEEK_CUR));
    loff_t ioff = 100000, ooff = 10;
    SHOW("copy_file_range with offsets, past EOF", copy_file_range(big, &ioff, out, &ooff, 5000, 0));
    printf("offsets now %ld %ld\n", (long)ioff, (long)ooff);
    SHOW("copy_file_range at EOF", copy_file_range(big, &ioff, out, &ooff, 10, 0));
    SHOW("copy_file_range bad flags", copy_file_range(big, NULL, out, NULL, 10, 1));
    SHOW("copy_file_range to O_RDONLY", copy_file_range(big, NULL, in, NULL, 10, 0));
    SHOW("copy_file_range from O_APPEND target", copy_file_range(big, NULL, open("cfr.bin", O_WRONLY | O_APPEND), NULL, 10, 0));
    fstat(out, &st);
    printf("cfr.bin size: %ld\n", (long)st.st_size);
    n = pread(out, buf, 20, 0);
    ok = n == 20;
    for (int i = 0; ok && i < 10; i++) ok = buf[i] == x[i];
    for (int i = 10; ok && i < 20; i++) ok = buf[i] == x[100000 + i - 10];
    YESNO("cfr.bin contents", ok);
    close(out);
    close(big);
    close(in);

    /* FIONREAD */
    in = open("hello.txt", O_RDONLY);
    int avail = -1;
    SHOW("FIONREAD", ioctl(in, FIONREAD, &avail));
    printf("available at 0: %d\n", avail);
    lseek(in, 6, SEEK_SET);
    ioctl(in, FIONREAD, &avail);
    printf("available at 6: %d\n", avail);
    lseek(in, 100, SEEK_SET);
    ioctl(in, FIONREAD, &avail);
    printf("available past EOF <= 0: %s\n", avail <= 0 ? "yes" : "no"); /* Linux: -87 */
    SHOW("TCGETS on a file", ioctl(in, TCGETS, buf));
    SHOW("FIONREAD bad pointer", ioctl(in, FIONREAD, BADPTR));

    /* mknod: FIFOs and regular files */
    SHOW("mkfifo fifo", mkfifo("fifo", 0640));
    SHOW("lstat fifo", lstat("fifo", &st));
    printf("S_ISFIFO: %s, mode %04o, size %ld\n", S_ISFIFO(st.st_mode) ? "yes" : "no",
           (unsigned)(st.st_mode & 07777), (long)st.st_size);
    SHOW("mknodat FIFO in a", mknodat(AT_FDCWD, "a/fifo2", S_IFIFO | 0600, 0));
    stat("a/fifo2", &st);
    YESNO("a/fifo2 is a FIFO", S_ISFIFO(st.st_mode));
    SHOW("mknod FIFO over existing", mknod("fifo", S_IFIFO | 0600, 0));
    SHOW("open FIFO O_WRONLY|O_NONBLOCK (no reader)", open("fifo", O_WRONLY | O_NONBLOCK));
    int rf = open("fifo", O_RDONLY | O_NONBLOCK);
    SHOW("open FIFO O_RDONLY|O_NONBLOCK", rf >= 0 ? 0 : -1);
    SHOW("read empty FIFO, no writer", read(rf, buf, 10));
    close(rf);
    SHOW("mknod regular file", mknod("plain", S_IFREG | 0604, 0));
    show_mode("plain", "plain");
    SHOW("size", size_of("plain"));
    SHOW("mknod mode 0 = regular", mknod("plain2", 0644, 0));
    show_mode("plain2", "plain2");
    SHOW("mknod bad type", mknod("weird", 0170000 | 0644, 0));
    SHOW("unlink fifo", unlink("fifo"));

    /* poll / select on regular files: always ready */
    struct pollfd p[3] = { { in, POLLIN | POLLOUT, 0 }, { 99, POLLIN, 0 }, { -1, POLLIN, 0 } };
    SHOW("poll", poll(p, 3, 1000));
    printf("revents: %#x %#x %#x\n", p[0].revents, p[1].revents, p[2].revents);
    struct timespec ts = { 1, 0 };
    p[0].events = POLLIN;
    SHOW("ppoll", ppoll(p, 1, &ts, NULL));
    printf("revents: %#x\n", p[0].revents);
    out = open("sel.txt", O_RDWR | O_CREAT, 0644);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(in, &r);
    FD_SET(out, &w);
    FD_SET(out, &r);
    struct timeval tv = { 1, 0 };
    SHOW("select", select(out + 1, &r, &w, NULL, &tv));
    printf("readable in %d out %d, writable out %d\n", FD_ISSET(in, &r), FD_ISSET(out, &r),
           FD_ISSET(out, &w));
    FD_ZERO(&r);
    FD_SET(in, &r);
    sigset_t mask;
    sigemptyset(&mask);
    SHOW("pselect", pselect(in + 1, &r, NULL, NULL, &ts, &mask));
    FD_ZERO(&r);
    /* Linux ignores fds beyond its fd table's current size (at least 64 slots), so the
     * closed fd must lie below 64 to give EBADF whatever the runner passed down. */
    dup2(in, 60);
    close(60);
    FD_SET(60, &r);
    SHOW("select on closed fd", select(61, &r, NULL, NULL, &tv));
    close(out);
    close(in);
    return 0;
}
