/* fatal_signals: dies by the default action of the signal named in argv[1]:
 * "ud2" (SIGILL), "div0" (SIGFPE), "int3" (SIGTRAP), "abort" (SIGABRT via abort()). */
#include "common.h"

int main(int argc, char **argv) {
    const char *how = argc > 1 ? argv[1] : "";
    printf("about to %s\n", how);
    fflush(stdout);
    if (strcmp(how, "ud2") == 0) __asm__ volatile("ud2");
    if (strcmp(how, "int3") == 0) __asm__ volatile("int3");
    if (strcmp(how, "div0") == 0) {
        int q, r, zero = 0;
        __asm__ volatile("idivl %2" : "=a"(q), "=d"(r) : "r"(zero), "a"(1), "d"(0));
        printf("%d %d\n", q, r);
    }
    if (strcmp(how, "abort") == 0) abort();
    printf("survived\n");
    return 0;
}
