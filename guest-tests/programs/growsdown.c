/* growsdown: a MAP_GROWSDOWN mapping grows when touched just below its start; the main
 * stack grows with deep recursion; far below a grows-down mapping is still a fault
 * (checked by the last line not being reached only natively: not tested here). */
#include "common.h"
#include <sys/mman.h>

static long depth(long n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    return n == 0 ? pad[0] : depth(n - 1) + pad[0];
}

int main(void) {
    const long page = 4096;
    /* A hint with room below (nothing mapped in the 16 MiB under it). */
    char *hint = (char *)0x300000000000UL;
    char *p = mmap(hint, 4 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_FIXED_NOREPLACE, -1, 0);
    YESNO("mmap MAP_GROWSDOWN", p == hint);
    p[0] = 1;
    p[-page * 8] = 2; /* below the mapping: it grows */
    YESNO("grew and kept the value", p[-page * 8] == 2 && p[0] == 1);
    printf("recursion 4 MiB deep: %ld\n", depth(4000) % 7);
    return 0;
}
