/* segv_after_mprotect: map RW, write, mprotect PROT_READ, write again: must die with SIGSEGV. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    volatile char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 42;
    printf("before mprotect: %d\n", p[0]);
    printf("mprotect: %d\n", mprotect((void *)p, PAGE, PROT_READ));
    printf("still readable: %d\n", p[0]);
    fflush(stdout);
    p[0] = 43;
    printf("survived the write: %d\n", p[0]);
    return 0;
}
