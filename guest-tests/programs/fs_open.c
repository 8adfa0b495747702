/* fs_open: open/openat/openat2/creat flags and errors, O_CLOEXEC, fcntl flags, close_range. */
#include "fsutil.h"
#include <linux/openat2.h>

static long openat2_(int dirfd, const char *path, unsigned long long flags,
                     unsigned long long mode, unsigned long long resolve) {
    struct open_how how = { .flags = flags, .mode = mode, .resolve = resolve };
    return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static void showfd(const char *label, int fd) {
    if (fd < 0) printf("%s: -1 %s\n", label, errname(errno));
    else { printf("%s: fd ok\n", label); close(fd); }
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[64];

    /* plain opens */
    showfd("open hello.txt O_RDONLY", open("hello.txt", O_RDONLY));
    showfd("open missing", open("missing.txt", O_RDONLY));
    showfd("open missing/x", open("missing/x", O_RDONLY));
    showfd("open a/ O_RDONLY", open("a/", O_RDONLY));
    showfd("open a O_WRONLY", open("a", O_WRONLY));
    showfd("open a O_RDWR", open("a", O_RDWR));
    showfd("open a O_CREAT", open("a", O_RDONLY | O_CREAT, 0644));
    showfd("open hello.txt O_DIRECTORY", open("hello.txt", O_RDONLY | O_DIRECTORY));
    showfd("open a O_DIRECTORY", open("a", O_RDONLY | O_DIRECTORY));
    showfd("open dir_link O_DIRECTORY", open("dir_link", O_RDONLY | O_DIRECTORY));
    showfd("open hello.txt/ (trailing slash)", open("hello.txt/", O_RDONLY));
    showfd("open hello.txt/x", open("hello.txt/x", O_RDONLY));
    showfd("open rel_link O_NOFOLLOW", open("rel_link", O_RDONLY | O_NOFOLLOW));
    showfd("open dir_link O_NOFOLLOW|O_DIRECTORY", open("dir_link", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
    showfd("open rel_link O_PATH|O_NOFOLLOW", open("rel_link", O_PATH | O_NOFOLLOW));
    showfd("open hello.txt O_NOFOLLOW", open("hello.txt", O_RDONLY | O_NOFOLLOW));
    showfd("open dangling", open("dangling", O_RDONLY));
    showfd("open l1 (loop)", open("l1", O_RDONLY));
    showfd("open empty string", open("", O_RDONLY));
    show_file("read via rel_link", "rel_link");
    show_file("read via abs_link", "abs_link");
    show_file("read via a/b/up_link", "a/b/up_link");
    show_file("read via dir_link/two.txt", "dir_link/two.txt");

    /* O_CREAT / O_EXCL */
    int fd = open("new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644);
    SHOW("O_CREAT|O_EXCL new.txt", fd >= 0 ? 0 : -1);
    SHOW("write new.txt", write(fd, "fresh\n", 6));
    close(fd);
    show_file("new.txt", "new.txt");
    showfd("O_CREAT|O_EXCL again", open("new.txt", O_WRONLY | O_CREAT | O_EXCL, 0644));
    showfd("O_CREAT|O_EXCL on rel_link", open("rel_link", O_WRONLY | O_CREAT | O_EXCL, 0644));
    showfd("O_CREAT|O_EXCL on dangling", open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644));
    showfd("O_CREAT in missing dir", open("missing/new", O_WRONLY | O_CREAT, 0644));
    showfd("O_CREAT|O_DIRECTORY", open("newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0644));
    fd = open("dangling", O_WRONLY | O_CREAT, 0644); /* creates the link's target */
    SHOW("O_CREAT through dangling", fd >= 0 ? 0 : -1);
    close(fd);
    show_mode("does_not_exist (created via dangling)", "does_not_exist");
    show_mode("dangling still a link", "dangling");

    /* O_TRUNC and O_APPEND */
    fd = open("new.txt", O_WRONLY | O_TRUNC);
    printf("size after O_TRUNC: %ld\n", size_of("new.txt"));
    SHOW("write after trunc", write(fd, "abc", 3));
    close(fd);
    fd = open("new.txt", O_WRONLY | O_APPEND);
    SHOW("lseek 0 on O_APPEND", lseek(fd, 0, SEEK_SET));
    SHOW("append write", write(fd, "def", 3));
    SHOW("offset after append", lseek(fd, 0, SEEK_CUR));
    SHOW("pwrite at 0 on O_APPEND (appends)", pwrite(fd, "G", 1, 0));
    close(fd);
    show_file("new.txt after append", "new.txt");
    fd = open("new.txt", O_RDONLY | O_TRUNC);
    SHOW("O_RDONLY|O_TRUNC", fd >= 0 ? 0 : -1);
    close(fd);
    printf("size after O_RDONLY|O_TRUNC: %ld\n", size_of("new.txt"));

    /* access modes */
    fd = open("hello.txt", O_RDONLY);
    SHOW("write to O_RDONLY fd", write(fd, "x", 1));
    close(fd);
    fd = open("hello.txt", O_WRONLY);
    SHOW("read from O_WRONLY fd", read(fd, buf, 4));
    close(fd);
    fd = open("hello.txt", O_PATH);
    SHOW("read from O_PATH fd", read(fd, buf, 4));
    struct stat st;
    SHOW("fstat O_PATH fd", fstat(fd, &st));
    printf("O_PATH fstat size: %ld\n", (long)st.st_size);
    close(fd);

    /* creat */
    fd = creat("created.txt", 0640);
    SHOW("creat write", write(fd, "via creat", 9));
    SHOW("creat fd is write-only (read)", read(fd, buf, 1));
    close(fd);
    show_mode("created.txt", "created.txt");
    fd = creat("created.txt", 0600);
    close(fd);
    printf("creat existing truncates: %ld\n", size_of("created.txt"));
    show_mode("creat existing keeps mode", "created.txt");

    /* openat with directory fds */
    int dfd = open("a/b", O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, "two.txt", O_RDONLY);
    show_bytes("openat(a/b, two.txt)", buf, fd < 0 ? -1 : read(fd, buf, sizeof buf));
    close(fd);
    fd = openat(dfd, "../one.txt", O_RDONLY);
    show_bytes("openat(a/b, ../one.txt)", buf, fd < 0 ? -1 : read(fd, buf, sizeof buf));
    close(fd);
    fd = openat(dfd, "made.txt", O_WRONLY | O_CREAT, 0644);
    close(fd);
    show_mode("a/b/made.txt via openat", "a/b/made.txt");
    int ffd = open("hello.txt", O_RDONLY);
    showfd("openat(file fd, x)", openat(ffd, "x", O_RDONLY));
    showfd("openat(bad fd, x)", openat(99, "x", O_RDONLY));
    showfd("openat(bad fd, abs path)", openat(99, "/proc/self", O_RDONLY));
    close(ffd);
    showfd("openat(AT_FDCWD, hello.txt)", openat(AT_FDCWD, "hello.txt", O_RDONLY));

    /* openat2 */
    showfd("openat2 plain", openat2_(dfd, "two.txt", O_RDONLY, 0, 0));
    showfd("openat2 RESOLVE_BENEATH ..", openat2_(dfd, "../one.txt", O_RDONLY, 0, RESOLVE_BENEATH));
    showfd("openat2 RESOLVE_BENEATH up_link", openat2_(dfd, "up_link", O_RDONLY, 0, RESOLVE_BENEATH));
    showfd("openat2 RESOLVE_NO_SYMLINKS", openat2_(AT_FDCWD, "rel_link", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
    showfd("openat2 RESOLVE_IN_ROOT c/deep.txt", openat2_(dfd, "c/deep.txt", O_RDONLY, 0, RESOLVE_IN_ROOT));
    showfd("openat2 RESOLVE_IN_ROOT ../../two.txt", openat2_(dfd, "../../two.txt", O_RDONLY, 0, RESOLVE_IN_ROOT));
    showfd("openat2 mode without O_CREAT", openat2_(dfd, "two.txt", O_RDONLY, 0644, 0));
    showfd("openat2 unknown flag", openat2_(dfd, "two.txt", O_RDONLY | (1ULL << 40), 0, 0));
    close(dfd);

    /* O_CLOEXEC, fcntl flags */
    fd = open("hello.txt", O_RDONLY | O_CLOEXEC);
    SHOW("F_GETFD with O_CLOEXEC", fcntl(fd, F_GETFD));
    SHOW("F_SETFD 0", fcntl(fd, F_SETFD, 0));
    SHOW("F_GETFD after clear", fcntl(fd, F_GETFD));
    close(fd);
    fd = open("hello.txt", O_RDWR | O_APPEND);
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL accmode RDWR: %s, APPEND: %s\n", (fl & O_ACCMODE) == O_RDWR ? "yes" : "no",
           (fl & O_APPEND) ? "yes" : "no");
    SHOW("F_SETFL NONBLOCK (drops APPEND)", fcntl(fd, F_SETFL, O_NONBLOCK));
    fl = fcntl(fd, F_GETFL);
    printf("after F_SETFL: APPEND %s, NONBLOCK %s, RDWR kept %s\n", (fl & O_APPEND) ? "yes" : "no",
           (fl & O_NONBLOCK) ? "yes" : "no", (fl & O_ACCMODE) == O_RDWR ? "yes" : "no");
    int d = fcntl(fd, F_DUPFD, 30);
    printf("F_DUPFD 30 -> >=30: %s\n", d >= 30 ? "yes" : "no");
    SHOW("F_GETFD of F_DUPFD", fcntl(d, F_GETFD));
    int d2 = fcntl(fd, F_DUPFD_CLOEXEC, 30);
    printf("F_DUPFD_CLOEXEC -> %s\n", d2 > d ? "next free" : "wrong");
    SHOW("F_GETFD of F_DUPFD_CLOEXEC", fcntl(d2, F_GETFD));
    close(fd);

    /* close_range */
    int fds[6];
    for (int i = 0; i < 6; i++) fds[i] = dup2(0, 40 + i);
    (void)fds;
    SHOW("close_range 41..43", syscall(SYS_close_range, 41, 43, 0));
    for (int i = 40; i < 46; i++) printf("fd %d: %s\n", i, fcntl(i, F_GETFD) >= 0 ? "open" : "closed");
    SHOW("close_range CLOEXEC 44..45", syscall(SYS_close_range, 44, 45, 4 /* CLOSE_RANGE_CLOEXEC */));
    SHOW("F_GETFD 44", fcntl(44, F_GETFD));
    SHOW("close_range bad (first > last)", syscall(SYS_close_range, 10, 5, 0));
    SHOW("close_range 40..~0", syscall(SYS_close_range, 40, ~0U, 0));
    for (int i = 40; i < 46; i++) if (fcntl(i, F_GETFD) >= 0) printf("fd %d still open\n", i);
    SHOW("close closed", close(40));
    return 0;
}
