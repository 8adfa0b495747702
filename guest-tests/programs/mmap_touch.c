/* mmap_touch: many small anonymous mappings, each written right after mmap returns,
 * until guest memory in use passes several of the sentry's memory-slot boundaries. */
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
    long mapped = 0, bad = 0;
    for (int i = 0; i < 1200; i++) {
        char *p = mmap(NULL, 64 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 1;
        for (int off = 0; off < 64 * 1024; off += 4096)
            p[off] = (char)i;
        for (int off = 0; off < 64 * 1024; off += 4096)
            bad += p[off] != (char)i;
        mapped += 64 * 1024;
    }
    printf("%ld MiB mapped and written: %s\n", mapped >> 20, bad ? "no" : "yes");
    return 0;
}
