/* getrandom: lengths, flags, page-crossing buffers and the error cases. */
#include "common.h"
#include <sys/mman.h>
#include <sys/random.h>

int main(void) {
    unsigned char a[64], b[64];
    SHOW("getrandom 64", getrandom(a, sizeof a, 0));
    SHOW("getrandom 64 again", getrandom(b, sizeof b, 0));
    printf("differ: %s\n", memcmp(a, b, sizeof a) ? "yes" : "no");
    SHOW("0 bytes", getrandom(a, 0, 0));
    SHOW("GRND_NONBLOCK", getrandom(a, 16, GRND_NONBLOCK));
    SHOW("GRND_RANDOM", getrandom(a, 16, GRND_RANDOM));
    SHOW("GRND_INSECURE", getrandom(a, 16, GRND_INSECURE));
    SHOW("GRND_INSECURE|GRND_RANDOM", getrandom(a, 16, GRND_INSECURE | GRND_RANDOM));
    SHOW("bad flags", getrandom(a, 16, 0x40));
    SHOW("bad pointer", getrandom(BADPTR, 16, 0));

    /* 1 MiB across many pages: every byte value should show up */
    size_t big = 1 << 20;
    unsigned char *p = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    SHOW("getrandom 1 MiB", getrandom(p, big, 0));
    int seen[256] = {0}, distinct = 0;
    for (size_t i = 0; i < big; i++) seen[p[i]] = 1;
    for (int i = 0; i < 256; i++) distinct += seen[i];
    printf("distinct byte values: %d\n", distinct);
    /* no 4 KiB page left unfilled (a page-crossing copy that skipped pages would show) */
    int pages_ok = 1;
    for (size_t pg = 0; pg < big; pg += PAGE) {
        int nz = 0;
        for (size_t i = pg; i < pg + PAGE; i++) nz += p[i] != 0;
        pages_ok &= nz > 3000;
    }
    YESNO("every page filled", pages_ok);
    return 0;
}
