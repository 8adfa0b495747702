/* map_count: a process cannot create more than vm.max_map_count (65530) mappings;
 * past it mmap fails with ENOMEM, and unmapping makes room again. */
#include "common.h"
#include <sys/mman.h>

int main(void) {
    const long page = 4096;
    char *base = (char *)0x200000000000UL;
    long made = 0;
    int err = 0;
    for (long i = 0; i < 70000; i++) {
        void *p = mmap(base + i * 2 * page, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (p == MAP_FAILED) {
            err = errno;
            break;
        }
        made++;
    }
    printf("stopped by: %s\n", errname(err));
    printf("made more than 65000: %s\n", made > 65000 ? "yes" : "no");
    printf("made fewer than 65530: %s\n", made < 65530 ? "yes" : "no");
    SHOW("munmap one", munmap(base, page));
    void *again = mmap(base, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    printf("room again after munmap: %s\n", again == base ? "yes" : "no");
    return 0;
}
