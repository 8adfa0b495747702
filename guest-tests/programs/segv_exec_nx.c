/* segv_exec_nx: calling into a PROT_READ|PROT_WRITE (non-executable) page must die with SIGSEGV. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    unsigned char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    p[0] = 0xc3; /* ret */
    printf("calling a non-executable page\n");
    fflush(stdout);
    ((void (*)(void))p)();
    printf("survived the call\n");
    return 0;
}
