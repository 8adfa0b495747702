/* mremap: grow with MREMAP_MAYMOVE keeping contents, shrink in place, and the error cases. */
#include "common.h"
#include <sys/mman.h>

#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(void) {
    /* a mapping with its next page occupied, so growing in place is impossible */
    char *a = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
    SHOW("munmap last page", munmap(a + 2 * PAGE, PAGE));
    char *blocker = mmap(a + 2 * PAGE, PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    YESNO("blocker placed", blocker == a + 2 * PAGE);
    for (unsigned long i = 0; i < 2 * PAGE; i++) a[i] = (char)(i * 7);

    SHOW("grow in place without MAYMOVE", mremap(a, 2 * PAGE, 4 * PAGE, 0));
    char *b = mremap(a, 2 * PAGE, 16 * PAGE, MREMAP_MAYMOVE);
    SHOW_OK("grow with MAYMOVE", b);
    YESNO("moved", b != a);
    int same = 1;
    for (unsigned long i = 0; i < 2 * PAGE; i++) same &= b[i] == (char)(i * 7);
    YESNO("contents kept", same);
    int zero = 1;
    for (unsigned long i = 2 * PAGE; i < 16 * PAGE; i++) zero &= b[i] == 0;
    YESNO("new part reads zero", zero);
    b[16 * PAGE - 1] = 9;
    SHOW("old range is free (NOREPLACE succeeds)",
         mmap(a, 2 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0) == a ? 0 : -1);

    char *c = mremap(b, 16 * PAGE, 4 * PAGE, 0);
    YESNO("shrink stays in place", c == b);
    same = 1;
    for (unsigned long i = 0; i < 2 * PAGE; i++) same &= c[i] == (char)(i * 7);
    YESNO("contents kept after shrink", same);
    char *t = mmap(b + 4 * PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    YESNO("tail released after shrink", t == b + 4 * PAGE);

    SHOW("bad flags", mremap(c, 4 * PAGE, 8 * PAGE, 0x80));
    SHOW("MREMAP_FIXED without MAYMOVE", mremap(c, 4 * PAGE, 8 * PAGE, MREMAP_FIXED, (void *)0x70000000));
    SHOW("unaligned old address", mremap(c + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
    SHOW("new size 0", mremap(c, 4 * PAGE, 0, MREMAP_MAYMOVE));
    SHOW("unmapped old range", mremap((void *)0x10000000, PAGE, 2 * PAGE, MREMAP_MAYMOVE));
    return 0;
}
