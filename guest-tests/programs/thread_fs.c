/* thread_fs: threads share the working directory and umask (CLONE_FS, as pthreads
 * create them): a chdir or umask in one is seen by the others; a forked child's
 * changes stay its own. */
#include "common.h"
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

static void *change(void *arg) {
    (void)arg;
    SHOW("thread: chdir /usr", chdir("/usr"));
    umask(027);
    return NULL;
}

int main(void) {
    char buf[256];
    SHOW("chdir /", chdir("/"));
    umask(022);
    pthread_t t;
    pthread_create(&t, NULL, change, NULL);
    pthread_join(t, NULL);
    printf("main sees cwd %s\n", getcwd(buf, sizeof buf));
    mode_t old = umask(0);
    printf("main sees umask %03o\n", old);
    umask(old);
    YESNO("relative path resolves from the new cwd", access("bin", F_OK) == 0);
    pid_t pid = fork();
    if (pid == 0) {
        chdir("/etc");
        umask(077);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("after the child's chdir: cwd %s\n", getcwd(buf, sizeof buf));
    old = umask(0);
    printf("after the child's umask: %03o\n", old);
    return 0;
}
