/* sysv_shm: System V shared memory: segments by key and IPC_PRIVATE, attachments that
 * share pages (also with a forked child), shmid_ds values, IPC_SET, IPC_RMID while
 * attached, and the errors. Every segment made is removed before exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static void stat_of(const char *what, int id) {
    struct shmid_ds ds;
    if (shmctl(id, IPC_STAT, &ds) < 0) {
        printf("%s: stat error %s\n", what, strerror(errno));
        return;
    }
    /* (shm_lpid is left out: a process exiting attached sets it on Linux.) */
    printf("%s: size %zu mode %o nattch %lu cpid==me %d uid==me %d key==0 %d\n", what,
           ds.shm_segsz, ds.shm_perm.mode, (unsigned long)ds.shm_nattch, ds.shm_cpid == getpid(),
           ds.shm_perm.uid == getuid(), ds.shm_perm.__key == 0);
}

int main(void) {
    int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
    printf("private segment: %s\n", id >= 0 ? "yes" : "no");
    stat_of("new", id);

    char *p = shmat(id, NULL, 0);
    printf("attached: %s\n", p != (void *)-1 ? "yes" : "no");
    strcpy(p, "hello shm");
    p[9999] = 'z';
    stat_of("one attachment", id);
    struct shmid_ds after_attach;
    shmctl(id, IPC_STAT, &after_attach);
    printf("lpid is the attacher: %s\n", after_attach.shm_lpid == getpid() ? "yes" : "no");
    char *q = shmat(id, NULL, 0);
    printf("second attachment sees the first: %s\n", q != p && !strcmp(q, "hello shm") && q[9999] == 'z' ? "yes" : "no");
    stat_of("two attachments", id);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        struct shmid_ds ds;
        shmctl(id, IPC_STAT, &ds);
        strcpy(p + 100, "from the child");
        _exit((int)ds.shm_nattch);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("the child saw nattch %d\n", WEXITSTATUS(status));
    printf("the parent sees the child's store: %s\n", !strcmp(q + 100, "from the child") ? "yes" : "no");
    stat_of("after the child", id);

    show("shmdt second", shmdt(q));
    show("shmdt second again", shmdt(q));
    show("shmdt inside a segment", shmdt(p + 4096));
    stat_of("one left", id);

    char *ro = shmat(id, NULL, SHM_RDONLY);
    printf("read-only attachment reads: %s\n", ro != (void *)-1 && !strcmp(ro, "hello shm") ? "yes" : "no");
    shmdt(ro);
    show("unaligned address", (long)shmat(id, (void *)(p + 100), 0));
    char *rounded = shmat(id, (void *)0x7f0000000123UL, SHM_RND);
    printf("SHM_RND rounds down: %s\n", rounded == (void *)0x7f0000000000UL ? "yes" : "no");
    shmdt(rounded);

    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0640;
    show("IPC_SET", shmctl(id, IPC_SET, &ds));
    stat_of("after IPC_SET", id);
    show("IPC_RMID while attached", shmctl(id, IPC_RMID, NULL));
    stat_of("removed, still attached", id);
    printf("still usable: %s\n", !strcmp(p, "hello shm") ? "yes" : "no");
    show("shmdt the last", shmdt(p));
    stat_of("gone", id);

    /* Keys. */
    key_t key = 0x5e000000 + (getpid() & 0xffff);
    int k = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640);
    printf("keyed segment: %s\n", k >= 0 ? "yes" : "no");
    show("IPC_EXCL again", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0640));
    printf("same key, same id: %s\n", shmget(key, 0, 0) == k ? "yes" : "no");
    show("larger than the segment", shmget(key, 8192, 0));
    show("unknown key", shmget(key + 1, 4096, 0));
    show("IPC_RMID", shmctl(k, IPC_RMID, NULL));
    show("key after IPC_RMID", shmget(key, 4096, 0));

    show("size 0", shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    show("stat of a bad id", shmctl(123456, IPC_STAT, &ds));
    show("bad command", shmctl(id, 12345, &ds));
    show("attach a bad id", (long)shmat(123456, NULL, 0));
    show("shmdt of nothing", shmdt((void *)0x10000));
    return 0;
}
