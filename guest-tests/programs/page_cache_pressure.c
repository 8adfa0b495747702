/* page_cache_pressure: maps a big read-only file (its pages go to the page cache),
 * unmaps it, then touches more anonymous memory than would fit beside those pages:
 * cached pages no mapping uses must make room. Run with a small --memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDONLY); size_t len = 24 << 20;
    unsigned char *p = mmap(0, len, PROT_READ, MAP_PRIVATE, fd, 0); long sum = 0;
    for (size_t i = 0; i < len; i += 4096) sum += p[i];
    munmap(p, len);
    size_t big = (size_t)atol(argv[2]) << 20; unsigned char *q = mmap(0, big, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    for (size_t i = 0; i < big; i += 4096) q[i] = 1;
    printf("ok %ld\n", sum > 0);
    return 0; }
