/* fs_stat: stat/lstat/fstat/newfstatat/statx on the fixture: size, type, mode bits, link
 * counts of directories and hard links, owner, AT_* flags and errors. No inode/dev/time values. */
#include "fsutil.h"

static const char *kind(mode_t m) {
    return S_ISREG(m) ? "reg" : S_ISDIR(m) ? "dir" : S_ISLNK(m) ? "lnk" : S_ISFIFO(m) ? "fifo"
         : S_ISCHR(m) ? "chr" : S_ISBLK(m) ? "blk" : S_ISSOCK(m) ? "sock" : "?";
}

static void show_stat(const char *label, int r, struct stat *st) {
    if (r < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    printf("%s: %s mode %04o", label, kind(st->st_mode), (unsigned)(st->st_mode & 07777));
    if (!S_ISDIR(st->st_mode)) printf(" size %ld", (long)st->st_size);
    printf(" nlink %lu own %s\n", (unsigned long)st->st_nlink,
           st->st_uid == getuid() && st->st_gid == getgid() ? "me" : "other");
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct stat st, st2;
    const char *paths[] = { "hello.txt", "binary.bin", "empty", "big.bin", "private.txt",
        "script.sh", "orig.txt", "hardlink.txt", "a", "a/b", "a/b/c", "emptydir", "rel_link",
        "dir_link", "dangling", "l1", "a/b/up_link", ".", "a/..", "missing",
        "hello.txt/", "a/", "dir_link/", "hello.txt/x", NULL };
    char label[128];
    for (int i = 0; paths[i]; i++) {
        snprintf(label, sizeof label, "stat %s", paths[i]);
        show_stat(label, stat(paths[i], &st), &st);
        snprintf(label, sizeof label, "lstat %s", paths[i]);
        int r = lstat(paths[i], &st);
        show_stat(label, r, &st);
    }
    /* symlink sizes are the length of their target */
    lstat("rel_link", &st);
    printf("lstat rel_link size: %ld\n", (long)st.st_size);
    show_stat("stat abs_link", stat("abs_link", &st), &st);
    lstat("abs_link", &st); /* its size depends on the fixture's absolute path: not printed */
    YESNO("lstat abs_link is a link", S_ISLNK(st.st_mode) && (st.st_mode & 0777) == 0777);
    char target[4096];
    long tn = readlink("abs_link", target, sizeof target);
    printf("abs_link size == readlink length: %s\n", st.st_size == tn ? "yes" : "no");

    /* same inode through hard link, symlink and "." */
    stat("orig.txt", &st);
    stat("hardlink.txt", &st2);
    YESNO("hard link same inode", st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
    stat("rel_link", &st2);
    stat("hello.txt", &st);
    YESNO("rel_link leads to hello.txt's inode", st.st_ino == st2.st_ino);
    stat("a/b/c/../..", &st);
    stat("a", &st2);
    YESNO("a/b/c/../.. is a", st.st_ino == st2.st_ino);
    stat("dir_link/..", &st);
    YESNO("dir_link/.. is a (physical ..)", st.st_ino == st2.st_ino);
    YESNO("blksize > 0", st.st_blksize > 0);

    /* fstat agrees with stat */
    int fd = open("big.bin", O_RDONLY);
    show_stat("fstat big.bin", fstat(fd, &st), &st);
    stat("big.bin", &st2);
    YESNO("fstat ino == stat ino", st.st_ino == st2.st_ino);
    YESNO("blocks cover size", st.st_blocks * 512 >= st.st_size);
    SHOW("fstat bad fd", fstat(77, &st));
    SHOW("stat bad pointer", stat("hello.txt", BADPTR));
    SHOW("stat bad path pointer", stat(BADPTR, &st));

    /* newfstatat flags */
    int dfd = open("a/b", O_RDONLY | O_DIRECTORY);
    show_stat("fstatat(a/b, two.txt)", fstatat(dfd, "two.txt", &st, 0), &st);
    show_stat("fstatat(a/b, up_link)", fstatat(dfd, "up_link", &st, 0), &st);
    show_stat("fstatat(a/b, up_link, NOFOLLOW)", fstatat(dfd, "up_link", &st, AT_SYMLINK_NOFOLLOW), &st);
    show_stat("fstatat(fd, \"\", EMPTY_PATH)", fstatat(fd, "", &st, AT_EMPTY_PATH), &st);
    show_stat("fstatat(fd, \"\", 0)", fstatat(fd, "", &st, 0), &st);
    show_stat("fstatat(AT_FDCWD, \"\", EMPTY_PATH)", fstatat(AT_FDCWD, "", &st, AT_EMPTY_PATH), &st);
    show_stat("fstatat bad flags", fstatat(dfd, "two.txt", &st, 0x40000000), &st);
    show_stat("fstatat(file fd, x)", fstatat(fd, "x", &st, 0), &st);
    show_stat("fstatat(99, x)", fstatat(99, "x", &st, 0), &st);
    close(fd);

    /* statx */
    struct statx sx;
    int r = statx(dfd, "two.txt", 0, STATX_BASIC_STATS, &sx);
    printf("statx two.txt: %d type %s mode %04o size %llu nlink %u\n", r, kind(sx.stx_mode),
           sx.stx_mode & 07777, (unsigned long long)sx.stx_size, sx.stx_nlink);
    YESNO("statx mask has BASIC_STATS basics", (sx.stx_mask & (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_NLINK)) ==
          (STATX_TYPE | STATX_MODE | STATX_SIZE | STATX_NLINK));
    fstatat(dfd, "two.txt", &st, 0);
    YESNO("statx ino == stat ino", sx.stx_ino == st.st_ino);
    YESNO("statx mtime == stat mtime", sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
          sx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec);
    YESNO("statx uid is me", sx.stx_uid == getuid());
    r = statx(AT_FDCWD, "dir_link", AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_SIZE, &sx);
    printf("statx dir_link NOFOLLOW: %d type %s size %llu\n", r, kind(sx.stx_mode),
           (unsigned long long)sx.stx_size);
    r = statx(AT_FDCWD, "dir_link", 0, STATX_TYPE, &sx);
    printf("statx dir_link: %d type %s\n", r, kind(sx.stx_mode));
    r = statx(AT_FDCWD, "a", 0, STATX_NLINK, &sx);
    printf("statx a nlink: %d %u\n", r, sx.stx_nlink);
    SHOW("statx missing", statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
    SHOW("statx l1", statx(AT_FDCWD, "l1", 0, STATX_BASIC_STATS, &sx));
    SHOW("statx reserved mask bit", statx(AT_FDCWD, "a", 0, 0x80000000U, &sx));
    SHOW("statx bad flags", statx(AT_FDCWD, "a", 0x40000000, STATX_BASIC_STATS, &sx));
    r = statx(dfd, "", AT_EMPTY_PATH, STATX_TYPE, &sx);
    printf("statx dirfd EMPTY_PATH: %d type %s\n", r, kind(sx.stx_mode));
    close(dfd);

    /* link counts change as entries come and go */
    stat("emptydir", &st);
    printf("emptydir nlink: %lu\n", (unsigned long)st.st_nlink);
    mkdir("emptydir/sub", 0755);
    stat("emptydir", &st);
    printf("emptydir nlink after mkdir sub: %lu\n", (unsigned long)st.st_nlink);
    rmdir("emptydir/sub");
    stat("emptydir", &st);
    printf("emptydir nlink after rmdir sub: %lu\n", (unsigned long)st.st_nlink);
    link("orig.txt", "third.txt");
    stat("orig.txt", &st);
    printf("orig.txt nlink after link: %lu\n", (unsigned long)st.st_nlink);
    unlink("hardlink.txt");
    unlink("third.txt");
    stat("orig.txt", &st);
    printf("orig.txt nlink after 2 unlinks: %lu\n", (unsigned long)st.st_nlink);

    /* an open, unlinked file keeps its data */
    fd = open("gone.txt", O_RDWR | O_CREAT, 0644);
    write(fd, "still here", 10);
    unlink("gone.txt");
    fstat(fd, &st);
    printf("unlinked file nlink %lu size %ld\n", (unsigned long)st.st_nlink, (long)st.st_size);
    char buf[16] = {0};
    pread(fd, buf, 10, 0);
    printf("unlinked file contents: %s\n", buf);
    SHOW("stat gone.txt", stat("gone.txt", &st));
    close(fd);
    return 0;
}
