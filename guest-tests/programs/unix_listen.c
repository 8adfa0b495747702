/* unix_listen: AF_UNIX stream sockets made by socket(2): bind to a path and to an
 * abstract name, listen, connect, accept, and the errors on the way. */
#include "common.h"
#include <poll.h>
#include <stddef.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path + 1, name);
    return offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name);
}

int main(void) {
    /* The runs' working directory is private to the test process. */
    const char *sock_path = "gt-unix.sock";
    unlink(sock_path);
    struct sockaddr_un addr, got;
    socklen_t len = path_addr(&addr, sock_path), got_len;

    int srv = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    YESNO("socket", srv >= 0);
    char buf[64];
    SHOW("read before connecting", read(srv, buf, 1));
    SHOW("write before connecting", write(srv, "x", 1));
    SHOW("listen unbound", listen(srv, 5));
    SHOW("bind", bind(srv, (struct sockaddr *)&addr, len));
    SHOW("bind again", bind(srv, (struct sockaddr *)&addr, len));
    got_len = sizeof got;
    SHOW("getsockname", getsockname(srv, (struct sockaddr *)&got, &got_len));
    printf("bound name %s, length matches: %s\n", got.sun_path, got_len == len ? "yes" : "no");
    struct stat st;
    YESNO("the path is a socket", stat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind to the same path", bind(other, (struct sockaddr *)&addr, len));
    SHOW("connect before listen", connect(other, (struct sockaddr *)&addr, len));
    SHOW("listen", listen(srv, 5));
    int v = -1;
    socklen_t vl = sizeof v;
    getsockopt(srv, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    printf("SO_ACCEPTCONN %d\n", v);
    int fl = fcntl(srv, F_GETFL);
    fcntl(srv, F_SETFL, fl | O_NONBLOCK);
    SHOW("accept with none pending", accept(srv, NULL, NULL));
    fcntl(srv, F_SETFL, fl);

    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&addr, len) != 0)
            _exit(1);
        write(c, "hello", 5);
        char r[16] = {0};
        struct sockaddr_un from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(c, r, sizeof r - 1, 0, (struct sockaddr *)&from, &fl);
        printf("child: recvfrom names %s\n", fl > offsetof(struct sockaddr_un, sun_path) ? from.sun_path : "nobody");
        struct sockaddr_un peer;
        socklen_t pl = sizeof peer;
        getpeername(c, (struct sockaddr *)&peer, &pl);
        printf("child: got %zd bytes '%s', server is %s\n", n, r, peer.sun_path);
        fflush(stdout);
        _exit(0);
    }
    struct pollfd pfd = {.fd = srv, .events = POLLIN};
    SHOW("poll the listener", poll(&pfd, 1, 5000));
    printf("revents 0x%x\n", pfd.revents);
    struct sockaddr_un peer;
    socklen_t pl = sizeof peer;
    int conn = accept4(srv, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
    YESNO("accept4", conn >= 0);
    printf("peer address length %u (unnamed)\n", pl);
    struct sockaddr_un from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(conn, buf, sizeof buf, 0, (struct sockaddr *)&from, &fromlen);
    printf("server read %zd: %.*s, sender address length %u\n", n, (int)n, buf, fromlen);
    struct ucred cred;
    socklen_t cl = sizeof cred;
    getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &cl);
    YESNO("SO_PEERCRED is the child", cred.pid == child);
    write(conn, "world", 5);
    int status;
    waitpid(child, &status, 0);
    printf("child exited %d\n", WEXITSTATUS(status));
    SHOW("read after the peer closed", read(conn, buf, sizeof buf));
    close(conn);

    /* abstract names */
    int a1 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    struct sockaddr_un aa;
    socklen_t alen = abstract_addr(&aa, "gt-abstract-name");
    SHOW("bind abstract", bind(a1, (struct sockaddr *)&aa, alen));
    SHOW("listen abstract", listen(a1, 1));
    int a2 = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    SHOW("connect abstract", connect(a2, (struct sockaddr *)&aa, alen));
    int a3 = accept(a1, NULL, NULL);
    SHOW("send a packet", send(a2, "pkt", 3, 0));
    SHOW("recv it", recv(a3, buf, sizeof buf, 0));
    int s4 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("stream to a seqpacket listener", connect(s4, (struct sockaddr *)&aa, alen));

    /* autobind */
    int ab = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un only = {.sun_family = AF_UNIX};
    SHOW("autobind", bind(ab, (struct sockaddr *)&only, offsetof(struct sockaddr_un, sun_path)));
    got_len = sizeof got;
    getsockname(ab, (struct sockaddr *)&got, &got_len);
    printf("autobound name length %u, abstract: %s\n", got_len, got.sun_path[0] == 0 ? "yes" : "no");

    /* errors */
    struct sockaddr_un missing;
    socklen_t ml = path_addr(&missing, "no-such-socket");
    int e = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect to a missing path", connect(e, (struct sockaddr *)&missing, ml));
    ml = path_addr(&missing, "/etc/passwd");
    SHOW("connect to a regular file", connect(e, (struct sockaddr *)&missing, ml));
    struct sockaddr_un bad = {.sun_family = AF_INET};
    SHOW("bind a non-AF_UNIX address", bind(e, (struct sockaddr *)&bad, sizeof bad));
    SHOW("accept on a non-listener", accept(e, NULL, NULL));
    SHOW("socket(AF_UNIX, SOCK_STREAM, 7)", socket(AF_UNIX, SOCK_STREAM, 7));
    close(srv);
    SHOW("connect after the listener closed", connect(e, (struct sockaddr *)&addr, len));
    unlink(sock_path);
    puts("done");
    return 0;
}
