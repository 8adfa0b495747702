/* path_fuzz: random paths (dots, symlinks, /proc magic links, mount points) through the
 * path syscalls, seeded from argv[1]; run only in the sandbox (it writes wherever its
 * random walk leads), which must end every run normally. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <dirent.h>
static unsigned long long s = 88172645463325252ULL;
static unsigned long long rnd(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
static const char *parts[] = {".", "..", "a", "b", "proc", "self", "fd", "0", "1", "dev", "tmp", "shm", "null", "sys", "x", "l", "etc", "root", "cwd", "exe", "", "mounts", "3"};
static void path(char *out) {
    out[0] = 0;
    int n = rnd() % 6;
    if (rnd() % 2) strcat(out, "/");
    for (int i = 0; i < n; i++) { strcat(out, parts[rnd() % (sizeof parts / sizeof *parts)]); if (i + 1 < n || rnd() % 4 == 0) strcat(out, "/"); }
}
int main(int argc, char **argv) {
    s += argc > 1 ? atoll(argv[1]) : 0;
    chdir("/tmp");
    char p1[512], p2[512], buf[4096];
    for (int i = 0; i < 3000; i++) {
        path(p1); path(p2);
        int fd;
        switch (rnd() % 16) {
        case 0: fd = open(p1, (int)(rnd() & 0x7fffff), 0644); if (fd > 2) { read(fd, buf, sizeof buf); close(fd); } break;
        case 1: mkdir(p1, 0755); break;
        case 2: rmdir(p1); break;
        case 3: unlink(p1); break;
        case 4: rename(p1, p2); break;
        case 5: symlink(p1, p2); break;
        case 6: link(p1, p2); break;
        case 7: chdir(p1); break;
        case 8: { struct stat st; stat(p1, &st); lstat(p1, &st); } break;
        case 9: readlink(p1, buf, sizeof buf); break;
        case 10: syscall(SYS_renameat2, AT_FDCWD, p1, AT_FDCWD, p2, (unsigned)(rnd() % 8)); break;
        case 11: fd = open(p1, O_RDONLY | O_DIRECTORY); if (fd > 2) { syscall(SYS_getdents64, fd, buf, (unsigned)(rnd() % 4096)); close(fd); } break;
        case 12: truncate(p1, (long)(rnd() % 100000)); break;
        case 13: fd = open(p1, O_RDWR | O_CREAT, 0600); if (fd > 2) { write(fd, buf, rnd() % 4096); lseek(fd, rnd() % 10000, (int)(rnd() % 5)); close(fd); } break;
        case 14: chmod(p1, (unsigned)rnd()); break;
        case 15: getcwd(buf, rnd() % 300); break;
        }
    }
    puts("survived");
    return 0;
}
