/* madvise: MADV_DONTNEED zeroes private anonymous pages (shared ones keep their data). */
#include "common.h"
#include <sys/mman.h>

#define RW (PROT_READ | PROT_WRITE)

static int all(const char *p, size_t n, char v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v) return 0;
    return 1;
}

int main(void) {
    char *p = mmap(NULL, 4 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 'P', 4 * PAGE);
    SHOW("MADV_DONTNEED pages 1-2", madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED));
    YESNO("dropped pages read zero", all(p + PAGE, 2 * PAGE, 0));
    YESNO("other pages kept", all(p, PAGE, 'P') && all(p + 3 * PAGE, PAGE, 'P'));
    p[PAGE] = 'x';
    printf("writable again: %c\n", p[PAGE]);

    char *s = mmap(NULL, 2 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    memset(s, 'S', 2 * PAGE);
    SHOW("MADV_DONTNEED shared", madvise(s, 2 * PAGE, MADV_DONTNEED));
    YESNO("shared pages keep their data", all(s, 2 * PAGE, 'S'));

    SHOW("MADV_NORMAL", madvise(p, 4 * PAGE, MADV_NORMAL));
    SHOW("MADV_WILLNEED", madvise(p, 4 * PAGE, MADV_WILLNEED));
    SHOW("bad advice", madvise(p, PAGE, 12345));
    SHOW("unaligned", madvise(p + 1, PAGE, MADV_DONTNEED));
    SHOW("munmap", munmap(p, 4 * PAGE));
    SHOW("unmapped range", madvise(p, PAGE, MADV_DONTNEED));
    return 0;
}
