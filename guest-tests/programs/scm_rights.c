/* scm_rights: passing descriptors over AF_UNIX sockets (SCM_RIGHTS): the receiver
 * gets new descriptors of the same open files; too small a control buffer truncates
 * (MSG_CTRUNC); bad descriptors give EBADF; a stream read stops after the bytes that
 * carried descriptors. */
#include "common.h"
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static int send_fds(int sock, const char *data, size_t len, const int *fds, int n) {
    char buf[CMSG_SPACE(sizeof(int) * 8)];
    memset(buf, 0, sizeof buf);
    struct iovec iov = {.iov_base = (void *)data, .iov_len = len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = buf;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return sendmsg(sock, &m, 0);
}

/* Receives into `data`; the descriptors into `fds` (room for `room`); count of fds. */
static int recv_fds(int sock, char *data, size_t len, int *fds, int room, int flags, int *got,
                    int *msg_flags) {
    char buf[CMSG_SPACE(sizeof(int) * 8)];
    struct iovec iov = {.iov_base = data, .iov_len = len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = buf,
                       .msg_controllen = room ? CMSG_LEN(sizeof(int) * room) : 0};
    if (room == 0)
        m.msg_control = NULL;
    int r = recvmsg(sock, &m, flags);
    *got = r;
    *msg_flags = m.msg_flags;
    int n = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds + n, CMSG_DATA(c), sizeof(int) * k);
            n += k;
        }
    }
    return n;
}

int main(void) {
    int sv[2];
    SHOW("socketpair", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    int p[2];
    pipe(p);
    write(p[1], "through the pipe", 16);
    SHOW("send a pipe's read end", send_fds(sv[0], "x", 1, &p[0], 1));
    int fds[8], got, mf;
    char data[32];
    int n = recv_fds(sv[1], data, sizeof data, fds, 1, 0, &got, &mf);
    printf("received %d bytes, %d descriptor(s), flags 0x%x\n", got, n, mf);
    YESNO("a new descriptor", n == 1 && fds[0] != p[0]);
    char b[32] = {0};
    YESNO("it reads the same pipe", n == 1 && read(fds[0], b, 16) == 16 && !strcmp(b, "through the pipe"));
    YESNO("not close-on-exec", n == 1 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) == 0);

    int two[2] = {p[0], p[1]};
    SHOW("send two descriptors", send_fds(sv[0], "y", 1, two, 2));
    n = recv_fds(sv[1], data, sizeof data, fds, 1, MSG_CMSG_CLOEXEC, &got, &mf);
    printf("room for one: %d descriptor(s), MSG_CTRUNC %s\n", n, (mf & MSG_CTRUNC) ? "set" : "clear");
    YESNO("close-on-exec with MSG_CMSG_CLOEXEC", n == 1 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC));

    SHOW("send one with no control room", send_fds(sv[0], "z", 1, &p[0], 1));
    n = recv_fds(sv[1], data, sizeof data, fds, 0, 0, &got, &mf);
    printf("no room: %d descriptor(s), %d byte(s), MSG_CTRUNC %s\n", n, got, (mf & MSG_CTRUNC) ? "set" : "clear");

    int bad = 99;
    SHOW("send a bad descriptor", send_fds(sv[0], "w", 1, &bad, 1));

    /* a stream read ends with the bytes that carried descriptors */
    SHOW("send ab with a descriptor", send_fds(sv[0], "ab", 2, &p[0], 1));
    SHOW("send cd", write(sv[0], "cd", 2));
    n = recv_fds(sv[1], data, sizeof data, fds, 4, 0, &got, &mf);
    printf("first read: %d bytes, %d descriptor(s)\n", got, n);
    n = recv_fds(sv[1], data, sizeof data, fds, 4, 0, &got, &mf);
    printf("second read: %d bytes, %d descriptor(s)\n", got, n);

    /* across fork, over a datagram pair */
    int dv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, dv);
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/etc/hostname", O_RDONLY);
        send_fds(dv[0], "f", 1, &fd, 1);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    n = recv_fds(dv[1], data, sizeof data, fds, 2, 0, &got, &mf);
    char h1[64] = {0}, h2[64] = {0};
    int own = open("/etc/hostname", O_RDONLY);
    read(own, h1, sizeof h1 - 1);
    YESNO("a file the child opened reads the same", n == 1 && read(fds[0], h2, sizeof h2 - 1) > 0 && !strcmp(h1, h2));
    puts("done");
    return 0;
}
