/* sparse: a 512 MiB anonymous mapping touched once every 64 MiB (must not need 512 MiB). */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    size_t size = 512UL << 20, step = 64UL << 20;
    unsigned char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW_OK("mmap 512 MiB", p);
    if (p == MAP_FAILED) return 1;
    unsigned long sum = 0;
    for (size_t off = 0, i = 1; off < size; off += step, i++) {
        sum += p[off]; /* zero before the write */
        p[off] = (unsigned char)i;
        p[off + step - 1] = (unsigned char)(2 * i);
    }
    for (size_t off = 0; off < size; off += step)
        sum += p[off] + p[off + step - 1] + p[off + step / 2];
    printf("sum: %lu\n", sum);
    SHOW("munmap", munmap(p, size));
    return 0;
}
