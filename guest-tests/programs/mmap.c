/* mmap: anonymous private/shared mappings, MAP_FIXED, MAP_FIXED_NOREPLACE, munmap, mprotect,
 * and the exact errnos of the error cases. */
#include "common.h"
#include <sys/mman.h>

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int all(const char *p, size_t n, char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

int main(void) {
    /* private anonymous: zero-filled, page aligned, writable */
    char *a = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
    SHOW_OK("mmap private", a);
    YESNO("page aligned", ((unsigned long)a & (PAGE - 1)) == 0);
    YESNO("reads zero", all(a, 3 * PAGE, 0));
    memset(a, 'A', 3 * PAGE);
    YESNO("reads back what was written", all(a, 3 * PAGE, 'A'));
    SHOW("munmap", munmap(a, 3 * PAGE));

    /* shared anonymous */
    char *s = mmap(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    SHOW_OK("mmap shared", s);
    YESNO("shared reads zero", all(s, 2 * PAGE, 0));
    memset(s, 'S', 2 * PAGE);
    YESNO("shared reads back", all(s, 2 * PAGE, 'S'));
    SHOW("munmap shared", munmap(s, 2 * PAGE));

    /* MAP_FIXED over the middle of an existing mapping replaces just those pages */
    char *f = mmap(NULL, 4 * PAGE, RW, ANON, -1, 0);
    memset(f, 'F', 4 * PAGE);
    char *g = mmap(f + PAGE, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0);
    YESNO("MAP_FIXED returns the address", g == f + PAGE);
    YESNO("replaced pages read zero", all(f + PAGE, 2 * PAGE, 0));
    YESNO("neighbours kept", all(f, PAGE, 'F') && all(f + 3 * PAGE, PAGE, 'F'));

    /* MAP_FIXED_NOREPLACE: EEXIST over a mapping, succeeds in a hole */
    SHOW("MAP_FIXED_NOREPLACE over mapping",
         mmap(f + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0));
    SHOW("munmap middle page", munmap(f + 2 * PAGE, PAGE));
    SHOW("mprotect across the hole", mprotect(f, 4 * PAGE, PROT_READ));
    char *h = mmap(f + 2 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    YESNO("MAP_FIXED_NOREPLACE into the hole returns the address", h == f + 2 * PAGE);
    YESNO("refilled hole reads zero", all(h, PAGE, 0));
    SHOW("munmap all", munmap(f, 4 * PAGE));
    SHOW("munmap unmapped range", munmap(f, 4 * PAGE));
    SHOW("mprotect unmapped", mprotect(f, PAGE, PROT_READ));

    /* PROT_NONE, then mprotect to RW */
    char *n = mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0);
    SHOW_OK("mmap PROT_NONE", n);
    SHOW("mprotect RW", mprotect(n, PAGE, RW));
    n[100] = 7;
    printf("value after mprotect: %d\n", n[100]);
    SHOW("mprotect READ", mprotect(n, PAGE, PROT_READ));
    printf("still readable: %d\n", n[100]);
    munmap(n, PAGE);

    /* MAP_NORESERVE (1 GiB, touch two pages) and MAP_POPULATE */
    size_t gib = 1UL << 30;
    char *r = mmap(NULL, gib, RW, ANON | MAP_NORESERVE, -1, 0);
    SHOW_OK("mmap 1 GiB MAP_NORESERVE", r);
    r[0] = 1;
    r[gib - 1] = 2;
    printf("noreserve ends: %d %d\n", r[0], r[gib - 1]);
    SHOW("munmap noreserve", munmap(r, gib));
    char *p = mmap(NULL, 8 * PAGE, RW, ANON | MAP_POPULATE, -1, 0);
    SHOW_OK("mmap MAP_POPULATE", p);
    YESNO("populated reads zero", all(p, 8 * PAGE, 0));
    munmap(p, 8 * PAGE);

    /* error cases */
    SHOW("mmap len 0", mmap(NULL, 0, RW, ANON, -1, 0));
    SHOW("mmap neither private nor shared", mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0));
    SHOW("mmap private and shared", mmap(NULL, PAGE, RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    SHOW("mmap unaligned offset", mmap(NULL, PAGE, RW, ANON, -1, 123));
    SHOW("mmap MAP_FIXED unaligned", mmap((void *)0x10000123, PAGE, RW, ANON | MAP_FIXED, -1, 0));
    SHOW("mmap file with bad fd", mmap(NULL, PAGE, RW, MAP_PRIVATE, 99, 0));
    SHOW("mmap huge", mmap(NULL, 1UL << 62, RW, ANON, -1, 0));
    SHOW("munmap unaligned", munmap((void *)0x10000123, PAGE));
    SHOW("munmap len 0", munmap((void *)0x10000000, 0));
    SHOW("mprotect unaligned", mprotect((void *)0x10000123, PAGE, PROT_READ));
    return 0;
}
