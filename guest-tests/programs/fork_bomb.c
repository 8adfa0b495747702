/* A fork bomb: every process forks until fork fails, then everyone waits. Prints
 * whether fork ever failed with EAGAIN (under `sentry run --pids N` it must) and how
 * many processes the tree held at its largest (counted through a shared page). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    atomic_int *live = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    atomic_int *eagain = live + 1;
    atomic_int *most = live + 2;
    atomic_store(live, 1);
    int depth = 0;
    pid_t root = getpid();
    for (;;) {
        pid_t pid = fork();
        if (pid < 0) {
            if (errno == EAGAIN)
                atomic_store(eagain, 1);
            break;
        }
        if (pid == 0) {
            int now = atomic_fetch_add(live, 1) + 1;
            int seen = atomic_load(most);
            while (now > seen && !atomic_compare_exchange_weak(most, &seen, now)) {
            }
            if (++depth > 64)
                break;
            continue;
        }
    }
    while (wait(NULL) > 0) {
    }
    if (getpid() != root) {
        atomic_fetch_sub(live, 1);
        _exit(0);
    }
    printf("fork failed with EAGAIN: %s\n", atomic_load(eagain) ? "yes" : "no");
    printf("most processes at once: %d\n", atomic_load(most));
    return 0;
}
