/* brk: grow, write, shrink and regrow the program break with the raw syscall. */
#include "common.h"

extern char end;

static char *brk_(void *addr) { return (char *)syscall(SYS_brk, addr); }

int main(void) {
    printf("brk test\n"); /* sets up stdio's buffer (malloc) before we take the break */
    fflush(stdout);
    char *b0 = brk_(0);
    YESNO("brk(0) == sbrk(0)", b0 == (char *)sbrk(0));
    YESNO("initial break >= &end", b0 >= &end);
    YESNO("brk(0) is stable", brk_(0) == b0);

    printf("grow 5 pages: +%ld\n", (long)(brk_(b0 + 5 * PAGE) - b0));
    memset(b0, 0xab, 5 * PAGE);
    long sum = 0;
    for (unsigned long i = 0; i < 5 * PAGE; i++) sum += (unsigned char)b0[i];
    printf("sum after memset: %ld\n", sum);

    printf("shrink to 2 pages: +%ld\n", (long)(brk_(b0 + 2 * PAGE) - b0));
    printf("regrow to 5 pages: +%ld\n", (long)(brk_(b0 + 5 * PAGE) - b0));
    char *fresh = (char *)(((unsigned long)b0 + 2 * PAGE + PAGE - 1) & ~(PAGE - 1));
    int zero = 1, kept = 1;
    for (char *p = fresh; p < b0 + 5 * PAGE; p++) zero &= *p == 0;
    for (char *p = b0; p < b0 + 2 * PAGE; p++) kept &= (unsigned char)*p == 0xab;
    YESNO("regrown pages read zero", zero);
    YESNO("bytes below the shrink point kept", kept);

    char *cur = brk_(0);
    YESNO("brk below the start fails (returns current break)", brk_((void *)PAGE) == cur);
    YESNO("huge brk fails (returns current break)", brk_(cur + (1UL << 47)) == cur);
    printf("unaligned brk: +%ld\n", (long)(brk_(b0 + 5 * PAGE + 123) - b0));

    unsigned long big = 64UL << 20;
    printf("grow 64 MiB: +%ld\n", (long)(brk_(b0 + big) - b0));
    sum = 0;
    for (unsigned long off = 5 * PAGE + PAGE; off < big; off += PAGE) {
        b0[off] = 1;
        sum += b0[off] + b0[off + 1];
    }
    printf("touched pages: %ld\n", sum);

    printf("back to start: +%ld\n", (long)(brk_(b0) - b0));
    char *m = malloc(1000);
    YESNO("malloc still works", m != NULL);
    free(m);
    return 0;
}
