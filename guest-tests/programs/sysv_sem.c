/* sysv_sem: System V semaphore sets: semget by key and IPC_PRIVATE, semop's atomic
 * all-or-nothing operations, waits that another process ends, IPC_NOWAIT, semtimedop
 * timeouts, semctl's values and counts, IPC_RMID waking a waiter, and the errors.
 * Every set made is removed before exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static void values(const char *what, int id, int n) {
    unsigned short v[8];
    union semun arg = {.array = v};
    semctl(id, 0, GETALL, arg);
    printf("%s:", what);
    for (int i = 0; i < n; i++)
        printf(" %u", v[i]);
    printf("\n");
}

int main(void) {
    int id = semget(IPC_PRIVATE, 3, IPC_CREAT | 0600);
    printf("created: %s\n", id >= 0 ? "yes" : "no");
    values("initial", id, 3);
    union semun arg = {.val = 5};
    show("SETVAL 0 to 5", semctl(id, 0, SETVAL, arg));
    unsigned short all[3] = {1, 2, 3};
    arg.array = all;
    show("SETALL 1 2 3", semctl(id, 0, SETALL, arg));
    values("after SETALL", id, 3);
    show("GETVAL 2", semctl(id, 2, GETVAL));
    show("GETPID 0", semctl(id, 0, GETPID) == getpid() ? 1 : 0);

    struct sembuf ops[2] = {{0, -1, 0}, {1, 2, 0}};
    show("semop -1 on 0, +2 on 1", semop(id, ops, 2));
    values("after", id, 3);
    show("GETPID after semop is me", semctl(id, 1, GETPID) == getpid() ? 1 : 0);

    /* All or nothing: the second op cannot proceed, so neither applies. */
    struct sembuf atomic[2] = {{1, -1, IPC_NOWAIT}, {2, -9, IPC_NOWAIT}};
    show("all-or-nothing with IPC_NOWAIT", semop(id, atomic, 2));
    values("unchanged", id, 3);
    struct sembuf zero = {0, 0, IPC_NOWAIT};
    show("wait-for-zero when it is zero", semop(id, &zero, 1));
    zero.sem_num = 1;
    show("wait-for-zero when it is not", semop(id, &zero, 1));

    /* A wait that a child ends. */
    fflush(stdout);
    struct sembuf take = {2, -5, 0};
    pid_t child = fork();
    if (child == 0) {
        usleep(30000);
        struct sembuf give = {2, 2, 0};
        semop(id, &give, 1);
        _exit(0);
    }
    show("blocking semop until the child adds", semop(id, &take, 1));
    waitpid(child, NULL, 0);
    values("after the wait", id, 3);

    /* semtimedop gives up. */
    struct timespec t = {0, 20000000};
    struct sembuf never = {2, -1, 0};
    show("semtimedop timeout", semtimedop(id, &never, 1, &t));

    /* Counts of waiters, seen from a second process while one waits. */
    fflush(stdout);
    child = fork();
    if (child == 0) {
        struct sembuf wait1 = {0, -1, 0};
        semop(id, &wait1, 1);
        _exit(0);
    }
    usleep(50000);
    show("GETNCNT 0 with a waiter", semctl(id, 0, GETNCNT));
    show("GETZCNT 1", semctl(id, 1, GETZCNT));
    show("IPC_RMID with a waiter", semctl(id, 0, IPC_RMID));
    int status = 0;
    waitpid(child, &status, 0);
    printf("the waiter ended: %s\n", WIFEXITED(status) ? "yes" : "no");
    show("GETVAL after removal", semctl(id, 0, GETVAL));

    /* A waiter woken by removal sees EIDRM. */
    id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        usleep(30000);
        semctl(id, 0, IPC_RMID);
        _exit(0);
    }
    struct sembuf w = {0, -1, 0};
    show("waiting while the set is removed", semop(id, &w, 1));
    waitpid(child, NULL, 0);

    /* Keys, IPC_STAT, IPC_SET. */
    key_t key = 0x5f000000 + (getpid() & 0xffff);
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0640);
    printf("keyed set: %s\n", k >= 0 ? "yes" : "no");
    show("IPC_EXCL again", semget(key, 2, IPC_CREAT | IPC_EXCL | 0640));
    printf("same key, same id: %s\n", semget(key, 0, 0) == k ? "yes" : "no");
    show("more semaphores than the set has", semget(key, 3, 0));
    struct semid_ds ds;
    arg.buf = &ds;
    show("IPC_STAT", semctl(k, 0, IPC_STAT, arg));
    printf("nsems %lu mode %o uid==me %d\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode,
           ds.sem_perm.uid == getuid());
    ds.sem_perm.mode = 0600;
    show("IPC_SET", semctl(k, 0, IPC_SET, arg));
    semctl(k, 0, IPC_STAT, arg);
    printf("mode now %o\n", ds.sem_perm.mode);
    show("IPC_RMID", semctl(k, 0, IPC_RMID));

    /* Errors. */
    int e = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    show("nsems 0 for a new set", semget(IPC_PRIVATE, 0, IPC_CREAT | 0600));
    show("unknown key", semget(key + 1, 1, 0));
    struct sembuf bad = {5, 1, 0};
    show("semop on a missing semaphore", semop(e, &bad, 1));
    show("semop with no operations", semop(e, &bad, 0));
    arg.val = 40000;
    show("SETVAL above SEMVMX", semctl(e, 0, SETVAL, arg));
    arg.val = -1;
    show("SETVAL negative", semctl(e, 0, SETVAL, arg));
    show("GETVAL of a missing semaphore", semctl(e, 7, GETVAL));
    show("bad command", semctl(e, 0, 9999));
    show("semop on a bad id", semop(123456, &bad, 1));
    struct sembuf big = {0, 32767, 0};
    semop(e, &big, 1);
    big.sem_op = 1;
    show("semop past SEMVMX", semop(e, &big, 1));
    semctl(e, 0, IPC_RMID);
    return 0;
}
