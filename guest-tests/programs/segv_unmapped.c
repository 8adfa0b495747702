/* segv_unmapped: a write to address 0x10 (never mapped) must kill the program with SIGSEGV. */
#include "common.h"

static volatile int *volatile target = (volatile int *)0x10;

int main(void) {
    printf("writing to 0x10\n");
    fflush(stdout);
    *target = 1;
    printf("survived the write\n");
    return 0;
}
