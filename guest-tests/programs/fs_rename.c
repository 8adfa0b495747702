/* fs_rename: rename/renameat/renameat2 (NOREPLACE, EXCHANGE) and their errors;
 * link/linkat, symlink/symlinkat, readlink/readlinkat. */
#include "fsutil.h"

static long renameat2_(int od, const char *o, int nd, const char *n, unsigned flags) {
    return syscall(SYS_renameat2, od, o, nd, n, flags);
}

static void show_link(const char *label, const char *path) {
    char buf[256];
    long n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) { printf("%s: -1 %s\n", label, errname(errno)); return; }
    buf[n] = 0;
    printf("%s: %ld \"%s\"\n", label, n, buf);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);

    /* rename files */
    SHOW("rename hello.txt -> moved.txt", rename("hello.txt", "moved.txt"));
    show_file("moved.txt", "moved.txt");
    show_file("hello.txt", "hello.txt");
    show_file("rel_link now dangles", "rel_link");
    SHOW("rename missing", rename("missing", "x"));
    SHOW("rename into missing dir", rename("moved.txt", "missing/x"));
    SHOW("rename over existing file", rename("moved.txt", "empty"));
    show_file("empty (replaced)", "empty");
    show_file("moved.txt", "moved.txt");
    SHOW("rename file to itself", rename("empty", "empty"));
    SHOW("rename hard link onto its twin", rename("orig.txt", "hardlink.txt"));
    show_file("orig.txt still there", "orig.txt");
    SHOW("rename into subdir", rename("binary.bin", "a/b/c/binary.bin"));
    printf("a/b/c/binary.bin size: %ld\n", size_of("a/b/c/binary.bin"));
    SHOW("rename with ../", rename("a/b/c/binary.bin", "a/b/../moved.bin"));
    printf("a/moved.bin size: %ld\n", size_of("a/moved.bin"));
    SHOW("rename a symlink (not its target)", rename("dir_link", "dl2"));
    show_mode("dl2", "dl2");
    show_file("dl2/two.txt", "dl2/two.txt");
    SHOW("rename file with trailing slash", rename("lines.txt/", "x"));

    /* rename directories */
    SHOW("mkdir d1", mkdir("d1", 0755));
    put_file("d1/inside", "in d1\n");
    SHOW("rename dir over empty dir", rename("d1", "emptydir"));
    show_file("emptydir/inside", "emptydir/inside");
    SHOW("rename dir over non-empty dir", rename("a", "emptydir"));
    SHOW("rename file over dir", rename("lines.txt", "emptydir"));
    SHOW("rename dir over file", rename("emptydir", "lines.txt"));
    SHOW("rename dir into itself", rename("a", "a/b/a"));
    SHOW("rename dir to its parent's name", rename("a/b", "a"));
    SHOW("rename . ", rename(".", "x"));
    SHOW("rename a/b/c -> top", rename("a/b/c", "top"));
    show_file("top/deep.txt", "top/deep.txt");
    show_file("abs_link now dangles", "abs_link");
    SHOW("rename dir with trailing slash", rename("top/", "top2/"));
    show_mode("top2", "top2");
    struct stat st;
    stat("a", &st);
    printf("a nlink after moving b/c out: %lu\n", (unsigned long)st.st_nlink);

    /* renameat / renameat2 */
    int da = open("a", O_RDONLY | O_DIRECTORY), dt = open("top2", O_RDONLY | O_DIRECTORY);
    SHOW("renameat(a, one.txt, top2, one.txt)", renameat(da, "one.txt", dt, "one.txt"));
    show_file("top2/one.txt", "top2/one.txt");
    put_file("x.txt", "x\n");
    put_file("y.txt", "y\n");
    SHOW("renameat2 NOREPLACE onto existing", renameat2_(AT_FDCWD, "x.txt", AT_FDCWD, "y.txt", RENAME_NOREPLACE));
    SHOW("renameat2 NOREPLACE onto new", renameat2_(AT_FDCWD, "x.txt", AT_FDCWD, "z.txt", RENAME_NOREPLACE));
    show_file("z.txt", "z.txt");
    SHOW("renameat2 EXCHANGE files", renameat2_(AT_FDCWD, "z.txt", AT_FDCWD, "y.txt", RENAME_EXCHANGE));
    show_file("z.txt", "z.txt");
    show_file("y.txt", "y.txt");
    SHOW("renameat2 EXCHANGE file and dir", renameat2_(AT_FDCWD, "y.txt", dt, "..", RENAME_EXCHANGE));
    SHOW("renameat2 EXCHANGE file and dir", renameat2_(AT_FDCWD, "y.txt", AT_FDCWD, "top2", RENAME_EXCHANGE));
    show_mode("y.txt is now the dir", "y.txt");
    show_file("top2 is now the file", "top2");
    show_file("y.txt/deep.txt", "y.txt/deep.txt");
    SHOW("renameat2 EXCHANGE with missing", renameat2_(AT_FDCWD, "y.txt", AT_FDCWD, "nothere", RENAME_EXCHANGE));
    SHOW("renameat2 EXCHANGE|NOREPLACE", renameat2_(AT_FDCWD, "y.txt", AT_FDCWD, "z.txt", RENAME_EXCHANGE | RENAME_NOREPLACE));
    SHOW("renameat2 bad flags", renameat2_(AT_FDCWD, "y.txt", AT_FDCWD, "z.txt", 0x100));
    SHOW("renameat bad dirfd", renameat(99, "x", AT_FDCWD, "y"));
    close(da);
    close(dt);

    /* an open fd follows its file through a rename */
    int fd = open("z.txt", O_RDWR);
    rename("z.txt", "w.txt");
    lseek(fd, 0, SEEK_END);
    write(fd, "appended\n", 9);
    close(fd);
    show_file("w.txt", "w.txt");

    /* link / linkat */
    SHOW("link w.txt -> w2.txt", link("w.txt", "w2.txt"));
    stat("w.txt", &st);
    printf("w.txt nlink: %lu\n", (unsigned long)st.st_nlink);
    fd = open("w2.txt", O_WRONLY | O_APPEND);
    write(fd, "via w2\n", 7);
    close(fd);
    show_file("w.txt sees write through w2.txt", "w.txt");
    SHOW("link onto existing", link("w.txt", "w2.txt"));
    SHOW("link missing", link("missing", "m2"));
    SHOW("link a directory", link("a", "a2"));
    SHOW("link into missing dir", link("w.txt", "missing/w"));
    SHOW("link symlink itself", link("rel_link", "rel_link2"));
    show_mode("rel_link2", "rel_link2");
    SHOW("linkat FOLLOW dangling", linkat(AT_FDCWD, "rel_link", AT_FDCWD, "r3", AT_SYMLINK_FOLLOW));
    SHOW("linkat FOLLOW dl2", linkat(AT_FDCWD, "a/b/up_link", AT_FDCWD, "r3", AT_SYMLINK_FOLLOW));
    SHOW("linkat bad flags", linkat(AT_FDCWD, "w.txt", AT_FDCWD, "r4", 0x1));

    /* symlink / readlink */
    SHOW("symlink new", symlink("w.txt", "s1"));
    show_link("readlink s1", "s1");
    show_file("read through s1", "s1");
    SHOW("symlink onto existing", symlink("w.txt", "s1"));
    SHOW("symlink empty target", symlink("", "s2"));
    SHOW("symlink to nowhere", symlink("no/such/place", "s3"));
    show_link("readlink s3", "s3");
    SHOW("symlink in missing dir", symlink("w.txt", "missing/s"));
    show_link("readlink a/b/up_link", "a/b/up_link");
    show_link("readlink dl2", "dl2");
    show_link("readlink l1", "l1");
    show_link("readlink of a file", "w.txt");
    show_link("readlink of a dir", "a");
    show_link("readlink missing", "missing");
    show_link("readlink dl2/ (trailing slash follows)", "dl2/");
    char small[4];
    SHOW("readlink truncates", readlink("a/b/up_link", small, sizeof small));
    printf("truncated: %.4s\n", small);
    SHOW("readlink bufsize 0", readlink("s1", small, 0));
    int db = open("a/b", O_RDONLY | O_DIRECTORY);
    char buf[64] = {0};
    SHOW("readlinkat(a/b, up_link)", readlinkat(db, "up_link", buf, sizeof buf - 1));
    printf("target: %s\n", buf);
    SHOW("symlinkat(a/b, ../../w.txt, back)", symlinkat("../../w.txt", db, "back"));
    show_file("a/b/back", "a/b/back");
    fd = open("a/b/up_link", O_PATH | O_NOFOLLOW);
    memset(buf, 0, sizeof buf);
    SHOW("readlinkat(O_PATH fd, \"\")", readlinkat(fd, "", buf, sizeof buf - 1));
    printf("target: %s\n", buf);
    close(fd);
    close(db);
    SHOW("unlink s1", unlink("s1"));
    show_file("w.txt unaffected", "w.txt");
    return 0;
}
