/* hello: printf, then exit with the code in argv[1] via exit() (default), "_exit", "return",
 * or "unflushed" (_exit with output still buffered: it must be lost). */
#include "common.h"

int main(int argc, char **argv) {
    printf("hello, world\n");
    int code = argc > 1 ? atoi(argv[1]) : 0;
    const char *how = argc > 2 ? argv[2] : "exit";
    if (strcmp(how, "_exit") == 0) {
        printf("via _exit\n");
        fflush(stdout);
        _exit(code);
    }
    if (strcmp(how, "unflushed") == 0) {
        printf("this line is lost\n");
        _exit(code);
    }
    if (strcmp(how, "return") == 0) {
        printf("via return\n");
        return code;
    }
    exit(code);
}
