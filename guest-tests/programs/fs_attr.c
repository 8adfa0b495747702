/* fs_attr: access/faccessat(2), truncate/ftruncate/fallocate, chmod/fchmod/fchmodat, chown to
 * the same owner, utimensat (explicit times read back exactly), umask, fsync/fdatasync/sync,
 * statfs/fstatfs. Only relations are printed for times that are not set explicitly. */
#include "fsutil.h"
#include <sys/statfs.h>
#include <sys/time.h>
#include <linux/magic.h>

static void times_of(const char *label, const char *path, int flags) {
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, flags) < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    printf("%s: atime %ld.%09ld mtime %ld.%09ld\n", label, (long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
           (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct stat st;

    /* access: existence and execute bits (read/write are granted to root, so only checked
     * where both root and the owner agree) */
    SHOW("access hello.txt F_OK", access("hello.txt", F_OK));
    SHOW("access hello.txt R_OK|W_OK", access("hello.txt", R_OK | W_OK));
    SHOW("access hello.txt X_OK", access("hello.txt", X_OK));
    SHOW("access private.txt R_OK", access("private.txt", R_OK));
    SHOW("access private.txt X_OK", access("private.txt", X_OK));
    SHOW("access script.sh X_OK", access("script.sh", X_OK));
    SHOW("access a X_OK", access("a", X_OK));
    SHOW("access missing", access("missing", F_OK));
    SHOW("access dangling", access("dangling", F_OK));
    SHOW("access l1", access("l1", F_OK));
    SHOW("access bad mode", access("hello.txt", 0x10));
    SHOW("faccessat(a/b, two.txt)", faccessat(open("a/b", O_RDONLY), "two.txt", R_OK, 0));
    SHOW("faccessat2 SYMLINK_NOFOLLOW dangling",
         syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    SHOW("faccessat2 EACCESS script.sh X_OK", syscall(SYS_faccessat2, AT_FDCWD, "script.sh", X_OK, AT_EACCESS));
    SHOW("faccessat2 bad flags", syscall(SYS_faccessat2, AT_FDCWD, "script.sh", F_OK, 0x1));
    SHOW("faccessat2 EMPTY_PATH", syscall(SYS_faccessat2, open("hello.txt", O_RDONLY), "", R_OK, AT_EMPTY_PATH));

    /* truncate / ftruncate / fallocate */
    SHOW("truncate hello.txt 5", truncate("hello.txt", 5));
    show_file("hello.txt", "hello.txt");
    SHOW("truncate hello.txt 8 (extends with zeros)", truncate("hello.txt", 8));
    show_file("hello.txt", "hello.txt");
    SHOW("truncate via symlink", truncate("rel_link", 2));
    show_file("hello.txt", "hello.txt");
    SHOW("truncate dir", truncate("a", 0));
    SHOW("truncate missing", truncate("missing", 0));
    SHOW("truncate negative", truncate("hello.txt", -1));
    int fd = open("big.bin", O_RDWR);
    SHOW("ftruncate big.bin 1000", ftruncate(fd, 1000));
    SHOW("size", size_of("big.bin"));
    SHOW("offset kept past new EOF", lseek(fd, 5000, SEEK_SET));
    SHOW("write past EOF after shrink", write(fd, "!", 1));
    SHOW("size", size_of("big.bin"));
    unsigned char b[8];
    SHOW("pread in new hole", pread(fd, b, 8, 1000));
    YESNO("hole bytes zero", !b[0] && !b[7]);
    close(fd);
    fd = open("hello.txt", O_RDONLY);
    SHOW("ftruncate O_RDONLY fd", ftruncate(fd, 0));
    close(fd);
    fd = open("a", O_RDONLY);
    SHOW("ftruncate dir fd", ftruncate(fd, 0));
    close(fd);
    fd = open("falloc.bin", O_RDWR | O_CREAT, 0644);
    SHOW("fallocate 0..8192", fallocate(fd, 0, 0, 8192));
    SHOW("size", size_of("falloc.bin"));
    SHOW("fallocate KEEP_SIZE to 16384", fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 16384));
    SHOW("size kept", size_of("falloc.bin"));
    SHOW("fallocate len 0", fallocate(fd, 0, 0, 0));
    SHOW("fallocate negative offset", fallocate(fd, 0, -1, 10));
    long n = pread(fd, b, 8, 4000);
    printf("fallocated bytes read: %ld, zero: %s\n", n, !b[0] && !b[7] ? "yes" : "no");
    close(fd);
    fd = open("hello.txt", O_RDONLY);
    SHOW("fallocate O_RDONLY fd", fallocate(fd, 0, 0, 10));
    close(fd);

    /* chmod family */
    SHOW("chmod hello.txt 0400", chmod("hello.txt", 0400));
    show_mode("hello.txt", "hello.txt");
    SHOW("chmod 04755 (setuid kept for owner)", chmod("hello.txt", 04755));
    show_mode("hello.txt", "hello.txt");
    SHOW("chmod via rel_link", chmod("rel_link", 0640));
    show_mode("hello.txt", "hello.txt");
    show_mode("rel_link stays 0777", "rel_link");
    SHOW("chmod dir 0700", chmod("a/b", 0700));
    show_mode("a/b", "a/b");
    SHOW("chmod missing", chmod("missing", 0644));
    fd = open("script.sh", O_RDONLY);
    SHOW("fchmod script.sh 0711", fchmod(fd, 0711));
    show_mode("script.sh", "script.sh");
    SHOW("access X_OK after 0711", access("script.sh", X_OK));
    SHOW("fchmod 0600", fchmod(fd, 0600));
    SHOW("access X_OK after 0600", access("script.sh", X_OK));
    close(fd);
    SHOW("fchmodat(a, one.txt, 0604)", fchmodat(open("a", O_RDONLY), "one.txt", 0604, 0));
    show_mode("a/one.txt", "a/one.txt");
    SHOW("fchmodat NOFOLLOW on symlink", fchmodat(AT_FDCWD, "rel_link", 0600, AT_SYMLINK_NOFOLLOW));
    SHOW("fchmod bad fd", fchmod(99, 0644));

    /* chown to the current owner (always allowed), -1 keeps */
    SHOW("chown same owner", chown("lines.txt", getuid(), getgid()));
    SHOW("chown -1 -1", chown("lines.txt", -1, -1));
    SHOW("lchown symlink", lchown("rel_link", getuid(), getgid()));
    fd = open("lines.txt", O_RDONLY);
    SHOW("fchown same owner", fchown(fd, getuid(), getgid()));
    close(fd);
    SHOW("fchownat EMPTY_PATH", fchownat(AT_FDCWD, "", -1, -1, AT_EMPTY_PATH));
    SHOW("chown missing", chown("missing", getuid(), getgid()));
    stat("lines.txt", &st);
    YESNO("owner unchanged", st.st_uid == getuid() && st.st_gid == getgid());
    show_mode("lines.txt mode unchanged", "lines.txt");

    /* utimensat */
    struct timespec ts[2] = { { 1000000000, 123456789 }, { 1234567890, 987654321 } };
    SHOW("utimensat lines.txt", utimensat(AT_FDCWD, "lines.txt", ts, 0));
    times_of("lines.txt", "lines.txt", 0);
    struct timespec omit[2] = { { 5, UTIME_OMIT }, { 1500000000, 0 } };
    SHOW("utimensat UTIME_OMIT atime", utimensat(AT_FDCWD, "lines.txt", omit, 0));
    times_of("lines.txt", "lines.txt", 0);
    SHOW("utimensat via symlink", utimensat(AT_FDCWD, "rel_link", ts, 0));
    times_of("hello.txt", "hello.txt", 0);
    struct timespec ts2[2] = { { 300, 0 }, { 400, 1 } };
    SHOW("utimensat NOFOLLOW on symlink", utimensat(AT_FDCWD, "dir_link", ts2, AT_SYMLINK_NOFOLLOW));
    times_of("dir_link (lstat)", "dir_link", AT_SYMLINK_NOFOLLOW);
    stat("a/b", &st);
    YESNO("a/b (the target) untouched", st.st_mtim.tv_sec != 400);
    SHOW("futimens", futimens(fd = open("empty", O_RDONLY), ts2));
    close(fd);
    times_of("empty", "empty", 0);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    SHOW("utimensat bad nsec", utimensat(AT_FDCWD, "empty", bad, 0));
    SHOW("utimensat missing", utimensat(AT_FDCWD, "missing", ts, 0));
    struct timeval tv[2] = { { 2000, 5 }, { 3000, 7 } };
    SHOW("utimes", utimes("empty", tv));
    times_of("empty", "empty", 0);
    SHOW("utimensat NULL (now)", utimensat(AT_FDCWD, "empty", NULL, 0));
    stat("empty", &st);
    YESNO("mtime now is recent (> 2020)", st.st_mtim.tv_sec > 1577836800);
    /* writes move mtime forward */
    utimensat(AT_FDCWD, "orig.txt", ts, 0);
    fd = open("orig.txt", O_WRONLY | O_APPEND);
    write(fd, "more\n", 5);
    close(fd);
    stat("orig.txt", &st);
    YESNO("mtime changed by write", st.st_mtim.tv_sec != ts[1].tv_sec);
    YESNO("ctime changed by write", st.st_ctim.tv_sec > 1577836800);
    stat("hardlink.txt", &st);
    YESNO("hard link shares mtime", st.st_mtim.tv_sec > 1577836800);
    utimensat(AT_FDCWD, "a", ts, 0);
    put_file("a/newfile", "n");
    stat("a", &st);
    YESNO("dir mtime changed by create", st.st_mtim.tv_sec != ts[1].tv_sec);

    /* umask */
    umask(022); /* the inherited umask is the harness's: not printed */
    SHOW("umask 077 returns 022", umask(077));
    close(creat("masked.txt", 0666));
    show_mode("creat 0666 under umask 077", "masked.txt");
    mkdir("maskdir", 0777);
    show_mode("mkdir 0777 under umask 077", "maskdir");
    SHOW("umask returns previous", umask(022));
    close(open("masked2.txt", O_CREAT | O_WRONLY, 0777));
    show_mode("open 0777 under umask 022", "masked2.txt");
    umask(0);
    close(open("masked3.txt", O_CREAT | O_WRONLY, 0666));
    show_mode("open 0666 under umask 0", "masked3.txt");
    SHOW("umask high bits ignored", umask(0xfff));
    SHOW("umask after", umask(022));

    /* sync family */
    fd = open("lines.txt", O_RDWR);
    SHOW("fsync", fsync(fd));
    SHOW("fdatasync", fdatasync(fd));
    sync();
    printf("sync: done\n");
    SHOW("syncfs", syncfs(fd));
    SHOW("fsync bad fd", fsync(99));
    close(fd);

    /* statfs: no host-specific numbers */
    struct statfs sf;
    SHOW("statfs .", statfs(".", &sf));
    YESNO("statfs . bsize > 0", sf.f_bsize > 0);
    YESNO("statfs . namelen 255", sf.f_namelen == 255);
    fd = open("a", O_RDONLY);
    SHOW("fstatfs a", fstatfs(fd, &sf));
    close(fd);
    SHOW("statfs /proc", statfs("/proc", &sf));
    YESNO("/proc is procfs", sf.f_type == PROC_SUPER_MAGIC);
    SHOW("statfs /tmp", statfs("/tmp", &sf));
    SHOW("statfs missing", statfs("missing", &sf));
    SHOW("fstatfs bad fd", fstatfs(99, &sf));
    return 0;
}
