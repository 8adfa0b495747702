/* segv_after_munmap: map, write, munmap, write again: must die with SIGSEGV (no stale TLB). */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 42;
    printf("before munmap: %d\n", p[0]);
    printf("munmap: %d\n", munmap((void *)p, PAGE));
    fflush(stdout);
    p[0] = 43;
    printf("survived the write: %d\n", p[0]);
    return 0;
}
