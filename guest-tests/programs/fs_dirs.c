/* fs_dirs: getdents64 listings (sorted, with d_type), mkdir/mkdirat/rmdir/unlink/unlinkat and
 * their errors, chdir/fchdir/getcwd (printed relative to the starting directory). */
#include "fsutil.h"
#include <dirent.h>

struct linux_dirent64 {
    unsigned long long d_ino;
    long long d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static const char *dtype(unsigned char t) {
    return t == DT_REG ? "f" : t == DT_DIR ? "d" : t == DT_LNK ? "l" : t == DT_FIFO ? "p" : "?";
}

/* Lists a directory with raw getdents64 in small buffers; prints sorted "name/type" entries. */
static void list(const char *path, int bufsize) {
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) { printf("list %s: -1 %s\n", path, errname(errno)); return; }
    static char names[256][300];
    static char *ptrs[256];
    int count = 0, calls = 0;
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, bufsize);
        if (n < 0) { printf("getdents64 %s: -1 %s\n", path, errname(errno)); break; }
        if (n == 0) break;
        calls++;
        for (long off = 0; off < n;) {
            struct linux_dirent64 *d = (void *)(buf + off);
            if (count < 256) {
                snprintf(names[count], sizeof names[count], "%s/%s", d->d_name, dtype(d->d_type));
                ptrs[count] = names[count];
                count++;
            }
            off += d->d_reclen;
        }
    }
    qsort(ptrs, count, sizeof ptrs[0], cmp);
    printf("list %s (%d entries):", path, count);
    for (int i = 0; i < count; i++) printf(" %s", ptrs[i]);
    printf("\n");
    if (bufsize < 100) printf("  small buffer needed several calls: %s\n", calls > 1 ? "yes" : "no");
    close(fd);
}

static char start[4096];

static void pwd(const char *label) {
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    size_t n = strlen(start);
    if (strncmp(buf, start, n) == 0) printf("%s: <start>%s\n", label, buf + n);
    else printf("%s: %s\n", label, buf);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    getcwd(start, sizeof start);

    list(".", 4096);
    list("a", 4096);
    list("a/b", 4096);
    list("dir_link", 4096);
    list("emptydir", 4096);
    list(".", 64);
    list("hello.txt", 4096);
    list("missing", 4096);
    char buf[64];
    int fd = open("hello.txt", O_RDONLY);
    SHOW("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof buf));
    close(fd);
    fd = open("a", O_RDONLY | O_DIRECTORY);
    SHOW("getdents64 buffer too small", syscall(SYS_getdents64, fd, buf, 10));
    SHOW("getdents64 bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf));
    close(fd);
    /* readdir via libc, and rewinding */
    DIR *dir = opendir("a/b/c");
    int n1 = 0, n2 = 0;
    while (readdir(dir)) n1++;
    rewinddir(dir);
    while (readdir(dir)) n2++;
    printf("readdir a/b/c: %d entries, after rewind %d\n", n1, n2);
    closedir(dir);

    /* mkdir / rmdir */
    SHOW("mkdir newdir", mkdir("newdir", 0755));
    show_mode("newdir", "newdir");
    SHOW("mkdir newdir again", mkdir("newdir", 0755));
    SHOW("mkdir over file", mkdir("hello.txt", 0755));
    SHOW("mkdir over dangling link", mkdir("dangling", 0755));
    SHOW("mkdir missing/x", mkdir("missing/x", 0755));
    SHOW("mkdir hello.txt/x", mkdir("hello.txt/x", 0755));
    SHOW("mkdir with trailing slash", mkdir("slashdir/", 0700));
    show_mode("slashdir", "slashdir");
    SHOW("mkdir mode 0", mkdir("zerodir", 0));
    show_mode("zerodir", "zerodir");
    int dfd = open("newdir", O_RDONLY | O_DIRECTORY);
    SHOW("mkdirat(newdir, inner)", mkdirat(dfd, "inner", 0711));
    show_mode("newdir/inner", "newdir/inner");
    SHOW("mkdirat(99, x)", mkdirat(99, "x", 0755));
    put_file("newdir/inner/f", "x");
    list("newdir", 4096);
    SHOW("rmdir non-empty", rmdir("newdir"));
    SHOW("rmdir file", rmdir("hello.txt"));
    SHOW("rmdir missing", rmdir("missing"));
    SHOW("rmdir dir_link (a symlink)", rmdir("dir_link"));
    SHOW("rmdir .", rmdir("."));
    SHOW("rmdir newdir/..", rmdir("newdir/.."));
    SHOW("rmdir emptydir", rmdir("emptydir"));
    SHOW("rmdir emptydir again", rmdir("emptydir"));
    SHOW("rmdir zerodir", rmdir("zerodir"));

    /* unlink / unlinkat */
    SHOW("unlink dir", unlink("a"));
    SHOW("unlink missing", unlink("missing"));
    SHOW("unlink rel_link", unlink("rel_link"));
    show_mode("hello.txt survives", "hello.txt");
    SHOW("unlink dangling", unlink("dangling"));
    SHOW("unlink hello.txt/", unlink("hello.txt/"));
    SHOW("unlinkat(newdir, inner/f)", unlinkat(dfd, "inner/f", 0));
    SHOW("unlinkat dir without AT_REMOVEDIR", unlinkat(dfd, "inner", 0));
    SHOW("unlinkat file with AT_REMOVEDIR", unlinkat(AT_FDCWD, "empty", AT_REMOVEDIR));
    SHOW("unlinkat AT_REMOVEDIR inner", unlinkat(dfd, "inner", AT_REMOVEDIR));
    SHOW("unlinkat bad flag", unlinkat(dfd, "x", 0x1234));
    list("newdir", 4096);
    list(".", 4096);

    /* chdir / fchdir / getcwd */
    pwd("getcwd at start");
    SHOW("chdir a/b", chdir("a/b"));
    pwd("getcwd");
    show_file("read two.txt relative", "two.txt");
    SHOW("chdir ../..", chdir("../.."));
    pwd("getcwd");
    SHOW("chdir dir_link (symlink)", chdir("dir_link"));
    pwd("getcwd (physical)");
    SHOW("chdir ..", chdir(".."));
    pwd("getcwd");
    SHOW("chdir hello.txt", chdir("../hello.txt"));
    SHOW("chdir missing", chdir("missing"));
    SHOW("chdir l1", chdir("../l1"));
    pwd("getcwd unchanged");
    SHOW("fchdir newdir fd", fchdir(dfd));
    pwd("getcwd after fchdir");
    fd = open("/proc/self", O_RDONLY);
    int ffd = open("../hello.txt", O_RDONLY);
    SHOW("fchdir file fd", fchdir(ffd));
    SHOW("fchdir bad fd", fchdir(99));
    close(ffd);
    close(fd);
    char small[4];
    SHOW_OK("getcwd size 4", getcwd(small, 4) ? 0 : -1);
    SHOW_OK("getcwd size 0", syscall(SYS_getcwd, small, 0));
    SHOW("chdir /", chdir("/"));
    pwd("getcwd");
    SHOW("chdir ..", chdir(".."));
    pwd("getcwd (.. of / is /)");
    SHOW("chdir back with absolute path", chdir(start));
    pwd("getcwd");
    /* removing the cwd */
    SHOW("mkdir doomed", mkdir("doomed", 0755));
    SHOW("chdir doomed", chdir("doomed"));
    SHOW("rmdir ../doomed", rmdir("../doomed"));
    SHOW_OK("getcwd of removed dir", getcwd(buf, sizeof buf) ? 0 : -1);
    SHOW("create in removed cwd", open("f", O_WRONLY | O_CREAT, 0644));
    SHOW("chdir start", chdir(start));
    close(dfd);
    return 0;
}
