// cflags: -pthread
/* thread_syscalls: threads making quick syscalls at the same time each get their own
 * results: their own tid, their own descriptors' sizes and offsets. */
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>

#define THREADS 4
#define ROUNDS 20000

static const char *files[THREADS] = {"/etc/hostname", "/etc/passwd", "/etc/group", "/etc/hosts"};
static off_t sizes[THREADS];
static int bad[THREADS];

static void *worker(void *arg) {
    int i = (int)(long)arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int fd = open(files[i], O_RDONLY);
    if (fd < 0) {
        bad[i] = -1;
        return NULL;
    }
    for (int r = 0; r < ROUNDS; r++) {
        struct stat st;
        off_t want = sizes[i] ? r % sizes[i] : 0;
        if (syscall(SYS_gettid) != tid || fstat(fd, &st) != 0 || st.st_size != sizes[i] ||
            lseek(fd, want, SEEK_SET) != want || lseek(fd, 0, SEEK_CUR) != want)
            bad[i]++;
    }
    close(fd);
    return NULL;
}

int main(void) {
    for (int i = 0; i < THREADS; i++) {
        struct stat st;
        sizes[i] = stat(files[i], &st) == 0 ? st.st_size : 0;
    }
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(long)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    int total = 0;
    for (int i = 0; i < THREADS; i++)
        total += bad[i];
    printf("%d threads x %d rounds of gettid, fstat and lseek\n", THREADS, ROUNDS);
    printf("every result its own thread's: %s\n", total == 0 ? "yes" : "no");
    return 0;
}
