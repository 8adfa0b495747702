/* segv_write_readonly: a write to a PROT_READ page must kill the program with SIGSEGV. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    volatile char *p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("read: %d\n", p[0]);
    fflush(stdout);
    p[0] = 1;
    printf("survived the write\n");
    return 0;
}
