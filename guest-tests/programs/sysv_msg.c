/* sysv_msg: System V message queues: msgsnd/msgrcv by type (0, >0, <0, MSG_EXCEPT),
 * MSG_NOERROR truncation, blocking receives a child satisfies, IPC_NOWAIT, a full
 * queue, msqid_ds counters, IPC_RMID waking a waiter, and the errors. Every queue
 * made is removed before exit. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

struct msg {
    long type;
    char text[64];
};

static void show(const char *what, long rc) {
    if (rc < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, rc);
}

static void send(int q, long type, const char *text) {
    struct msg m = {.type = type};
    strcpy(m.text, text);
    msgsnd(q, &m, strlen(text) + 1, 0);
}

static void receive(const char *what, int q, long type, int flags) {
    struct msg m;
    memset(&m, 0, sizeof m);
    long n = msgrcv(q, &m, sizeof m.text, type, flags);
    if (n < 0)
        printf("%s: error %s\n", what, strerror(errno));
    else
        printf("%s: %ld bytes, type %ld, '%s'\n", what, n, m.type, m.text);
}

int main(void) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("created: %s\n", q >= 0 ? "yes" : "no");
    send(q, 5, "five");
    send(q, 1, "one");
    send(q, 3, "three");
    send(q, 1, "one again");
    struct msqid_ds ds;
    msgctl(q, IPC_STAT, &ds);
    printf("qnum %lu cbytes %lu lspid==me %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, ds.msg_lspid == getpid());
    receive("type 0 takes the first", q, 0, 0);
    receive("type 3", q, 3, 0);
    receive("type -4: lowest type up to 4", q, -4, 0);
    receive("MSG_EXCEPT 1 with only type 1 left", q, 1, MSG_EXCEPT | IPC_NOWAIT);
    send(q, 6, "six");
    receive("MSG_EXCEPT 1", q, 1, MSG_EXCEPT | IPC_NOWAIT);
    receive("type 1", q, 1, 0);
    receive("empty, IPC_NOWAIT", q, 0, IPC_NOWAIT);

    /* Truncation. */
    send(q, 2, "a long message text");
    struct msg m;
    show("too small without MSG_NOERROR", msgrcv(q, &m, 4, 0, IPC_NOWAIT));
    memset(&m, 0, sizeof m);
    show("MSG_NOERROR truncates", msgrcv(q, &m, 4, 0, IPC_NOWAIT | MSG_NOERROR));
    printf("  kept '%.4s'\n", m.text);
    show("the message is gone", msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT));

    /* A blocking receive that a child satisfies. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        usleep(30000);
        send(q, 7, "from the child");
        _exit(0);
    }
    receive("blocking receive", q, 7, 0);
    waitpid(child, NULL, 0);

    /* A full queue: msg_qbytes lowered, then IPC_NOWAIT sends fail. */
    msgctl(q, IPC_STAT, &ds);
    ds.msg_qbytes = 100;
    show("IPC_SET qbytes 100", msgctl(q, IPC_SET, &ds));
    struct msg big = {.type = 1};
    show("send 60", msgsnd(q, &big, 60, IPC_NOWAIT));
    show("send 60 more, IPC_NOWAIT", msgsnd(q, &big, 60, IPC_NOWAIT));
    show("receive frees room", msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT | MSG_NOERROR));
    show("send again", msgsnd(q, &big, 60, IPC_NOWAIT));
    msgctl(q, IPC_STAT, &ds);
    printf("qnum %lu qbytes %lu lrpid==me %d\n", (unsigned long)ds.msg_qnum,
           (unsigned long)ds.msg_qbytes, ds.msg_lrpid == getpid());

    /* IPC_RMID wakes a waiting receiver with EIDRM. */
    msgrcv(q, &m, sizeof m.text, 0, IPC_NOWAIT | MSG_NOERROR);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        usleep(30000);
        msgctl(q, IPC_RMID, NULL);
        _exit(0);
    }
    receive("waiting while the queue is removed", q, 0, 0);
    waitpid(child, NULL, 0);

    /* Keys and errors. */
    key_t key = 0x5d000000 + (getpid() & 0xffff);
    int k = msgget(key, IPC_CREAT | IPC_EXCL | 0640);
    printf("keyed queue: %s\n", k >= 0 ? "yes" : "no");
    show("IPC_EXCL again", msgget(key, IPC_CREAT | IPC_EXCL | 0640));
    printf("same key, same id: %s\n", msgget(key, 0) == k ? "yes" : "no");
    show("unknown key", msgget(key + 1, 0));
    big.type = 0;
    show("type 0 send", msgsnd(k, &big, 10, IPC_NOWAIT));
    big.type = 1;
    show("negative size", msgsnd(k, &big, (size_t)-1, IPC_NOWAIT));
    show("larger than msgmax", msgsnd(k, &big, 9000, IPC_NOWAIT));
    show("receive negative size", msgrcv(k, &m, (size_t)-1, 0, IPC_NOWAIT));
    show("bad id", msgsnd(123456, &big, 10, IPC_NOWAIT));
    show("bad command", msgctl(k, 9999, &ds));
    show("IPC_RMID", msgctl(k, IPC_RMID, NULL));
    show("stat after removal", msgctl(k, IPC_STAT, &ds));
    return 0;
}
