/* shared_file_mapping: MAP_SHARED mappings of a file see one copy of its pages,
 * whoever mapped them, and read/write see what the mappings hold (no msync needed).
 * Runs in a scratch directory (the harness's fixture copy). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (3 * 4096)

static void check(const char *what, int ok) { printf("%s: %s\n", what, ok ? "yes" : "no"); }

static char *map(int fd) {
    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    return p == MAP_FAILED ? NULL : p;
}

int main(void) {
    int fd = open("shared-map.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, SIZE) != 0) {
        perror("setup");
        return 1;
    }
    char *p = map(fd), buf[16] = {0};
    check("mapped", p != NULL);
    if (!p)
        return 1;

    memcpy(p + 4096 + 10, "mapped", 6);
    check("pread sees a store to the mapping", pread(fd, buf, 6, 4096 + 10) == 6 && !memcmp(buf, "mapped", 6));

    check("pwrite", pwrite(fd, "written", 7, 2 * 4096 + 100) == 7);
    check("the mapping sees the pwrite", !memcmp(p + 2 * 4096 + 100, "written", 7));

    lseek(fd, 4096 + 10, SEEK_SET);
    memset(buf, 0, sizeof buf);
    check("read sees the store", read(fd, buf, 6) == 6 && !memcmp(buf, "mapped", 6));
    check("write over it", write(fd, "WRITE", 5) == 5);
    check("the mapping sees the write", !memcmp(p + 4096 + 16, "WRITE", 5));

    /* A second mapping of the same file in this process. */
    char *q = map(fd);
    check("second mapping", q != NULL && q != p);
    if (!q)
        return 1;
    check("it sees the first mapping's store", !memcmp(q + 4096 + 10, "mappedWRITE", 11));
    q[3] = 'Q';
    check("the first sees the second's", p[3] == 'Q');

    /* A child maps the file on its own (not inherited) and writes through it. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int cfd = open("shared-map.dat", O_RDWR);
        char *c = map(cfd);
        if (!c)
            _exit(2);
        int saw = c[3] == 'Q';
        memcpy(c + 50, "child", 5);
        _exit(saw ? 0 : 3);
    }
    int status = 0;
    waitpid(child, &status, 0);
    check("the child saw the parent's store", WIFEXITED(status) && WEXITSTATUS(status) == 0);
    check("the parent's mapping sees the child's store", !memcmp(p + 50, "child", 5));

    /* After every mapping is gone, the file holds everything. */
    munmap(p, SIZE);
    munmap(q, SIZE);
    memset(buf, 0, sizeof buf);
    check("the file after munmap", pread(fd, buf, 5, 50) == 5 && !memcmp(buf, "child", 5));
    char *r = map(fd);
    check("a new mapping sees it all", r && r[3] == 'Q' && !memcmp(r + 4096 + 10, "mappedWRITE", 11) &&
                                           !memcmp(r + 2 * 4096 + 100, "written", 7));
    close(fd);
    unlink("shared-map.dat");
    return 0;
}
