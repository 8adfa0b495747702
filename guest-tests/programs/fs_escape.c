/* fs_escape: runs a list of path operations given as arguments and prints each result; used by
 * tests/escape.rs under `--root` and `--bind`. Ops: cd D, cat P, readlink P, write P TEXT,
 * link OLD NEW, mkdir D, stat P, getcwd. */
#include "fsutil.h"

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    char buf[4096];
    for (int i = 1; i < argc; i++) {
        const char *op = argv[i];
        const char *a = i + 1 < argc ? argv[i + 1] : "";
        char label[4200];
        snprintf(label, sizeof label, "%s %s", op, a);
        if (!strcmp(op, "cd")) { SHOW(label, chdir(a)); i++; }
        else if (!strcmp(op, "cat")) { show_file(label, a); i++; }
        else if (!strcmp(op, "mkdir")) { SHOW(label, mkdir(a, 0755)); i++; }
        else if (!strcmp(op, "stat")) { SHOW(label, size_of(a)); i++; }
        else if (!strcmp(op, "getcwd")) {
            if (getcwd(buf, sizeof buf)) printf("getcwd: %s\n", buf);
            else printf("getcwd: -1 %s\n", errname(errno));
        } else if (!strcmp(op, "readlink")) {
            long n = readlink(a, buf, sizeof buf - 1);
            if (n < 0) printf("%s: -1 %s\n", label, errname(errno));
            else printf("%s: %.*s\n", label, (int)n, buf);
            i++;
        } else if (!strcmp(op, "write") && i + 2 < argc) {
            snprintf(label, sizeof label, "write %s", a);
            SHOW(label, put_file(a, argv[i + 2]));
            i += 2;
        } else if (!strcmp(op, "link") && i + 2 < argc) {
            snprintf(label, sizeof label, "link %s %s", a, argv[i + 2]);
            SHOW(label, link(a, argv[i + 2]));
            i += 2;
        } else {
            printf("unknown op %s\n", op);
            return 2;
        }
    }
    return 0;
}
