/* unix_dgram: AF_UNIX datagram sockets made by socket(2): sendto a bound name,
 * recvfrom with the sender's name, connect and write, a full receive queue, and
 * truncated messages. */
#include "common.h"
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

int main(void) {
    const char *path = "gt-dgram.sock";
    unlink(path);
    struct sockaddr_un a_addr, b_addr, from;
    socklen_t alen = path_addr(&a_addr, path), flen;
    int a = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("bind a", bind(a, (struct sockaddr *)&a_addr, alen));
    int b = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&b_addr, 0, sizeof b_addr);
    b_addr.sun_family = AF_UNIX;
    strcpy(b_addr.sun_path + 1, "gt-dgram-b");
    SHOW("bind b (abstract)", bind(b, (struct sockaddr *)&b_addr, offsetof(struct sockaddr_un, sun_path) + 11));
    SHOW("sendto a", sendto(b, "hello", 5, 0, (struct sockaddr *)&a_addr, alen));
    char buf[64];
    flen = sizeof from;
    ssize_t n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("a got %zd: %.*s from a name of length %u, abstract %s\n", n, (int)n, buf, flen,
           flen > 2 && from.sun_path[0] == 0 ? "yes" : "no");
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("unbound sendto a", sendto(c, "x", 1, 0, (struct sockaddr *)&a_addr, alen));
    flen = sizeof from;
    n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("from an unbound socket: %zd bytes, name length %u\n", n, flen);
    SHOW("write unconnected", write(c, "x", 1));
    /* An end of a datagram socketpair may send to a name too (it stays connected). */
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    SHOW("socketpair end sendto a", sendto(sv[0], "pair", 4, 0, (struct sockaddr *)&a_addr, alen));
    flen = sizeof from;
    n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen);
    printf("from the socketpair end: %zd bytes (%.*s), name length %u\n", n, (int)(n > 0 ? n : 0), buf, flen);
    SHOW("socketpair end send to its peer", send(sv[0], "peer", 4, 0));
    n = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    printf("the peer got %zd bytes\n", n);
    SHOW("socketpair end sendto a stream-less name", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&b_addr, offsetof(struct sockaddr_un, sun_path) + 11));
    flen = sizeof from;
    n = recvfrom(b, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
    printf("b got %zd bytes\n", n);
    shutdown(sv[0], SHUT_WR);
    SHOW("sendto a after SHUT_WR", sendto(sv[0], "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a_addr, alen));
    close(sv[0]);
    close(sv[1]);
    SHOW("connect c to a", connect(c, (struct sockaddr *)&a_addr, alen));
    SHOW("write connected", write(c, "wxyz", 4));
    SHOW("read it", read(a, buf, sizeof buf));
    struct sockaddr_un peer;
    socklen_t pl = sizeof peer;
    SHOW("getpeername", getpeername(c, (struct sockaddr *)&peer, &pl));
    printf("peer %s\n", peer.sun_path);
    int sent = 0;
    while (send(c, "q", 1, MSG_DONTWAIT) == 1 && sent < 100)
        sent++;
    printf("queued before the receiver was full: %d (%s)\n", sent, strerror(errno));
    for (int i = 0; i < sent; i++)
        recv(a, buf, sizeof buf, 0);
    SHOW("send a long one", send(c, "0123456789", 10, 0));
    n = recv(a, buf, 4, MSG_TRUNC);
    printf("recv 4 with MSG_TRUNC: %zd\n", n);
    SHOW("empty queue, MSG_DONTWAIT", recv(a, buf, sizeof buf, MSG_DONTWAIT));
    struct sockaddr_un missing;
    socklen_t ml = path_addr(&missing, "gt-no-such.sock");
    SHOW("sendto a missing path", sendto(b, "x", 1, 0, (struct sockaddr *)&missing, ml));
    SHOW("listen", listen(a, 1));
    SHOW("accept", accept(a, NULL, NULL));
    int t = -1;
    socklen_t tl = sizeof t;
    getsockopt(a, SOL_SOCKET, SO_TYPE, &t, &tl);
    printf("SO_TYPE %d\n", t);
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    SHOW("disconnect (AF_UNSPEC)", connect(c, &un, sizeof un));
    SHOW("write after disconnecting", write(c, "x", 1));
    /* A sender may have a send buffer's worth unread (212992 bytes by default). */
    static char big[100000];
    int bigs = 0;
    while (bigs < 50 && sendto(b, big, sizeof big, MSG_DONTWAIT, (struct sockaddr *)&a_addr, alen) > 0)
        bigs++;
    printf("100000-byte messages queued: %d (%s)\n", bigs, strerror(errno));
    static char sink[100000];
    recv(a, sink, sizeof sink, 0);
    SHOW("another after one was read", sendto(b, big, sizeof big, MSG_DONTWAIT, (struct sockaddr *)&a_addr, alen));
    close(a);
    SHOW("sendto a closed socket's path", sendto(b, "x", 1, 0, (struct sockaddr *)&a_addr, alen));
    unlink(path);

    /* A sender waiting for room learns when the receiver goes. */
    struct sockaddr_un q = {.sun_family = AF_UNIX};
    strcpy(q.sun_path + 1, "gt-dgram-closing");
    socklen_t ql = offsetof(struct sockaddr_un, sun_path) + 17;
    int r = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(r, (struct sockaddr *)&q, ql);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(r);
        int k = 0;
        long m;
        while ((m = sendto(s, "x", 1, 0, (struct sockaddr *)&q, ql)) > 0)
            k++;
        printf("blocked sender: sent %d, then %ld %s\n", k, m, strerror(errno));
        fflush(stdout);
        _exit(0);
    }
    usleep(300 * 1000);
    close(r);
    waitpid(pid, NULL, 0);
    puts("done");
    return 0;
}
