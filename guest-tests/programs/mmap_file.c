/* mmap_file: private mappings of one file (the program's own executable, read-only
 * on the host) share nothing observable: writing through one (after mprotect RW, or
 * a writable private mapping) changes neither the other mappings nor the file. */
#include "common.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>

int main(void) {
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return 1;
    path[n] = 0;
    int fd = open(path, O_RDONLY);
    YESNO("open own executable", fd >= 0);
    const size_t len = 2 * 4096;
    unsigned char *a = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    unsigned char *b = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    unsigned char *c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    YESNO("three mappings", a != MAP_FAILED && b != MAP_FAILED && c != MAP_FAILED);
    YESNO("same bytes", a[1] == 'E' && b[1] == 'E' && c[1] == 'E' && a[4096 + 7] == b[4096 + 7]);
    unsigned char orig = a[4096 + 7];
    SHOW("mprotect a RW", mprotect(a, len, PROT_READ | PROT_WRITE));
    a[1] = 'X';
    a[4096 + 7] = (unsigned char)(orig + 1);
    c[1] = 'Y';
    YESNO("a sees its writes", a[1] == 'X' && a[4096 + 7] == (unsigned char)(orig + 1));
    YESNO("b unchanged", b[1] == 'E' && b[4096 + 7] == orig);
    YESNO("c sees only its own write", c[1] == 'Y' && c[4096 + 7] == orig);
    unsigned char disk[2] = {0};
    SHOW("pread the file", pread(fd, disk, 2, 0));
    YESNO("file unchanged", disk[1] == 'E');
    SHOW("munmap b", munmap(b, len));
    unsigned char *d = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    YESNO("a new mapping sees the file", d != MAP_FAILED && d[1] == 'E' && d[4096 + 7] == orig);
    SHOW("mprotect b (unmapped) RW", mprotect(b, len, PROT_READ | PROT_WRITE));
    /* A read through the unmapped range must fault, although its pages were touched. */
    pid_t pid = fork();
    if (pid == 0) {
        volatile unsigned char x = b[4096 + 7];
        (void)x;
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child reading unmapped file pages: %s %d\n",
           WIFSIGNALED(status) ? "killed by" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    /* After fork, a child's write to its private copy stays its own. */
    pid = fork();
    if (pid == 0) {
        d[1] = 0;
        _exit(d[1] == 0 ? 3 : 4);
    }
    waitpid(pid, &status, 0);
    printf("child wrote d: %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    SHOW("mprotect d RW", mprotect(d, len, PROT_READ | PROT_WRITE));
    pid = fork();
    if (pid == 0) {
        d[1] = 'Z';
        _exit(d[1] == 'Z' ? 5 : 6);
    }
    waitpid(pid, &status, 0);
    printf("child wrote d: %d; parent sees %c\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, d[1]);
    return 0;
}
