/* fs_walk: path resolution: symlink chains (40 allowed, 41 -> ELOOP), loops, ENAMETOOLONG
 * (whole path and one component), ENOTDIR, "." / ".." / "//", ".." at "/", and the tmpfs
 * mounts /tmp and /dev/shm (writable, none of the fixture's files, EXDEV across mounts). */
#include "fsutil.h"

static ino_t ino(const char *p) {
    struct stat st;
    return stat(p, &st) < 0 ? (ino_t)-1 : st.st_ino;
}

/* Creates chain<N>_0 -> chain<N>_1 -> ... -> chain<N>_N = hello.txt; returns the first name. */
static const char *chain(int n) {
    static char first[64];
    char name[64], target[64];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "chain%d_%d", n, i);
        if (i == n - 1) snprintf(target, sizeof target, "hello.txt");
        else snprintf(target, sizeof target, "chain%d_%d", n, i + 1);
        symlink(target, name);
    }
    snprintf(first, sizeof first, "chain%d_0", n);
    return first;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char path[6000];
    struct stat st;
    (void)argc;

    /* spelling variants of the same file */
    const char *same[] = { "a/b/two.txt", "./a/./b/./two.txt", "a//b///two.txt", "a/b/c/../two.txt",
        "dir_link/two.txt", "dir_link/c/../two.txt", "a/../a/b/two.txt", "emptydir/../a/b/two.txt", NULL };
    for (int i = 0; same[i]; i++) show_file(same[i], same[i]);
    show_file("a/b/c/../../b/up_link", "a/b/c/../../b/up_link");
    show_file("abs_link", "abs_link");

    /* errors along the walk */
    show_file("hello.txt/x", "hello.txt/x");
    show_file("hello.txt/.", "hello.txt/.");
    show_file("hello.txt/..", "hello.txt/..");
    show_file("rel_link/", "rel_link/");
    show_file("missing/x", "missing/x");
    show_file("dangling/x", "dangling/x");
    show_file("l1/x", "l1/x");
    show_file("a/b/c/deep.txt/", "a/b/c/deep.txt/");
    show_file("emptydir/../missing/../hello.txt", "emptydir/../missing/../hello.txt");
    show_file("\"\"", "");
    SHOW("stat l1", stat("l1", &st));
    SHOW("lstat l1", lstat("l1", &st));
    SHOW("stat l1/", lstat("l1/", &st));

    /* symlink chains: Linux follows at most 40 */
    show_file("chain of 40 links", chain(40));
    show_file("chain of 41 links", chain(41));
    SHOW("lstat first of 41", lstat("chain41_0", &st));
    SHOW("symlink to itself", symlink("self", "self"));
    SHOW("open self", open("self", O_RDONLY));
    SHOW("mkdir self/x", mkdir("self/x", 0755));

    /* names that are too long */
    memset(path, 'n', 300);
    path[300] = 0;
    SHOW("open 300-byte name", open(path, O_RDONLY));
    SHOW("create 300-byte name", open(path, O_WRONLY | O_CREAT, 0644));
    SHOW("mkdir 300-byte name", mkdir(path, 0755));
    path[255] = 0;
    int fd = open(path, O_WRONLY | O_CREAT, 0644);
    SHOW("create 255-byte name", fd >= 0 ? 0 : -1);
    close(fd);
    path[256] = 0;
    path[255] = 'n';
    SHOW("stat 256-byte name", stat(path, &st));
    char *p = path;
    for (int i = 0; i < 2500; i++) { *p++ = 'a'; *p++ = '/'; }
    *p = 0;
    SHOW("stat 5000-byte path", stat(path, &st));
    SHOW("open 5000-byte path", open(path, O_RDONLY));
    SHOW("mkdir 5000-byte path", mkdir(path, 0755));
    p = path;
    for (int i = 0; i < 1500; i++) { memcpy(p, "./", 2); p += 2; }
    strcpy(p, "hello.txt");
    show_file("3009-byte path of ./", path);
    char big[5000];
    memset(big, 'x', 4500);
    big[4500] = 0;
    SHOW("symlink with 4500-byte target", symlink(big, "longtarget"));
    big[4000] = 0;
    SHOW("symlink with 4000-byte target", symlink(big, "longtarget"));
    SHOW("readlink it", readlink("longtarget", path, sizeof path));

    /* ".." never climbs above "/" */
    ino_t root = ino("/");
    YESNO("/.. is /", ino("/..") == root);
    YESNO("/../../.. is /", ino("/../../..") == root);
    p = path;
    for (int i = 0; i < 40; i++) { memcpy(p, "../", 3); p += 3; }
    *p = 0;
    YESNO("40 x ../ from cwd is /", ino(path) == root);
    strcpy(p, "proc/self/..");
    YESNO("../ x 40 + proc/self/.. is /proc", ino(path) == ino("/proc"));
    SHOW("chdir /..", chdir("/.."));
    char cwd[256];
    printf("getcwd: %s\n", getcwd(cwd, sizeof cwd));
    SHOW("open ..", open("..", O_RDONLY | O_DIRECTORY) >= 0 ? 0 : -1);
    show_file("../../../../../../proc/self/comm", "../../../../../../proc/self/comm");

    /* /tmp and /dev/shm are empty tmpfs mounts of the sandbox, writable */
    char tmpname[64];
    snprintf(tmpname, sizeof tmpname, "/tmp/gt-fs-walk-%d", getpid());
    SHOW("/tmp is a dir", stat("/tmp", &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1);
    SHOW("no hello.txt in /tmp", access("/tmp/hello.txt", F_OK));
    SHOW("no a/b/c in /tmp", access("/tmp/a/b/c", F_OK));
    fd = open(tmpname, O_RDWR | O_CREAT | O_EXCL, 0600);
    SHOW("create in /tmp", fd >= 0 ? 0 : -1);
    SHOW("write in /tmp", write(fd, "tmpdata", 7));
    char buf[16] = {0};
    SHOW("pread in /tmp", pread(fd, buf, sizeof buf, 0));
    printf("tmp contents: %s\n", buf);
    close(fd);
    SHOW("mkdir in /tmp", mkdir(strcat(strcpy(path, tmpname), ".d"), 0755));
    SHOW("rmdir in /tmp", rmdir(path));
    SHOW("unlink in /tmp", unlink(tmpname));
    snprintf(tmpname, sizeof tmpname, "/dev/shm/gt-fs-walk-%d", getpid());
    fd = open(tmpname, O_RDWR | O_CREAT | O_EXCL, 0600);
    SHOW("create in /dev/shm", fd >= 0 ? 0 : -1);
    close(fd);
    SHOW("rename /dev/shm -> cwd (another mount)", rename(tmpname, "from_shm"));
    SHOW("link /dev/shm -> cwd (another mount)", link(tmpname, "from_shm"));
    SHOW("rename cwd -> /dev/shm", rename("hello.txt", strcat(strcpy(path, tmpname), ".x")));
    SHOW("unlink in /dev/shm", unlink(tmpname));
    SHOW("symlink across mounts is fine", symlink(tmpname, "to_shm"));
    SHOW("it dangles now", access("to_shm", F_OK));

    /* argv[0] is an absolute path to the program; it is reachable */
    SHOW("stat argv[0]", stat(argv[0], &st));
    YESNO("argv[0] is a regular executable file", S_ISREG(st.st_mode) && (st.st_mode & 0100));
    return 0;
}
