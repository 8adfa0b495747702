/* stdio_modes: the standard streams keep their access modes: reading the write end
 * of the runner's stdout pipe gives EBADF at once (it must not wait), and so does
 * sendfile from it. */
#include "common.h"
#include <sys/sendfile.h>

int main(void) {
    char b[4];
    SHOW("read(1)", read(1, b, sizeof b));
    SHOW("sendfile(1, 2)", sendfile(1, 2, NULL, 16));
    SHOW("write(0)", write(0, "x", 1));
    return 0;
}
