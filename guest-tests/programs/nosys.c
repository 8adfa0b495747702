/* nosys: syscall numbers Linux does not implement fail with ENOSYS: numbers past the end of the
 * table, -1, and the slots Linux reserves but never implemented (getpmsg, tuxcall, vserver...). */
#include "common.h"

int main(void) {
    long nrs[] = {500, 100000, -1, 1000, 174, 177, 178, 180, 181, 182, 183, 184, 185, 236};
    for (unsigned i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
        char label[32];
        snprintf(label, sizeof label, "syscall(%ld)", nrs[i]);
        SHOW(label, syscall(nrs[i], 1, 2, 3, 4, 5, 6));
    }
    return 0;
}
